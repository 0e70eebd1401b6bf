// wangge/tiles/geometry.hpp — geometry in tile coordinates, as vector tiles see it.
//
// A vector tile stores geometry as integers in a square of `extent` units (4096 by
// default) whose origin is the tile's top-left corner, x to the right and y DOWN.
// Geometry slightly outside [0, extent) is normal: tiles carry a buffer so that
// lines and polygon edges render without seams at tile borders.
//
// Rings are stored open (the first point is not repeated at the end); functions
// that take rings also accept a closed ring and drop the repeated last point.
//
// Orientation: the MVT 2.x spec computes a ring's area with the surveyor's formula
// in tile coordinates; an exterior ring has a POSITIVE area (it looks clockwise on
// screen because y points down), an interior ring (hole) a negative one.
#pragma once

#include <cstdint>
#include <vector>

namespace wangge::tiles {

/// A point in integer tile coordinates.
struct Point {
    std::int32_t x = 0;
    std::int32_t y = 0;
    friend bool operator==(const Point&, const Point&) = default;
};

/// A point in fractional tile coordinates (before quantization to the grid).
struct PointD {
    double x = 0;
    double y = 0;
    friend bool operator==(const PointD&, const PointD&) = default;
};

using MultiPoint = std::vector<Point>;
using LineString = std::vector<Point>;
using Ring = std::vector<Point>;
/// Rings of one polygon: the exterior first, then its holes.
using Polygon = std::vector<Ring>;
using MultiLineString = std::vector<LineString>;
using MultiPolygon = std::vector<Polygon>;

using LineStringD = std::vector<PointD>;
using RingD = std::vector<PointD>;
using PolygonD = std::vector<RingD>;

/// MVT geometry types (values of the `GeomType` enum of the spec).
enum class GeomType : std::uint8_t { unknown = 0, point = 1, linestring = 2, polygon = 3 };

const char* to_string(GeomType t) noexcept;

/// Twice the signed area of a ring by the spec's surveyor's formula, computed exactly
/// (128-bit accumulator) and saturated to the int64 range. Positive = exterior.
std::int64_t ring_area2(const Ring& ring) noexcept;
/// The same for fractional coordinates (twice the signed area).
double ring_area2(const RingD& ring) noexcept;
/// True when every point of the ring lies on one line (exact): it encloses nothing.
/// A ring of zero area by ring_area2 that is not collinear crosses itself.
bool collinear(const Ring& ring) noexcept;

/// Round fractional coordinates to the integer grid (half away from zero).
Point quantize(PointD p);
Ring quantize(const RingD& ring);
Polygon quantize(const PolygonD& polygon);

// ---------------------------------------------------------------- validity
//
// A polygon feature is valid (MVT 2.1, and what GEOS IsValid checks of the
// MultiPolygon a reader builds from it) when every ring is simple (no edge crosses or
// touches another, no spike running back along itself), every hole lies inside its
// exterior and outside the other holes, the interiors of the parts are disjoint, and
// rings meet at single points at most without cutting an interior in two. Clipping and
// rounding to the integer grid break this near the buffer edge (zero-width bridges
// along the clip edge, holes sharing it with their exterior) and where features are a
// unit or less wide (vertices that round onto or across an edge, parts that round onto
// each other).

/// Fast exact test, conservative: true only when the polygons (exterior first, then
/// holes; rings open, at least 3 points, any orientation) are valid AND no two rings
/// meet at all: no two edges share a point except consecutive edges of a ring at their
/// common vertex (without folding back), each hole is inside its exterior, no hole
/// inside another, no exterior inside another part's exterior. False does not mean
/// invalid: rings touching at a point or a part inside another's hole are valid too
/// (make_valid asks GEOS then). Integer arithmetic throughout (coordinates beyond
/// +-2^29 give false). O(n log n) for n edges in the usual case.
bool clearly_valid(const MultiPolygon& polygons);

/// Valid polygons for what `polygons` cover: `polygons` itself, unchanged, when it is
/// valid (clearly_valid, else GEOS IsValid); else repaired on the integer grid with
/// GEOS: MakeValid by its "structure" method (exteriors united, holes subtracted,
/// collapsed pieces dropped), then snapped to the grid of 1 unit by
/// GEOSGeom_setPrecision, whose result is valid. Repaired output has exteriors of
/// positive area and holes of negative area (the spec's orientation); it is empty when
/// nothing of positive area was left. Input rings must be open with at least 3
/// distinct points (as clean_ring leaves them). Throws geometry_error if GEOS fails.
MultiPolygon make_valid(const MultiPolygon& polygons);

}  // namespace wangge::tiles
