// wangge/topology.hpp — a layer of polygons as a clean planar coverage of shared
// arcs, for drawing it at any scale without gaps or overlaps between neighbours.
//
// Polygons from the field are rarely a perfect coverage: neighbouring counties'
// outlines overlap a little, and where two villages meet one grid's edge is often
// only a part of the other's (a T-junction). Simplifying each polygon on its own
// then opens gaps and slivers between neighbours. Here every boundary of the layer
// is noded together once, the faces are polygonized, and each face goes to one
// feature: the first in input order that holds it (the store lists grids by code,
// so the lowest code, as events are assigned). The features' boundaries are then
// cut into arcs at the nodes where three or more faces meet; an arc shared by two
// features is stored once. Simplifying an arc once for both neighbours keeps
// them sharing it exactly, at every tolerance.
//
// Coordinates are projected once to Web Mercator metres (EPSG:3857), where tile
// pixels are square, so a tolerance in pixels is the same everywhere.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace wangge::topology {

struct XY {
    double x = 0, y = 0;
    bool operator==(const XY&) const = default;
};
using Ring = std::vector<XY>;                 ///< closed: first == last
using Polygon = std::vector<Ring>;            ///< exterior first, then holes
using MultiPolygon = std::vector<Polygon>;

/// lon/lat (degrees) to Web Mercator metres and back; latitude clamped to ±85.0511°.
XY to_mercator(double lon, double lat);
std::pair<double, double> from_mercator(const XY& p);

class Coverage {
public:
    /// Polygons as WKB (Polygon or MultiPolygon, lon/lat). Features that get no
    /// face (wholly covered by earlier ones) come back empty.
    explicit Coverage(const std::vector<std::vector<unsigned char>>& wkb_polygons);
    ~Coverage();
    Coverage(Coverage&&) noexcept;
    Coverage& operator=(Coverage&&) noexcept;

    std::size_t size() const noexcept;
    std::size_t arc_count() const noexcept;

    /// Feature `i` with every arc simplified (Douglas-Peucker, end points fixed) to
    /// `tolerance` metres; 0: as built. Rings that collapse are dropped.
    MultiPolygon feature(std::size_t i, double tolerance) const;

    /// Simplify all arcs once for a tolerance; later feature() calls with the same
    /// tolerance reuse it (what a tiler does once per zoom).
    void prepare(double tolerance);

    /// Envelope of a feature in Web Mercator metres: minx, miny, maxx, maxy.
    std::array<double, 4> envelope(std::size_t i) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Douglas-Peucker of a polyline with both end points kept.
std::vector<XY> simplify_line(const std::vector<XY>& line, double tolerance);

} // namespace wangge::topology
