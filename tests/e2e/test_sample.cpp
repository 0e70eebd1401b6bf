// End-to-end: the shipped 湖州市 sample through the real binary, in Shapefile,
// GeoPackage and GeoJSON; the store read back by GDAL (as ogrinfo and QGIS do).
#include <catch2/catch.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

const char* const levels[] = {"counties", "townships", "villages"};

/// Import the three sample layers, converted to `ext` with ogr2ogr unless ".shp".
void import_sample(const TempDir& dir, const std::string& db, const std::string& ext) {
    REQUIRE(run_wangge({"--db", db, "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
    for (const char* level : levels) {
        auto src = sample_dir() / (std::string("huzhou_") + level + ".shp");
        if (ext != ".shp") {
            const auto converted = dir / (std::string("huzhou_") + level + ext);
            const auto c = run_shell("ogr2ogr '" + converted.string() + "' '" + src.string() + "'");
            REQUIRE(c.exit_code == 0);
            src = converted;
        }
        std::vector<std::string> args{"--db", db, "import", src.string()};
        if (std::string(level) != "counties") {
            args.push_back("--parent-field");
            args.push_back("parent");
        }
        const auto r = run_wangge(args);
        INFO(src << "\n" << r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("0 rejected, 0 warnings"));
    }
}

void check_sample_store(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    CHECK(sql::query_int(s, "SELECT count(*) FROM jurisdictions WHERE level='county'") == 5);
    CHECK(sql::query_int(s, "SELECT count(*) FROM jurisdictions WHERE level='township'") == 72);
    CHECK(sql::query_int(s, "SELECT count(*) FROM jurisdictions WHERE level='village'") == 1301);
    // every code and name is the real one from the statistical code table
    CHECK(sql::query_int(s,
                         "SELECT count(*) FROM jurisdictions j JOIN division_codes d ON d.code = j.code "
                         "AND d.name = j.name AND d.level = j.level") == 1378);
    CHECK(sql::query_int(s, "SELECT count(*) FROM jurisdictions WHERE NOT ST_IsValid(geom)") == 0);
}

} // namespace

TEST_CASE("sample: Shapefile import, read back by GDAL, each level covers its parent", "[e2e][sample]") {
    TempDir dir("sample-shp");
    const std::string db = (dir / "huzhou.sqlite").string();
    import_sample(dir, db, ".shp");
    check_sample_store(db);
    CHECK(feature_count(db, "jurisdictions") == 1378);
    const auto info = run_shell("ogrinfo -so '" + db + "' jurisdictions");
    CHECK_THAT(info.out, Catch::Contains("Feature Count: 1378"));
    CHECK_THAT(info.out, Catch::Contains("China Geodetic Coordinate System 2000"));

    // Each parent is covered by its children: area of the symmetric difference
    // between the parent and the union of its children < 0.01% of the parent.
    Store s(db, Store::Mode::must_exist);
    Statement st =
        sql::prepare(s,
                     "SELECT p.code, Area(SymDifference(p.geom, u.g)) / Area(p.geom) FROM jurisdictions p "
                     "JOIN (SELECT parent_code, ST_Union(geom) AS g FROM jurisdictions GROUP BY parent_code) u "
                     "ON u.parent_code = p.code");
    int parents = 0;
    double worst = 0;
    while (st.step()) {
        ++parents;
        worst = std::max(worst, st.real(1));
        INFO("parent " << st.text(0));
        CHECK(st.real(1) < 1e-4);
    }
    CHECK(parents == 5 + 72);
    WARN("worst cover difference: " << worst * 100 << "% of the parent's area");
}

TEST_CASE("sample: GeoPackage and GeoJSON imports give the same jurisdictions", "[e2e][sample]") {
    for (const std::string ext : {".gpkg", ".geojson"}) {
        DYNAMIC_SECTION(ext) {
            TempDir dir("sample" + ext.substr(1));
            const std::string db = (dir / "huzhou.sqlite").string();
            import_sample(dir, db, ext);
            check_sample_store(db);
        }
    }
}

TEST_CASE("sample: the main job script runs and summarises", "[e2e][sample][slow]") {
    TempDir dir("sample-job");
    const auto bin_dir = fs::path(WANGGE_BIN).parent_path().parent_path();
    const auto r = run_shell("bash '" + (source_dir() / "scripts" / "sample-job.sh").string() + "' '" +
                             bin_dir.string() + "' '" + dir.path().string() + "'");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("5 counties  72 townships  1301 villages  (1378 in all)"));
    CHECK_THAT(r.out, Catch::Contains("浮星桥社区居委会"));
    CHECK(feature_count(dir / "wuxing_villages.gpkg") > 0);
    // grids: every village partitioned, the three dedicated areas became grids
    CHECK_THAT(r.out, Catch::Contains("partitioned 1301 villages into"));
    // the redraw: a community exported, split and merged by script, imported, rolled back
    CHECK_THAT(r.out, Catch::Contains("exported 10 grids to"));
    CHECK_THAT(r.out, Catch::Contains("retired   330502001005002  into 330502001005005"));
    CHECK_THAT(r.out, Catch::Contains("imported as version 2: 7 kept, 2 reshaped, 1 new, 1 retired"));
    CHECK_THAT(r.out, Catch::Contains("rolled back version 2 as version 3"));
    // after the rollback: the partition's grids again; the edit's new code retired for good
    CHECK_THAT(r.out, Catch::Contains("(3 dedicated), 1 codes retired, 3 versions"));
    CHECK_THAT(r.out, Catch::Contains("dedicated         196"));
    CHECK(feature_count(dir / "huzhou_grids.gpkg") > 3000);
    CHECK(read_file(dir / "partition_report.csv").find("330502001005,") != std::string::npos);
    // events: imported with their rejects, counted per platform, coded in batch
    CHECK_THAT(r.out, Catch::Contains("6000 rows read: 5820 imported (5820 new, 0 updated), 180 rejected"));
    CHECK_THAT(r.out, Catch::Contains("综治工作"));
    CHECK_THAT(r.out, Catch::Contains("grid        330502001005001"));
    CHECK(read_file(dir / "events_rejects.csv").find("unknown type code") != std::string::npos);
    CHECK(read_file(dir / "events_coded.csv").find("grid_code,grid_status,nearest_grid,nearest_m\n") != std::string::npos);
    // another department's network beside the unified grids
    CHECK_THAT(r.out, Catch::Contains("imported 367 grids"));
    CHECK_THAT(r.out, Catch::Contains("network 综治: version 1 (new)"));
    CHECK_THAT(r.out, Catch::Contains("1 network\n"));
    CHECK_THAT(r.out, Catch::Contains("network 综治 version 1: 367 grids against"));
    CHECK(read_file(dir / "crosswalk_zz_pairs.csv").find("330502001005,330502001,") != std::string::npos);
    // tiles
    CHECK_THAT(r.out, Catch::Contains("huzhou.pmtiles: "));
    CHECK_THAT(r.out, Catch::Contains("none dropped"));
    CHECK_THAT(r.out, Catch::Contains("points: every point in one tile at each zoom"));
    CHECK_THAT(r.out, Catch::Contains("village_labels"));
    CHECK(fs::file_size(dir / "huzhou.pmtiles") > 1000000);
}
