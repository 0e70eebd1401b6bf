// End-to-end: `wangge export grids` for editing in QGIS: --village/--township/--county,
// the fields version and checksum that `import edits` reads back, the villages as a
// second layer (GeoPackage) or a sibling file (one-layer formats), the QGIS default
// styles in a GeoPackage, and no file at all from a failed export.
#include <cpl_minixml.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <wangge/store.hpp>

#include "geometry/geos.hpp"
#include "grids/checksum.hpp"
#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

const std::string town = "330502101";  // 八里店镇, partitioned in the store below

/// A store with the sample's jurisdictions and households and one township
/// partitioned: built once per test run, read only by the tests.
const std::string& township_store() {
    static TempDir dir("export-edit-store");
    static const std::string db = [] {
        const std::string path = (dir / "s.sqlite").string();
        auto must = [](const RunResult& r) {
            if (r.exit_code != 0) throw std::runtime_error("building the store failed: " + r.err);
        };
        must(run_wangge({"--db", path, "codes", "load", (sample_dir() / "codes").string()}));
        for (const char* level : {"counties", "townships", "villages"})
            must(run_wangge(
                {"--db", path, "import", (sample_dir() / (std::string("huzhou_") + level + ".shp")).string()}));
        must(run_wangge({"--db", path, "import", "households", (sample_dir() / "huzhou_households.shp").string()}));
        must(run_wangge({"--db", path, "partition", "--township", town}));
        return path;
    }();
    return db;
}

struct Feature {
    std::string code, type, name, checksum;
    std::int64_t version = -1;
    std::vector<unsigned char> wkb;
};

std::vector<unsigned char> wkb_of(OGRGeometryH g) {
    std::vector<unsigned char> out(static_cast<std::size_t>(OGR_G_WkbSize(g)));
    REQUIRE(OGR_G_ExportToIsoWkb(g, wkbNDR, out.data()) == OGRERR_NONE);
    return out;
}

struct Opened {
    GDALDatasetH ds = nullptr;
    explicit Opened(const fs::path& p) {
        GDALAllRegister();
        ds = GDALOpenEx(p.string().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    }
    ~Opened() {
        if (ds) GDALClose(ds);
    }
    OGRLayerH layer(const std::string& name) const {
        return name.empty() ? GDALDatasetGetLayer(ds, 0) : GDALDatasetGetLayerByName(ds, name.c_str());
    }
};

/// The grid features of a file's layer (first layer when `layer` is empty).
std::vector<Feature> read_grids(const fs::path& file, const std::string& layer = "") {
    Opened o(file);
    REQUIRE(o.ds);
    OGRLayerH l = o.layer(layer);
    REQUIRE(l);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    const int code = OGR_FD_GetFieldIndex(d, "code"), type = OGR_FD_GetFieldIndex(d, "type"),
              name = OGR_FD_GetFieldIndex(d, "name"), version = OGR_FD_GetFieldIndex(d, "version"),
              checksum = OGR_FD_GetFieldIndex(d, "checksum");
    REQUIRE(code >= 0);
    REQUIRE(type >= 0);
    REQUIRE(name >= 0);
    REQUIRE(version >= 0);
    REQUIRE(checksum >= 0);
    std::vector<Feature> out;
    OGR_L_ResetReading(l);
    while (OGRFeatureH f = OGR_L_GetNextFeature(l)) {
        Feature x;
        x.code = OGR_F_GetFieldAsString(f, code);
        x.type = OGR_F_GetFieldAsString(f, type);
        x.name = OGR_F_IsFieldSetAndNotNull(f, name) ? OGR_F_GetFieldAsString(f, name) : "";
        x.version = OGR_F_GetFieldAsInteger64(f, version);
        x.checksum = OGR_F_GetFieldAsString(f, checksum);
        if (OGRGeometryH g = OGR_F_GetGeometryRef(f)) x.wkb = wkb_of(g);
        OGR_F_Destroy(f);
        out.push_back(std::move(x));
    }
    return out;
}

/// code -> id of its current version row, for the grids of `prefix`.
std::map<std::string, std::int64_t> current_versions(const std::string& db, const std::string& prefix) {
    Store s(db, Store::Mode::must_exist);
    Statement st = sql::prepare(s, "SELECT code, id FROM grids WHERE valid_to IS NULL AND code LIKE ? || '%'");
    st.bind(1, prefix);
    std::map<std::string, std::int64_t> out;
    while (st.step()) out[st.text(0)] = st.int64(1);
    return out;
}

std::int64_t count_villages(const std::string& db, const std::string& prefix) {
    Store s(db, Store::Mode::must_exist);
    Statement st =
        sql::prepare(s, "SELECT count(*) FROM jurisdictions WHERE level = 'village' AND code LIKE ? || '%'");
    st.bind(1, prefix);
    REQUIRE(st.step());
    return st.int64(0);
}

/// Every grid of the file is a current grid of the township with its version row
/// id, and its checksum is what grid_checksum gives for what was read back.
void check_grids(const fs::path& file, const std::string& layer = "") {
    const auto grids = read_grids(file, layer);
    const auto versions = current_versions(township_store(), town);
    REQUIRE(!versions.empty());
    CHECK(grids.size() == versions.size());
    geos::Context& g = geos::Context::local();
    std::set<std::string> seen;
    for (const auto& f : grids) {
        INFO(file.filename().string() << " grid " << f.code);
        REQUIRE(versions.count(f.code));
        CHECK(f.version == versions.at(f.code));
        CHECK(f.checksum.size() == 16);
        CHECK(grid_checksum(g, f.wkb, f.type, f.name) == f.checksum);
        seen.insert(f.code);
    }
    CHECK(seen.size() == versions.size());
}

/// Fields of a layer, by name.
std::set<std::string> field_names(OGRLayerH l) {
    std::set<std::string> out;
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    for (int i = 0; i < OGR_FD_GetFieldCount(d); ++i) out.insert(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i)));
    return out;
}

