// Properties of partition_village on small synthetic villages: exact cover, no
// overlap, matching shared edges, one polygon per grid, balance, barriers,
// dedicated areas, determinism.
#include <catch2/catch.hpp>

#include <wangge/error.hpp>
#include "geometry/geos.hpp"
#include <wangge/partition.hpp>

#include <bit>
#include <cmath>
#include <map>
#include <random>

using namespace wangge;

namespace {

std::vector<unsigned char> wkb(const std::string& wkt) {
    auto& g = geos::Context::local();
    auto geom = g.from_wkt(wkt);
    return g.to_wkb(geom.get());
}

/// Households spread deterministically over the village's envelope, kept inside.
std::vector<HouseholdPoint> households(const std::string& village_wkt, int n, int per, unsigned seed) {
    auto& g = geos::Context::local();
    auto v = g.from_wkt(village_wkt);
    auto prep = g.prepare(v.get());
    double x0, y0, x1, y1;
    GEOSGeom_getXMin_r(g.handle(), v.get(), &x0);
    GEOSGeom_getYMin_r(g.handle(), v.get(), &y0);
    GEOSGeom_getXMax_r(g.handle(), v.get(), &x1);
    GEOSGeom_getYMax_r(g.handle(), v.get(), &y1);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> ux(x0, x1), uy(y0, y1);
    std::vector<HouseholdPoint> out;
    while (static_cast<int>(out.size()) < n) {
        const double x = ux(rng), y = uy(rng);
        auto p = g.own(GEOSGeom_createPointFromXY_r(g.handle(), x, y), "pt");
        if (GEOSPreparedContainsProperly_r(g.handle(), prep.get(), p.get()) == 1) out.push_back({x, y, per});
    }
    return out;
}

struct Checked {
    int grids = 0;
    std::int64_t households = 0;
};

/// The guarantees of docs/partition.md, checked with GEOS on the result.
Checked check_partition(const std::string& village_wkt, const VillagePartition& p) {
    auto& g = geos::Context::local();
    auto village = g.from_wkt(village_wkt);
    const double va = g.area(village.get());
    std::vector<geos::Geometry> grids;
    Checked c;
    for (const auto& gr : p.grids) {
        grids.push_back(g.from_wkb(gr.wkb.data(), gr.wkb.size()));
        INFO("grid " << grids.size());
        CHECK(g.invalid_reason(grids.back().get()).empty());
        CHECK(GEOSGetNumGeometries_r(g.handle(), grids.back().get()) == 1);  // one connected polygon
        CHECK(gr.parts == 1);
        c.households += gr.households;
    }
    c.grids = static_cast<int>(grids.size());
    // exact cover: the union equals the village
    std::vector<const GEOSGeometry*> parts;
    for (const auto& gg : grids) parts.push_back(gg.get());
    auto coll = g.collect(parts);
    auto uni = g.unary_union(coll.get());
    auto sym = g.own(GEOSSymDifference_r(g.handle(), uni.get(), village.get()), "symdiff");
    CHECK(g.area(sym.get()) <= 1e-9 * va);
    // no overlap
    double overlap = 0;
    for (std::size_t i = 0; i < grids.size(); ++i)
        for (std::size_t j = i + 1; j < grids.size(); ++j)
            overlap += g.area(g.intersection(grids[i].get(), grids[j].get()).get());
    CHECK(overlap <= 1e-9 * va);
    // shared edges: every segment is used by two grids in opposite directions, or
    // lies on the village outline
    std::map<std::array<std::uint64_t, 4>, int> seen;  // directed segment -> count
    auto key = [](double a, double b, double c2, double d) {
        return std::array<std::uint64_t, 4>{std::bit_cast<std::uint64_t>(a), std::bit_cast<std::uint64_t>(b),
                                            std::bit_cast<std::uint64_t>(c2), std::bit_cast<std::uint64_t>(d)};
    };
    for (const auto& gg : grids) {
        auto norm = g.own(GEOSGeom_clone_r(g.handle(), gg.get()), "clone");
        GEOSNormalize_r(g.handle(), norm.get());  // consistent ring orientation
        const GEOSGeometry* poly = GEOSGetGeometryN_r(g.handle(), norm.get(), 0);
        std::vector<const GEOSGeometry*> rings{GEOSGetExteriorRing_r(g.handle(), poly)};
        for (int r = 0; r < GEOSGetNumInteriorRings_r(g.handle(), poly); ++r)
            rings.push_back(GEOSGetInteriorRingN_r(g.handle(), poly, r));
        for (const auto* ring : rings) {
            const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(g.handle(), ring);
            unsigned n = 0;
            GEOSCoordSeq_getSize_r(g.handle(), cs, &n);
            for (unsigned i = 0; i + 1 < n; ++i) {
                double x1, y1, x2, y2;
                GEOSCoordSeq_getXY_r(g.handle(), cs, i, &x1, &y1);
                GEOSCoordSeq_getXY_r(g.handle(), cs, i + 1, &x2, &y2);
                ++seen[key(x1, y1, x2, y2)];
            }
        }
    }
    auto boundary = g.own(GEOSBoundary_r(g.handle(), village.get()), "boundary");
    int unmatched_inside = 0, doubled = 0;
    for (const auto& [k, count] : seen) {
        if (count > 1) ++doubled;
        const auto rev = std::array<std::uint64_t, 4>{k[2], k[3], k[0], k[1]};
        if (seen.count(rev)) continue;
        const double mx = 0.5 * (std::bit_cast<double>(k[0]) + std::bit_cast<double>(k[2]));
        const double my = 0.5 * (std::bit_cast<double>(k[1]) + std::bit_cast<double>(k[3]));
        auto pt = g.own(GEOSGeom_createPointFromXY_r(g.handle(), mx, my), "pt");
        double d = 1;
        GEOSDistance_r(g.handle(), boundary.get(), pt.get(), &d);
        if (d > 1e-12) ++unmatched_inside;
    }
    CHECK(unmatched_inside == 0);
    CHECK(doubled == 0);
    return c;
}

const std::string square = "POLYGON((120 30, 120.02 30, 120.02 30.02, 120 30.02, 120 30))";
const std::string ushape =
    "POLYGON((120 30, 120.03 30, 120.03 30.03, 120.02 30.03, 120.02 30.01, 120.01 30.01, 120.01 30.03, 120 30.03, 120 30))";
const std::string with_hole =
    "POLYGON((120 30, 120.03 30, 120.03 30.03, 120 30.03, 120 30), (120.012 30.012, 120.018 30.012, 120.018 30.018, "
    "120.012 30.018, 120.012 30.012))";

VillageInput village(const std::string& wkt, int points, int per, bool urban = false) {
    VillageInput v;
    v.code = "330502001005";
    v.urban = urban;
    v.wkb = wkb(wkt);
    v.households = households(wkt, points, per, 42);
    return v;
}

} // namespace

