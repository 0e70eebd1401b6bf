// Polygons in tiles are valid: clipping to the buffer box and rounding to the integer
// grid make shapes that GEOS IsValid rejects (bridges and spikes on the buffer edge,
// holes sharing an edge with their exterior, rings touching or crossing themselves
// after rounding, parts rounded onto each other); the encoder writes them valid.
#include <catch2/catch.hpp>

#include "geometry/geos.hpp"
#include <wangge/tiles/clip.hpp>
#include <wangge/tiles/geometry.hpp>
#include <wangge/tiles/mvt.hpp>
#include <wangge/tiles/mvt_reader.hpp>

#include <fmt/format.h>

#include <cmath>
#include <random>
#include <string>

using namespace wangge;
using namespace wangge::tiles;

namespace {

template <class R>
std::string ring_wkt(const R& ring) {
    std::string s = "(";
    for (std::size_t j = 0; j <= ring.size(); ++j) {
        const auto& p = ring[j % ring.size()];
        s += fmt::format("{}{} {}", j ? "," : "", p.x, p.y);
    }
    return s + ")";
}

template <class P>
std::string polygon_wkt(const P& poly) {
    std::string s = "(";
    for (std::size_t r = 0; r < poly.size(); ++r) s += (r ? "," : "") + ring_wkt(poly[r]);
    return s + ")";
}

template <class MP>
std::string multipolygon_wkt(const MP& mp) {
    if (mp.empty()) return "MULTIPOLYGON EMPTY";
    std::string s = "MULTIPOLYGON(";
    for (std::size_t p = 0; p < mp.size(); ++p) s += (p ? "," : "") + polygon_wkt(mp[p]);
    return s + ")";
}

std::string invalid_reason(const MultiPolygon& mp) {
    auto& g = geos::Context::local();
    return g.invalid_reason(g.from_wkt(multipolygon_wkt(mp)).get());
}

// What the tile builder does with a polygon: clip in fractional tile units to the
// buffer box, then round to the grid.
MultiPolygon to_tile(const std::vector<PolygonD>& polygons) {
    const ClipBox box = ClipBox::for_tile(4096, 64);
    MultiPolygon out;
    for (const auto& p : polygons) {
        const PolygonD c = clip_polygon(p, box);
        if (!c.empty()) out.push_back(quantize(c));
    }
    return out;
}

// Encoded as one feature and decoded again: the polygons a reader sees.
MultiPolygon round_trip(const MultiPolygon& mp) {
    TileBuilder tb;
    if (!tb.layer("p").add_polygons(mp)) return {};
    const Tile t = decode_tile(tb.serialize());
    REQUIRE(t.layers.size() == 1);
    REQUIRE(t.layers[0].features.size() == 1);
    return t.layers[0].features[0].polygons;
}

// Area of the true intersection of the fractional input with the buffer box, and the
// perimeter of the input (rounding moves each edge by half a unit at most).
std::pair<double, double> expected_area_and_slack(const std::vector<PolygonD>& polygons) {
    auto& g = geos::Context::local();
    auto in = g.from_wkt(multipolygon_wkt(polygons));
    REQUIRE(g.invalid_reason(in.get()).empty());
    const auto box = g.from_wkt("POLYGON((-64 -64,4160 -64,4160 4160,-64 4160,-64 -64))");
    const auto clipped = g.intersection(in.get(), box.get());
    double length = 0;
    GEOSLength_r(g.handle(), clipped.get(), &length);
    return {g.area(clipped.get()), 0.5 * length + 1};
}

double area_of(const MultiPolygon& mp) {
    auto& g = geos::Context::local();
    return g.area(g.from_wkt(multipolygon_wkt(mp)).get());
}

}  // namespace

