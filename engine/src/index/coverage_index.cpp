#include "wangge/coverage_index.hpp"

#include "wangge/error.hpp"
#include "geometry/geos.hpp"

#include <fmt/format.h>
#include <geodesic.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <mutex>

namespace wangge {

namespace {

struct Edge {
    // normalised: (x0, y0) is the lower end; horizontal edges are not stored
    double x0, y0, x1, y1;
};

constexpr std::uint32_t boundary_bit = 0x80000000u;

// A boundary cell is cut into sub x sub subcells. A subcell no grid edge comes within
// subcell_margin of holds no edge, so every point in it has the answer of its centre
// (the crossing test of every candidate is settled there, and no edge is within the
// 1e-9 degree of the nearest-edge rule): that answer is kept in the subcell. The
// others (an edge in or near them) are answered by the exact test. One cache line per
// boundary cell: 64 subcells of 4 bits and the cell's first 8 candidates.
constexpr std::uint32_t sub = 8;
constexpr std::uint32_t inline_cands = 8;
constexpr double subcell_margin = 4e-9;  // degrees: > 1e-9 (on_edge_deg) + rounding
// subcell values: 0 exact test, 1 in no grid, 2 + j candidate j of the cell
constexpr unsigned sub_exact = 0, sub_none = 1, sub_first = 2;
struct alignas(64) Block {
    std::uint8_t nib[sub * sub / 2];  // subcell k: (nib[k / 2] >> (4 * (k % 2))) & 15
    std::uint32_t cand[inline_cands];
    unsigned value(unsigned k) const noexcept { return (nib[k >> 1] >> ((k & 1) * 4)) & 15u; }
    void set(unsigned k, unsigned v) noexcept {
        nib[k >> 1] = static_cast<std::uint8_t>((nib[k >> 1] & ~(15u << ((k & 1) * 4))) | (v << ((k & 1) * 4)));
    }
};
static_assert(sizeof(Block) == 64);
static_assert(inline_cands + sub_first <= 16);
// A point this close to a grid's edge is on it (see locate()).
constexpr double on_edge_deg = 1e-9;

} // namespace

namespace {

// --- nearest: geometry on the ellipsoid -----------------------------------
//
// The grids' ellipsoid, CGCS2000 (GRS80's shape; WGS84 differs by 0.1 mm in b).
constexpr double ell_a = 6378137.0;
constexpr double ell_f = 1 / 298.257222101;
constexpr double ell_b = ell_a * (1 - ell_f);
constexpr double deg = M_PI / 180.0;
// A boundary edge is cut into pieces of at most this many degrees in longitude and in
// latitude, so a piece differs from the great circle arc through its ends by at most
// 3 mm (R dλ² sinφ cosφ / 8 for dλ = 0.005°).
constexpr double piece_deg = 0.005;
// Boxes are grown by this (radians of reduced latitude, about 6 cm) so they hold
// both a piece and its arc, whatever the rounding.
constexpr double box_pad = 1e-8;

struct Unit {
    double x, y, z;
};
inline Unit operator-(const Unit& p, const Unit& q) { return {p.x - q.x, p.y - q.y, p.z - q.z}; }
inline double dot(const Unit& p, const Unit& q) { return p.x * q.x + p.y * q.y + p.z * q.z; }
inline Unit cross(const Unit& p, const Unit& q) {
    return {p.y * q.z - p.z * q.y, p.z * q.x - p.x * q.z, p.x * q.y - p.y * q.x};
}
inline double norm(const Unit& p) { return std::sqrt(dot(p, p)); }

/// Reduced (parametric) latitude, radians, of a geodetic latitude in degrees.
inline double reduced(double lat_deg) {
    return std::atan2((1 - ell_f) * std::sin(lat_deg * deg), std::cos(lat_deg * deg));
}
inline Unit unit(double lam, double beta) {
    return {std::cos(beta) * std::cos(lam), std::cos(beta) * std::sin(lam), std::sin(beta)};
}
/// Angle between two unit vectors from their chord: accurate at any distance but the antipode.
inline double angle(const Unit& p, const Unit& q) {
    return 2 * std::asin(std::min(1.0, norm(p - q) / 2));
}

const geod_geodesic& ellipsoid() {
    static const geod_geodesic g = [] {
        geod_geodesic e{};
        geod_init(&e, ell_a, ell_f);
        return e;
    }();
    return g;
}
/// Geodesic distance in metres (Karney's algorithm, PROJ), to about 15 nm.
double geodesic_m(double lat1, double lon1, double lat2, double lon2) {
    double s = 0;
    geod_inverse(&ellipsoid(), lat1, lon1, lat2, lon2, &s, nullptr, nullptr);
    return s;
}

/// How far the calibrated spherical distance may be from the geodesic one, per metre
/// between the calibration point and the point (see nearest()), for a calibration point
/// `sigma` radians from the query on the auxiliary sphere. Twice the worst seen against
/// geod_inverse in 3 million random pairs (0.0034 up to 100°, 0.0073 at 150°, 0.026 at
/// 170°, 0.66 at 178°), capped at 2.01, which holds exactly by the triangle inequality.
double calibration_slope(double sigma) {
    return std::min(2.01, 2 * ell_f * (1 + 0.5 / std::max(1e-300, 1 + std::cos(sigma))));
}

struct Query {
    double lon, lat;       // degrees, as given
    double lam, beta;      // radians, longitude and reduced latitude
    double sl, cl, sb, cb; // their sines and cosines
    Unit u;
};

/// The boundary for nearest(): every edge of every grid cut into pieces, in a packed
/// R-tree of boxes in (longitude, reduced latitude), searched best first.
struct NearestTree {
    struct Piece {
        Unit a, b;                         // ends on the auxiliary sphere
        double alon, alat, blon, blat;     // ends, degrees
        std::uint32_t poly;
    };
    struct Node {
        double l0, l1, b0, b1;          // box, radians (longitude, reduced latitude)
        double sl0, cl0, sl1, cl1;      // sin, cos of l0, l1
        double sb0, cb0, sb1, cb1;      // sin, cos of b0, b1
        Unit c;                         // centre
        double r;                       // angle from the centre to the farthest corner
        std::uint32_t first, count;     // children: pieces (leaf) or nodes
        bool leaf;
    };
    static constexpr unsigned fanout = 8;
    std::vector<Piece> pieces;
    std::vector<Node> nodes;  // root last

