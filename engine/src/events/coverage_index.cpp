#include "wangge/coverage_index.hpp"

#include "wangge/error.hpp"
#include "wangge/geos.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace wangge {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

namespace {

struct Edge {
    // normalised: (x0, y0) is the lower end; horizontal edges are not stored
    double x0, y0, x1, y1;
};

constexpr std::uint32_t boundary_bit = 0x80000000u;
constexpr double metres_per_degree = 6371007.2 * M_PI / 180.0;
// A point this close to a grid's edge is on it (see locate()).
constexpr double on_edge_deg = 1e-9;

} // namespace

struct CoverageIndex::Impl {
    // per polygon: its edges (all rings), and its envelope
    std::vector<std::uint32_t> edge_start;  // polygon i: edges [edge_start[i], edge_start[i+1])
    std::vector<Edge> edges;
    // every segment, horizontal ones too, for distances to uncovered points
    std::vector<std::uint32_t> seg_start;
    std::vector<Edge> segs;
    std::vector<std::array<double, 4>> env;  // minx, miny, maxx, maxy
    // raster
    double x0 = 0, y0 = 0, cw = 1, ch = 1;
    std::uint32_t cols = 0, rows = 0;
    std::vector<std::uint32_t> cells;        // 0 empty, id+1 interior, boundary_bit|slot
    std::vector<std::uint32_t> cand_start;   // boundary slot s: candidates [cand_start[s], cand_start[s+1])
    std::vector<std::uint32_t> cand;
    // nearest
    using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
    using Box = bg::model::box<BPoint>;
    bgi::rtree<std::pair<Box, std::uint32_t>, bgi::rstar<16>> rtree;

    bool inside(std::uint32_t p, double x, double y) const noexcept {
        bool in = false;
        for (std::uint32_t e = edge_start[p]; e < edge_start[p + 1]; ++e) {
            const Edge& ed = edges[e];
            if (ed.y0 <= y && y < ed.y1) {
                const double xi = ed.x0 + (y - ed.y0) * (ed.x1 - ed.x0) / (ed.y1 - ed.y0);
                if (x < xi) in = !in;
            }
        }
        return in;
    }
};

namespace {

/// Visit every ring of a polygonal geometry as a coordinate list.
void rings_of(geos::Context& g, const GEOSGeometry* geom, std::vector<std::vector<std::pair<double, double>>>& out) {
    const int type = GEOSGeomTypeId_r(g.handle(), geom);
    if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(g.handle(), geom); ++i)
            rings_of(g, GEOSGetGeometryN_r(g.handle(), geom, i), out);
        return;
    }
    if (type != GEOS_POLYGON) return;
    auto ring = [&](const GEOSGeometry* r) {
        const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(g.handle(), r);
        unsigned n = 0;
        GEOSCoordSeq_getSize_r(g.handle(), cs, &n);
        std::vector<std::pair<double, double>> pts(n);
        for (unsigned i = 0; i < n; ++i) GEOSCoordSeq_getXY_r(g.handle(), cs, i, &pts[i].first, &pts[i].second);
        out.push_back(std::move(pts));
    };
    ring(GEOSGetExteriorRing_r(g.handle(), geom));
    for (int i = 0; i < GEOSGetNumInteriorRings_r(g.handle(), geom); ++i) ring(GEOSGetInteriorRingN_r(g.handle(), geom, i));
}

} // namespace

