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
// Noding everything with GEOS is slow on large layers, and most layers are
// nearly clean: check_coverage() first proves exactly where they are not. A
// T-junction is fixed by inserting the vertex into the neighbour's edge, points a
// hair apart are merged (no new coordinates either way); only features with real
// crossings or overlaps are noded again with GEOS, and the whole is checked again
// before use. Noding the whole layer is the last resort. Checks and fixes run in
// lon/lat, where the input's edges are straight.
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

/// Whether polygons already form a clean coverage, to the last bit: every ring has
/// area; edges meet only at shared end points (noded: no crossing, no vertex on
/// another edge); an edge is used by at most two features, on opposite sides; and
/// no feature lies over another (checked around every vertex, and for pieces that
/// touch nothing, by winding numbers). Orientations whose sign rounding could flip
/// count as problems, so "clean" is never an artefact of rounding. Points closer
/// than a snap distance (1e-9 of the coordinates' size: about 1 cm in lon/lat)
/// count as one point: they are reported as merges, and a vertex that close to
/// another feature's edge as a split (a T-junction), to be fixed by apply_fixes()
/// without computing new coordinates. Coordinates in any planar frame.
struct CoverageCheck {
    bool clean = false;
    /// A vertex on another feature's edge a-b: insert it there.
    struct Split {
        XY a, b, vertex;
    };
    /// Two points a hair apart: make them one (the lower).
    struct Merge {
        XY a, b;
    };
    std::vector<Split> splits;
    std::vector<Merge> merges;
    std::vector<std::size_t> bad;  ///< features with any other problem (crossing, overlap, no area), ascending
    std::string first_problem;     ///< "feature 12: an edge crossing …"; empty when clean
    std::size_t vertices = 0, edges = 0;
};
CoverageCheck check_coverage(const std::vector<MultiPolygon>& features);
/// Apply a check's merges (when it has any; else its splits) to every ring.
void apply_fixes(std::vector<MultiPolygon>& features, const CoverageCheck& check);

class Coverage {
public:
    enum class Build {
        automatic,  ///< use a clean layer as it is, node only features at fault
        node_all,   ///< node the whole layer with GEOS (the reference)
    };
    /// How the layer was made clean.
    struct Method {
        std::string name;           ///< "clean", "repaired" or "noded"
        std::size_t fixed = 0;      ///< points merged or inserted into a neighbour's edge
        std::size_t renoded = 0;    ///< features noded again with GEOS
        std::string first_problem;  ///< what the check found first
    };

    /// Polygons as WKB (Polygon or MultiPolygon, lon/lat). Features that get no
    /// face (wholly covered by earlier ones) come back empty.
    explicit Coverage(const std::vector<std::vector<unsigned char>>& wkb_polygons, Build build = Build::automatic);
    const Method& method() const noexcept;
    ~Coverage();
    Coverage(Coverage&&) noexcept;
    Coverage& operator=(Coverage&&) noexcept;

    std::size_t size() const noexcept;
    std::size_t arc_count() const noexcept;

    /// Feature `i` with every arc simplified (Douglas-Peucker, end points fixed) to
    /// `tolerance` metres; 0: as built. Rings that collapse are dropped.
    MultiPolygon feature(std::size_t i, double tolerance) const;

    /// The union of some features, from the same arcs (so it still meets the
    /// features around it exactly): arcs between two of them are left out, the rest
    /// chained into rings. For showing a group (the grids of a village) as one.
    MultiPolygon merged(const std::vector<std::size_t>& features, double tolerance) const;

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