TEST_CASE("partition: a square village, exact cover, shared edges, balanced sizes", "[partition]") {
    auto v = village(square, 400, 3);  // 1,200 households, rural band 100-300: 6 grids of 200
    const auto p = partition_village(v, SizePolicy{}, geos::Context::local());
    const auto c = check_partition(square, p);
    CHECK(c.grids == 6);
    CHECK(c.households == 1200);
    CHECK(p.households == 1200);
    for (const auto& gr : p.grids) {
        CHECK(gr.households >= 100);
        CHECK(gr.households <= 300);
        CHECK(gr.compactness > 0.5);
        CHECK(gr.holes == 0);
    }
}

TEST_CASE("partition: concave and holed villages still give one polygon per grid", "[partition]") {
    for (const auto& wkt : {ushape, with_hole}) {
        DYNAMIC_SECTION(wkt.substr(0, 40)) {
            auto v = village(wkt, 600, 2, true);  // urban: 300-500, 1,200 households
            const auto p = partition_village(v, SizePolicy{}, geos::Context::local());
            const auto c = check_partition(wkt, p);
            CHECK(c.households == 1200);
            CHECK(c.grids >= 3);
            int holes = 0;
            for (const auto& gr : p.grids) holes += gr.holes;
            CHECK(holes <= (wkt == with_hole ? 1 : 0));  // only the village's own hole
        }
    }
}

TEST_CASE("partition: grid edges follow a barrier that splits the village in balanced halves", "[partition]") {
    auto v = village(square, 400, 1);  // 400 households: 2 rural grids
    v.barriers.push_back(wkb("LINESTRING(120.01 29.99, 120.01 30.03)"));
    const auto p = partition_village(v, SizePolicy{}, geos::Context::local());
    check_partition(square, p);
    REQUIRE(p.grids.size() == 2);
    CHECK(p.barrier_length_m > 2000);
    CHECK(p.barrier_edge_m == Approx(p.barrier_length_m).epsilon(1e-6));
    CHECK(p.interior_edge_m == Approx(p.barrier_length_m).epsilon(1e-6));
}