/// A layer of village outlines: code and name, MultiPolygon, EPSG:4490, one per
/// village of the township.
void check_villages(OGRLayerH l, bool shapefile = false) {
    REQUIRE(l);
    const auto fields = field_names(l);
    CHECK(fields.count("code"));
    CHECK(fields.count("name"));
    // a Shapefile says Polygon for any polygon layer
    const auto type = wkbFlatten(OGR_L_GetGeomType(l));
    CHECK((type == wkbMultiPolygon || (shapefile && type == wkbPolygon)));
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(l);
    REQUIRE(srs);
    // CGCS2000 lon/lat, however the format names it (a .prj names no EPSG code)
    OGRErr err = OGRERR_NONE;
    CHECK(OSRIsGeographic(srs));
    CHECK(OSRGetSemiMajor(srs, &err) == Approx(6378137.0).epsilon(1e-12));
    CHECK(OSRGetInvFlattening(srs, &err) == Approx(298.257222101).epsilon(1e-12));
    const char* datum = OSRGetAttrValue(srs, "DATUM", 0);
    REQUIRE(datum);
    CHECK_THAT(std::string(datum), Catch::Contains("2000"));
    const std::int64_t n = count_villages(township_store(), town);
    REQUIRE(n > 0);
    CHECK(OGR_L_GetFeatureCount(l, 1) == n);
    OGR_L_ResetReading(l);
    while (OGRFeatureH f = OGR_L_GetNextFeature(l)) {
        CHECK(std::string(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "code"))).rfind(town, 0) == 0);
        CHECK(OGR_F_GetGeometryRef(f) != nullptr);
        OGR_F_Destroy(f);
    }
}

/// The first element named `name` anywhere under `node` (depth first).
const CPLXMLNode* find_element(const CPLXMLNode* node, const std::string& name) {
    for (const CPLXMLNode* n = node; n; n = n->psNext) {
        if (n->eType != CXT_Element) continue;
        if (name == n->pszValue) return n;
        if (const CPLXMLNode* in = find_element(n->psChild, name)) return in;
    }
    return nullptr;
}

