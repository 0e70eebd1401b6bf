// Field numbers and command ids of the MVT 2.1 protobuf schema (vector_tile.proto),
// shared by the encoder and the decoder.
#pragma once

#include <cstdint>

namespace wangge::tiles::wire {

// message Tile
inline constexpr std::uint32_t tile_layers = 3;
// message Layer
inline constexpr std::uint32_t layer_name = 1;
inline constexpr std::uint32_t layer_features = 2;
inline constexpr std::uint32_t layer_keys = 3;
inline constexpr std::uint32_t layer_values = 4;
inline constexpr std::uint32_t layer_extent = 5;
inline constexpr std::uint32_t layer_version = 15;
// message Feature
inline constexpr std::uint32_t feature_id = 1;
inline constexpr std::uint32_t feature_tags = 2;
inline constexpr std::uint32_t feature_type = 3;
inline constexpr std::uint32_t feature_geometry = 4;
// message Value
inline constexpr std::uint32_t value_string = 1;
inline constexpr std::uint32_t value_float = 2;
inline constexpr std::uint32_t value_double = 3;
inline constexpr std::uint32_t value_int = 4;
inline constexpr std::uint32_t value_uint = 5;
inline constexpr std::uint32_t value_sint = 6;
inline constexpr std::uint32_t value_bool = 7;
// `extensions 16 to 8191` in Tile and Layer: fields there may be skipped.
inline constexpr std::uint32_t extensions_first = 16;
inline constexpr std::uint32_t extensions_last = 8191;

// Geometry commands: id in the low 3 bits, count in the other 29.
inline constexpr std::uint32_t cmd_move_to = 1;
inline constexpr std::uint32_t cmd_line_to = 2;
inline constexpr std::uint32_t cmd_close_path = 7;
inline constexpr std::uint32_t max_command_count = (1u << 29) - 1;

}  // namespace wangge::tiles::wire
