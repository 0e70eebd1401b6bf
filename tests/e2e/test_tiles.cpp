// End-to-end: the tile pyramid of the sample. Neighbours share edges exactly in
// every tile (no overlap, no gap), tiles over the size limit are simplified, not
// dropped, and archives read back with readers no one here wrote.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <set>
#include <thread>
#include <wangge/coverage_index.hpp>
#include <wangge/store.hpp>
#include <wangge/tiles/mbtiles.hpp>
#include <wangge/tiles/mvt_reader.hpp>
#include <wangge/tiles/pmtiles.hpp>
#include <wangge/topology.hpp>

#include "geometry/geos.hpp"
#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

/// z10 of the partitioned sample with these layers and, if given, a size limit in KB.
RunResult build_z10(const fs::path& out, const std::string& layers, const std::string& max_kb = "") {
    std::vector<std::string> args{"--db", partitioned_sample_store(), "tiles", "build", "--out", out.string(),
                                  "--minzoom", "10", "--maxzoom", "10", "--layers", layers};
    if (!max_kb.empty()) args.insert(args.end(), {"--max-tile-kb", max_kb});
    return run_wangge(args);
}

geos::Geometry polygon_of(const tiles::Feature& f) {
    auto& g = geos::Context::local();
    std::string wkt = "MULTIPOLYGON(";
    for (std::size_t p = 0; p < f.polygons.size(); ++p) {
        wkt += p ? ",(" : "(";
        for (std::size_t r = 0; r < f.polygons[p].size(); ++r) {
            wkt += r ? ",(" : "(";
            const auto& ring = f.polygons[p][r];
            for (std::size_t j = 0; j <= ring.size(); ++j) {
                const auto& pt = ring[j % ring.size()];
                wkt += fmt::format("{}{} {}", j ? "," : "", pt.x, pt.y);
            }
            wkt += ")";
        }
        wkt += ")";
    }
    auto geom = g.from_wkt(wkt + ")");
    // rings as encoded may touch themselves after quantization: measure the valid form
    return g.invalid_reason(geom.get()).empty() ? std::move(geom) : g.make_valid_polygonal(geom.get());
}

} // namespace