TEST_CASE("partition: a village below the minimum is one grid, without households sizes go by area", "[partition]") {
    auto small = village(square, 30, 2);  // 60 households < 100
    const auto p1 = partition_village(small, SizePolicy{}, geos::Context::local());
    CHECK(check_partition(square, p1).grids == 1);

    auto bare = village(square, 0, 0);
    SizePolicy pol;
    pol.rural_area_km2 = 1.0;  // the square is about 4.3 km²
    const auto p2 = partition_village(bare, pol, geos::Context::local());
    CHECK(p2.by_area);
    CHECK(check_partition(square, p2).grids == 4);

    pol.target_grids = 7;
    CHECK(check_partition(square, partition_village(bare, pol, geos::Context::local())).grids == 7);
}

TEST_CASE("partition: a dedicated area becomes a grid of its own", "[partition]") {
    auto v = village(square, 400, 3);
    v.dedicated.push_back({"第一小学", wkb("POLYGON((120.001 30.001, 120.006 30.001, 120.006 30.006, 120.001 30.006, 120.001 30.001))")});
    const auto p = partition_village(v, SizePolicy{}, geos::Context::local());
    check_partition(square, p);
    int dedicated = 0;
    for (const auto& gr : p.grids)
        if (gr.dedicated) {
            ++dedicated;
            CHECK(gr.name == "第一小学");
            CHECK(gr.area_m2 == Approx(0.005 * 0.005 * 111195.0 * 111195.0 * std::cos(30.01 * M_PI / 180)).epsilon(0.01));
        }
    CHECK(dedicated == 1);
}

TEST_CASE("partition: deterministic, byte for byte, whatever the input order", "[partition]") {
    auto v = village(ushape, 500, 2);
    v.barriers.push_back(wkb("LINESTRING(119.99 30.005, 120.04 30.006)"));
    const auto a = partition_village(v, SizePolicy{}, geos::Context::local());
    std::reverse(v.households.begin(), v.households.end());
    const auto b = partition_village(v, SizePolicy{}, geos::Context::local());
    REQUIRE(a.grids.size() == b.grids.size());
    for (std::size_t i = 0; i < a.grids.size(); ++i) CHECK(a.grids[i].wkb == b.grids[i].wkb);
}

TEST_CASE("partition: numbering runs west to east within rows, rows north to south", "[partition]") {
    auto v = village(square, 1200, 3);  // 3,600 households: 18 grids
    const auto p = partition_village(v, SizePolicy{}, geos::Context::local());
    REQUIRE(p.grids.size() == 18);
    // the documented rule: row = floor((north edge - label_lat) / row height), row
    // height = sqrt(village area / grids); order by (row, label_lon)
    const double row = std::sqrt(0.02 * 0.02 * std::cos(30.01 * M_PI / 180) / 18.0);
    for (std::size_t i = 1; i < p.grids.size(); ++i) {
        const auto ra = std::floor((30.02 - p.grids[i - 1].label_lat) / row);
        const auto rb = std::floor((30.02 - p.grids[i].label_lat) / row);
        INFO("grid " << i);
        CHECK((ra < rb || (ra == rb && p.grids[i - 1].label_lon < p.grids[i].label_lon)));
    }
    // the first grid is in the north-west part, the last in the south-east
    CHECK(p.grids.front().label_lat > 30.01);
    CHECK(p.grids.back().label_lat < 30.01);
}

TEST_CASE("partition: size policy errors", "[partition]") {
    SizePolicy bad;
    bad.urban_min = 600;
    CHECK_THROWS_WITH(bad.validate(), Catch::Contains("urban minimum 600 is above the maximum 500"));
    SizePolicy bad2;
    bad2.rural_min = 0;
    CHECK_THROWS_AS(bad2.validate(), usage_error);
}

TEST_CASE("partition: urban or rural from the name, else the code", "[partition]") {
    CHECK(is_urban_community("330502001005", "浮星桥社区居委会"));
    CHECK_FALSE(is_urban_community("330502100201", "某某村委会"));
    CHECK(is_urban_community("330502001005", ""));
    CHECK_FALSE(is_urban_community("330502100205", ""));
}
