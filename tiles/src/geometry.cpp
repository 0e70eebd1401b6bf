#include "wangge/tiles/geometry.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "wangge/error.hpp"
#include "geometry/geos.hpp"

namespace wangge::tiles {

namespace {
// GCC's 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
__extension__ typedef __int128 int128;
}  // namespace

const char* to_string(GeomType t) noexcept {
    switch (t) {
        case GeomType::point:
            return "Point";
        case GeomType::linestring:
            return "LineString";
        case GeomType::polygon:
            return "Polygon";
        case GeomType::unknown:
            break;
    }
    return "Unknown";
}

std::int64_t ring_area2(const Ring& ring) noexcept {
    // Products of two int32 fit in int64, but their sum over a ring need not.
    int128 sum = 0;
    const std::size_t n = ring.size();
    for (std::size_t i = 0; i < n; ++i) {
        const Point& a = ring[i];
        const Point& b = ring[(i + 1) % n];
        sum += static_cast<int128>(a.x) * b.y - static_cast<int128>(b.x) * a.y;
    }
    constexpr auto lo = std::numeric_limits<std::int64_t>::min();
    constexpr auto hi = std::numeric_limits<std::int64_t>::max();
    if (sum < lo) return lo;
    if (sum > hi) return hi;
    return static_cast<std::int64_t>(sum);
}

bool collinear(const Ring& ring) noexcept {
    std::size_t k = 1;
    while (k < ring.size() && ring[k] == ring[0]) ++k;
    if (k == ring.size()) return true;
    const Point a = ring[0], b = ring[k];
    for (std::size_t i = k + 1; i < ring.size(); ++i) {
        const Point& c = ring[i];
        if (static_cast<int128>(b.x - std::int64_t{a.x}) * (c.y - std::int64_t{a.y}) !=
            static_cast<int128>(b.y - std::int64_t{a.y}) * (c.x - std::int64_t{a.x}))
            return false;
    }
    return true;
}

double ring_area2(const RingD& ring) noexcept {
    // Relative to the first point: keeps the products small and the sum accurate.
    if (ring.size() < 3) return 0;
    double sum = 0;
    const PointD o = ring.front();
    const std::size_t n = ring.size();
    for (std::size_t i = 0; i < n; ++i) {
        const PointD& a = ring[i];
        const PointD& b = ring[(i + 1) % n];
        sum += (a.x - o.x) * (b.y - o.y) - (b.x - o.x) * (a.y - o.y);
    }
    return sum;
}

Point quantize(PointD p) {
    auto q = [](double v) -> std::int32_t {
        // Saturate (NaN goes to 0): tile coordinates far outside the tile are clipped
        // before this anyway, and a wrapped value would flip geometry across the world.
        if (std::isnan(v)) return 0;
        const double r = std::round(v);
        if (r <= std::numeric_limits<std::int32_t>::min()) return std::numeric_limits<std::int32_t>::min();
        if (r >= std::numeric_limits<std::int32_t>::max()) return std::numeric_limits<std::int32_t>::max();
        return static_cast<std::int32_t>(r);
    };
    return {q(p.x), q(p.y)};
}

Ring quantize(const RingD& ring) {
    Ring out;
    out.reserve(ring.size());
    for (const auto& p : ring) out.push_back(quantize(p));
    return out;
}

Polygon quantize(const PolygonD& polygon) {
    Polygon out;
    out.reserve(polygon.size());
    for (const auto& r : polygon) out.push_back(quantize(r));
    return out;
}

// ---------------------------------------------------------------- validity

namespace {

// Coordinates within +-2^29: differences fit in 31 bits, orientation determinants in 62.
constexpr std::int64_t safe_coordinate = std::int64_t{1} << 29;

struct Box {
    std::int64_t lo_x, lo_y, hi_x, hi_y;
    bool within(const Box& o) const noexcept {
        return lo_x >= o.lo_x && hi_x <= o.hi_x && lo_y >= o.lo_y && hi_y <= o.hi_y;
    }
};

Box box_of(const Ring& r) {
    Box b{r.front().x, r.front().y, r.front().x, r.front().y};
    for (const auto& p : r) {
        b.lo_x = std::min<std::int64_t>(b.lo_x, p.x);
        b.lo_y = std::min<std::int64_t>(b.lo_y, p.y);
        b.hi_x = std::max<std::int64_t>(b.hi_x, p.x);
        b.hi_y = std::max<std::int64_t>(b.hi_y, p.y);
    }
    return b;
}

// Sign of the turn a -> b -> c (positive: c left of a->b in x-right, y-up terms).
std::int64_t orient(std::int64_t ax, std::int64_t ay, std::int64_t bx, std::int64_t by, std::int64_t cx,
                    std::int64_t cy) noexcept {
    const std::int64_t d = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    return (d > 0) - (d < 0);
}

struct Edge {
    std::int64_t ax, ay, bx, by;
    Box box;
    std::uint32_t ring, index, ring_size;
};

// A point collinear with an edge is on it when inside its bounding box.
bool on_edge(std::int64_t x, std::int64_t y, const Edge& e) noexcept {
    return x >= e.box.lo_x && x <= e.box.hi_x && y >= e.box.lo_y && y <= e.box.hi_y;
}

// Whether two edges with overlapping boxes have any point in common.
bool edges_meet(const Edge& e, const Edge& f) noexcept {
    const auto d1 = orient(f.ax, f.ay, f.bx, f.by, e.ax, e.ay);
    const auto d2 = orient(f.ax, f.ay, f.bx, f.by, e.bx, e.by);
    const auto d3 = orient(e.ax, e.ay, e.bx, e.by, f.ax, f.ay);
    const auto d4 = orient(e.ax, e.ay, e.bx, e.by, f.bx, f.by);
    if (d1 * d2 < 0 && d3 * d4 < 0) return true;
    return (d1 == 0 && on_edge(e.ax, e.ay, f)) || (d2 == 0 && on_edge(e.bx, e.by, f)) ||
           (d3 == 0 && on_edge(f.ax, f.ay, e)) || (d4 == 0 && on_edge(f.bx, f.by, e));
}

// Consecutive edges of one ring share a vertex; they meet anywhere else only when the
// second runs back along the first (a spike).
bool folds_back(const Edge& first, const Edge& second) noexcept {
    if (orient(first.ax, first.ay, first.bx, first.by, second.bx, second.by) != 0) return false;
    return (first.bx - first.ax) * (second.bx - second.ax) + (first.by - first.ay) * (second.by - second.ay) < 0;
}

// Whether p is inside the ring, p known not to be on it (crossing number, exact).
bool strictly_inside(const Ring& r, Point p) noexcept {
    bool in = false;
    const std::size_t n = r.size();
    for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
        const Point& a = r[j];
        const Point& b = r[i];
        if ((a.y > p.y) == (b.y > p.y)) continue;
        const auto o = orient(a.x, a.y, b.x, b.y, p.x, p.y);
        if (b.y > a.y ? o > 0 : o < 0) in = !in;
    }
    return in;
}

// No two edges of any rings meet, except consecutive ones at their common vertex.
bool no_edges_meet(const MultiPolygon& polygons) {
    thread_local std::vector<Edge> edges;
    thread_local std::vector<std::uint32_t> active;
    edges.clear();
    std::uint32_t ring_id = 0;
    for (const auto& poly : polygons)
        for (const auto& r : poly) {
            const auto n = static_cast<std::uint32_t>(r.size());
            for (std::uint32_t i = 0; i < n; ++i) {
                const Point& a = r[i];
                const Point& b = r[(i + 1) % n];
                if (std::abs(std::int64_t{a.x}) > safe_coordinate || std::abs(std::int64_t{a.y}) > safe_coordinate)
                    return false;
                Box box{std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.x, b.x), std::max(a.y, b.y)};
                edges.push_back({a.x, a.y, b.x, b.y, box, ring_id, i, n});
            }
            ++ring_id;
        }
    std::sort(edges.begin(), edges.end(), [](const Edge& l, const Edge& r) { return l.box.lo_x < r.box.lo_x; });
    // Sweep in x: each edge against the edges still open at its left end.
    active.clear();
    for (std::uint32_t k = 0; k < edges.size(); ++k) {
        const Edge& e = edges[k];
        std::size_t kept = 0;
        for (const auto i : active)
            if (edges[i].box.hi_x >= e.box.lo_x) active[kept++] = i;
        active.resize(kept);
        for (const auto i : active) {
            const Edge& f = edges[i];
            if (f.box.lo_y > e.box.hi_y || f.box.hi_y < e.box.lo_y) continue;
            if (f.ring == e.ring) {
                if (f.index == (e.index + 1) % e.ring_size) {
                    if (folds_back(e, f)) return false;
                    continue;
                }
                if (e.index == (f.index + 1) % e.ring_size) {
                    if (folds_back(f, e)) return false;
                    continue;
                }
            }
            if (edges_meet(e, f)) return false;
        }
        active.push_back(k);
    }
    return true;
}

