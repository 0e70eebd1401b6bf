// End-to-end: every polygon the tile builder writes is valid. The sample's county
// 330502 (吴兴区; the whole sample takes a minute to build under ASan), every layer at
// every zoom of the default pyramid (z0-16), decoded with the project's MVT reader and
// checked with GEOS IsValid, as a renderer or GIS reader would see it. Before the
// encoder repaired polygons, 406 of its features were invalid (2,377 of the whole
// sample; tools/bench/tiles/validity.sh checks the 20,000-grid benchmark).
#include <catch2/catch.hpp>

#include "support.hpp"

#include "geometry/geos.hpp"
#include <wangge/tiles/mbtiles.hpp>
#include <wangge/tiles/mvt_reader.hpp>

#include <fmt/format.h>

#include <map>
#include <stdexcept>
#include <string>

using namespace wangge;
using namespace wangge::test;

namespace {

// The feature's polygons as one GEOS MultiPolygon, rings closed, exactly as decoded.
geos::Geometry multipolygon_of(geos::Context& g, const tiles::MultiPolygon& mp) {
    const auto h = g.handle();
    std::vector<GEOSGeometry*> polys;
    for (const auto& poly : mp) {
        std::vector<GEOSGeometry*> rings;
        for (const auto& ring : poly) {
            GEOSCoordSequence* seq = GEOSCoordSeq_create_r(h, static_cast<unsigned>(ring.size() + 1), 2);
            for (std::size_t j = 0; j <= ring.size(); ++j) {
                const auto& p = ring[j % ring.size()];
                GEOSCoordSeq_setXY_r(h, seq, static_cast<unsigned>(j), p.x, p.y);
            }
            rings.push_back(GEOSGeom_createLinearRing_r(h, seq));
            if (!rings.back()) throw std::runtime_error("GEOS rejected a ring");
        }
        polys.push_back(
            GEOSGeom_createPolygon_r(h, rings.front(), rings.data() + 1, static_cast<unsigned>(rings.size() - 1)));
        if (!polys.back()) throw std::runtime_error("GEOS rejected a polygon");
    }
    return g.own(GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys.data(), static_cast<unsigned>(polys.size())),
                 "multipolygon");
}

}  // namespace

TEST_CASE("tiles: every polygon of every tile of the sample's county 330502 is valid, at every zoom",
          "[e2e][tiles][validity][slow]") {
    TempDir dir("tiles-valid");
    const auto out = dir / "sample.mbtiles";
    const auto r =
        run_wangge({"--db", partitioned_sample_store(), "tiles", "build", "--out", out.string(), "--county", "330502"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    auto& g = geos::Context::local();
    tiles::MbtilesReader reader(out);
    std::map<std::string, std::map<int, long>> polygons;  // layer -> zoom -> features
    long invalid = 0;
    std::vector<std::string> examples;
    reader.for_each_tile([&](const tiles::TileCoord& c, const std::string& stored) {
        const auto tile = tiles::decode_tile(stored);
        for (const auto& layer : tile.layers)
            for (const auto& f : layer.features) {
                if (f.type != tiles::GeomType::polygon) continue;
                ++polygons[layer.name][c.z];
                const auto geom = multipolygon_of(g, f.polygons);
                const std::string why = g.invalid_reason(geom.get());
                if (why.empty()) continue;
                ++invalid;
                if (examples.size() < 10)
                    examples.push_back(
                        fmt::format("{}/{}/{} {} {}: {}", c.z, c.x, c.y, layer.name, f.id.value_or(0), why));
            }
    });
    INFO(fmt::format("invalid: {}", fmt::join(examples, "\n")));
    CHECK(invalid == 0);
    // the pyramid really was checked: each polygon layer at each of its default zooms
    const std::map<std::string, std::pair<int, int>> zooms = {
        {"counties", {0, 16}}, {"townships", {6, 16}}, {"villages", {9, 16}}, {"grids", {10, 16}}};
    for (const auto& [name, range] : zooms)
        for (int z = range.first; z <= range.second; ++z) {
            INFO(name << " z" << z);
            CHECK(polygons[name][z] > 0);
        }
    CHECK(polygons["grids"][16] > 500);
}
