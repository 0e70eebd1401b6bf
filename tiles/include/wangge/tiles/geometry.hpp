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

/// Round fractional coordinates to the integer grid (half away from zero).
Point quantize(PointD p);
Ring quantize(const RingD& ring);
Polygon quantize(const PolygonD& polygon);

}  // namespace wangge::tiles