    void build(std::vector<Piece> input);
    /// Lower bound of the angle on the auxiliary sphere from the query to any point of the box.
    static double box_angle(const Query& q, const Node& n) noexcept;
    /// Angle to the nearest point of a piece's arc; that point in `x`, `end` 1 or 2 when it is an end.
    static double piece_angle(const Unit& q, const Piece& p, Unit& x, int& end) noexcept;
    std::pair<int, double> search(const Query& q) const;
};

/// Every segment of every polygon (`segs`, polygon i's in [start[i], start[i+1])) as pieces.
std::vector<NearestTree::Piece> boundary_pieces(const std::vector<Edge>& segs, const std::vector<std::uint32_t>& start);

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
    // boundary slot s: its cell cut into sub x sub subcells, each settled at build time
    // where it can be (see Block), and its first candidates
    std::vector<Block> blocks;
    // nearest: every edge cut into pieces, in a tree searched best first, built on the
    // first nearest() (assign without --nearest never needs it)
    mutable NearestTree near;
    mutable std::once_flag near_once;

    /// The polygon holding (x, y) among the candidates of boundary slot `slot`: the
    /// first whose crossing test holds, else the one whose edge is within 1e-9 degree.
    int locate_in_slot(std::uint32_t slot, double x, double y) const noexcept;
    /// A point of boundary slot `slot` in subcell `subcell` (sub * sub: none).
    int resolve(std::uint32_t slot, unsigned subcell, double x, double y) const noexcept {
        if (subcell < sub * sub) {
            const Block& b = blocks[slot];
            const unsigned v = b.value(subcell);
            if (v == sub_none) return -1;
            if (v >= sub_first) return static_cast<int>(b.cand[v - sub_first]);
        }
        return locate_in_slot(slot, x, y);
    }
    /// Settle the subcells of every boundary cell (see Block); the number left to the exact test.
    std::size_t build_subcells();

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
    // by cell (a counting sort), each cell's polygons ascending and once: the boundary
    // slots in cell order, as sorting the (cell, polygon) pairs would give
    {
        std::vector<std::uint32_t> at(ncells + 1, 0);
        for (const auto& mk : marks) ++at[mk.first + 1];
        for (std::size_t c = 0; c < ncells; ++c) at[c + 1] += at[c];
        std::vector<std::uint32_t> by_cell(marks.size());
        {
            std::vector<std::uint32_t> fill(at.begin(), at.end() - 1);
            for (const auto& mk : marks) by_cell[fill[mk.first]++] = mk.second;
        }
        marks = {};
        m.cand_start.push_back(0);
        m.cand.reserve(by_cell.size());
        for (std::size_t c = 0; c < ncells; ++c) {
            if (at[c] == at[c + 1]) continue;
            const auto first = by_cell.begin() + at[c], last = by_cell.begin() + at[c + 1];
            std::sort(first, last);
            const auto slot = static_cast<std::uint32_t>(m.cand_start.size() - 1);
            m.cand.insert(m.cand.end(), first, std::unique(first, last));
            m.cand_start.push_back(static_cast<std::uint32_t>(m.cand.size()));
            m.cells[c] = boundary_bit | slot;
        }
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
    stats_.exact_subcells = m.build_subcells();
    stats_.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::size_t CoverageIndex::Impl::build_subcells() {
    const std::size_t slots = cand_start.size() - 1;
    blocks.assign(slots, Block{});
    if (!slots) return 0;
    std::size_t exact = 0;
    // 1. fine cells (sub x sub per cell) that an edge comes within subcell_margin of, in
    // the boundary cells: every segment walked in steps no longer than a fine cell, each
    // step marking the fine cells its envelope, grown by the margin, overlaps. A fine
    // column is floor((x - x0) / cw * sub), as raster_pos() computes it: monotone in x,
    // so a point within the margin of a step falls in a marked fine cell.
    std::vector<std::uint64_t> marked(slots, 0);
    const double fcw = cw / sub, fch = ch / sub;
    const auto fcols = std::int64_t(cols) * sub, frows = std::int64_t(rows) * sub;
    auto fcol = [&](double x) {
        return std::clamp<std::int64_t>(std::int64_t(std::floor((x - x0) / cw * sub)), 0, fcols - 1);
    };
    auto frow = [&](double y) {
        return std::clamp<std::int64_t>(std::int64_t(std::floor((y - y0) / ch * sub)), 0, frows - 1);
    };
    for (const Edge& e : segs) {
        const double len = std::max(std::abs(e.x1 - e.x0) / fcw, std::abs(e.y1 - e.y0) / fch);
        const int steps = std::max(1, static_cast<int>(std::ceil(len)));
        for (int s = 0; s < steps; ++s) {
            const double t0 = double(s) / steps, t1 = double(s + 1) / steps;
            const double sx0 = e.x0 + (e.x1 - e.x0) * t0, sy0 = e.y0 + (e.y1 - e.y0) * t0;
            const double sx1 = s + 1 == steps ? e.x1 : e.x0 + (e.x1 - e.x0) * t1;
            const double sy1 = s + 1 == steps ? e.y1 : e.y0 + (e.y1 - e.y0) * t1;
            const auto c0 = fcol(std::min(sx0, sx1) - subcell_margin), c1 = fcol(std::max(sx0, sx1) + subcell_margin);
            const auto r0 = frow(std::min(sy0, sy1) - subcell_margin), r1 = frow(std::max(sy0, sy1) + subcell_margin);
            for (auto rr = r0; rr <= r1; ++rr)
                for (auto cc = c0; cc <= c1; ++cc) {
                    const std::uint32_t cell = cells[std::size_t(rr / sub) * cols + std::size_t(cc / sub)];
                    if (cell & boundary_bit)
                        marked[cell & ~boundary_bit] |= std::uint64_t(1) << ((rr % sub) * sub + cc % sub);
                }
        }
    }
    // 2. the subcells left, by connected groups (no edge between them): one exact test
    // at a subcell centre settles the group
    for (std::size_t c = 0; c < cells.size(); ++c) {
        if (!(cells[c] & boundary_bit)) continue;
        const std::uint32_t slot = cells[c] & ~boundary_bit;
        Block& b = blocks[slot];
        const std::uint32_t first = cand_start[slot], count = cand_start[slot + 1] - first;
        for (std::uint32_t j = 0; j < std::min(count, inline_cands); ++j) b.cand[j] = cand[first + j];
        const double cx0 = x0 + double(c % cols) * cw, cy0 = y0 + double(c / cols) * ch;
        std::uint64_t todo = ~marked[slot];
        while (todo) {
            const auto k0 = static_cast<unsigned>(__builtin_ctzll(todo));
            const double px = cx0 + (double(k0 % sub) + 0.5) * fcw, py = cy0 + (double(k0 / sub) + 0.5) * fch;
            const int p = locate_in_slot(slot, px, py);
            unsigned v = sub_exact;
            if (p < 0) {
                v = sub_none;
            } else {
                for (std::uint32_t j = 0; j < std::min(count, inline_cands); ++j)
                    if (cand[first + j] == std::uint32_t(p)) {
                        v = sub_first + j;
                        break;
                    }
            }
            // the group of k0: flood over unmarked neighbours
            std::uint64_t group = std::uint64_t(1) << k0, grown = 0;
            while (group != grown) {
                grown = group;
                constexpr std::uint64_t not_west = 0xfefefefefefefefeull, not_east = 0x7f7f7f7f7f7f7f7full;
                group |= ((grown << 1) & not_west) | ((grown >> 1) & not_east) | (grown << sub) | (grown >> sub);
                group &= todo;
            }
            todo &= ~group;
            if (v == sub_exact) exact += static_cast<std::size_t>(__builtin_popcountll(group));
            for (std::uint64_t g = group; g; g &= g - 1) b.set(static_cast<unsigned>(__builtin_ctzll(g)), v);
        }
        exact += static_cast<std::size_t>(__builtin_popcountll(marked[slot]));
    }
    return exact;
}

CoverageIndex::~CoverageIndex() = default;
CoverageIndex::CoverageIndex(CoverageIndex&&) noexcept = default;
CoverageIndex& CoverageIndex::operator=(CoverageIndex&&) noexcept = default;

namespace {

/// Where a point falls in the raster: its cell (or none), and its subcell in a
/// boundary cell (sub * sub when the point is on the extent's east or north edge,
/// which always takes the exact test).
struct RasterPos {
    std::size_t cell;
    unsigned subcell;
    bool in;
};

inline RasterPos raster_pos(double x0, double y0, double cw, double ch, std::uint32_t cols, std::uint32_t rows,
                            double x, double y) noexcept {
    RasterPos p{0, sub * sub, false};
    if (!(x >= x0 && y >= y0)) return p;  // also NaN
    const double fc = (x - x0) / cw, fr = (y - y0) / ch;
    if (!(fc < double(cols) && fr < double(rows))) {
        // the extent's east/north edges themselves: a point there can only be on
        // a boundary; test the polygons of the last column/row cell
        if (fc > double(cols) || fr > double(rows) || cols == 0) return p;
        p.in = true;
        p.cell = std::size_t(std::min<std::uint32_t>(static_cast<std::uint32_t>(fr), rows - 1)) * cols +
                 std::min<std::uint32_t>(static_cast<std::uint32_t>(fc), cols - 1);
        return p;
    }
    const auto c = static_cast<std::uint32_t>(fc), r = static_cast<std::uint32_t>(fr);
    p.in = true;
    p.cell = std::size_t(r) * cols + c;
    // fc - c and fr - r are exact, and so is the product by sub: the subcell is that of
    // floor(fc * sub), the fine column build_subcells() marks edges in
    const auto sc = std::min(sub - 1, static_cast<unsigned>((fc - double(c)) * sub));
    const auto sr = std::min(sub - 1, static_cast<unsigned>((fr - double(r)) * sub));
    p.subcell = sr * sub + sc;
    return p;
}

} // namespace

int CoverageIndex::locate(double x, double y) const noexcept {
    const Impl& m = *impl_;
    const RasterPos p = raster_pos(m.x0, m.y0, m.cw, m.ch, m.cols, m.rows, x, y);
    if (!p.in) return -1;
    const std::uint32_t cell = m.cells[p.cell];
    if (!(cell & boundary_bit)) return static_cast<int>(cell) - 1;
    return m.resolve(cell & ~boundary_bit, p.subcell, x, y);
}

int CoverageIndex::locate_exact(double x, double y) const noexcept {
    const Impl& m = *impl_;
    const RasterPos p = raster_pos(m.x0, m.y0, m.cw, m.ch, m.cols, m.rows, x, y);
    if (!p.in) return -1;
    const std::uint32_t cell = m.cells[p.cell];
    if (!(cell & boundary_bit)) return static_cast<int>(cell) - 1;
    return m.locate_in_slot(cell & ~boundary_bit, x, y);
}

void CoverageIndex::locate(const double* xs, const double* ys, int* out, std::size_t n) const noexcept {
    const Impl& m = *impl_;
    // in groups: the raster cells of the group fetched together, then the blocks of
    // its boundary cells, then the answers, so that the cache misses overlap
    constexpr std::size_t group = 16;
    RasterPos pos[group];
    std::uint32_t cell[group];
    for (std::size_t base = 0; base < n; base += group) {
        const std::size_t k = std::min(group, n - base);
        for (std::size_t i = 0; i < k; ++i) {
            pos[i] = raster_pos(m.x0, m.y0, m.cw, m.ch, m.cols, m.rows, xs[base + i], ys[base + i]);
            if (pos[i].in) __builtin_prefetch(&m.cells[pos[i].cell]);
        }
        for (std::size_t i = 0; i < k; ++i) {
            cell[i] = pos[i].in ? m.cells[pos[i].cell] : 0;
            if (cell[i] & boundary_bit) __builtin_prefetch(&m.blocks[cell[i] & ~boundary_bit]);
        }
        for (std::size_t i = 0; i < k; ++i) {
            const std::uint32_t c = cell[i];
            out[base + i] = !(c & boundary_bit)
                                ? static_cast<int>(c) - 1
                                : m.resolve(c & ~boundary_bit, pos[i].subcell, xs[base + i], ys[base + i]);
        }
    }
}

int CoverageIndex::Impl::locate_in_slot(std::uint32_t slot, double x, double y) const noexcept {
    const Impl& m = *this;
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

namespace {

/// Boxes of `box` (l0, l1, b0, b1) in sort-tile-recursive order, for groups of `m`.
std::vector<std::uint32_t> str_order(const std::vector<std::array<double, 4>>& box, unsigned m) {
    const std::size_t n = box.size();
    std::vector<std::uint32_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
    auto by = [&](int axis) {
        return [&box, axis](std::uint32_t i, std::uint32_t j) {
            return box[i][2 * axis] + box[i][2 * axis + 1] < box[j][2 * axis] + box[j][2 * axis + 1];
        };
    };
    std::sort(order.begin(), order.end(), by(0));
    const std::size_t groups = (n + m - 1) / m;
    const auto slices = static_cast<std::size_t>(std::ceil(std::sqrt(double(groups))));
    const std::size_t slice = ((groups + slices - 1) / slices) * m;
    for (std::size_t s = 0; s < n; s += slice)
        std::sort(order.begin() + std::ptrdiff_t(s), order.begin() + std::ptrdiff_t(std::min(n, s + slice)), by(1));
    return order;
}

NearestTree::Node make_node(const std::array<double, 4>& b, std::size_t first, std::size_t count, bool leaf) {
    NearestTree::Node n{};
    n.l0 = b[0];
    n.l1 = b[1];
    n.b0 = b[2];
    n.b1 = b[3];
    n.sl0 = std::sin(n.l0);
    n.cl0 = std::cos(n.l0);
    n.sl1 = std::sin(n.l1);
    n.cl1 = std::cos(n.l1);
    n.sb0 = std::sin(n.b0);
    n.cb0 = std::cos(n.b0);
    n.sb1 = std::sin(n.b1);
    n.cb1 = std::cos(n.b1);
    n.c = unit((n.l0 + n.l1) / 2, (n.b0 + n.b1) / 2);
    // on a sphere the point of a longitude-latitude box farthest from its centre is a corner
    n.r = 0;
    for (double l : {n.l0, n.l1})
        for (double bb : {n.b0, n.b1}) n.r = std::max(n.r, angle(n.c, unit(l, bb)));
    n.r = n.r * 1.01 + 1e-12;
    n.first = static_cast<std::uint32_t>(first);
    n.count = static_cast<std::uint32_t>(count);
    n.leaf = leaf;
    return n;
}

std::array<double, 4> merge(std::array<double, 4> a, const std::array<double, 4>& b) {
    return {std::min(a[0], b[0]), std::max(a[1], b[1]), std::min(a[2], b[2]), std::max(a[3], b[3])};
}

std::vector<NearestTree::Piece> boundary_pieces(const std::vector<Edge>& segs, const std::vector<std::uint32_t>& start) {
    std::vector<NearestTree::Piece> out;
    auto end = [](double lon, double lat) { return unit(lon * deg, reduced(lat)); };
    for (std::size_t p = 0; p + 1 < start.size(); ++p) {
        for (std::uint32_t k = start[p]; k < start[p + 1]; ++k) {
            // ends in a fixed order, so the grids on both sides of an edge cut it alike
            double ax = segs[k].x0, ay = segs[k].y0, bx = segs[k].x1, by = segs[k].y1;
            if (std::pair(bx, by) < std::pair(ax, ay)) {
                std::swap(ax, bx);
                std::swap(ay, by);
            }
            if (ax == bx && ay == by) continue;
            const double span = std::max(std::abs(bx - ax), std::abs(by - ay)) / piece_deg;
            const int n = static_cast<int>(std::clamp(std::ceil(span), 1.0, 1e6));
            double px = ax, py = ay;
            Unit pu = end(ax, ay);
            for (int i = 1; i <= n; ++i) {
                const double qx = i == n ? bx : ax + (bx - ax) * i / n, qy = i == n ? by : ay + (by - ay) * i / n;
                const Unit qu = end(qx, qy);
                out.push_back({pu, qu, px, py, qx, qy, static_cast<std::uint32_t>(p)});
                px = qx;
                py = qy;
                pu = qu;
            }
        }
    }
    return out;
}

} // namespace

void NearestTree::build(std::vector<Piece> in) {
    pieces.clear();
    nodes.clear();
    if (in.empty()) return;
    std::vector<std::array<double, 4>> box(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const Piece& p = in[i];
        const double ba = std::atan2(p.a.z, std::hypot(p.a.x, p.a.y)), bb = std::atan2(p.b.z, std::hypot(p.b.x, p.b.y));
        box[i] = {std::min(p.alon, p.blon) * deg - 1e-9, std::max(p.alon, p.blon) * deg + 1e-9,
                  std::min(ba, bb) - box_pad, std::max(ba, bb) + box_pad};
    }
    const auto order = str_order(box, fanout);
    pieces.reserve(in.size());
    std::vector<std::array<double, 4>> sorted(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        pieces.push_back(in[order[i]]);
        sorted[i] = box[order[i]];
    }
    std::vector<std::array<double, 4>> node_box;
    for (std::size_t g = 0; g < pieces.size(); g += fanout) {
        const std::size_t count = std::min<std::size_t>(fanout, pieces.size() - g);
        std::array<double, 4> b = sorted[g];
        for (std::size_t i = 1; i < count; ++i) b = merge(b, sorted[g + i]);
        nodes.push_back(make_node(b, g, count, true));
        node_box.push_back(b);
    }
    // upper levels: each level's nodes put in STR order, then grouped
    for (std::size_t lo = 0, hi = nodes.size(); hi - lo > 1; lo = hi, hi = nodes.size()) {
        const std::vector<std::array<double, 4>> level(node_box.begin() + std::ptrdiff_t(lo), node_box.end());
        const auto ord = str_order(level, fanout);
        const std::vector<Node> copy(nodes.begin() + std::ptrdiff_t(lo), nodes.end());
        for (std::size_t i = 0; i < ord.size(); ++i) {
            nodes[lo + i] = copy[ord[i]];
            node_box[lo + i] = level[ord[i]];
        }
        for (std::size_t g = lo; g < hi; g += fanout) {
            const std::size_t count = std::min<std::size_t>(fanout, hi - g);
            std::array<double, 4> b = node_box[g];
            for (std::size_t i = 1; i < count; ++i) b = merge(b, node_box[g + i]);
            nodes.push_back(make_node(b, g, count, false));
            node_box.push_back(b);
        }
    }
}

double NearestTree::box_angle(const Query& q, const Node& n) noexcept {
    if (q.lam >= n.l0 && q.lam <= n.l1) return std::max({0.0, n.b0 - q.beta, q.beta - n.b1});
    // For each latitude the box's nearest point is on the meridian edge nearer in
    // longitude (distance grows with the longitude difference up to 180°).
    auto wrapped = [](double d) {
        d = std::abs(d);
        return d > M_PI ? 2 * M_PI - d : d;
    };
    const bool west = wrapped(q.lam - n.l0) <= wrapped(q.lam - n.l1);
    const double se = west ? n.sl0 : n.sl1, ce = west ? n.cl0 : n.cl1;
    const double cosd = q.cl * ce + q.sl * se, sind = std::abs(q.sl * ce - q.cl * se);
    // the meridian's point nearest the query, at reduced latitude atan2(sin βq, cos βq cos δ)
    if (cosd > 0 && q.sb * n.cb0 - q.cb * cosd * n.sb0 >= 0 && q.sb * n.cb1 - q.cb * cosd * n.sb1 <= 0)
        return std::asin(std::min(1.0, q.cb * sind));
    const Unit e0{n.cb0 * ce, n.cb0 * se, n.sb0}, e1{n.cb1 * ce, n.cb1 * se, n.sb1};
    return std::min(angle(q.u, e0), angle(q.u, e1));
}

double NearestTree::piece_angle(const Unit& q, const Piece& p, Unit& x, int& end) noexcept {
    const Unit n = cross(p.a, p.b - p.a);  // = a × b, better conditioned for close ends
    const double nn = norm(n);
    if (nn > 0) {
        const Unit m{n.x / nn, n.y / nn, n.z / nn};
        const double qm = dot(q, m);
        const Unit f{q.x - qm * m.x, q.y - qm * m.y, q.z - qm * m.z};
        const double fl = norm(f);
        if (fl > 0 && dot(cross(p.a, f), m) >= 0 && dot(cross(f, p.b), m) >= 0) {
            x = {f.x / fl, f.y / fl, f.z / fl};
            end = 0;
            return std::atan2(std::abs(qm), fl);
        }
    }
    const double da = angle(q, p.a), db = angle(q, p.b);
    if (da <= db) {
        x = p.a;
        end = 1;
        return da;
    }
    x = p.b;
    end = 2;
    return db;
}

std::pair<int, double> NearestTree::search(const Query& q) const {
    struct Cand {
        double sig, lo;  // angle on the auxiliary sphere; lower bound of the distance, metres
        Unit x;          // the piece's point nearest the query
        std::uint32_t piece;
        int end;
        double lat, lon, s;  // s: geodesic distance, metres, once computed (else -1)
    };
    thread_local std::vector<std::pair<double, std::uint32_t>> heap;
    thread_local std::vector<Cand> cands;
    heap.clear();
    cands.clear();
    const auto later = [](const auto& a, const auto& b) { return a.first > b.first; };
    const auto push = [&](std::uint32_t n) {
        heap.emplace_back(box_angle(q, nodes[n]), n);
        std::push_heap(heap.begin(), heap.end(), later);
    };
    // calibration: k turns angles into metres at the calibration point c; mu bounds the error per metre from c
    double k = 1, mu = 2.01, best_hi = INFINITY;
    Unit c{};
    bool calibrated = false;
    const auto from_c = [&](const Unit& x) { return ell_a * 1.001 * angle(c, x); };
    const auto evaluate = [&](Cand& cd) {
        const Piece& p = pieces[cd.piece];
        if (cd.end == 1) {
            cd.lat = p.alat;
            cd.lon = p.alon;
        } else if (cd.end == 2) {
            cd.lat = p.blat;
            cd.lon = p.blon;
        } else {
            cd.lat = std::atan2(cd.x.z, (1 - ell_f) * std::hypot(cd.x.x, cd.x.y)) / deg;
            cd.lon = std::atan2(cd.x.y, cd.x.x) / deg;
        }
        for (const Cand& o : cands)  // the same point of another grid (a shared vertex or edge)
            if (o.s >= 0 && o.lat == cd.lat && o.lon == cd.lon) {
                cd.s = o.s;
                return;
            }
        cd.s = geodesic_m(q.lat, q.lon, cd.lat, cd.lon);
    };
    const auto calibrate = [&](const Cand& cd) {
        k = cd.sig > 0 ? cd.s / (ell_b * cd.sig) : 1.0;
        c = cd.x;
        mu = calibration_slope(cd.sig);
        calibrated = true;
    };
    const auto bound = [&](Cand& cd) {  // tighten cd.lo with the current calibration
        cd.lo = std::max(cd.lo, k * ell_b * cd.sig - mu * from_c(cd.x));
    };

    push(static_cast<std::uint32_t>(nodes.size() - 1));
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        const auto [key, ni] = heap.back();
        heap.pop_back();
        if (ell_b * key * (1 - 1e-12) > best_hi) break;  // nothing left can be nearer
        const Node& nd = nodes[ni];
        if (calibrated && k * ell_b * key - mu * ell_a * 1.001 * (angle(c, nd.c) + nd.r) > best_hi) continue;
        if (!nd.leaf) {
            for (std::uint32_t i = nd.first; i < nd.first + nd.count; ++i) push(i);
            continue;
        }
        const std::size_t from = cands.size();
        for (std::uint32_t i = nd.first; i < nd.first + nd.count; ++i) {
            Cand cd{};
            cd.piece = i;
            cd.s = -1;
            cd.sig = piece_angle(q.u, pieces[i], cd.x, cd.end);
            cd.lo = ell_b * cd.sig * (1 - 1e-12);  // exact: s >= b σ on the auxiliary sphere
            if (cd.lo <= best_hi) cands.push_back(cd);
        }
        if (!calibrated && cands.size() > from) {
            // calibrate on the first leaf's nearest piece: its geodesic distance
            auto first = std::min_element(cands.begin() + std::ptrdiff_t(from), cands.end(),
                                          [](const Cand& a, const Cand& b) { return a.sig < b.sig; });
            evaluate(*first);
            first->lo = first->s;
            calibrate(*first);
            best_hi = first->s;
        }
        std::size_t kept = from;
        for (std::size_t i = from; i < cands.size(); ++i) {
            Cand& cd = cands[i];
            if (cd.s < 0) {
                bound(cd);
                if (cd.lo > best_hi) continue;
                best_hi = std::min(best_hi, k * ell_b * cd.sig + mu * from_c(cd.x));
            }
            cands[kept++] = cd;
        }
        cands.resize(kept);
    }
    // Settle the candidates: geodesic distances in the order of their lower bounds,
    // recalibrating on each, until no unsettled one can be nearer (or as near with a
    // lower index: ties go to the first grid).
    int best = -1;
    double best_s = INFINITY;
    const auto take = [&](const Cand& cd) {
        const int poly = static_cast<int>(pieces[cd.piece].poly);
        if (cd.s < best_s || (cd.s == best_s && poly < best)) {
            best_s = cd.s;
            best = poly;
        }
    };
    for (const Cand& cd : cands)
        if (cd.s >= 0) take(cd);
    for (;;) {
        Cand* next = nullptr;
        for (Cand& cd : cands) {
            if (cd.s >= 0) continue;
            const int poly = static_cast<int>(pieces[cd.piece].poly);
            if (cd.lo > best_s || (cd.lo == best_s && poly > best)) continue;
            if (!next || cd.lo < next->lo) next = &cd;
        }
        if (!next) break;
        evaluate(*next);
        take(*next);
        calibrate(*next);
        for (Cand& cd : cands)
            if (cd.s < 0) bound(cd);
    }
    return {best, best_s};
}

std::pair<int, double> CoverageIndex::nearest(double x, double y) const {
    const Impl& m = *impl_;
    if (!std::isfinite(x) || !(y >= -90 && y <= 90)) return {-1, INFINITY};
    if (const int p = locate(x, y); p >= 0) return {p, 0.0};
    std::call_once(m.near_once, [&m] { m.near.build(boundary_pieces(m.segs, m.seg_start)); });
    if (m.near.nodes.empty()) return {-1, INFINITY};
    Query q{};
    q.lon = x;
    q.lat = y;
    q.lam = std::remainder(x, 360.0) * deg;
    q.beta = reduced(y);
    q.sl = std::sin(q.lam);
    q.cl = std::cos(q.lam);
    q.sb = std::sin(q.beta);
    q.cb = std::cos(q.beta);
    q.u = {q.cb * q.cl, q.cb * q.sl, q.sb};
    return m.near.search(q);
}

} // namespace wangge