std::string export_out(const std::vector<std::string>& extra, const fs::path& out) {
    std::vector<std::string> args{"--db", township_store(), "export", "grids", "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_wangge(args);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

}  // namespace

TEST_CASE("export grids --township to a GeoPackage: grids and villages layers, version, checksum, QGIS styles",
          "[e2e][export-edit]") {
    TempDir dir("export-edit-gpkg");
    const auto out = dir / "edit.gpkg";
    export_out({"--township", town}, out);

    Opened o(out);
    REQUIRE(o.ds);
    std::set<std::string> layers;
    for (int i = 0; i < GDALDatasetGetLayerCount(o.ds); ++i)
        layers.insert(OGR_L_GetName(GDALDatasetGetLayer(o.ds, i)));
    CHECK(layers.count("grids"));
    CHECK(layers.count("villages"));
    check_grids(out, "grids");
    check_villages(o.layer("villages"));

    SECTION("a moved vertex changes the checksum") {
        const auto grids = read_grids(out, "grids");
        REQUIRE(!grids.empty());
        const Feature& f = grids.front();
        OGRGeometryH g = nullptr;
        REQUIRE(OGR_G_CreateFromWkb(f.wkb.data(), nullptr, &g, static_cast<int>(f.wkb.size())) == OGRERR_NONE);
        OGRGeometryH poly = wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPolygon ? OGR_G_GetGeometryRef(g, 0) : g;
        OGRGeometryH ring = OGR_G_GetGeometryRef(poly, 0);
        REQUIRE(OGR_G_GetPointCount(ring) > 3);
        // 1e-6 degrees: about 10 cm, far above the checksum's 0.1 mm rounding
        OGR_G_SetPoint_2D(ring, 1, OGR_G_GetX(ring, 1) + 1e-6, OGR_G_GetY(ring, 1));
        const auto moved = wkb_of(g);
        OGR_G_DestroyGeometry(g);
        geos::Context& ctx = geos::Context::local();
        CHECK(grid_checksum(ctx, f.wkb, f.type, f.name) == f.checksum);
        CHECK(grid_checksum(ctx, moved, f.type, f.name) != f.checksum);
        // and so does a renamed or retyped grid
        CHECK(grid_checksum(ctx, f.wkb, f.type, f.name + "x") != f.checksum);
    }

    SECTION("layer_styles: one default QML style per layer, the grids labelled by code") {
        OGRLayerH styles = o.layer("layer_styles");
        REQUIRE(styles);
        const auto fields = field_names(styles);
        for (const char* c : {"f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                              "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"})
            CHECK(fields.count(c));
        CHECK(std::string(OGR_L_GetFIDColumn(styles)) == "id");
        std::map<std::string, std::string> qml;
        OGR_L_ResetReading(styles);
        while (OGRFeatureH f = OGR_L_GetNextFeature(styles)) {
            const std::string table = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "f_table_name"));
            CHECK(OGR_F_GetFieldAsInteger(f, OGR_F_GetFieldIndex(f, "useAsDefault")) == 1);
            // QGIS finds a layer's style by f_table_schema = '' (not NULL), name and geometry column
            const int schema = OGR_F_GetFieldIndex(f, "f_table_schema");
            CHECK(OGR_F_IsFieldSetAndNotNull(f, schema));
            CHECK(std::string(OGR_F_GetFieldAsString(f, schema)).empty());
            // the geometry column named is the layer's own
            OGRLayerH target = o.layer(table);
            REQUIRE(target);
            CHECK(std::string(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "f_geometry_column"))) ==
                  OGR_L_GetGeometryColumn(target));
            CHECK(!qml.count(table));
            qml[table] = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "styleQML"));
            OGR_F_Destroy(f);
        }
        REQUIRE(qml.size() == 2);
        REQUIRE(qml.count("grids"));
        REQUIRE(qml.count("villages"));

        CPLXMLNode* grids = CPLParseXMLString(qml["grids"].c_str());
        REQUIRE(grids);
        const CPLXMLNode* root = find_element(grids, "qgis");
        REQUIRE(root);
        CHECK(std::string(CPLGetXMLValue(root, "labelsEnabled", "")) == "1");
        const CPLXMLNode* text = find_element(root, "text-style");
        REQUIRE(text);
        CHECK(std::string(CPLGetXMLValue(text, "fieldName", "")) == "code");
        CHECK(find_element(root, "renderer-v2") != nullptr);
        CPLDestroyXMLNode(grids);

        CPLXMLNode* villages = CPLParseXMLString(qml["villages"].c_str());
        REQUIRE(villages);
        const CPLXMLNode* vroot = find_element(villages, "qgis");
        REQUIRE(vroot);
        // the symbol layer's options: no fill, a dashed outline
        std::map<std::string, std::string> props;
        for (const CPLXMLNode* n = find_element(vroot, "layer")->psChild; n; n = n->psNext)
            if (n->eType == CXT_Element && std::string(n->pszValue) == "prop")
                props[CPLGetXMLValue(n, "k", "")] = CPLGetXMLValue(n, "v", "");
        CHECK(props["style"] == "no");
        CHECK(props["outline_style"] == "dash");
        CPLDestroyXMLNode(villages);
    }

    SECTION("ogrinfo lists both layers") {
        const auto r = run_shell("ogrinfo -ro -q '" + out.string() + "'");
        if (!require_or_skip(r.exit_code == 0, "ogrinfo")) return;
        CHECK_THAT(r.out, Catch::Contains("grids (Multi Polygon)"));
        CHECK_THAT(r.out, Catch::Contains("villages (Multi Polygon)"));
    }
}