CoverageIndex::CoverageIndex(const std::vector<Polygon>& polygons, std::size_t target_cells)
    : impl_(std::make_unique<Impl>()) {
    const auto t0 = std::chrono::steady_clock::now();
    auto& g = geos::Context::local();
    Impl& m = *impl_;
    if (polygons.size() >= boundary_bit - 1) throw usage_error("too many polygons for the coverage index");
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    m.edge_start.push_back(0);
    m.seg_start.push_back(0);
    std::vector<std::vector<std::pair<double, double>>> rings;
    for (const auto& p : polygons) {
        codes_.push_back(p.code);
        auto geom = g.from_wkb(p.wkb.data(), p.wkb.size());
        rings.clear();
        rings_of(g, geom.get(), rings);
        std::array<double, 4> e{INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (const auto& r : rings) {
            for (std::size_t i = 0; i + 1 < r.size(); ++i) {
                auto [ax, ay] = r[i];
                auto [bx, by] = r[i + 1];
                e = {std::min({e[0], ax, bx}), std::min({e[1], ay, by}), std::max({e[2], ax, bx}), std::max({e[3], ay, by})};
                ++stats_.vertices;
                m.segs.push_back({ax, ay, bx, by});
                if (ay == by) continue;
                if (ay > by) {
                    std::swap(ax, bx);
                    std::swap(ay, by);
                }
                m.edges.push_back({ax, ay, bx, by});
            }
        }
        m.edge_start.push_back(static_cast<std::uint32_t>(m.edges.size()));
        m.seg_start.push_back(static_cast<std::uint32_t>(m.segs.size()));
        m.env.push_back(e);
        if (e[0] <= e[2]) {
            minx = std::min(minx, e[0]);
            miny = std::min(miny, e[1]);
            maxx = std::max(maxx, e[2]);
            maxy = std::max(maxy, e[3]);
            m.rtree.insert({Impl::Box(Impl::BPoint(e[0], e[1]), Impl::BPoint(e[2], e[3])),
                            static_cast<std::uint32_t>(codes_.size() - 1)});
        }
    }
    stats_.polygons = polygons.size();
    if (!(minx <= maxx)) {  // empty coverage
        m.cols = m.rows = 0;
        return;
    }
    // --- raster geometry: square-ish cells in metres, about 4 cells per vertex
    const std::size_t want = target_cells ? target_cells : std::clamp<std::size_t>(stats_.vertices * 4, 1 << 16, 1 << 24);
    const double kx = std::cos((miny + maxy) * 0.5 * M_PI / 180.0);
    const double w = std::max(maxx - minx, 1e-9) * kx, h = std::max(maxy - miny, 1e-9);
    const double side = std::sqrt(w * h / double(want));
    m.cols = static_cast<std::uint32_t>(std::clamp(std::ceil(w / side), 1.0, 65535.0));
    m.rows = static_cast<std::uint32_t>(std::clamp(std::ceil(h / side), 1.0, 65535.0));
    m.x0 = minx;
    m.y0 = miny;
    m.cw = std::max(maxx - minx, 1e-9) / m.cols;
    m.ch = std::max(maxy - miny, 1e-9) / m.rows;
    stats_.columns = m.cols;
    stats_.rows = m.rows;
    const std::size_t ncells = std::size_t(m.cols) * m.rows;
    m.cells.assign(ncells, 0);

    // --- boundary cells: every cell an edge passes through or within a hair of.
    // Edges are walked in steps no longer than a cell, each step marking the cells
    // its slightly enlarged envelope overlaps: conservative, so a point on an edge
    // always lands in a marked cell.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> marks;  // (cell, polygon)
    const double ex = m.cw * 1e-6, ey = m.ch * 1e-6;
    auto col_of = [&](double x) {
        return static_cast<std::int64_t>(std::floor((x - m.x0) / m.cw));
    };
    auto row_of = [&](double y) {
        return static_cast<std::int64_t>(std::floor((y - m.y0) / m.ch));
    };
    for (std::uint32_t p = 0; p < polygons.size(); ++p) {
        for (std::uint32_t k = m.seg_start[p]; k < m.seg_start[p + 1]; ++k) {
            const auto [ax, ay, bx, by] = m.segs[k];
            const double len = std::max(std::abs(bx - ax) / m.cw, std::abs(by - ay) / m.ch);
            const int steps = std::max(1, static_cast<int>(std::ceil(len)));
            for (int s = 0; s < steps; ++s) {
                const double t0s = double(s) / steps, t1s = double(s + 1) / steps;
                const double sx0 = ax + (bx - ax) * t0s, sy0 = ay + (by - ay) * t0s;
                const double sx1 = ax + (bx - ax) * t1s, sy1 = ay + (by - ay) * t1s;
                const auto c0 = std::max<std::int64_t>(0, col_of(std::min(sx0, sx1) - ex));
                const auto c1 = std::min<std::int64_t>(m.cols - 1, col_of(std::max(sx0, sx1) + ex));
                const auto r0 = std::max<std::int64_t>(0, row_of(std::min(sy0, sy1) - ey));
                const auto r1 = std::min<std::int64_t>(m.rows - 1, row_of(std::max(sy0, sy1) + ey));
                for (auto rr = r0; rr <= r1; ++rr)
                    for (auto cc = c0; cc <= c1; ++cc) marks.emplace_back(static_cast<std::uint32_t>(rr * m.cols + cc), p);
            }
        }
    }
    // --- which polygon holds each cell's centre: a scanline through each row's
    // centres, per polygon, with the same half-open crossing rule as queries
    std::vector<std::uint32_t> owner(ncells, 0);
    std::vector<double> xs;
    for (std::uint32_t p = 0; p < polygons.size(); ++p) {
        const auto& e = m.env[p];
        if (!(e[0] <= e[2])) continue;
        const auto r0 = std::max<std::int64_t>(0, row_of(e[1])), r1 = std::min<std::int64_t>(m.rows - 1, row_of(e[3]));
        for (auto r = r0; r <= r1; ++r) {
            const double y = m.y0 + (double(r) + 0.5) * m.ch;
            xs.clear();
            for (std::uint32_t k = m.edge_start[p]; k < m.edge_start[p + 1]; ++k) {
                const Edge& ed = m.edges[k];
                if (ed.y0 <= y && y < ed.y1) xs.push_back(ed.x0 + (y - ed.y0) * (ed.x1 - ed.x0) / (ed.y1 - ed.y0));
            }
            std::sort(xs.begin(), xs.end());
            for (std::size_t k = 0; k + 1 < xs.size(); k += 2) {
                // cells whose centre x lies in [xs[k], xs[k+1])
                const auto c0 = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil((xs[k] - m.x0) / m.cw - 0.5)));
                const auto c1 = std::min<std::int64_t>(
                    m.cols - 1, static_cast<std::int64_t>(std::ceil((xs[k + 1] - m.x0) / m.cw - 0.5)) - 1);
                for (auto c = c0; c <= c1; ++c) {
                    // where polygons overlap, the first (lowest index) holds the cell,
                    // as the first candidate does in boundary cells
                    std::uint32_t& o = owner[std::size_t(r) * m.cols + std::size_t(c)];
                    if (o == 0) o = p + 1;
                }
            }
        }
    }
    // A boundary cell's candidates are the polygons whose edges were marked in it
    // and the polygon holding its centre. Marking is conservative (it may mark a
    // cell an edge only passes near), so a cell can be marked for a neighbour's
    // edge alone while lying wholly inside another polygon: that polygon then
    // holds the centre. A polygon with a real edge in the cell is always marked.
    {
        std::vector<char> is_boundary(ncells, 0);
        for (const auto& mk : marks) is_boundary[mk.first] = 1;
        for (std::size_t c = 0; c < ncells; ++c)
            if (is_boundary[c] && owner[c]) marks.emplace_back(static_cast<std::uint32_t>(c), owner[c] - 1);
    }
    std::sort(marks.begin(), marks.end());
    marks.erase(std::unique(marks.begin(), marks.end()), marks.end());
    m.cand_start.push_back(0);
    for (std::size_t i = 0; i < marks.size();) {
        const std::uint32_t cell = marks[i].first;
        const auto slot = static_cast<std::uint32_t>(m.cand_start.size() - 1);
        while (i < marks.size() && marks[i].first == cell) m.cand.push_back(marks[i++].second);
        m.cand_start.push_back(static_cast<std::uint32_t>(m.cand.size()));
        m.cells[cell] = boundary_bit | slot;
    }
    stats_.boundary_cells = m.cand_start.size() - 1;
    stats_.candidates = m.cand.size();
    // every other cell lies wholly inside the polygon holding its centre, or in none
    for (std::size_t c = 0; c < ncells; ++c)
        if (!(m.cells[c] & boundary_bit)) m.cells[c] = owner[c];
    for (auto c : m.cells) {
        if (c & boundary_bit) continue;
        if (c) ++stats_.interior_cells;
        else ++stats_.empty_cells;
    }
    stats_.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

