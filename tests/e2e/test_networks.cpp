// End-to-end (issue 19 item 1): another department's grid system imported as a named,
// versioned network. A network made from the sample's own grids (one grid a village,
// as an older system might have drawn them) delivered as a GBK Shapefile in
// Gauss-Kruger without a .cpg, the way such files arrive; a re-delivery; and a file
// of the usual mistakes, each rejected with its feature, code and reason, nothing written.
#include <gdal.h>
#include <ogr_api.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <wangge/grids.hpp>
#include <wangge/networks.hpp>
#include <wangge/store.hpp>

#include "edit_files.hpp"
#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

struct ForeignGrid {
    std::string code, name;
    std::string wkt;  ///< empty: a feature without geometry
};

/// A department's layer: fields BH (编号, the code) and MC (名称, the name), EPSG:4490, GeoPackage.
void write_network(const fs::path& file, const std::vector<ForeignGrid>& grids) {
    const auto [ds, layer] = new_gpkg_layer(file, "wangge_zz", wkbUnknown, {"BH", "MC"});
    for (const auto& g : grids) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        if (!g.code.empty()) OGR_F_SetFieldString(f, 0, g.code.c_str());
        if (!g.name.empty()) OGR_F_SetFieldString(f, 1, g.name.c_str());
        if (!g.wkt.empty()) {
            OGRGeometryH geom = nullptr;
            char* text = const_cast<char*>(g.wkt.c_str());
            REQUIRE(OGR_G_CreateFromWkt(&text, nullptr, &geom) == OGRERR_NONE);
            OGR_F_SetGeometryDirectly(f, geom);
        }
        REQUIRE(OGR_L_CreateFeature(layer, f) == OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
}

/// One foreign grid a village: the union of the village's unified grids.
std::vector<ForeignGrid> one_grid_a_village(const std::vector<Feat>& unified) {
    std::map<std::string, geos::Geometry> by_village;
    for (const auto& f : unified) {
        auto it = by_village.find(f.village);
        if (it == by_village.end()) by_village.emplace(f.village, gx().own(GEOSGeom_clone_r(gx().handle(), f.geom.get()), "clone"));
        else it->second = unite(it->second.get(), f.geom.get());
    }
    std::vector<ForeignGrid> out;
    for (const auto& [village, geom] : by_village)
        out.push_back({"ZZ-" + village.substr(6), "综治网格" + village, gx().to_wkt(geom.get())});
    return out;
}

std::string text_of(const std::string& db, const std::string& query) {
    Store s(db, Store::Mode::read_only);
    return sql::query_text(s, query).value_or("(null)");
}

}  // namespace