TEST_CASE("export grids: the checksum survives a Shapefile and a GeoJSON, villages in a sibling file",
          "[e2e][export-edit]") {
    TempDir dir("export-edit-single");
    SECTION("Shapefile") {
        const auto out = dir / "edit.shp";
        export_out({"--township", town}, out);
        check_grids(out);
        for (const char* f : {"edit.shp", "edit.dbf", "edit.cpg", "edit.prj", "edit_villages.shp", "edit_villages.dbf",
                              "edit_villages.cpg", "edit_villages.prj"})
            CHECK(fs::exists(dir / f));
        CHECK_THAT(read_file(dir / "edit_villages.cpg"), Catch::Contains("UTF-8"));
        CHECK(!fs::exists(dir / "edit.shp.tmp"));
        Opened v(dir / "edit_villages.shp");
        REQUIRE(v.ds);
        check_villages(v.layer(""), true);
        // again: refused without --overwrite, both replaced with it
        const auto again = run_wangge({"--db", township_store(), "export", "grids", "--out", out.string(),
                                       "--township", town});
        CHECK(again.exit_code != 0);
        CHECK_THAT(again.err, Catch::Contains("exists already"));
        export_out({"--township", town, "--overwrite"}, out);
        check_grids(out);
    }
    SECTION("GeoJSON") {
        const auto out = dir / "edit.geojson";
        export_out({"--township", town}, out);
        check_grids(out);
        Opened v(dir / "edit_villages.geojson");
        REQUIRE(v.ds);
        check_villages(v.layer(""));
    }
}

TEST_CASE("export --village/--township/--county: codes of their level, in the store, one scope",
          "[e2e][export-edit]") {
    TempDir dir("export-edit-scope");
    const std::string& db = township_store();
    const auto out = dir / "x.gpkg";
    auto run = [&](std::vector<std::string> extra) {
        std::vector<std::string> args{"--db", db, "export", "grids", "--out", out.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_wangge(args);
    };
    SECTION("a code of another level is a usage error") {
        for (auto [opt, code] : std::vector<std::pair<std::string, std::string>>{
                 {"--village", town}, {"--township", "330502"}, {"--county", town}, {"--township", "33050210x"}}) {
            const auto r = run({opt, code});
            INFO(opt << " " << code << ": " << r.err);
            CHECK(r.exit_code == 2);
            CHECK_THAT(r.err, Catch::Contains(code));
        }
    }
    SECTION("a code not in the store is named") {
        const auto r = run({"--township", "330502999"});
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains("township 330502999 is not in the store"));
        const auto v = run({"--village", "330502101999"});
        CHECK(v.exit_code == 3);
        CHECK_THAT(v.err, Catch::Contains("village 330502101999 is not in the store"));
    }
    SECTION("one scope at most, --prefix included") {
        CHECK(run({"--township", town, "--prefix", "3305"}).exit_code == 2);
        CHECK(run({"--township", town, "--county", "330502"}).exit_code == 2);
    }
    SECTION("--village and --county scope the grids like their prefix") {
        Store s(db, Store::Mode::must_exist);
        const std::string village = *sql::query_text(
            s, "SELECT village_code FROM grids WHERE valid_to IS NULL ORDER BY village_code LIMIT 1");
        const auto one = dir / "v.geojson";
        export_out({"--village", village}, one);
        CHECK(read_grids(one).size() == current_versions(db, village).size());
        CHECK(feature_count(dir / "v_villages.geojson") == 1);
        const auto county = dir / "c.gpkg";
        export_out({"--county", "330502"}, county);
        CHECK(read_grids(county, "grids").size() == current_versions(db, "330502").size());
        CHECK(feature_count(county, "villages") == count_villages(db, "330502"));
    }
    SECTION("a jurisdiction layer takes the same scope") {
        const auto v = dir / "villages.gpkg";
        const auto r = run_wangge({"--db", db, "export", "villages", "--township", town, "--out", v.string()});
        REQUIRE(r.exit_code == 0);
        CHECK(feature_count(v) == count_villages(db, town));
        CHECK(run_wangge({"--db", db, "export", "villages", "--township", "330502999", "--out", v.string(), "--overwrite"})
                  .exit_code == 3);
    }
    CHECK(!fs::exists(out));
}