// A convex ring is simple: every turn the same way (or straight on, never back) and
// the edge directions going round once, so that dx changes sign at most twice (a turn
// is less than half a revolution, so each revolution changes it twice). Most grid
// cells are convex: this spares them the sweep.
bool convex(const Ring& r) noexcept {
    const std::size_t n = r.size();
    int turn = 0, flips = 0;
    std::int64_t last_dx = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const Point& a = r[i];
        const Point& b = r[(i + 1) % n];
        const Point& c = r[(i + 2) % n];
        if (std::abs(std::int64_t{a.x}) > safe_coordinate || std::abs(std::int64_t{a.y}) > safe_coordinate)
            return false;
        const std::int64_t dx = std::int64_t{b.x} - a.x, dy = std::int64_t{b.y} - a.y;
        const auto o = orient(a.x, a.y, b.x, b.y, c.x, c.y);
        if (o == 0) {
            if (dx * (std::int64_t{c.x} - b.x) + dy * (std::int64_t{c.y} - b.y) <= 0) return false;
        } else if (turn == 0) {
            turn = static_cast<int>(o);
        } else if (o != turn) {
            return false;
        }
        if (dx != 0) {
            if (last_dx != 0 && (dx > 0) != (last_dx > 0)) ++flips;
            last_dx = dx;
        }
    }
    // the wrap from the last edge with dx != 0 to the first counts too
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t dx = std::int64_t{r[(i + 1) % n].x} - r[i].x;
        if (dx == 0) continue;
        if ((dx > 0) != (last_dx > 0)) ++flips;
        break;
    }
    return turn != 0 && flips <= 2;
}

}  // namespace

