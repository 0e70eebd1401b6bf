// CoverageIndex::nearest against brute force on the ellipsoid: PROJ's geod_inverse to
// every boundary, each edge (straight in longitude-latitude, as the grids are drawn)
// minimised along its length, for points just outside grids and for points half a
// world away (London, Sydney, New York, either side of the antimeridian).
#include <fmt/format.h>
#include <geodesic.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <wangge/coverage_index.hpp>
#include <wangge/events.hpp>
#include <wangge/store.hpp>

#include "geometry/geos.hpp"
#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

using Ring = std::vector<std::pair<double, double>>;  // lon, lat

/// Geodesic distance on CGCS2000's ellipsoid, metres.
double geodesic(double lon1, double lat1, double lon2, double lat2) {
    static geod_geodesic cgcs2000{};
    static const bool ready = (geod_init(&cgcs2000, 6378137.0, 1 / 298.257222101), true);
    (void)ready;
    double s = 0;
    geod_inverse(&cgcs2000, lat1, lon1, lat2, lon2, &s, nullptr, nullptr);
    return s;
}

/// Every ring of a polygon or multipolygon, as the lines of its GEOS boundary.
std::vector<Ring> rings_of(geos::Context& g, const std::vector<unsigned char>& wkb) {
    auto geom = g.from_wkb(wkb.data(), wkb.size());
    auto lines = g.own(GEOSBoundary_r(g.handle(), geom.get()), "boundary");
    std::vector<Ring> out;
    for (int i = 0; i < GEOSGetNumGeometries_r(g.handle(), lines.get()); ++i) {
        const GEOSGeometry* line = GEOSGetGeometryN_r(g.handle(), lines.get(), i);
        const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(g.handle(), line);
        unsigned n = 0;
        GEOSCoordSeq_getSize_r(g.handle(), cs, &n);
        Ring& r = out.emplace_back(n);
        for (unsigned k = 0; k < n; ++k) GEOSCoordSeq_getXY_r(g.handle(), cs, k, &r[k].first, &r[k].second);
    }
    return out;
}

/// Brute force: every polygon's boundary, by geodesic distance. A polygon is skipped
/// only when the triangle inequality proves it farther than the best so far.
class Brute {
public:
    explicit Brute(const std::vector<CoverageIndex::Polygon>& polys) {
        auto& g = geos::Context::local();
        for (const auto& p : polys) {
            Poly q;
            q.rings = rings_of(g, p.wkb);
            double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
            for (const auto& r : q.rings)
                for (auto [x, y] : r) {
                    x0 = std::min(x0, x);
                    x1 = std::max(x1, x);
                    y0 = std::min(y0, y);
                    y1 = std::max(y1, y);
                }
            q.cx = (x0 + x1) / 2;
            q.cy = (y0 + y1) / 2;
            // the boundary lies within r of the centre (its edges are far shorter than r's
            // margin would need to be for an edge to bulge past its ends)
            for (const auto& r : q.rings)
                for (auto [x, y] : r) q.r = std::max(q.r, geodesic(q.cx, q.cy, x, y));
            q.r = q.r * (1 + 1e-6) + 1;
            polys_.push_back(std::move(q));
        }
    }

