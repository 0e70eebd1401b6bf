// wangge/tiles/clip.hpp — clipping geometry to a tile and its buffer.
//
// A tile carries the geometry of its square plus a margin (the buffer, 64 units of a
// 4096 extent by default) so that strokes and fills meet without seams at tile
// borders. Everything further out is cut away here, before encoding, to keep tiles
// small and coordinates small.
//
// Polygons are clipped ring by ring with Sutherland–Hodgman against the buffered
// square. That is exact and valid when each ring crosses the square's boundary at
// most twice, which covers most shapes of a tile; its known limits, all confined to
// the buffer zone (outside the visible tile) and all of zero area:
//  - a concave ring that leaves and re-enters the square on the outside comes back as
//    one ring joined by zero-width "bridges" running along the clip edge;
//  - a hole cut by the clip edge ends up sharing that edge with its exterior.
// Renderers fill such polygons correctly (the area is the same as a true intersection),
// but a strict OGC validity check reports a self-touching ring, and rounding to the
// grid afterwards adds its own defects. The MVT encoder (LayerBuilder::add_polygons)
// therefore makes every polygon valid after clipping and rounding (geometry.hpp,
// make_valid): exactly as clipped when valid, else repaired on the integer grid.
// Rings that vanish (entirely outside, or degenerate after clipping) are dropped, and a
// polygon whose exterior vanished is dropped with its holes.
//
// Lines are clipped segment by segment (Liang–Barsky) and split where they leave the
// square; points outside the square are dropped. The square is closed: points on its
// boundary are kept.
#pragma once

#include <cstdint>

#include "wangge/tiles/geometry.hpp"

namespace wangge::tiles {

inline constexpr std::uint32_t default_buffer = 64;

/// An axis-aligned box in tile coordinates (closed).
struct ClipBox {
    double min_x = 0;
    double min_y = 0;
    double max_x = 0;
    double max_y = 0;

    /// [-buffer, extent + buffer] in both axes.
    static ClipBox for_tile(std::uint32_t extent = 4096, std::uint32_t buffer = default_buffer);

    bool contains(double x, double y) const noexcept { return x >= min_x && x <= max_x && y >= min_y && y <= max_y; }
};

/// Clip one polygon (exterior then holes). The result keeps ring roles and order; it
/// is empty when the exterior vanished. Intersection points are exact in the double
/// version and rounded to the grid in the integer one (then cleaned of repeats).
PolygonD clip_polygon(const PolygonD& polygon, const ClipBox& box);
Polygon clip_polygon(const Polygon& polygon, const ClipBox& box);
MultiPolygon clip_polygons(const MultiPolygon& polygons, const ClipBox& box);

/// Clip a line: the pieces inside the box, in order (a line that leaves and comes back
/// becomes several lines).
std::vector<LineStringD> clip_line(const LineStringD& line, const ClipBox& box);
MultiLineString clip_line(const LineString& line, const ClipBox& box);
MultiLineString clip_lines(const MultiLineString& lines, const ClipBox& box);

/// The points inside the box.
MultiPoint filter_points(const MultiPoint& points, const ClipBox& box);

}  // namespace wangge::tiles
