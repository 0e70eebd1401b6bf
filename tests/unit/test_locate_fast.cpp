// CoverageIndex::locate with the subcells of boundary cells: the same answer as the
// exact test alone (locate_exact) for every point, and the grid exact GEOS
// point-in-polygon says, on a crafted coverage (squares, triangles, a T-junction, a
// hole with an island, a multipolygon, an outer edge) and on the sample's grids;
// points uniform, exactly on vertices and edges, and within a hair of them. The
// batch locate equals the one-point locate.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <wangge/coverage_index.hpp>
#include <wangge/store.hpp>

#include "geometry/geos.hpp"
#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

struct Probe {
    double x, y;
};

/// A coverage over [120, 120.06] x [30, 30.06] with every kind of shared boundary.
std::vector<CoverageIndex::Polygon> crafted() {
    auto& g = geos::Context::local();
    std::vector<CoverageIndex::Polygon> out;
    auto add = [&](std::string code, const std::string& wkt) {
        auto geom = g.from_wkt(wkt);
        out.push_back({std::move(code), g.to_wkb(geom.get())});
    };
    // every vertex from lattice coordinates, so that neighbours share them exactly
    auto X = [](double c) { return 120 + c * 0.01; };
    auto Y = [](double r) { return 30 + r * 0.01; };
    auto ring = [&](std::vector<std::pair<double, double>> pts) {
        pts.push_back(pts.front());
        std::string r = "(";
        for (std::size_t i = 0; i < pts.size(); ++i)
            r += fmt::format("{}{:.17g} {:.17g}", i ? ", " : "", X(pts[i].first), Y(pts[i].second));
        return r + ")";
    };
    auto sq = [&](double c, double r, double w, double h) {
        return ring({{c, r}, {c + w, r}, {c + w, r + h}, {c, r + h}});
    };
    for (int r = 0; r < 6; ++r)
        for (int c = 0; c < 6; ++c) {
            const std::string code = fmt::format("G{}{}", r, c);
            if (r == 1 && c == 1) {  // two triangles along the diagonal
                add(code + "a", "POLYGON(" + ring({{c, r}, {c + 1, r}, {c + 1, r + 1}}) + ")");
                add(code + "b", "POLYGON(" + ring({{c, r}, {c + 1, r + 1}, {c, r + 1}}) + ")");
            } else if (r == 3 && c == 2) {  // a wide cell over two columns: a T-junction with the row above
                add(code, "POLYGON(" + sq(c, r, 2, 1) + ")");
            } else if (r == 3 && c == 3) {
                continue;                   // covered by G32
            } else if (r == 4 && c == 4) {  // a hole with an island in it
                add(code, "POLYGON(" + sq(c, r, 1, 1) + "," + sq(c + 0.3, r + 0.3, 0.4, 0.4) + ")");
                add("island", "POLYGON(" + sq(c + 0.3, r + 0.3, 0.4, 0.4) + ")");
            } else if (r == 0 && c == 5) {  // part of a multipolygon with the cell at (5, 0)
                add(code, "MULTIPOLYGON((" + sq(c, r, 1, 1) + "),(" + sq(0, 5, 1, 1) + "))");
            } else if (r == 5 && c == 0) {
                continue;
            } else if (r == 2 && c == 4) {  // a slanted shared edge with the cell east of it
                add(code, "POLYGON(" + ring({{c, r}, {c + 1.37, r}, {c + 0.61, r + 1}, {c, r + 1}}) + ")");
                add(code + "e",
                    "POLYGON(" + ring({{c + 1.37, r}, {c + 2, r}, {c + 2, r + 1}, {c + 0.61, r + 1}}) + ")");
            } else if (r == 2 && c == 5) {
                continue;
            } else {
                add(code, "POLYGON(" + sq(c, r, 1, 1) + ")");
            }
        }
    return out;
}