TEST_CASE("tiles: neighbouring grids and villages share edges exactly in every tile, at every zoom",
          "[e2e][tiles][slow]") {
    TempDir dir("tiles-gap");
    const auto out = dir / "wuxing.pmtiles";
    const auto r = run_wangge({"--db", partitioned_sample_store(), "tiles", "build", "--out", out.string(), "--county", "330502",
                               "--minzoom", "8", "--maxzoom", "14"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    auto& g = geos::Context::local();
    auto tile_box = g.from_wkt("POLYGON((0 0, 4096 0, 4096 4096, 0 4096, 0 0))");
    // the source grids, for the gap probe: a point well inside a grid must be covered
    Store store(partitioned_sample_store(), Store::Mode::must_exist);
    std::vector<CoverageIndex::Polygon> grids;
    {
        Statement st = sql::prepare(
            store,
            "SELECT code, AsBinary(geom) FROM grids WHERE valid_to IS NULL AND code LIKE '330502%' ORDER BY code");
        while (st.step()) grids.push_back({st.text(0), st.blob(1)});
    }
    const CoverageIndex index(grids);
    std::vector<geos::Geometry> grid_boundaries;
    for (const auto& p : grids)
        grid_boundaries.push_back(g.own(GEOSBoundary_r(g.handle(), g.from_wkb(p.wkb.data(), p.wkb.size()).get()), "b"));

    tiles::PmtilesReader reader(out);
    int tiles_checked = 0, pairs = 0, overlaps = 0, probes = 0, gaps = 0;
    double worst_overlap = 0;
    reader.for_each_tile([&](const tiles::TileCoord& c, const std::string&) {
        const auto tile = tiles::decode_tile(*reader.tile(c));
        for (const char* name : {"grids", "villages"}) {
            const auto* layer = tile.layer(name);
            if (!layer) continue;
            ++tiles_checked;
            std::vector<geos::Geometry> polys;
            std::vector<geos::Prepared> prep;
            for (const auto& f : layer->features) {
                polys.push_back(g.intersection(polygon_of(f).get(), tile_box.get()));
                prep.push_back(g.prepare(polys.back().get()));
            }
            // no overlap: any two features of the layer meet in lines at most
            for (std::size_t i = 0; i < polys.size(); ++i)
                for (std::size_t j = i + 1; j < polys.size(); ++j) {
                    if (GEOSIntersects_r(g.handle(), polys[i].get(), polys[j].get()) != 1) continue;
                    ++pairs;
                    const double a = g.area(g.intersection(polys[i].get(), polys[j].get()).get());
                    worst_overlap = std::max(worst_overlap, a);
                    if (a > 0) ++overlaps;
                }
            if (std::string(name) != "grids") continue;
            // no gap: probe an 16x16 lattice; a point more than the simplification
            // tolerance (+ rounding) inside a source grid must be covered in the tile
            const double n = std::ldexp(1.0, c.z), world = 2 * M_PI * 6378137.0, size = world / n;
            const double margin_m = (2.0 + 2.0) * size / 4096;  // tolerance 2 units + rounding
            for (int i = 0; i < 16; ++i)
                for (int j = 0; j < 16; ++j) {
                    const double tx = (i + 0.5) * 256, ty = (j + 0.5) * 256;
                    const topology::XY m{-world / 2 + (c.x + tx / 4096) * size, world / 2 - (c.y + ty / 4096) * size};
                    const auto [lon, lat] = topology::from_mercator(m);
                    const int gi = index.locate(lon, lat);
                    if (gi < 0) continue;
                    auto pt = g.own(GEOSGeom_createPointFromXY_r(g.handle(), lon, lat), "pt");
                    double d_deg = 0;
                    GEOSDistance_r(g.handle(), grid_boundaries[static_cast<std::size_t>(gi)].get(), pt.get(), &d_deg);
                    // in Mercator metres (ground / cos lat): at least d_deg * R * pi / 180
                    const double d_merc = d_deg * 6378137.0 * M_PI / 180.0;
                    if (d_merc <= 2 * margin_m) continue;
                    ++probes;
                    auto tp = g.own(GEOSGeom_createPointFromXY_r(g.handle(), tx, ty), "tp");
                    int covered = 0;
                    for (const auto& p : prep) covered += GEOSPreparedIntersects_r(g.handle(), p.get(), tp.get()) == 1;
                    if (covered == 0) ++gaps;
                }
        }
    });
    WARN(fmt::format("{} layer-tiles, {} neighbour pairs, worst overlap {} units², {} gap probes", tiles_checked, pairs,
                     worst_overlap, probes));
    CHECK(tiles_checked > 50);
    CHECK(pairs > 1000);
    CHECK(overlaps == 0);
    CHECK(probes > 5000);
    CHECK(gaps == 0);
}

TEST_CASE("tiles: a tile over the size limit is simplified further, its features kept and reported",
          "[e2e][tiles][slow]") {
    TempDir dir("tiles-limit");
    const auto a = dir / "a.pmtiles", b = dir / "b.pmtiles";
    REQUIRE(build_z10(a, "grids").exit_code == 0);
    const auto r = build_z10(b, "grids", "40");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("over 40 KB: simplified"));
    CHECK_THAT(r.out, Catch::Contains("simplified further or aggregated, none dropped"));
    tiles::PmtilesReader ra(a), rb(b);
    CHECK(ra.header().addressed_tiles == rb.header().addressed_tiles);
    ra.for_each_tile([&](const tiles::TileCoord& c, const std::string&) {
        const auto ta = tiles::decode_tile(*ra.tile(c));
        const auto tb = tiles::decode_tile(*rb.tile(c));
        REQUIRE(tb.layer("grids"));
        if (tb.layer("grids")->features[0].property("grids")) return;  // merged per village: the next test
        CHECK(ta.layer("grids")->features.size() == tb.layer("grids")->features.size());
    });
}

TEST_CASE("tiles: a tile that simplifying cannot bring under the limit shows each village's grids as one polygon",
          "[e2e][tiles][slow]") {
    TempDir dir("tiles-merge");
    const auto a = dir / "a.pmtiles", b = dir / "b.pmtiles";
    REQUIRE(build_z10(a, "grids").exit_code == 0);
    const auto r = build_z10(b, "grids,events", "60");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("would vanish"));
    CHECK_THAT(r.err, Catch::Contains("(events per village, grids per village)"));
    CHECK_THAT(r.out, Catch::Contains("0 still over"));
    auto& g = geos::Context::local();
    tiles::PmtilesReader ra(a), rb(b);
    int merged_tiles = 0;
    ra.for_each_tile([&](const tiles::TileCoord& c, const std::string&) {
        const auto ta = tiles::decode_tile(*ra.tile(c));
        const auto tb = tiles::decode_tile(*rb.tile(c));
        const auto* grids = tb.layer("grids");
        REQUIRE(grids);
        if (grids->features.empty() || !grids->features[0].property("grids")) return;  // not merged
        ++merged_tiles;
        // every grid of the full tile is inside a village drawn here: nothing dropped
        std::set<std::uint64_t> villages;
        for (const auto& f : grids->features) {
            REQUIRE(f.id);
            CHECK(f.property("village"));
            villages.insert(*f.id);
        }
        for (const auto& f : ta.layer("grids")->features) CHECK(villages.count(*f.id / 1000) == 1);
        // events counted per village too, one point each (an event in no grid: its own)
        std::set<std::string> counted;
        REQUIRE(tb.layer("events"));
        for (const auto& f : tb.layer("events")->features) {
            if (f.property("uncovered")) continue;
            const auto* v = f.property("village");
            REQUIRE(v);
            CHECK(counted.insert(std::get<std::string>(*v)).second);
            CHECK(f.property("count"));
        }
        // the merged villages still meet without overlap
        std::vector<geos::Geometry> polys;
        for (const auto& f : grids->features) polys.push_back(polygon_of(f));
        for (std::size_t i = 0; i < polys.size(); ++i)
            for (std::size_t j = i + 1; j < polys.size(); ++j)
                CHECK(g.area(g.intersection(polys[i].get(), polys[j].get()).get()) == 0);
    });
    CHECK(merged_tiles > 0);
}