TEST_CASE("tile validity: shapes that clipping and rounding make invalid are written valid", "[tiles][validity]") {
    struct Case {
        const char* name;
        std::vector<PolygonD> input;  // fractional tile units, valid
    };
    const std::vector<Case> cases = {
        // Two vertices 0.8 apart round to one point: the ring touches itself there.
        {"self-touching after rounding",
         {{{{0, 0}, {100, 0}, {100, 100}, {50.4, 100}, {70, 50}, {30, 50}, {49.6, 100}, {0, 100}}}}},
        // A notch 0.8 wide rounds to a spike of zero width.
        {"spike after rounding", {{{{0, 0}, {100, 0}, {100, 100}, {50.4, 100}, {50, 20}, {49.6, 100}, {0, 100}}}}},
        // A vertex 0.005 inside a slanted edge rounds across it: the ring crosses itself.
        {"bow-tie after rounding", {{{{0, 0}, {101, 3}, {101, 10}, {50, 1.49}, {0, 10}}}}},
        // A U whose bottom lies beyond the buffer: Sutherland-Hodgman joins its arms by
        // a zero-width bridge along x = 4160.
        {"spike along the buffer edge",
         {{{{4000, 100}, {4300, 100}, {4300, 400}, {4000, 400}, {4000, 300}, {4200, 300}, {4200, 200}, {4000, 200}}}}},
        // Exterior and hole both cut by the buffer edge share a piece of it.
        {"hole sharing the buffer edge with its exterior",
         {{{{4000, 0}, {4300, 0}, {4300, 1000}, {4000, 1000}}, {{4100, 100}, {4100, 200}, {4200, 200}, {4200, 100}}}}},
        // A hole 0.4 from its exterior rounds onto it along an edge.
        {"hole rounded onto its exterior",
         {{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, {{10, 0.4}, {10, 50}, {50, 50}, {50, 0.4}}}}},
        // Two parts 0.1 apart round onto one edge.
        {"parts rounded onto each other",
         {{{{0, 0}, {10.6, 0}, {10.6, 10}, {0, 10}}}, {{{10.7, 0}, {20, 0}, {20, 10}, {10.7, 10}}}}},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const MultiPolygon tiled = to_tile(c.input);
        REQUIRE(!tiled.empty());
        INFO("clipped and rounded: " << multipolygon_wkt(tiled));
        CHECK(!invalid_reason(tiled).empty());  // the shape is really invalid before encoding
        CHECK(!clearly_valid(tiled));
        const MultiPolygon written = round_trip(tiled);
        INFO("written: " << multipolygon_wkt(written));
        CHECK(invalid_reason(written).empty());
        // nothing of substance lost or added
        const auto [expected, slack] = expected_area_and_slack(c.input);
        CHECK(std::abs(area_of(written) - expected) <= slack);
        // oriented as the spec wants: exteriors positive, holes negative
        for (const auto& poly : written) {
            CHECK(ring_area2(poly.front()) > 0);
            for (std::size_t i = 1; i < poly.size(); ++i) CHECK(ring_area2(poly[i]) < 0);
        }
    }
}

TEST_CASE("tile validity: integer rings that cross or fold are repaired on the grid", "[tiles][validity]") {
    // A bow-tie given as such, a ring with a spike, a figure 8, overlapping parts,
    // overlapping holes.
    const std::vector<MultiPolygon> inputs = {
        {{{{0, 0}, {10, 10}, {10, 0}, {0, 10}}}},
        {{{{0, 0}, {100, 0}, {100, 50}, {150, 50}, {100, 50}, {100, 100}, {0, 100}}}},
        {{{{0, 0}, {10, 0}, {10, 10}, {20, 10}, {20, 20}, {10, 20}, {10, 10}, {0, 10}}}},
        {{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}}, {{{5, 3}, {15, 3}, {15, 7}, {5, 7}}}},
        {{{{0, 0}, {7, 0}, {7, 7}, {0, 7}}, {{1, 1}, {1, 3}, {3, 3}, {3, 1}}, {{2, 2}, {2, 5}, {5, 5}, {5, 2}}}},
        // a triangle of half a unit with a spike (seen at z3 of the benchmark): kept
        {{{{2728, 1143}, {2729, 1142}, {2729, 1143}, {2729, 1144}, {2729, 1143}}}},
    };
    const std::vector<double> areas = {50, 100 * 100, 200, 100 + 20, 49 - 4 - 9 + 1, 0.5};
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        INFO(multipolygon_wkt(inputs[i]));
        CHECK(!invalid_reason(inputs[i]).empty());
        const MultiPolygon written = round_trip(inputs[i]);
        INFO("written: " << multipolygon_wkt(written));
        CHECK(invalid_reason(written).empty());
        CHECK(area_of(written) == Approx(areas[i]));
    }
}