/// Points uniform over (and a little past) the extent, on vertices, on edges, and
/// within 1e-12 .. 1e-7 degree of edges.
std::vector<Probe> probes(const std::vector<CoverageIndex::Polygon>& polys, int n, std::uint32_t seed) {
    auto& g = geos::Context::local();
    std::vector<std::pair<Probe, Probe>> segs;
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (const auto& p : polys) {
        auto geom = g.from_wkb(p.wkb.data(), p.wkb.size());
        for (int i = 0; i < GEOSGetNumGeometries_r(g.handle(), geom.get()); ++i) {
            const GEOSGeometry* poly = GEOSGetGeometryN_r(g.handle(), geom.get(), i);
            std::vector<const GEOSGeometry*> rings{GEOSGetExteriorRing_r(g.handle(), poly)};
            for (int h = 0; h < GEOSGetNumInteriorRings_r(g.handle(), poly); ++h)
                rings.push_back(GEOSGetInteriorRingN_r(g.handle(), poly, h));
            for (const GEOSGeometry* ring : rings) {
                const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(g.handle(), ring);
                unsigned k = 0;
                GEOSCoordSeq_getSize_r(g.handle(), cs, &k);
                Probe prev{};
                for (unsigned v = 0; v < k; ++v) {
                    Probe q{};
                    GEOSCoordSeq_getXY_r(g.handle(), cs, v, &q.x, &q.y);
                    minx = std::min(minx, q.x);
                    miny = std::min(miny, q.y);
                    maxx = std::max(maxx, q.x);
                    maxy = std::max(maxy, q.y);
                    if (v) segs.emplace_back(prev, q);
                    prev = q;
                }
            }
        }
    }
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u01(0, 1);
    std::uniform_int_distribution<std::size_t> us(0, segs.size() - 1);
    const double wx = maxx - minx, wy = maxy - miny;
    std::vector<Probe> out;
    for (int i = 0; i < n; ++i) {
        const int kind = i % 5;  // uniform, on a vertex, on an edge, a hair off an edge, a little off
        if (kind == 0) {
            out.push_back({minx - 0.02 * wx + 1.04 * wx * u01(rng), miny - 0.02 * wy + 1.04 * wy * u01(rng)});
            continue;
        }
        const auto& [a, b] = segs[us(rng)];
        const double t = kind == 1 ? 0.0 : u01(rng);
        Probe q{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
        if (kind >= 3) {
            const double r = kind == 3 ? std::pow(10.0, -12 + 3 * u01(rng)) : std::pow(10.0, -9 + 2 * u01(rng));
            q.x += (u01(rng) - 0.5) * 2 * r;
            q.y += (u01(rng) - 0.5) * 2 * r;
        }
        out.push_back(q);
    }
    return out;
}

/// Every probe: locate == locate_exact == the batch locate, and GEOS agrees: a point
/// farther than 1e-9 degree from every grid's boundary is in the grid GEOS says holds it
/// (the lowest index where grids overlap) or in none; one nearer is in one of the
/// grids whose boundary is that near, or one that holds it, or (held by none) in none.
void check(const std::vector<CoverageIndex::Polygon>& polys, const CoverageIndex& index,
           const std::vector<Probe>& pts) {
    auto& g = geos::Context::local();
    std::vector<geos::Geometry> geoms, boundaries;
    std::vector<geos::Prepared> prepared;
    GEOSSTRtree* tree = GEOSSTRtree_create_r(g.handle(), 10);
    for (std::size_t i = 0; i < polys.size(); ++i) {
        geoms.push_back(g.from_wkb(polys[i].wkb.data(), polys[i].wkb.size()));
        prepared.push_back(g.prepare(geoms.back().get()));
        boundaries.push_back(g.own(GEOSBoundary_r(g.handle(), geoms.back().get()), "boundary"));
        GEOSSTRtree_insert_r(g.handle(), tree, geoms.back().get(), reinterpret_cast<void*>(i));
    }
    std::vector<double> xs, ys;
    for (const auto& p : pts) {
        xs.push_back(p.x);
        ys.push_back(p.y);
    }
    std::vector<int> batch(pts.size(), -7);
    index.locate(xs.data(), ys.data(), batch.data(), pts.size());
    int differ = 0, batch_differ = 0, geos_differ = 0, near_edge = 0, inside = 0, outside = 0;
    for (std::size_t i = 0; i < pts.size(); ++i) {
        const double x = pts[i].x, y = pts[i].y;
        const int got = index.locate(x, y), exact = index.locate_exact(x, y);
        if (got != exact && ++differ <= 5)
            WARN(fmt::format("locate {} != locate_exact {} at {:.17g} {:.17g}", got, exact, x, y));
        if (batch[i] != got) ++batch_differ;
        auto pt = g.own(GEOSGeom_createPointFromXY_r(g.handle(), x, y), "pt");
        std::vector<std::size_t> cand;
        auto env = g.own(GEOSGeom_createRectangle_r(g.handle(), x - 1e-8, y - 1e-8, x + 1e-8, y + 1e-8), "box");
        GEOSSTRtree_query_r(
            g.handle(), tree, env.get(),
            [](void* item, void* user) {
                static_cast<std::vector<std::size_t>*>(user)->push_back(reinterpret_cast<std::size_t>(item));
            },
            &cand);
        std::set<int> containing, near;
        for (std::size_t c : cand) {
            if (GEOSPreparedContains_r(g.handle(), prepared[c].get(), pt.get()) == 1)
                containing.insert(static_cast<int>(c));
            double d = 1;
            GEOSDistance_r(g.handle(), boundaries[c].get(), pt.get(), &d);
            if (d <= 1e-9) near.insert(static_cast<int>(c));
        }
        bool ok;
        if (near.empty()) {
            ok = containing.empty() ? got == -1 : got == *containing.begin();
            (containing.empty() ? outside : inside)++;
        } else {
            ++near_edge;
            // (outside the raster's extent the nearest-edge rule does not reach: a
            // point a hair outside the coverage's outer edge is in none)
            ok = near.count(got) || containing.count(got) || (containing.empty() && got == -1);
        }
        if (!ok && ++geos_differ <= 5) WARN(fmt::format("GEOS disagrees at {:.17g} {:.17g}: got {}", x, y, got));
    }
    GEOSSTRtree_destroy_r(g.handle(), tree);
    CHECK(differ == 0);
    CHECK(batch_differ == 0);
    CHECK(geos_differ == 0);
    CHECK(inside > int(pts.size()) / 10);
    CHECK(outside > 0);
    CHECK(near_edge > int(pts.size()) / 2);
}

}  // namespace

