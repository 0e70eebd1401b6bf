// wangge/tiles/build.hpp — the tile pyramid of a store: jurisdictions, grids, label
// points and events, in a PMTiles or MBTiles archive.
//
// Label layers (grid_labels; county_labels, township_labels, village_labels with
// `code` and `name`) hold one point per feature, inside it (jurisdictions: the centre
// of the largest inscribed circle), so a client labels a polygon cut by tile edges
// once.
//
// Each polygon layer is first made a clean coverage of shared arcs
// (wangge/topology.hpp); every zoom simplifies each arc once, so neighbouring
// counties, townships, villages and grids share their edges exactly at every zoom:
// no gaps, no slivers. Features are cut to tiles with a buffer, quantized to the
// tile grid (extent 4096) and encoded as MVT 2.1. A tile over the size limit is
// simplified further (polygons) or has its event points aggregated per grid; the
// summary says which tiles, and nothing is dropped silently.
//
// Points: every point is in exactly one tile at each zoom of its layer. Tiles are
// half-open ([0, 4096) in their units); a point is rounded to the units of its zoom
// once, and both its tile and its coordinates in it come from that. Events below the
// points zoom are one point per grid at the grid's label (in the label's tile) with
// the grid's count; an event in no current grid stays a point of its own (count 1).
// In a tile aggregated for its size, the events of that tile are counted per grid
// (per village when its grids are merged), at the label when it lies in the tile,
// else at the first of those events: each event is counted once per zoom.
#pragma once

#include "wangge/tiles/tileset.hpp"

#include <wangge/codes.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wangge {
class Store;
}

namespace wangge::tiles {

struct LayerZooms {
    int minzoom = 0, maxzoom = 16;
};

/// Default zoom ranges: counties z0+, townships z6+, villages z9+, grids z10+,
/// grid labels z12+, county labels z7+, township labels z9+, village labels z11+,
/// events as points from z14, aggregated per grid z10-13.
std::map<std::string, LayerZooms> default_layer_zooms();

struct BuildOptions {
    std::filesystem::path out;             ///< .pmtiles or .mbtiles
    int minzoom = 0, maxzoom = 16;
    std::vector<std::string> layers;       ///< empty: all layers that have data
    std::map<std::string, LayerZooms> zooms = default_layer_zooms();
    std::string prefix;                    ///< only features under this code (county, township)
    std::optional<std::array<double, 4>> bbox;  ///< min lon, min lat, max lon, max lat
    std::size_t max_tile_bytes = 500 * 1024;    ///< of the uncompressed tile
    double simplify_units = 2.0;           ///< Douglas-Peucker tolerance in tile units (extent 4096)
    int events_point_zoom = 14;            ///< events as points from this zoom; aggregated per grid below
    int threads = 0;
    /// Update: regenerate only the tiles over what changed in the store since this
    /// archive was built (its `wangge:built_at`), copy the others from it. Every tile
    /// copied is decoded first (strictly, wangge/tiles/mvt_reader.hpp): a corrupt one
    /// is an input_error naming the archive and the tile, and the archive is left as it was.
    std::filesystem::path update_from;
    /// Tile files instead of the store (batch jobs, benchmarks): grids from any GDAL
    /// polygon file (code from `grids_code_field`), events from a CSV with lon/lat
    /// columns (assigned to those grids for the counts): `events_x_field` /
    /// `events_y_field` when given, else found by wangge/csv.hpp's one rule
    /// (lon, lng, longitude, x, 经度 / lat, latitude, y, 纬度, any case).
    std::filesystem::path grids_file, events_file;
    std::string grids_code_field = "code";
    std::string events_x_field, events_y_field;
};

struct BuildReport {
    std::int64_t tiles = 0, bytes = 0;     ///< tiles written, total bytes stored (gzipped)
    std::int64_t largest = 0;              ///< largest tile, uncompressed bytes
    std::string largest_tile;
    std::map<int, std::int64_t> per_zoom;
    std::map<std::string, std::int64_t> features_per_layer;  ///< features in the source
    /// polygon layers: how they were made a clean coverage ("clean", "12 points
    /// fixed, 3 features renoded", "noded as a whole")
    std::map<std::string, std::string> coverage_per_layer;
    std::vector<std::string> size_actions; ///< tiles simplified further or aggregated, and why
    /// Point layers at a zoom whose tiles do not hold each point once (events: counted
    /// once, as a point or in a count), "events z12: 5194 of 5820 points in tiles";
    /// empty when all are (full builds only: an update builds some tiles).
    std::vector<std::string> points_missing;
    std::vector<VectorLayer> layers;
    double seconds = 0;
    int threads = 0;
    std::int64_t regenerated = 0, copied = 0;  ///< update: tiles built anew, tiles kept as they were
    std::string since;                         ///< update: the build time of the archive updated
};

BuildReport build_tiles(Store& store, const BuildOptions& options, const ProgressFn& progress = {});

/// The options an archive was built with (from its metadata), set up to update it
/// in place: regenerate the tiles over what changed since, keep the others.
BuildOptions update_options(const std::filesystem::path& archive);

} // namespace wangge::tiles
