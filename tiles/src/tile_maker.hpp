// Making tiles from prepared layers (internal): the layers of a build (MapLayers::Impl),
// a zoom's simplified geometries and entries, and one tile from them. See tile.cpp.
#pragma once

#include <optional>

#include "layers.hpp"
#include "wangge/tiles/tile.hpp"

namespace wangge::tiles {

struct MapLayers::Impl {
    BuildOptions options;
    int threads = 1;
    std::vector<detail::LayerData> layers;  // those with features, in the registry's order
    std::map<std::string, std::int64_t> features_per_layer;
    std::map<std::string, std::string> coverage_per_layer;
    // grid labels, in code order: where events below the points zoom are drawn
    std::vector<std::pair<std::string, topology::XY>> labels;
    std::vector<std::int64_t> label_events;             // events per label
    std::vector<std::string> label_village;             // village of each label's grid
    std::map<std::string, topology::XY> village_label;  // village -> its lowest grid's label
};

namespace detail {

/// A tile x or y range.
struct Range {
    std::uint32_t x0, x1, y0, y1;
};
/// The tiles of an envelope (Web Mercator metres) at zoom z, with the buffer.
Range tile_range(const std::array<double, 4>& e, int z);

/// A point in whole tile units of zoom z across the world (0 to 2^z * extent - 1, y
/// down), rounded once: the tile a point goes to and the coordinates written in it
/// both come from this, so rounding cannot move a point out of its tile. Tiles are
/// half-open, [0, extent) in their own units: a point on an edge is in one tile.
struct Units {
    std::int64_t x, y;
    std::uint64_t tile() const { return (std::uint64_t(x / extent) << 32) | std::uint64_t(y / extent); }
};
Units world_units(const topology::XY& p, int z);

inline std::uint64_t tile_key(std::uint32_t x, std::uint32_t y) {
    return (std::uint64_t(x) << 32) | y;
}

/// A feature of a layer in a tile.
struct Entry {
    std::uint64_t tile;  // x << 32 | y
    std::uint32_t layer, feature;
    bool operator<(const Entry& o) const {
        return std::tie(tile, layer, feature) < std::tie(o.tile, o.layer, o.feature);
    }
};

/// A zoom of the layers: the tolerance, and each polygon simplified for it (where
/// entries need it).
struct Zoom {
    int z = 0;
    double tol = 0;
    std::vector<std::vector<topology::MultiPolygon>> geoms;  // [layer][feature]
};

/// Simplify every polygon layer of the zoom once (Coverage::prepare) and make each
/// polygon's geometry, on all threads: for building every tile of the zoom.
void prepare_zoom(MapLayers::Impl& m, Zoom& zoom);

/// The zoom's entries, sorted: of every tile (after prepare_zoom), or of the tile
/// `only`, making the geometries of its polygons.
std::vector<Entry> zoom_entries(const MapLayers::Impl& m, Zoom& zoom, std::optional<std::uint64_t> only = {});

/// One tile from its entries [begin, end) (all of one tile, sorted).
struct TileOut {
    std::string data, size_action;
    std::map<std::uint32_t, std::int64_t> points;  // per layer index
};
TileOut make_tile(const MapLayers::Impl& m, const Zoom& zoom, const TileCoord& c, const Entry* begin, const Entry* end);

}  // namespace detail
}  // namespace wangge::tiles