CoverageIndex::~CoverageIndex() = default;
CoverageIndex::CoverageIndex(CoverageIndex&&) noexcept = default;
CoverageIndex& CoverageIndex::operator=(CoverageIndex&&) noexcept = default;

int CoverageIndex::locate(double x, double y) const noexcept {
    const Impl& m = *impl_;
    if (!(x >= m.x0 && y >= m.y0)) return -1;  // also NaN
    const double fc = (x - m.x0) / m.cw, fr = (y - m.y0) / m.ch;
    if (!(fc < double(m.cols) && fr < double(m.rows))) {
        // the extent's east/north edges themselves: a point there can only be on
        // a boundary; test the polygons of the last column/row cell
        if (fc > double(m.cols) || fr > double(m.rows) || m.cols == 0) return -1;
    }
    const auto c = std::min<std::uint32_t>(static_cast<std::uint32_t>(fc), m.cols - 1);
    const auto r = std::min<std::uint32_t>(static_cast<std::uint32_t>(fr), m.rows - 1);
    const std::uint32_t cell = m.cells[std::size_t(r) * m.cols + c];
    if (!(cell & boundary_bit)) return static_cast<int>(cell) - 1;
    const std::uint32_t slot = cell & ~boundary_bit;
    for (std::uint32_t k = m.cand_start[slot]; k < m.cand_start[slot + 1]; ++k) {
        const std::uint32_t p = m.cand[k];
        if (m.inside(p, x, y)) return static_cast<int>(p);
    }
    // No candidate claims the point. On a line where two grids' vertices differ (a
    // T-junction where two villages meet: one grid's edge is a part of the other's)
    // the two crossing tests are computed from different end points and rounding
    // can leave a point on it in neither; on the coverage's outer edge the
    // half-open rule leaves east and north edges out. Either way the point lies on
    // an edge: it goes to the candidate whose edge is nearest, within 1e-9 degree
    // (about 0.1 mm), the first candidate on a tie.
    int best = -1;
    double best_d2 = on_edge_deg * on_edge_deg;
    for (std::uint32_t k = m.cand_start[slot]; k < m.cand_start[slot + 1]; ++k) {
        const std::uint32_t p = m.cand[k];
        for (std::uint32_t e = m.seg_start[p]; e < m.seg_start[p + 1]; ++e) {
            const Edge& ed = m.segs[e];
            const double dx = ed.x1 - ed.x0, dy = ed.y1 - ed.y0;
            const double len2 = dx * dx + dy * dy;
            const double t = len2 > 0 ? std::clamp(((x - ed.x0) * dx + (y - ed.y0) * dy) / len2, 0.0, 1.0) : 0.0;
            const double ex = ed.x0 + t * dx - x, ey = ed.y0 + t * dy - y;
            const double d2 = ex * ex + ey * ey;
            if (d2 < best_d2 || (d2 == best_d2 && best < 0)) {
                best_d2 = d2;
                best = static_cast<int>(p);
            }
        }
    }
    return best;
}