TEST_CASE("tiles: PMTiles read back by the pmtiles npm package, MBTiles by GDAL, tiles by @mapbox/vector-tile",
          "[e2e][tiles][npm][slow]") {
    const auto js = source_dir() / "tiles" / "js";
    if (!require_or_skip(fs::exists(js / "node_modules" / "pmtiles"),
                         "tiles/js/node_modules (run tiles/js/setup.sh for the npm validators)"))
        return;
    TempDir dir("tiles-readback");
    const auto pm = dir / "t.pmtiles", mb = dir / "t.mbtiles";
    const auto r = run_wangge({"--db", partitioned_sample_store(), "tiles", "build", "--out", pm.string(), "--maxzoom", "13"});
    REQUIRE(r.exit_code == 0);
    REQUIRE(run_wangge({"--db", partitioned_sample_store(), "tiles", "build", "--out", mb.string(), "--maxzoom", "13"}).exit_code == 0);
    tiles::PmtilesReader reader(pm);
    const auto js_out = run_shell("node '" + (js / "read-pmtiles.mjs").string() + "' '" + pm.string() + "'");
    REQUIRE(js_out.exit_code == 0);
    CHECK_THAT(js_out.out, Catch::Contains(fmt::format("\"numAddressedTiles\":{}", reader.header().addressed_tiles)));
    CHECK_THAT(js_out.out, Catch::Contains("\"vector_layers\""));
    CHECK_THAT(js_out.out, Catch::Contains(fmt::format("\"minLon\":{}", reader.header().min_lon_e7 / 1e7)));
    const auto info = run_shell("ogrinfo -ro -so '" + mb.string() + "'");
    for (const char* l : {"counties", "townships", "villages", "grids", "grid_labels", "events"})
        CHECK_THAT(info.out, Catch::Contains(std::string(l) + " ("));
    // one z13 tile decoded by @mapbox/vector-tile: same layers and feature counts as ours
    std::optional<tiles::TileCoord> any;
    reader.for_each_tile([&](const tiles::TileCoord& c, const std::string&) {
        if (!any && c.z == 13 && tiles::decode_tile(*reader.tile(c)).layer("grids")) any = c;
    });
    REQUIRE(any);
    const auto raw = dir / "one.mvt";
    write_file(raw, *reader.tile(*any));
    const auto dec = run_shell("node '" + (js / "decode-mvt.mjs").string() + "' '" + raw.string() + "'");
    REQUIRE(dec.exit_code == 0);
    const auto ours = tiles::decode_tile(*reader.tile(*any));
    for (const auto& l : ours.layers) CHECK_THAT(dec.out, Catch::Contains("\"" + l.name + "\""));
}

