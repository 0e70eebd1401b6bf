// wangge/partition.hpp — dividing one village/community into full-function grids.
//
// The algorithm (docs/partition.md has the full statement and its guarantees):
//  1. Blocks: the village outline, barrier lines (roads, rivers, railways) and the
//     outlines of dedicated areas are noded together and polygonized. Faces of one
//     noded network share their edges exactly, so any grouping of faces is a valid
//     cover of the village by construction.
//  2. Blocks lighter than the minimum join a neighbour (the barrier between them
//     gives way to the size policy). Each group of blocks is cut into k grids by
//     weighted recursive bisection: axis-parallel cuts across the longer side, placed to split the
//     households in the wanted ratio, and among the balanced places the one nearest
//     the area-balanced cut (compactness). The cut lines join the network, which is
//     polygonized once more.
//  3. Faces are grouped by block and bisection leaf; a group that is not connected
//     keeps its heaviest component and the rest become groups of their own. Groups
//     lighter than the minimum are merged into a neighbour (one sharing a positive-
//     length edge, preferring edges that are not barriers and merges that stay under
//     the maximum; a group only slightly light stays rather than make a neighbour far
//     too heavy), so every grid is one connected polygon, and grid edges follow
//     barriers wherever the size policy allows. A group enclosed by a single other
//     group is merged into it (no holes the village does not have).
//  4. Each group's faces are unioned (GEOSCoverageUnion: exact for a noded coverage).
// Deterministic: no randomness; inputs are sorted; the same input gives the same
// grids, byte for byte, whatever the number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wangge {

namespace geos {
class Context;  // one GEOS context per thread (engine-internal, geometry/geos.hpp)
}

/// Grids one village can have: the serial of the unified grid code has 3 digits,
/// 001-999, and a serial is never given twice (docs/codes.md).
inline constexpr int max_grid_serial = 999;

/// Households per grid, as settings (defaults from common local practice: 300-500
/// in urban communities, 100-300 in rural villages; no national text fixes them).
struct SizePolicy {
    int urban_min = 300, urban_max = 500;
    int rural_min = 100, rural_max = 300;
    int target_grids = 0;            ///< > 0: this many grids per village instead of the household band
    double urban_area_km2 = 0.25;    ///< grid area target when a village has no household data
    double rural_area_km2 = 2.0;
    /// Accepted ranges of the settings (usage_error past them, naming the option).
    static constexpr int max_households = 100000;  ///< per grid, min and max
    static constexpr double min_area_km2 = 0.001, max_area_km2 = 1000;
    /// Throws usage_error naming the option when a value is out of its range or a band
    /// is empty (min > max).
    void validate() const;
};

/// The size rule one village gets from its totals alone, before any partitioning:
/// households per grid and the band around it, or m² when the village has no household
/// data, or a fixed count (--grids); and how many grids the rule gives.
struct SizeRule {
    bool by_area = false;                           ///< no household data: target and band in m²
    bool fixed = false;                             ///< policy.target_grids: band 0.5-1.5 of weight / N
    double weight = 0;                              ///< households, or m² when by_area
    double target = 0, band_min = 0, band_max = 0;  ///< per grid: households, or m² when by_area
    std::int64_t grids = 0;                         ///< grids the rule gives for the whole weight (not capped at 999)
};
SizeRule size_rule(const SizePolicy& policy, bool urban, bool by_area, double weight);

/// Area of a village outline (WKB, EPSG:4490) in m², measured as partition_village does.
double outline_area_m2(geos::Context& g, const std::vector<unsigned char>& wkb);

struct HouseholdPoint {
    double lon = 0, lat = 0;
    std::int64_t households = 0;
};

struct DedicatedArea {
    std::string name;                  ///< e.g. the school's name
    std::vector<unsigned char> wkb;    ///< polygon, EPSG:4490
};

struct VillageInput {
    std::string code;                  ///< 12-digit village/community code
    std::string name;
    bool urban = false;                ///< community (社区/居委会) rather than village (村)
    std::vector<unsigned char> wkb;    ///< outline, EPSG:4490
    std::vector<HouseholdPoint> households;
    std::vector<std::vector<unsigned char>> barriers;  ///< lines, EPSG:4490
    std::vector<DedicatedArea> dedicated;
};

struct GridResult {
    std::vector<unsigned char> wkb;    ///< Polygon (MultiPolygon only if the village forces it), EPSG:4490
    bool dedicated = false;
    std::string name;                  ///< dedicated area's name, else empty
    std::int64_t households = 0;
    double area_m2 = 0, perimeter_m = 0;
    double compactness = 0;            ///< Polsby-Popper 4πA/P²
    double label_lon = 0, label_lat = 0;  ///< interior point (centre of the largest inscribed circle)
    int parts = 0, holes = 0;
};

struct VillagePartition {
    std::string village_code;
    bool by_area = false;              ///< no household data: sizes by area
    int band_min = 0, band_max = 0;    ///< households (or m² when by_area)
    double target = 0;                 ///< households (or m²) per grid aimed at
    std::int64_t households = 0;
    std::vector<GridResult> grids;     ///< in numbering order: rows north to south, west to east within a row
    double interior_edge_m = 0;        ///< length of grid edges inside the village
    double barrier_edge_m = 0;         ///< ... of which along barrier lines
    double barrier_length_m = 0;       ///< length of barrier lines inside the village
    std::vector<std::string> notes;    ///< e.g. a building above the maximum
};

/// Partition one village. Pure: reads nothing, writes nothing; safe to run in
/// parallel with one geos::Context per thread.
VillagePartition partition_village(const VillageInput& village, const SizePolicy& policy, geos::Context& geos);

/// Community (社区/居委会) or village (村委会/村), from the name, else from the code's
/// village serial (001-199 communities).
bool is_urban_community(const std::string& code, const std::string& name);

} // namespace wangge