    /// Distance from (lon, lat) to polygon i's boundary: each edge minimised along its length.
    double distance(std::size_t i, double lon, double lat, double bound = INFINITY) const {
        double best = INFINITY;
        for (const auto& r : polys_[i].rings) {
            std::vector<double> at(r.size());
            for (std::size_t k = 0; k < r.size(); ++k) at[k] = geodesic(lon, lat, r[k].first, r[k].second);
            for (std::size_t k = 0; k + 1 < r.size(); ++k) {
                best = std::min({best, at[k], at[k + 1]});
                const auto [ax, ay] = r[k];
                const auto [bx, by] = r[k + 1];
                const double len = geodesic(ax, ay, bx, by);
                if ((at[k] + at[k + 1] - len) / 2 > std::min(best, bound)) continue;  // triangle inequality
                auto f = [&](double t) { return geodesic(lon, lat, ax + (bx - ax) * t, ay + (by - ay) * t); };
                // golden section: the distance along a short edge has one minimum
                double a = 0, b = 1;
                const double phi = (std::sqrt(5.0) - 1) / 2;
                double c = b - phi * (b - a), d = a + phi * (b - a), fc = f(c), fd = f(d);
                for (int it = 0; it < 60; ++it) {
                    if (fc < fd) {
                        b = d;
                        d = c;
                        fd = fc;
                        c = b - phi * (b - a);
                        fc = f(c);
                    } else {
                        a = c;
                        c = d;
                        fc = fd;
                        d = a + phi * (b - a);
                        fd = f(d);
                    }
                }
                best = std::min({best, fc, fd});
            }
        }
        return best;
    }

    /// Nearest polygon and its distance; the lowest index on a tie.
    std::pair<int, double> nearest(double lon, double lat) const {
        std::vector<std::pair<double, std::size_t>> order;
        for (std::size_t i = 0; i < polys_.size(); ++i)
            order.emplace_back(geodesic(lon, lat, polys_[i].cx, polys_[i].cy) - polys_[i].r, i);
        std::sort(order.begin(), order.end());
        int best = -1;
        double best_d = INFINITY;
        for (auto [lb, i] : order) {
            if (lb > best_d) break;
            const double d = distance(i, lon, lat, best_d);
            if (d < best_d || (d == best_d && static_cast<int>(i) < best)) {
                best_d = d;
                best = static_cast<int>(i);
            }
        }
        return {best, best_d};
    }

private:
    struct Poly {
        std::vector<Ring> rings;
        double cx = 0, cy = 0, r = 0;
    };
    std::vector<Poly> polys_;
};

struct Probe {
    std::string name;
    double lon, lat;
};

/// Tolerance on a distance: the index's pieces are within 3 mm of the edges, and its
/// nearest point on a piece is found on a sphere (a second-order error, well under 1 cm).
double tolerance(double d) {
    return 0.01 + 2e-9 * d;
}

void check(const CoverageIndex& index, const Brute& brute, const std::vector<Probe>& probes) {
    for (const auto& p : probes) {
        INFO(fmt::format("{} ({:.9f}, {:.9f})", p.name, p.lon, p.lat));
        REQUIRE(index.locate(p.lon, p.lat) < 0);
        const auto [got, got_d] = index.nearest(p.lon, p.lat);
        const auto [want, want_d] = brute.nearest(p.lon, p.lat);
        INFO(fmt::format("index: {} at {:.4f} m; brute force: {} at {:.4f} m", got < 0 ? "-" : index.code(got), got_d,
                         index.code(want), want_d));
        REQUIRE(got >= 0);
        CHECK(std::abs(got_d - want_d) <= tolerance(want_d));
        if (got != want) {  // only a tie: the grid it chose must be as near
            const double d = brute.distance(static_cast<std::size_t>(got), p.lon, p.lat);
            INFO(fmt::format("brute force distance to the index's grid: {:.4f} m", d));
            CHECK(std::abs(d - want_d) <= tolerance(want_d));
        }
    }
}

}  // namespace

