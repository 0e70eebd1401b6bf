// wangge/tiles/tile.hpp — one tile z/x/y, made now from the layers of a store: what
// `tiles build` and `tiles update` do for each tile of the pyramid, and what a tile
// server does on request.
//
//     MapLayers layers(store, options);             // read and prepared once
//     TileResult t = make_tile(layers, {14, x, y});  // any tile, any number of times
//
// The layers, their zooms, attributes and size rules are those of wangge/tiles/build.hpp.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "wangge/tiles/build.hpp"
#include "wangge/tiles/tileset.hpp"

namespace wangge {
class Store;
}

namespace wangge::tiles {

/// The layers of a map, read from a store (or from options.grids_file and
/// options.events_file) in the options' area (prefix, bbox) and prepared for tiling:
/// polygon layers made clean coverages, label points placed, events counted per grid.
class MapLayers {
public:
    /// Throws usage_error for an unknown layer in options.layers, input_error for
    /// unreadable files.
    MapLayers(Store& store, const BuildOptions& options);
    ~MapLayers();
    MapLayers(MapLayers&&) noexcept;
    MapLayers& operator=(MapLayers&&) noexcept;

    /// No layer has a feature.
    bool empty() const noexcept;

    struct Impl;
    const Impl& impl() const noexcept { return *impl_; }
    Impl& impl() noexcept { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

struct TileResult {
    std::string data;         ///< the tile, MVT uncompressed; empty when nothing is in it
    std::string size_action;  ///< over the size limit: what was done, for the summary; else ""
    /// per point layer: the points this tile shows (events as counted)
    std::map<std::string, std::int64_t> points;
};

/// The tile `tile` of the layers: every layer whose zooms hold tile.z, cut to the tile
/// with its buffer, simplified for the zoom, reduced by the size rules when over
/// options.max_tile_bytes. The same bytes as the tile of a full build.
TileResult make_tile(const MapLayers& layers, const TileCoord& tile);

/// What an archive of the layers describes, as `tiles build` writes it (vector_layers
/// with their fields and zooms, bounds and centre of what is drawn, attribution, the
/// build options), with `built_at` as its `wangge:built_at`.
TilesetInfo describe_tileset(const MapLayers& layers, const std::string& built_at);

}  // namespace wangge::tiles
