#include "wangge/tiles/geometry.hpp"

#include <cmath>
#include <limits>

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

}  // namespace wangge::tiles