TEST_CASE("tile validity: valid polygons are written exactly as given", "[tiles][validity]") {
    // Valid, though rings touch at a point (the fast test cannot tell; GEOS says valid):
    // a hole touching its exterior, two parts meeting at a corner, a part in a hole.
    const std::vector<MultiPolygon> inputs = {
        {{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, {{50, 0}, {40, 40}, {60, 40}}}},
        {{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}}, {{{10, 10}, {20, 10}, {20, 20}, {10, 20}}}},
        {{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, {{10, 10}, {10, 90}, {90, 90}, {90, 10}}},
         {{{20, 20}, {80, 20}, {80, 80}, {20, 80}}}},
        {{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, {{10, 10}, {10, 20}, {20, 20}, {20, 10}}}},
    };
    for (const auto& mp : inputs) {
        INFO(multipolygon_wkt(mp));
        REQUIRE(invalid_reason(mp).empty());
        CHECK(make_valid(mp) == mp);
        CHECK(round_trip(mp) == mp);
    }
    CHECK(clearly_valid(inputs[3]));
    CHECK(!clearly_valid(inputs[0]));
}

TEST_CASE("tile validity: a ring turning one way but winding twice is not taken for convex", "[tiles][validity]") {
    // A pentagram: every turn to the same side, like a convex ring, but it crosses itself.
    const MultiPolygon star = {{{{0, 100}, {59, -81}, {-95, 31}, {95, 31}, {-59, -81}}}};
    const MultiPolygon pentagon = {{{{0, 100}, {95, 31}, {59, -81}, {-59, -81}, {-95, 31}}}};
    CHECK(clearly_valid(pentagon));
    CHECK(!clearly_valid(star));
    REQUIRE(!invalid_reason(star).empty());
    const MultiPolygon written = round_trip(star);
    INFO("written: " << multipolygon_wkt(written));
    CHECK(!written.empty());
    CHECK(invalid_reason(written).empty());
}

TEST_CASE("tile validity: the fast test never calls an invalid polygon valid, repair always gives a valid one",
          "[tiles][validity]") {
    // Random rings on a small grid: many cross, touch, fold and overlap.
    std::mt19937 rng(20240611);
    std::uniform_int_distribution<int> coord(0, 9), count(3, 7), holes(0, 2), parts(1, 3);
    int clear = 0, valid = 0, repaired = 0;
    for (int k = 0; k < 3000; ++k) {
        MultiPolygon mp;
        const int np = parts(rng);
        for (int p = 0; p < np; ++p) {
            Polygon poly;
            const int nr = 1 + holes(rng);
            for (int r = 0; r < nr; ++r) {
                Ring ring;
                const int n = count(rng);
                for (int i = 0; i < n; ++i) ring.push_back({coord(rng), coord(rng)});
                poly.push_back(ring);
            }
            if (auto c = clean_polygon(poly)) mp.push_back(std::move(*c));
        }
        if (mp.empty()) continue;
        INFO(multipolygon_wkt(mp));
        const bool geos_valid = invalid_reason(mp).empty();
        if (clearly_valid(mp)) {
            ++clear;
            CHECK(geos_valid);
        }
        const MultiPolygon fixed = make_valid(mp);
        if (geos_valid) {
            ++valid;
            CHECK(fixed == mp);
        } else {
            ++repaired;
            INFO("repaired: " << multipolygon_wkt(fixed));
            CHECK(invalid_reason(fixed).empty());
            for (const auto& poly : fixed)
                for (const auto& ring : poly)
                    for (const auto& pt : ring) CHECK((pt.x >= 0 && pt.x <= 9 && pt.y >= 0 && pt.y <= 9));
        }
    }
    CHECK(clear > 100);
    CHECK(repaired > 1000);
    CHECK(valid > clear);
}
