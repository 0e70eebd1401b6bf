#include "wangge/tiles/clip.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "wangge/tiles/mvt.hpp"

namespace wangge::tiles {

namespace {

struct Bounds {
    double min_x, min_y, max_x, max_y;
};

template <class P>
Bounds bounds_of(const std::vector<P>& pts) {
    const double x0 = pts.front().x;
    const double y0 = pts.front().y;
    Bounds b{x0, y0, x0, y0};
    for (const auto& p : pts) {
        b.min_x = std::min<double>(b.min_x, p.x);
        b.min_y = std::min<double>(b.min_y, p.y);
        b.max_x = std::max<double>(b.max_x, p.x);
        b.max_y = std::max<double>(b.max_y, p.y);
    }
    return b;
}

bool inside(const Bounds& b, const ClipBox& box) {
    return b.min_x >= box.min_x && b.max_x <= box.max_x && b.min_y >= box.min_y && b.max_y <= box.max_y;
}

bool disjoint(const Bounds& b, const ClipBox& box) {
    return b.max_x < box.min_x || b.min_x > box.max_x || b.max_y < box.min_y || b.min_y > box.max_y;
}

// One Sutherland–Hodgman pass against the half-plane of one box edge.
enum class Edge { left, right, top, bottom };

bool in_half(const PointD& p, Edge e, const ClipBox& box) {
    switch (e) {
        case Edge::left:
            return p.x >= box.min_x;
        case Edge::right:
            return p.x <= box.max_x;
        case Edge::top:
            return p.y >= box.min_y;
        case Edge::bottom:
            return p.y <= box.max_y;
    }
    return false;
}

// Where segment a-b crosses the edge's line; the coordinate on the line is set exactly
// so that points on the clip edge line up (no hairline slivers from rounding).
PointD crossing(const PointD& a, const PointD& b, Edge e, const ClipBox& box) {
    if (e == Edge::left || e == Edge::right) {
        const double x = e == Edge::left ? box.min_x : box.max_x;
        const double t = (x - a.x) / (b.x - a.x);
        return {x, a.y + t * (b.y - a.y)};
    }
    const double y = e == Edge::top ? box.min_y : box.max_y;
    const double t = (y - a.y) / (b.y - a.y);
    return {a.x + t * (b.x - a.x), y};
}

RingD clip_ring(RingD ring, const ClipBox& box) {
    if (ring.size() > 1 && ring.front() == ring.back()) ring.pop_back();
    if (ring.size() < 3) return {};
    const Bounds b = bounds_of(ring);
    if (inside(b, box)) return ring;
    if (disjoint(b, box)) return {};
    RingD out;
    for (Edge e : {Edge::left, Edge::right, Edge::top, Edge::bottom}) {
        out.clear();
        if (ring.empty()) break;
        PointD prev = ring.back();
        bool prev_in = in_half(prev, e, box);
        for (const PointD& cur : ring) {
            const bool cur_in = in_half(cur, e, box);
            if (cur_in != prev_in) out.push_back(crossing(prev, cur, e, box));
            if (cur_in) out.push_back(cur);
            prev = cur;
            prev_in = cur_in;
        }
        ring.swap(out);
    }
    ring.erase(std::unique(ring.begin(), ring.end()), ring.end());
    while (ring.size() > 1 && ring.back() == ring.front()) ring.pop_back();
    if (ring.size() < 3 || ring_area2(ring) == 0) return {};
    return ring;
}

RingD to_double(const Ring& r) {
    RingD out;
    out.reserve(r.size());
    for (const auto& p : r) out.push_back({static_cast<double>(p.x), static_cast<double>(p.y)});
    return out;
}

// Liang–Barsky: the part [t0, t1] of segment a-b inside the box, if any.
std::optional<std::pair<double, double>> clip_segment(const PointD& a, const PointD& b, const ClipBox& box) {
    const double dx = b.x - a.x;
    const double dy = b.y - a.y;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {a.x - box.min_x, box.max_x - a.x, a.y - box.min_y, box.max_y - a.y};
    double t0 = 0, t1 = 1;
    for (int i = 0; i < 4; ++i) {
        if (p[i] == 0) {
            if (q[i] < 0) return std::nullopt;
            continue;
        }
        const double r = q[i] / p[i];
        if (p[i] < 0) {
            if (r > t1) return std::nullopt;
            t0 = std::max(t0, r);
        } else {
            if (r < t0) return std::nullopt;
            t1 = std::min(t1, r);
        }
    }
    return std::make_pair(t0, t1);
}

PointD lerp(const PointD& a, const PointD& b, double t) {
    if (t == 0) return a;
    if (t == 1) return b;
    return {a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
}

}  // namespace

ClipBox ClipBox::for_tile(std::uint32_t extent, std::uint32_t buffer) {
    const double lo = -static_cast<double>(buffer);
    const double hi = static_cast<double>(extent) + buffer;
    return {lo, lo, hi, hi};
}

PolygonD clip_polygon(const PolygonD& polygon, const ClipBox& box) {
    PolygonD out;
    if (polygon.empty()) return out;
    RingD exterior = clip_ring(polygon.front(), box);
    if (exterior.empty()) return out;
    out.push_back(std::move(exterior));
    const double exterior_area = std::abs(ring_area2(out.front()));
    for (std::size_t i = 1; i < polygon.size(); ++i) {
        RingD hole = clip_ring(polygon[i], box);
        if (hole.empty()) continue;
        // A hole around the whole box clips to the same square as the exterior: nothing
        // of the polygon is in the box (the tile lies in the hole).
        if (std::abs(ring_area2(hole)) >= exterior_area) return {};
        out.push_back(std::move(hole));
    }
    return out;
}

Polygon clip_polygon(const Polygon& polygon, const ClipBox& box) {
    Polygon out;
    if (polygon.empty() || polygon.front().empty()) return out;
    // Most polygons of a tile lie inside it: keep their points exactly as they are.
    bool all_inside = true;
    for (const auto& r : polygon)
        if (!r.empty() && !inside(bounds_of(r), box)) all_inside = false;
    if (all_inside) return polygon;

    for (std::size_t i = 0; i < polygon.size(); ++i) {
        const RingD clipped = clip_ring(to_double(polygon[i]), box);
        std::optional<Ring> ring;
        if (!clipped.empty()) ring = clean_ring(quantize(clipped));
        if (!ring) {
            if (i == 0) return out;  // the exterior vanished: so do its holes
            continue;
        }
        // As in the double version: a hole as large as the exterior empties the polygon.
        if (i > 0 && std::abs(ring_area2(*ring)) >= std::abs(ring_area2(out.front()))) return {};
        out.push_back(std::move(*ring));
    }
    return out;
}

MultiPolygon clip_polygons(const MultiPolygon& polygons, const ClipBox& box) {
    MultiPolygon out;
    for (const auto& p : polygons) {
        Polygon c = clip_polygon(p, box);
        if (!c.empty()) out.push_back(std::move(c));
    }
    return out;
}

std::vector<LineStringD> clip_line(const LineStringD& line, const ClipBox& box) {
    std::vector<LineStringD> out;
    if (line.size() < 2) return out;
    const Bounds b = bounds_of(line);
    if (inside(b, box)) return {line};
    if (disjoint(b, box)) return out;
    LineStringD piece;
    auto flush = [&] {
        piece.erase(std::unique(piece.begin(), piece.end()), piece.end());
        if (piece.size() >= 2) out.push_back(std::move(piece));
        piece.clear();
    };
    for (std::size_t i = 0; i + 1 < line.size(); ++i) {
        const PointD& a = line[i];
        const PointD& c = line[i + 1];
        const auto t = clip_segment(a, c, box);
        if (!t) {
            flush();
            continue;
        }
        // Entering from outside starts a new piece; otherwise the piece already ends at a.
        if (piece.empty() || t->first > 0) {
            flush();
            piece.push_back(lerp(a, c, t->first));
        }
        piece.push_back(lerp(a, c, t->second));
        if (t->second < 1) flush();  // leaving the box
    }
    flush();
    return out;
}

MultiLineString clip_line(const LineString& line, const ClipBox& box) {
    MultiLineString out;
    if (line.size() < 2) return out;
    if (inside(bounds_of(line), box)) return {line};
    LineStringD d;
    d.reserve(line.size());
    for (const auto& p : line) d.push_back({static_cast<double>(p.x), static_cast<double>(p.y)});
    for (const auto& piece : clip_line(d, box)) {
        LineString q;
        q.reserve(piece.size());
        for (const auto& p : piece) q.push_back(quantize(p));
        if (auto c = clean_line(q)) out.push_back(std::move(*c));
    }
    return out;
}

MultiLineString clip_lines(const MultiLineString& lines, const ClipBox& box) {
    MultiLineString out;
    for (const auto& l : lines)
        for (auto& piece : clip_line(l, box)) out.push_back(std::move(piece));
    return out;
}

MultiPoint filter_points(const MultiPoint& points, const ClipBox& box) {
    MultiPoint out;
    for (const auto& p : points)
        if (box.contains(p.x, p.y)) out.push_back(p);
    return out;
}

}  // namespace wangge::tiles