TEST_CASE("export grids: a failed export leaves neither the file nor its villages sibling", "[e2e][export-edit]") {
    TempDir dir("export-edit-fail");
    const std::string& db = township_store();
    SECTION("the sibling is in the way: refused once the grids' data set was begun") {
        write_file(dir / "edit_villages.geojson", "{}");
        const auto r = run_wangge({"--db", db, "export", "grids", "--out", (dir / "edit.geojson").string(),
                                   "--township", town});
        CHECK(r.exit_code != 0);
        CHECK_THAT(r.err, Catch::Contains("edit_villages.geojson: exists already"));
        CHECK(!fs::exists(dir / "edit.geojson"));
        CHECK(!fs::exists(dir / "edit.geojson.tmp"));
        CHECK(read_file(dir / "edit_villages.geojson") == "{}");
    }
    SECTION("the output folder cannot be made") {
        write_file(dir / "file", "x");
        const auto r =
            run_wangge({"--db", db, "export", "grids", "--out", (dir / "file" / "edit.shp").string(), "--township", town});
        CHECK(r.exit_code != 0);
        CHECK(!fs::exists(dir / "file" / "edit.shp"));
        CHECK(!fs::exists(dir / "file" / "edit_villages.shp"));
    }
    SECTION("killed once everything is written, before the move: old files whole, no new one") {
        const auto out = dir / "edit.shp";
        export_out({"--township", town}, out);
        const std::string old_dbf = read_file(dir / "edit.dbf"), old_villages = read_file(dir / "edit_villages.dbf");
        // an overwrite of one village only, killed at its last step
        Store s(db, Store::Mode::must_exist);
        const std::string village = *sql::query_text(
            s, "SELECT village_code FROM grids WHERE valid_to IS NULL ORDER BY village_code LIMIT 1");
        const auto flag = dir / "pause.flag";
        auto q = [](const std::string& v) { return "'" + v + "'"; };
        const std::string script = "WANGGE_PAUSE_AT=export:written WANGGE_PAUSE_FILE=" + q(flag.string()) + " " +
                                   q(WANGGE_BIN) + " --db " + q(db) + " export grids --out " + q(out.string()) +
                                   " --village " + village + " --overwrite > /dev/null 2>&1 & p=$!; " +
                                   "for i in $(seq 1200); do [ -e " + q(flag.string()) + " ] && break; sleep 0.05; done; " +
                                   "[ -e " + q(flag.string()) + " ] || exit 9; kill -KILL $p; wait $p; exit 0";
        REQUIRE(run_shell(script).exit_code == 0);
        CHECK(read_file(dir / "edit.dbf") == old_dbf);
        CHECK(read_file(dir / "edit_villages.dbf") == old_villages);
        CHECK(fs::is_directory(dir / "edit.shp.tmp"));  // what the killed run left, out of the way
        // the next run clears it
        export_out({"--village", village, "--overwrite"}, out);
        CHECK(!fs::exists(dir / "edit.shp.tmp"));
        CHECK(read_grids(out).size() == current_versions(db, village).size());
        CHECK(feature_count(dir / "edit_villages.shp") == 1);
    }
}
