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
#include <set>
#include <sstream>
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
    CHECK_THAT(run_wangge({"--db", db, "info"}).out, Catch::Contains("networks        2 (wangge networks list)"));
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

namespace {

/// The rows of a CSV (BOM and header skipped), split at commas (no field of these
/// files holds one), quotes around a field dropped.
std::vector<std::vector<std::string>> csv_rows(const fs::path& file) {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(read_file(file));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        std::vector<std::string> f;
        std::size_t at = 0;
        for (std::size_t c; (c = line.find(',', at)) != std::string::npos; at = c + 1) f.push_back(line.substr(at, c - at));
        f.push_back(line.substr(at));
        for (auto& x : f)
            if (x.size() >= 2 && x.front() == '"' && x.back() == '"') x = x.substr(1, x.size() - 2);
        out.push_back(std::move(f));
    }
    return out;
}

/// Squares of `step` degrees over the box, as an older system laid a lattice over the
/// map without regard to village borders.
std::vector<ForeignGrid> lattice(double x0, double y0, double x1, double y1, double step) {
    std::vector<ForeignGrid> out;
    int r = 0;
    for (double y = y0; y < y1; y += step, ++r) {
        int c = 0;
        for (double x = x0; x < x1; x += step, ++c)
            out.push_back({fmt::format("L{:02d}{:02d}", r, c), "",
                           fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x, y, x + step,
                                       y + step)});
    }
    return out;
}

}  // namespace

TEST_CASE("networks: crosswalk classes: a coarsening of the unified grids contains them, a lattice straddles "
          "villages and townships, shares as an independent overlay gives them",
          "[e2e][networks]") {
    TempDir dir("networks-crosswalk");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const std::string town = "330502001";
    const auto unified_file = dir / "unified.gpkg";
    const auto unified = export_grids(db, unified_file, "--township", town);
    std::set<std::string> villages;
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    for (const auto& f : unified) {
        villages.insert(f.village);
        double a = 0, b = 0, c = 0, d = 0;
        GEOSGeom_getXMin_r(gx().handle(), f.geom.get(), &a);
        GEOSGeom_getYMin_r(gx().handle(), f.geom.get(), &b);
        GEOSGeom_getXMax_r(gx().handle(), f.geom.get(), &c);
        GEOSGeom_getYMax_r(gx().handle(), f.geom.get(), &d);
        x0 = std::min(x0, a), y0 = std::min(y0, b), x1 = std::max(x1, c), y1 = std::max(y1, d);
    }

    // one grid a village: each contains the village's unified grids, whole
    write_network(dir / "coarse.gpkg", one_grid_a_village(unified));
    REQUIRE(run_wangge({"--db", db, "import", "network", "coarse", (dir / "coarse.gpkg").string(), "--code-field",
                        "BH", "-q"})
                .exit_code == 0);
    const auto c = run_wangge({"--db", db, "networks", "crosswalk", "coarse", "--township", town, "--out",
                               (dir / "coarse.csv").string()});
    INFO(c.out << c.err);
    REQUIRE(c.exit_code == 0);
    CHECK_THAT(c.out, Catch::Contains(fmt::format("{} grids against {} unified grids under {}", villages.size(),
                                                  unified.size(), town)));
    const auto coarse = csv_rows(dir / "coarse.csv");
    REQUIRE(coarse.size() == villages.size());
    for (const auto& row : coarse) {
        INFO(row[2]);
        CHECK(row[4] == "contains");
        CHECK(std::stod(row[6]) > 0.999);  // matched_share
    }
    CHECK(csv_rows(dir / "coarse_pairs.csv").size() == unified.size());  // each unified grid once, whole

    // a lattice of ~500 m squares over the township's box, blind to borders
    const auto cells = lattice(x0, y0, x1, y1, 0.005);
    write_network(dir / "lattice.gpkg", cells);
    REQUIRE(run_wangge({"--db", db, "import", "network", "lattice", (dir / "lattice.gpkg").string(), "--code-field",
                        "BH", "-q"})
                .exit_code == 0);
    const auto l = run_wangge({"--db", db, "networks", "crosswalk", "lattice", "--township", town, "--out",
                               (dir / "lattice.csv").string()});
    INFO(l.out << l.err);
    REQUIRE(l.exit_code == 0);
    std::map<std::string, int> classes;
    for (const auto& row : csv_rows(dir / "lattice.csv")) ++classes[row[4]];
    CHECK(classes["straddles-village"] > 0);
    CHECK(classes["straddles-township"] == 0);  // only the township's unified grids are in scope
    // over the whole county the squares on the township's edge straddle townships too
    const auto lc = run_wangge({"--db", db, "networks", "crosswalk", "lattice", "--county", "330502", "--out",
                                (dir / "lattice_county.gpkg").string()});
    INFO(lc.out << lc.err);
    REQUIRE(lc.exit_code == 0);
    CHECK_THAT(lc.out, !Catch::Contains("straddles-township       0 "));
    CHECK(feature_count(dir / "lattice_county.gpkg", "straddling_parts") > 0);
    CHECK(feature_count(dir / "lattice_county.gpkg", "foreign_grids") == static_cast<std::int64_t>(cells.size()));

    // the shares against an independent overlay: SpatiaLite through ogr2ogr's SQL
    const auto add = run_shell("ogr2ogr -update '" + unified_file.string() + "' '" + (dir / "lattice.gpkg").string() +
                               "' -nln lattice");
    INFO(add.err);
    REQUIRE(add.exit_code == 0);
    const auto overlay = dir / "overlay.csv";
    const auto o = run_shell(
        "ogr2ogr -f CSV '" + overlay.string() + "' '" + unified_file.string() +
        "' -dialect SQLite -sql \"SELECT l.BH AS f, g.code AS u, ST_Area(ST_Intersection(l.geom, g.geom)) / "
        "ST_Area(l.geom) AS sf, ST_Area(ST_Intersection(l.geom, g.geom)) / ST_Area(g.geom) AS su FROM lattice l, "
        "grids g WHERE ST_Intersects(l.geom, g.geom)\"");
    INFO(o.err);
    REQUIRE(o.exit_code == 0);
    std::map<std::pair<std::string, std::string>, std::pair<double, double>> want;
    for (const auto& row : csv_rows(overlay)) {
        if (row.size() < 4 || row[2].empty()) continue;
        const double sf = std::stod(row[2]), su = std::stod(row[3]);
        if (sf >= 0.01 || su >= 0.01) want[{row[0], row[1]}] = {sf, su};
    }
    std::map<std::pair<std::string, std::string>, std::pair<double, double>> got;
    for (const auto& row : csv_rows(dir / "lattice_pairs.csv")) got[{row[0], row[1]}] = {std::stod(row[5]), std::stod(row[6])};
    REQUIRE(want.size() > 50);
    CHECK(got.size() == want.size());
    int differ = 0;
    for (const auto& [k, v] : want) {
        const auto it = got.find(k);
        if (it == got.end() || std::abs(it->second.first - v.first) > 2e-4 || std::abs(it->second.second - v.second) > 2e-4)
            ++differ;
    }
    CHECK(differ == 0);
}

TEST_CASE("networks: crosswalk of a network not in the store names those that are", "[e2e][networks]") {
    TempDir dir("networks-crosswalk-bad");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const auto r = run_wangge({"--db", db, "networks", "crosswalk", "nope", "--out", (dir / "x.csv").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("no network 'nope' in the store (it has none"));
    CHECK_FALSE(fs::exists(dir / "x.csv"));
}
