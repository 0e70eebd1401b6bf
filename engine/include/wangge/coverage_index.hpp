// wangge/coverage_index.hpp — which polygon of a coverage holds a point, fast.
//
// Built once from the grids (a coverage: polygons that do not overlap), then
// queried from any number of threads. A raster over the coverage's extent marks
// every cell that an edge passes through (or near) as a boundary cell, with its
// candidates: the polygons whose edges were marked there and the polygon holding
// the cell's centre. Every other cell lies wholly inside the polygon holding its
// centre, or in none, settled once at build time by scanlines through the cell
// centres. A point in an interior or empty cell is answered from the raster
// alone; a point in a boundary cell by a crossing-number test against its few
// candidates.
//
// Boundary rule (deterministic, documented in docs/codes.md): the crossing test is
// half-open: an edge counts for a point when its lower end is at or below the
// point and its upper end above it, with the crossing strictly to the point's
// east; both neighbours of a shared edge compute that crossing from the same
// normalised end points, so they never disagree. A point on a shared north-south
// edge goes to the grid east of it, on an east-west edge to the grid north of it,
// and on a vertex to the grid whose half-open corner [west, east) x [south, north)
// holds it. Where the two grids' vertices along a shared line differ (T-junctions
// where villages meet) and rounding leaves a point on the line in neither, and on
// the coverage's outer edge, a point within 1e-9 degree (0.1 mm) of a grid's edge
// goes to the grid whose edge is nearest. Where grids overlap (the real county
// outlines of neighbouring counties overlap a little, and so do their villages'
// grids) the point goes to the grid that comes first in the index: the lowest
// code, as the store builds it. Every point of the coverage, edges included, thus
// falls in exactly one grid.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace wangge {

class CoverageIndex {
public:
    struct Polygon {
        std::string code;
        std::vector<unsigned char> wkb;  ///< Polygon or MultiPolygon, lon/lat
    };

    /// Build from polygons. `cells` is the raster size aimed at (cells in all);
    /// 0 picks one from the number of vertices.
    explicit CoverageIndex(const std::vector<Polygon>& polygons, std::size_t cells = 0);
    ~CoverageIndex();
    CoverageIndex(CoverageIndex&&) noexcept;
    CoverageIndex& operator=(CoverageIndex&&) noexcept;

    /// Index of the polygon holding (lon, lat) by the half-open rule, or -1.
    int locate(double lon, double lat) const noexcept;

    /// Nearest polygon to a point and its distance in metres (0 inside); -1 when empty.
    std::pair<int, double> nearest(double lon, double lat) const;

    const std::string& code(int index) const { return codes_[static_cast<std::size_t>(index)]; }
    std::size_t size() const noexcept { return codes_.size(); }

    struct Stats {
        std::size_t polygons = 0, vertices = 0, columns = 0, rows = 0;
        std::size_t interior_cells = 0, boundary_cells = 0, empty_cells = 0, candidates = 0;
        double build_seconds = 0;
    };
    const Stats& stats() const noexcept { return stats_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::vector<std::string> codes_;
    Stats stats_;
};

} // namespace wangge