bool clearly_valid(const MultiPolygon& polygons) {
    for (const auto& poly : polygons) {
        if (poly.empty()) return false;
        for (const auto& r : poly)
            if (r.size() < 3) return false;
    }
    if (polygons.size() == 1 && polygons.front().size() == 1 && convex(polygons.front().front())) return true;
    if (!no_edges_meet(polygons)) return false;
    // No rings meet: any two are nested or apart, and one vertex tells which.
    std::vector<Box> shells;
    shells.reserve(polygons.size());
    for (const auto& poly : polygons) {
        const Box shell = box_of(poly.front());
        std::vector<Box> holes;
        for (std::size_t i = 1; i < poly.size(); ++i) {
            if (!strictly_inside(poly.front(), poly[i].front())) return false;
            holes.push_back(box_of(poly[i]));
        }
        for (std::size_t i = 0; i < holes.size(); ++i)
            for (std::size_t j = 0; j < holes.size(); ++j)
                if (i != j && holes[i].within(holes[j]) && strictly_inside(poly[j + 1], poly[i + 1].front()))
                    return false;
        shells.push_back(shell);
    }
    for (std::size_t i = 0; i < polygons.size(); ++i)
        for (std::size_t j = 0; j < polygons.size(); ++j)
            if (i != j && shells[i].within(shells[j]) &&
                strictly_inside(polygons[j].front(), polygons[i].front().front()))
                return false;
    return true;
}