TEST_CASE("networks: a department's grids in GBK and Gauss-Kruger are imported as a network, a re-delivery is its "
          "next version",
          "[e2e][networks]") {
    TempDir dir("networks-import");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const auto unified = export_grids(db, dir / "unified.gpkg", "--county", "330502");
    auto foreign = one_grid_a_village(unified);
    REQUIRE(foreign.size() > 3);
    double unified_m2 = 0;
    {
        Store s(db, Store::Mode::read_only);
        for (const auto& g : list_grids(s, "330502")) unified_m2 += g.area_m2;
    }

    // as the department hands it over: a Shapefile in CGCS2000 / 3-degree Gauss-Kruger
    // CM 120E, GBK text, no .cpg
    write_network(dir / "zz.gpkg", foreign);
    const auto shp = dir / "zz.shp";
    const auto conv = run_shell("ogr2ogr -t_srs EPSG:4549 -lco ENCODING=CP936 '" + shp.string() + "' '" +
                                (dir / "zz.gpkg").string() + "'");
    INFO(conv.err);
    REQUIRE(conv.exit_code == 0);
    fs::remove(dir / "zz.cpg");

    const auto r = run_wangge({"--db", db, "import", "network", "综治", shp.string(), "--code-field", "bh",
                               "--name-field", "MC"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("EPSG:4549"));
    CHECK_THAT(r.out, Catch::Contains(fmt::format("imported {} grids", foreign.size())));
    CHECK_THAT(r.out, Catch::Contains("network 综治: version 1 (new)"));
    // the names came through the GBK file and its projection intact; the area too
    CHECK(text_of(db, "SELECT name FROM network_grids WHERE code = 'ZZ-001005'") == "综治网格330502001005");
    {
        Store s(db, Store::Mode::read_only);
        const auto nets = list_networks(s);
        REQUIRE(nets.size() == 1);
        CHECK(nets[0].name == "综治");
        CHECK(nets[0].version == 1);
        CHECK(nets[0].grids == static_cast<std::int64_t>(foreign.size()));
        CHECK(std::abs(nets[0].area_m2 - unified_m2) < 0.005 * unified_m2);
    }
    const auto l = run_wangge({"--db", db, "networks", "list"});
    INFO(l.out << l.err);
    CHECK(l.exit_code == 0);
    CHECK_THAT(l.out, Catch::Contains("综治"));
    CHECK_THAT(l.out, Catch::Contains("zz.shp (code field bh, name field MC)"));
    CHECK_THAT(l.out, Catch::Contains("1 network\n"));

    // the department re-delivers, one grid fewer: version 2 is current, version 1 kept
    foreign.pop_back();
    write_network(dir / "zz2.gpkg", foreign);
    const auto r2 = run_wangge({"--db", db, "import", "network", "综治", (dir / "zz2.gpkg").string(), "--code-field",
                                "BH"});
    INFO(r2.out << r2.err);
    REQUIRE(r2.exit_code == 0);
    CHECK_THAT(r2.out, Catch::Contains(fmt::format("network 综治: version 2, replacing version 1 ({} grids)",
                                                   foreign.size() + 1)));
    {
        Store s(db, Store::Mode::read_only);
        const auto nets = list_networks(s);
        REQUIRE(nets.size() == 1);
        CHECK(nets[0].version == 2);
        CHECK(nets[0].versions == 2);
        CHECK(nets[0].grids == static_cast<std::int64_t>(foreign.size()));
        CHECK(nets[0].name_field.empty());
        CHECK(sql::query_int(s, "SELECT count(*) FROM network_grids") ==
              static_cast<std::int64_t>(2 * foreign.size() + 1));
    }
    // a second network beside it
    const auto r3 = run_wangge({"--db", db, "import", "network", "police", (dir / "zz2.gpkg").string(),
                                "--code-field", "BH", "-q"});
    CHECK(r3.exit_code == 0);
    CHECK_THAT(run_wangge({"--db", db, "networks", "list"}).out, Catch::Contains("2 networks"));
}

TEST_CASE("networks: every bad feature is rejected with its feature, code and reason, nothing is written",
          "[e2e][networks]") {
    TempDir dir("networks-bad");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const std::string square = "POLYGON((120.10 30.80,120.11 30.80,120.11 30.81,120.10 30.81,120.10 30.80))";
    write_network(dir / "bad.gpkg",
                  {
                      {"A1", "good", square},
                      {"B2", "bowtie", "POLYGON((120.10 30.80,120.11 30.81,120.11 30.80,120.10 30.81,120.10 30.80))"},
                      {"A1", "again", square},
                      {"", "no code", square},
                      {"C3", "a point", "POINT(120.1 30.8)"},
                      {"D4", "no shape", ""},
                      {"E5", "flat", "POLYGON((120.10 30.80,120.11 30.80,120.12 30.80,120.10 30.80))"},
                  });
    const auto runs_before = text_of(db, "SELECT count(*) FROM import_runs");
    const auto r = run_wangge({"--db", db, "import", "network", "综治", (dir / "bad.gpkg").string(), "--code-field",
                               "BH"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("feature 2 (code B2): invalid geometry: Self-intersection"));
    CHECK_THAT(r.err, Catch::Contains("feature 3 (code A1): duplicate code: feature 1 of this file has it too"));
    CHECK_THAT(r.err, Catch::Contains("feature 4: no code (field 'BH' is empty)"));
    CHECK_THAT(r.err, Catch::Contains("feature 5 (code C3): geometry is a "));
    CHECK_THAT(r.err, Catch::Contains("feature 6 (code D4): no geometry"));
    CHECK_THAT(r.err, Catch::Contains("feature 7 (code E5): "));
    CHECK_THAT(r.err, Catch::Contains("nothing imported: 6 of 7 features rejected"));
    CHECK_THAT(r.err, !Catch::Contains("feature 1 (code A1)"));
    CHECK(text_of(db, "SELECT count(*) FROM import_runs") == runs_before);
    CHECK(text_of(db, "SELECT count(*) FROM network_grids") == "0");
    CHECK_THAT(run_wangge({"--db", db, "networks", "list"}).out, Catch::Contains("no networks"));

    // the command line's own mistakes
    const auto name = run_wangge({"--db", db, "import", "network", "a b", (dir / "bad.gpkg").string(), "--code-field",
                                  "BH"});
    CHECK(name.exit_code == 2);
    CHECK_THAT(name.err, Catch::Contains("a network name is letters"));
    const auto field = run_wangge({"--db", db, "import", "network", "x", (dir / "bad.gpkg").string(), "--code-field",
                                   "CODE"});
    CHECK(field.exit_code == 3);
    CHECK_THAT(field.err, Catch::Contains("CODE"));
    CHECK_THAT(field.err, Catch::Contains("BH"));
}
