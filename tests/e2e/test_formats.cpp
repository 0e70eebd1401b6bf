// End-to-end: text encodings, CRS handling and export formats.
#include <fmt/format.h>
#include <gdal.h>
#include <ogr_api.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <map>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

std::string fixture(const std::string& name) {
    return (data_dir() / "import" / name).string();
}

/// A Shapefile of the two fixture townships with GBK text and no .cpg: what
/// Chinese GIS offices often exchange. The DBF language id is zeroed too.
fs::path make_gbk_shapefile(const TempDir& dir, bool keep_cpg) {
    const auto shp = dir / "towns_gbk.shp";
    REQUIRE(run_shell("ogr2ogr -lco ENCODING=CP936 '" + shp.string() + "' '" + fixture("good_townships.geojson") + "'")
                .exit_code == 0);
    auto dbf = shp;
    dbf.replace_extension(".dbf");
    REQUIRE(read_file(dbf).find("\xd4\xc2\xba\xd3") != std::string::npos);  // 月河 in GBK
    if (!keep_cpg) {
        auto cpg = shp;
        cpg.replace_extension(".cpg");
        fs::remove(cpg);
        std::fstream f(dbf, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(29);
        f.put('\0');
    }
    return shp;
}

std::map<std::string, std::string> names_in_store(const std::string& db) {
    std::map<std::string, std::string> out;
    Store s(db, Store::Mode::must_exist);
    Statement st = sql::prepare(s, "SELECT code, name FROM jurisdictions");
    while (st.step()) out[st.text(0)] = st.text(1);
    return out;
}

std::vector<std::pair<double, double>> vertices(const fs::path& file) {
    std::vector<std::pair<double, double>> out;
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(file.string().c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    REQUIRE(ds);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGR_L_SetAttributeFilter(l, nullptr);
    std::vector<std::pair<std::string, OGRFeatureH>> feats;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != nullptr) feats.emplace_back(OGR_F_GetFieldAsString(f, 0), f);
    std::sort(feats.begin(), feats.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (auto& [code, feat] : feats) {
        OGRGeometryH g = OGR_F_GetGeometryRef(feat);
        // walk every ring of every polygon
        const int np = OGR_G_GetGeometryType(g) == wkbMultiPolygon ? OGR_G_GetGeometryCount(g) : 1;
        for (int p = 0; p < np; ++p) {
            OGRGeometryH poly = OGR_G_GetGeometryType(g) == wkbMultiPolygon ? OGR_G_GetGeometryRef(g, p) : g;
            for (int r = 0; r < OGR_G_GetGeometryCount(poly); ++r) {
                OGRGeometryH ring = OGR_G_GetGeometryRef(poly, r);
                for (int i = 0; i < OGR_G_GetPointCount(ring); ++i)
                    out.emplace_back(OGR_G_GetX(ring, i), OGR_G_GetY(ring, i));
            }
        }
        OGR_F_Destroy(feat);
    }
    GDALClose(ds);
    return out;
}

} // namespace

TEST_CASE("encoding: a GBK Shapefile without .cpg is detected and stored as UTF-8", "[e2e][encoding]") {
    TempDir dir("gbk");
    const auto shp = make_gbk_shapefile(dir, false);
    const std::string db = (dir / "s.sqlite").string();
    REQUIRE(run_wangge({"--db", db, "import", fixture("base_county.geojson")}).exit_code == 0);
    const auto r = run_wangge({"--db", db, "import", shp.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("GB18030/GBK (detected, no .cpg)"));
    const auto names = names_in_store(db);
    CHECK(names.at("330502001") == "月河街道");
    CHECK(names.at("330502002") == "朝阳街道");
}

TEST_CASE("encoding: --encoding overrides, a wrong one is refused, never stored as mojibake", "[e2e][encoding]") {
    TempDir dir("gbk-override");
    const auto shp = make_gbk_shapefile(dir, false);
    const std::string db = (dir / "s.sqlite").string();
    REQUIRE(run_wangge({"--db", db, "import", fixture("base_county.geojson")}).exit_code == 0);
    const auto before = store_digest(db);
    const auto bad = run_wangge({"--db", db, "import", shp.string(), "--encoding", "UTF-8"});
    CHECK(bad.exit_code == 3);
    CHECK_THAT(bad.err, Catch::Contains("feature 0 (code 330502001): field 'name' is not valid UTF-8 text"));
    CHECK(store_digest(db) == before);
    CHECK(run_wangge({"--db", db, "import", shp.string(), "--encoding", "nonsense"}).exit_code == 2);
    const auto good = run_wangge({"--db", db, "import", shp.string(), "--encoding", "GBK"});
    CHECK(good.exit_code == 0);
    CHECK(names_in_store(db).at("330502001") == "月河街道");
}

TEST_CASE("encoding: a GBK Shapefile with its .cpg is read through GDAL", "[e2e][encoding]") {
    TempDir dir("gbk-cpg");
    const auto shp = make_gbk_shapefile(dir, true);
    const std::string db = (dir / "s.sqlite").string();
    REQUIRE(run_wangge({"--db", db, "import", fixture("base_county.geojson")}).exit_code == 0);
    const auto r = run_wangge({"--db", db, "import", shp.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(names_in_store(db).at("330502002") == "朝阳街道");
}

TEST_CASE("crs: a Shapefile without .prj is refused unless --s-srs names its CRS", "[e2e][crs]") {
    TempDir dir("no-prj");
    const auto shp = dir / "county.shp";
    REQUIRE(run_shell("ogr2ogr '" + shp.string() + "' '" + fixture("base_county.geojson") + "'").exit_code == 0);
    auto prj = shp;
    prj.replace_extension(".prj");
    fs::remove(prj);
    const std::string db = (dir / "s.sqlite").string();
    const auto r = run_wangge({"--db", db, "import", shp.string()});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("county.shp: has no coordinate reference system"));
    CHECK_THAT(r.err, Catch::Contains("--s-srs"));
    CHECK_FALSE(fs::exists(db));  // a failed first import leaves no store behind
    CHECK(run_wangge({"--db", db, "import", shp.string(), "--s-srs", "EPSG:4490"}).exit_code == 0);
    CHECK(store_digest(db).starts_with("1:"));
}

TEST_CASE("crs: townships in CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549) round-trip within 1 cm",
          "[e2e][crs]") {
    TempDir dir("gk");
    const auto original = sample_dir() / "huzhou_townships.shp";
    const auto projected = dir / "townships_4549.shp";
    REQUIRE(run_shell("ogr2ogr -t_srs EPSG:4549 '" + projected.string() + "' '" + original.string() + "'").exit_code ==
            0);
    const std::string db = (dir / "s.sqlite").string();
    const auto r = run_wangge({"--db", db, "import", projected.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("EPSG:4549"));
    const auto back = dir / "townships_back.gpkg";
    REQUIRE(run_wangge({"--db", db, "export", "townships", "--out", back.string()}).exit_code == 0);

    const auto a = vertices(original);
    const auto b = vertices(back);
    REQUIRE(a.size() == b.size());
    REQUIRE(a.size() > 1000);
    double worst_m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double dy = (a[i].second - b[i].second) * 111320.0;
        const double dx = (a[i].first - b[i].first) * 111320.0 * std::cos(a[i].second * M_PI / 180.0);
        worst_m = std::max(worst_m, std::hypot(dx, dy));
    }
    CHECK(worst_m < 0.01);
    WARN("EPSG:4549 round trip: worst vertex displacement " << worst_m * 1000 << " mm over " << a.size()
                                                             << " vertices");
}

TEST_CASE("zhejiang counties: real defects, --skip-invalid --repair stores 85 repaired, rejects 4 null codes",
          "[e2e][zhejiang]") {
    TempDir dir("zhejiang");
    const auto src = real_data("zhejiang_counties.geojson", dir.path());
    const std::string db = (dir / "s.sqlite").string();
    REQUIRE(run_wangge({"--db", db, "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
    // all-or-nothing first: nothing stored
    const auto strict = run_wangge({"--db", db, "import", src.string(), "--rejects", (dir / "r0.csv").string()});
    CHECK(strict.exit_code == 3);
    CHECK(store_digest(db).starts_with("0:"));

    const auto rejects = dir / "rejects.csv";
    const auto r = run_wangge({"--db", db, "import", src.string(), "--skip-invalid", "--repair", "--rejects",
                               rejects.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("85 imported (85 counties, 0 townships, 0 villages), 85 repaired, 4 rejected"));
    const auto csv = read_file(rejects);
    for (const char* name : {"下城区", "江干区", "临安市", "玉环县"})
        CHECK_THAT(csv, Catch::Contains(std::string(",,") + name + ",no code (empty field)"));
    Store s(db, Store::Mode::must_exist);
    CHECK(sql::query_int(s, "SELECT count(*) FROM jurisdictions") == 85);
    CHECK(sql::query_int(s, "SELECT count(*) FROM jurisdictions WHERE NOT ST_IsValid(geom)") == 0);
    CHECK(sql::query_text(s, "SELECT name FROM jurisdictions WHERE code='330502'") ==
          std::optional<std::string>("吴兴区"));
}

TEST_CASE("export: Shapefile (UTF-8 .cpg, .prj), GeoPackage, GeoJSON, FlatGeobuf, by code prefix", "[e2e][export]") {
    TempDir dir("export");
    const std::string db = (dir / "s.sqlite").string();
    REQUIRE(run_wangge({"--db", db, "import", (sample_dir() / "huzhou_townships.shp").string()}).exit_code == 0);
    for (const std::string ext : {".shp", ".gpkg", ".geojson", ".fgb"}) {
        const auto out = dir / ("wuxing" + ext);
        const auto r = run_wangge({"--db", db, "export", "townships", "--prefix", "330502", "--out", out.string()});
        INFO(ext << " " << r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(feature_count(out) == 19);  // 吴兴区 has 13 streets, 5 towns and 1 township
    }
    auto cpg = dir / "wuxing.cpg";
    CHECK(read_file(cpg).find("UTF-8") != std::string::npos);
    CHECK(fs::exists(dir / "wuxing.prj"));
    // names read back through GDAL are the UTF-8 originals
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx((dir / "wuxing.shp").string().c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    REQUIRE(ds);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    OGR_L_SetAttributeFilter(l, "code = '330502001'");
    OGRFeatureH f = OGR_L_GetNextFeature(l);
    REQUIRE(f);
    CHECK(std::string(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "name"))) == "月河街道");
    OGR_F_Destroy(f);
    GDALClose(ds);
    // existing output is not overwritten silently (a usage error, as every output refused); bad prefix too
    CHECK(run_wangge({"--db", db, "export", "townships", "--out", (dir / "wuxing.gpkg").string()}).exit_code == 2);
    CHECK(run_wangge({"--db", db, "export", "townships", "--prefix", "33x", "--out", (dir / "x.gpkg").string()})
              .exit_code == 2);
}

TEST_CASE("codes: load the shipped table, show a village's full chain", "[e2e][codes]") {
    TempDir dir("codes");
    const std::string db = (dir / "s.sqlite").string();
    const auto load = run_wangge({"--db", db, "codes", "load", (sample_dir() / "codes").string()});
    REQUIRE(load.exit_code == 0);
    CHECK_THAT(load.out, Catch::Contains("31 provinces, 342 cities, 2978 counties"));
    const auto r = run_wangge({"--db", db, "codes", "show", "330502001005"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out ==
          "33            province  浙江省\n"
          "3305          city      湖州市\n"
          "330502        county    吴兴区\n"
          "330502001     township  月河街道\n"
          "330502001005  village   浮星桥社区居委会\n");
    CHECK(run_wangge({"--db", db, "codes", "show", "330502001999"}).exit_code == 3);
    CHECK(run_wangge({"--db", db, "codes", "show", "3305x"}).exit_code == 2);
    // a missing input folder is a file error (exit 1), as a missing input file is
    CHECK(run_wangge({"--db", db, "codes", "load", (dir / "nowhere").string()}).exit_code == 1);
    const auto empty_dir = dir / "empty";
    fs::create_directories(empty_dir);
    const auto missing = run_wangge({"--db", db, "codes", "load", empty_dir.string()});
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("provinces.csv: missing"));
}

TEST_CASE("codes: the real national table (tests/data/real) loads all 665,276 codes", "[e2e][codes][slow]") {
    TempDir tmp("codes-national");
    const auto dir = real_data("china-division", tmp.path());
    const std::string db = (tmp / "s.sqlite").string();
    const auto r = run_wangge({"--db", db, "codes", "load", dir.string()});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("31 provinces, 342 cities, 2978 counties, 41352 townships, 620573 villages"));
    const auto show = run_wangge({"--db", db, "codes", "show", "110101001001"});
    CHECK_THAT(show.out, Catch::Contains("多福巷社区居委会"));
}

TEST_CASE("info: schema version, counts per level and extent", "[e2e][info]") {
    TempDir dir("info");
    const std::string db = (dir / "s.sqlite").string();
    CHECK(run_wangge({"--db", db, "info"}).exit_code == 1);  // no store yet
    REQUIRE(run_wangge({"--db", db, "import", fixture("base_county.geojson")}).exit_code == 0);
    const auto r = run_wangge({"--db", db, "info"});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains(fmt::format("schema version  {0} (latest {0})", Store::latest_schema_version())));
    CHECK_THAT(r.out, Catch::Contains("1 counties  0 townships  0 villages  (1 in all)"));
    CHECK_THAT(r.out, Catch::Contains("extent          120.000000 30.700000 120.200000 30.900000"));
}