namespace {

template <class T>
void put(std::string& wkb, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    wkb.append(b, sizeof(T));
}

// Little-endian WKB of the polygons as one MultiPolygon, rings closed.
std::string to_wkb(const MultiPolygon& polygons) {
    static_assert(std::endian::native == std::endian::little);
    std::string wkb;
    put<std::uint8_t>(wkb, 1);
    put<std::uint32_t>(wkb, 6);
    put(wkb, static_cast<std::uint32_t>(polygons.size()));
    for (const auto& poly : polygons) {
        put<std::uint8_t>(wkb, 1);
        put<std::uint32_t>(wkb, 3);
        put(wkb, static_cast<std::uint32_t>(poly.size()));
        for (const auto& r : poly) {
            put(wkb, static_cast<std::uint32_t>(r.size() + 1));
            for (std::size_t i = 0; i <= r.size(); ++i) {
                put(wkb, static_cast<double>(r[i % r.size()].x));
                put(wkb, static_cast<double>(r[i % r.size()].y));
            }
        }
    }
    return wkb;
}

geos::Geometry to_geos(geos::Context& ctx, const MultiPolygon& polygons) {
    const std::string wkb = to_wkb(polygons);
    return ctx.from_wkb(reinterpret_cast<const unsigned char*>(wkb.data()), wkb.size());
}

// A GEOS ring as an open ring, coordinates rounded to the grid; nullopt when degenerate.
std::optional<Ring> ring_from_geos(GEOSContextHandle_t h, const GEOSGeometry* ring) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n)) return std::nullopt;
    Ring out;
    out.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
        double x = 0, y = 0;
        if (!GEOSCoordSeq_getXY_r(h, seq, i, &x, &y)) return std::nullopt;
        const Point p = quantize(PointD{x, y});
        if (out.empty() || !(out.back() == p)) out.push_back(p);
    }
    while (out.size() > 1 && out.back() == out.front()) out.pop_back();
    if (out.size() < 3 || ring_area2(out) == 0) return std::nullopt;
    return out;
}

void polygons_from_geos(GEOSContextHandle_t h, const GEOSGeometry* g, MultiPolygon& out) {
    const int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; ++i) polygons_from_geos(h, GEOSGetGeometryN_r(h, g, i), out);
        return;
    }
    if (type != GEOS_POLYGON || GEOSisEmpty_r(h, g) == 1) return;
    auto shell = ring_from_geos(h, GEOSGetExteriorRing_r(h, g));
    if (!shell) return;
    if (ring_area2(*shell) < 0) std::reverse(shell->begin() + 1, shell->end());
    Polygon poly{std::move(*shell)};
    const int holes = GEOSGetNumInteriorRings_r(h, g);
    for (int i = 0; i < holes; ++i) {
        auto hole = ring_from_geos(h, GEOSGetInteriorRingN_r(h, g, i));
        if (!hole) continue;
        if (ring_area2(*hole) > 0) std::reverse(hole->begin() + 1, hole->end());
        poly.push_back(std::move(*hole));
    }
    out.push_back(std::move(poly));
}

struct ParamsDeleter {
    GEOSContextHandle_t h;
    void operator()(GEOSMakeValidParams* p) const noexcept { GEOSMakeValidParams_destroy_r(h, p); }
};

}  // namespace

MultiPolygon make_valid(const MultiPolygon& polygons) {
    if (polygons.empty() || clearly_valid(polygons)) return polygons;
    auto& ctx = geos::Context::local();
    const auto h = ctx.handle();
    geos::Geometry g = to_geos(ctx, polygons);
    if (GEOSisValid_r(h, g.get()) == 1) return polygons;
    std::unique_ptr<GEOSMakeValidParams, ParamsDeleter> params(GEOSMakeValidParams_create_r(h), ParamsDeleter{h});
    if (!params || !GEOSMakeValidParams_setMethod_r(h, params.get(), GEOS_MAKE_VALID_STRUCTURE) ||
        !GEOSMakeValidParams_setKeepCollapsed_r(h, params.get(), 0))
        throw geometry_error("GEOS MakeValid parameters could not be set");
    auto make_valid = [&](const GEOSGeometry* in) {
        return ctx.own(GEOSMakeValidWithParams_r(h, in, params.get()), "MakeValid");
    };
    MultiPolygon out;
    // MakeValid keeps the vertices and adds the points where rings cross, which are
    // rarely on the grid: round them and repair again. A few passes settle it; if not,
    // snap rounding (setPrecision) gives valid grid output, though it may drop
    // features of a unit or less that the passes would keep (so it comes last).
    for (int pass = 0; pass < 4; ++pass) {
        const geos::Geometry fixed = make_valid(g.get());
        out.clear();
        polygons_from_geos(h, fixed.get(), out);
        if (out.empty() || clearly_valid(out)) return out;
        g = to_geos(ctx, out);
        if (GEOSisValid_r(h, g.get()) == 1) return out;
    }
    const geos::Geometry fixed = make_valid(g.get());
    const geos::Geometry snapped = ctx.own(GEOSGeom_setPrecision_r(h, fixed.get(), 1.0, 0), "setPrecision");
    out.clear();
    polygons_from_geos(h, snapped.get(), out);
    return out;
}

}  // namespace wangge::tiles