TEST_CASE("tiles: update after a re-partition regenerates only the tiles over it and equals a full rebuild",
          "[e2e][tiles][slow]") {
    TempDir dir("tiles-update");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    // stored times have a resolution of one second and changes in the second of a
    // build count as after it (on purpose): start a second after the store was made
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    for (const char* ext : {".pmtiles", ".mbtiles"}) {
        DYNAMIC_SECTION(ext) {
            const auto archive = dir / (std::string("u") + ext), full = dir / (std::string("full") + ext);
            REQUIRE(run_wangge({"--db", db, "tiles", "build", "--out", archive.string(), "--maxzoom", "14"}).exit_code == 0);
            const auto none = run_wangge({"--db", db, "tiles", "update", archive.string()});
            REQUIRE(none.exit_code == 0);
            CHECK_THAT(none.out, Catch::Contains(": 0 tiles regenerated"));
            // stored times have a resolution of one second: let the edit come after the build
            std::this_thread::sleep_for(std::chrono::milliseconds(1100));
            REQUIRE(run_wangge({"--db", db, "partition", "--village", "330502001005", "--grids",
                                std::string(ext) == ".pmtiles" ? "7" : "8"})
                        .exit_code == 0);
            const auto u = run_wangge({"--db", db, "tiles", "update", archive.string()});
            INFO(u.out << u.err);
            REQUIRE(u.exit_code == 0);
            REQUIRE(run_wangge({"--db", db, "tiles", "build", "--out", full.string(), "--maxzoom", "14"}).exit_code == 0);
            // few tiles regenerated
            const auto pos = u.out.find(" tiles regenerated");
            REQUIRE(pos != std::string::npos);
            const auto start = u.out.rfind(' ', pos - 1) + 1;
            const int regenerated = std::stoi(u.out.substr(start, pos - start));
            CHECK(regenerated > 0);
            CHECK(regenerated < 100);
            // and the result is the full rebuild, tile for tile
            int compared = 0, differ = 0;
            if (std::string(ext) == ".pmtiles") {
                tiles::PmtilesReader a(archive), b(full);
                CHECK(a.header().addressed_tiles == b.header().addressed_tiles);
                a.for_each_tile([&](const tiles::TileCoord& c, const std::string&) {
                    ++compared;
                    const auto tb = b.tile(c);
                    if (!tb || *tb != *a.tile(c)) ++differ;
                });
            } else {
                tiles::MbtilesReader a(archive), b(full);
                CHECK(a.tile_count() == b.tile_count());
                a.for_each_tile([&](const tiles::TileCoord& c, const std::string& stored) {
                    ++compared;
                    const auto tb = b.stored_tile(c);
                    if (!tb || *tb != stored) ++differ;
                });
            }
            CHECK(compared > 1000);
            CHECK(differ == 0);
        }
    }
}

TEST_CASE("tiles: from files, without a store: grids from any GDAL file, events from a CSV", "[e2e][tiles][slow]") {
    TempDir dir("tiles-files");
    const auto gpkg = dir / "grids.gpkg", out = dir / "f.mbtiles";
    REQUIRE(run_wangge({"--db", partitioned_sample_store(), "export", "grids", "--prefix", "330502", "--out", gpkg.string()}).exit_code == 0);
    const auto r = run_wangge({"tiles", "build", "--grids-file", gpkg.string(), "--events-file",
                               (sample_dir() / "huzhou_events_gcj02.csv").string(), "--out", out.string(), "--maxzoom", "12",
                               "--zooms", "grids=0-12,events=8-12"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("grids        z0-12"));
    CHECK_THAT(r.out, Catch::Contains("events       z8-12"));
    tiles::MbtilesReader reader(out);
    const auto z0 = reader.stored_tile({0, 0, 0});
    REQUIRE(z0);
    CHECK(tiles::decode_tile(*z0).layer("grids"));
    CHECK(run_wangge({"tiles", "build", "--grids-file", gpkg.string(), "--out", out.string(), "--zooms", "roads=0-3"})
              .exit_code == 2);
}