TEST_CASE("nearest: geodesic distance and grid match brute force on the sample's grids, near and far",
          "[unit][events][nearest]") {
    // the index as `events import` and `events reassign` build it; the same grids, in
    // the same order, for the brute force
    Store store(partitioned_sample_store(), Store::Mode::must_exist);
    const CoverageIndex index = grid_index(store);
    std::vector<CoverageIndex::Polygon> polys;
    Statement st = sql::prepare(store, "SELECT code, AsBinary(geom) FROM grids WHERE valid_to IS NULL ORDER BY code");
    while (st.step()) polys.push_back({st.text(0), st.blob(1)});
    REQUIRE(polys.size() == index.size());
    REQUIRE(polys.back().code == index.code(static_cast<int>(index.size() - 1)));
    REQUIRE(polys.size() > 3000);
    const Brute brute(polys);

    std::vector<Probe> probes = {
        {"London", -0.1278, 51.5074},
        {"Sydney", 151.2093, -33.8688},
        {"New York", -74.0060, 40.7128},
        {"antimeridian, east side", 179.99, 30.5},
        {"antimeridian, west side", -179.99, 30.5},
        {"antimeridian, south", 180.0, -20.0},
        {"Beijing", 116.4074, 39.9042},
        {"Shanghai", 121.4737, 31.2304},
        {"north pole", 0.0, 90.0},
        {"Cape Town", 18.4241, -33.9249},
    };
    // near: off the middle of random edges, 1 m to 5 km to either side; kept where no grid holds it
    auto& g = geos::Context::local();
    std::mt19937_64 rng(20240613);
    std::vector<Ring> rings;
    for (const auto& p : polys)
        for (auto& r : rings_of(g, p.wkb)) rings.push_back(std::move(r));
    const double offsets[] = {1, 3, 10, 30, 100, 300, 1000, 5000};
    for (int tries = 0; tries < 4000 && probes.size() < 10 + 48; ++tries) {
        const Ring& r = rings[rng() % rings.size()];
        const std::size_t k = rng() % (r.size() - 1);
        const auto [ax, ay] = r[k];
        const auto [bx, by] = r[k + 1];
        const double t = std::uniform_real_distribution<double>(0.1, 0.9)(rng);
        const double mx = ax + (bx - ax) * t, my = ay + (by - ay) * t;
        const double kx = std::cos(my * M_PI / 180) * 111320, ky = 110574;
        const double ex = (bx - ax) * kx, ey = (by - ay) * ky, el = std::hypot(ex, ey);
        if (el == 0) continue;
        const double off = offsets[tries % 8] * (rng() % 2 ? 1 : -1);
        const double lon = mx - ey / el * off / kx, lat = my + ex / el * off / ky;
        if (index.locate(lon, lat) >= 0) continue;
        probes.push_back({fmt::format("{:g} m off an edge", off), lon, lat});
    }
    REQUIRE(probes.size() == 10 + 48);
    check(index, brute, probes);
}

TEST_CASE("nearest: polygons on both sides of the antimeridian and near a pole", "[unit][events][nearest]") {
    // squares either side of 180°, and a thin sliver at 80°N where longitude degrees are short
    auto& g = geos::Context::local();
    auto square = [&](double x0, double y0, double x1, double y1) {
        auto geom = g.from_wkt(fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x0, y0, x1, y1));
        return g.to_wkb(geom.get());
    };
    const std::vector<CoverageIndex::Polygon> polys = {
        {"E", square(179.0, 10.0, 179.9, 11.0)},   {"W", square(-179.9, 10.0, -179.0, 11.0)},
        {"S", square(179.5, -1.0, 179.99, -0.5)},  {"P", square(10.0, 80.0, 40.0, 80.2)},
        {"Q", square(-150.0, 79.0, -120.0, 79.1)},
    };
    const CoverageIndex index(polys);
    const Brute brute(polys);
    const std::vector<Probe> probes = {
        {"on 180°, between E and W", 180.0, 10.5},
        {"just east of 180°", -179.95, 10.5},
        {"just west of 180°", 179.95, 10.2},
        {"near S from the west side", -179.999, -0.75},
        {"equator, far", 0.0, 0.0},
        {"north pole", 0.0, 90.0},
        {"85°N across the pole from P", -155.0, 85.0},
        {"below the sliver P", 25.0, 79.9},
        {"between P and Q over the pole", 115.0, 89.0},
    };
    check(index, brute, probes);
}
