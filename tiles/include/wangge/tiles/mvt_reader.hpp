// wangge/tiles/mvt_reader.hpp — decoding Mapbox Vector Tiles, strictly.
//
// The decoder reads a whole tile into plain structs: layers, their key and value
// tables, features with resolved properties, the raw geometry commands and the
// geometry they describe. It serves the tests (round trips of the encoder) and the
// incremental updater (which rewrites some features of an existing tile), so it is
// strict: a tile that breaks the MVT 2.1 spec is rejected with wangge::input_error
// naming the layer, the feature and the reason, rather than half-read. Rejected:
//  - protobuf errors: truncated data, bad varints, a known field with the wrong wire
//    type, unknown fields in features and values (unknown fields of tiles and layers
//    are skipped only in the spec's extension range 16..8191), repeated singular
//    fields (two `geometry` fields, two `type` fields...);
//  - layers: no name, no version or a version other than 1 or 2, two layers with the
//    same name, extent 0;
//  - values: not exactly one of the seven typed fields;
//  - features: no `type` or `geometry` field, an unknown type, an odd number of tags,
//    a key or value index out of range;
//  - geometry: unknown command ids, a command count larger than the data left,
//    parameters left over, MoveTo with a count other than 1 in lines and polygons,
//    a LineTo or ring that is too short, a zero LineTo delta, ClosePath with a count
//    other than 1, ClosePath in a line (tolerated in version 1 layers, where it
//    closes the line as old encoders meant), a polygon that starts with a hole or has
//    a zero-area ring (version 2).
// Limits: a gzip tile inflates to at most max_inflated_tile_bytes (64 MiB), and the
// features (their properties: tags resolved to copies of keys and values; their
// geometry) take at most max_decoded_tile_bytes (256 MiB): beyond, it is rejected too.
// Geometry type UNKNOWN is valid: its commands are kept raw and not interpreted.
// Coordinates are 32-bit and wrap around like other decoders' when deltas overflow;
// real tiles stay far within that range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wangge/tiles/geometry.hpp"
#include "wangge/tiles/mvt.hpp"

namespace wangge::tiles {

/// Most memory the properties of one decoded tile may take (see above).
inline constexpr std::size_t max_decoded_tile_bytes = std::size_t{256} << 20;

struct Feature {
    std::optional<std::uint64_t> id;
    GeomType type = GeomType::unknown;
    Properties properties;                ///< in tag order
    std::vector<std::uint32_t> geometry;  ///< the raw command integers
    MultiPoint points;                    ///< type point: every point
    MultiLineString lines;                ///< type linestring: every line
    /// type polygon: rings grouped into polygons (exterior then holes), open, as stored
    /// (version 1 layers: grouped by the first ring's orientation, as renderers do).
    MultiPolygon polygons;

    /// The property with this key, if any.
    const Value* property(std::string_view key) const;
};

struct Layer {
    std::uint32_t version = 0;
    std::string name;
    std::uint32_t extent = default_extent;
    std::vector<std::string> keys;
    std::vector<Value> values;
    std::vector<Feature> features;
};

struct Tile {
    std::vector<Layer> layers;

    /// The layer with this name, or nullptr.
    const Layer* layer(std::string_view name) const;
};

/// Decode a tile. `data` may be the protobuf itself or gzip-compressed (recognized by
/// its magic bytes: a protobuf tile cannot start with them). Throws input_error.
Tile decode_tile(std::string_view data);

/// Decode the command stream of one geometry, as decode_tile does for a feature
/// (`layer_version` decides the version-specific rules). The result is in `out`'s
/// points, lines or polygons. Throws input_error with a reason (no location).
void decode_geometry(GeomType type, const std::vector<std::uint32_t>& commands, std::uint32_t layer_version,
                     Feature& out);

/// A readable rendering of a value ("park", 3.5, -2, true) for messages and tests.
std::string to_string(const Value& v);

}  // namespace wangge::tiles