std::pair<int, double> CoverageIndex::nearest(double x, double y) const {
    const Impl& m = *impl_;
    if (const int p = locate(x, y); p >= 0) return {p, 0.0};
    const double kx = metres_per_degree * std::cos(y * M_PI / 180.0), ky = metres_per_degree;
    int best = -1;
    double best_d = INFINITY;
    auto dist_to = [&](std::uint32_t p) {
        double d2 = INFINITY;
        for (std::uint32_t k = m.seg_start[p]; k < m.seg_start[p + 1]; ++k) {
            const Edge& e = m.segs[k];
            const double ax = (e.x0 - x) * kx, ay = (e.y0 - y) * ky, bx = (e.x1 - x) * kx, by = (e.y1 - y) * ky;
            const double dx = bx - ax, dy = by - ay;
            const double len2 = dx * dx + dy * dy;
            double t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0.0;
            t = std::clamp(t, 0.0, 1.0);
            const double px = ax + t * dx, py = ay + t * dy;
            d2 = std::min(d2, px * px + py * py);
        }
        return std::sqrt(d2);
    };
    // Envelopes come nearest first by distance in degrees. A polygon is at least
    // kx * (its envelope's distance in degrees) metres away (kx <= ky), so once
    // that exceeds the best distance found, nothing after it can be nearer. Ask
    // for more envelopes only while that has not happened.
    const Impl::BPoint q(x, y);
    for (unsigned k = 16;; k *= 4) {
        double last_deg = 0;
        unsigned seen = 0;
        for (auto it = m.rtree.qbegin(bgi::nearest(q, k)); it != m.rtree.qend(); ++it, ++seen) {
            const auto& box = it->first;
            const double dx = std::max({box.min_corner().get<0>() - x, 0.0, x - box.max_corner().get<0>()});
            const double dy = std::max({box.min_corner().get<1>() - y, 0.0, y - box.max_corner().get<1>()});
            last_deg = std::hypot(dx, dy);
            if (kx * last_deg > best_d) break;
            const double d = dist_to(it->second);
            if (d < best_d) {
                best_d = d;
                best = static_cast<int>(it->second);
            }
        }
        if (seen < k || kx * last_deg > best_d || k >= m.env.size()) break;
    }
    return {best, best_d};
}

} // namespace wangge