TEST_CASE("locate with subcells: the exact answer on a crafted coverage, every raster size", "[index]") {
    const auto polys = crafted();
    const auto pts = probes(polys, 40000, 11);
    // a coarse raster (a few cells: every subcell kind), the default, and a fine one
    for (std::size_t cells : {std::size_t(30), std::size_t(0), std::size_t(200000)}) {
        const CoverageIndex index(polys, cells);
        INFO("cells " << cells);
        CHECK(index.stats().boundary_cells > 0);
        CHECK(index.stats().exact_subcells > 0);
        CHECK(index.stats().exact_subcells < index.stats().boundary_cells * 64);
        check(polys, index, pts);
    }
    // the documented tie rules on shared edges and vertices, with the coordinates the
    // grids were made from
    const CoverageIndex index(polys);
    auto code = [&](double x, double y) {
        const int i = index.locate(x, y);
        CHECK(i == index.locate_exact(x, y));
        return i < 0 ? std::string("none") : index.code(i);
    };
    const double s = 0.01;
    auto X = [&](double c) { return 120 + c * s; };
    auto Y = [&](double r) { return 30 + r * s; };
    CHECK(code(X(1), Y(0.5)) == "G01");  // north-south edge: the grid east of it
    CHECK(code(X(0.5), Y(1)) == "G10");  // east-west edge: the grid north of it
    CHECK(code(X(3), Y(2)) == "G23");    // a vertex: the grid north-east of it
    CHECK(code(X(0), Y(0.5)) == "G00");  // the outer west edge is in
    CHECK(code(X(6), Y(0.5)) == "G05");  // the outer east edge is in, the north one too
    CHECK(code(X(0.5), Y(6)) == "G05");
    CHECK(code(X(3), Y(4)) == "G43");    // a T-junction: the vertex of the cells north of the wide cell
    CHECK(code(X(3), Y(3.5)) == "G32");  // inside the wide cell, where two cells would have met
    CHECK(code(X(4.35), Y(4.35)) == "island");
    CHECK(code(X(4.2), Y(4.2)) == "G44");
    CHECK(code(X(0.5), Y(5.5)) == "G05");  // the multipolygon's second part
    CHECK(code(X(6) + 1e-6, Y(0.5)) == "none");
}

TEST_CASE("locate with subcells: the exact answer on the sample's grids", "[index]") {
    Store store(partitioned_sample_store(), Store::Mode::must_exist);
    std::vector<CoverageIndex::Polygon> polys;
    Statement st = sql::prepare(store, "SELECT code, AsBinary(geom) FROM grids WHERE valid_to IS NULL ORDER BY code");
    while (st.step()) polys.push_back({st.text(0), st.blob(1)});
    REQUIRE(polys.size() > 3000);
    const CoverageIndex index(polys);
    check(polys, index, probes(polys, 60000, 12));
    WARN("sample: " << index.stats().columns << "x" << index.stats().rows << " cells, " << index.stats().boundary_cells
                    << " boundary cells, " << index.stats().exact_subcells << " exact subcells of "
                    << index.stats().boundary_cells * 64);
}
