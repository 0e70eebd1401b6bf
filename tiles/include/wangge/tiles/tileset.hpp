// wangge/tiles/tileset.hpp — what a tile archive says about its tiles.
//
// Tiles are addressed z/x/y in the XYZ scheme of web maps: zoom z has 2^z x 2^z
// tiles of Web Mercator (EPSG:3857), x grows east and y grows SOUTH from the tile at
// the north-west corner. (MBTiles stores rows the other way round, TMS; the MBTiles
// writer flips them, callers never do.)
//
// Both archive formats carry a TileJSON-like description: name, bounds, center, zoom
// range and `vector_layers` — the layers found in the tiles with their fields — which
// MapLibre, GDAL and QGIS read to list layers and attributes without opening a tile.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wangge/error.hpp"

namespace wangge::tiles {

/// Highest zoom the archives accept (PMTiles tile ids are 64-bit: z <= 31).
inline constexpr int max_zoom = 31;

/// A tile archive (PMTiles, MBTiles) or its metadata is corrupt: the message names the
/// file and what is wrong ("X.pmtiles: corrupt PMTiles archive: ..."). Input rejected:
/// the CLI exits 3.
class archive_error : public input_error {
public:
    using input_error::input_error;
};

/// Most tiles one archive may address (runs counted in full), for the readers: a
/// count beyond it is corruption, not a reason to loop or allocate. Typical wangge
/// archives address 10^3-10^5 tiles.
inline constexpr std::uint64_t max_archive_tiles = std::uint64_t{1} << 24;

/// Largest tile the readers and the MVT decoder inflate (gzip): 64 MiB. wangge's tiles
/// are limited to `--max-tile-kb` (500 KB) before compression.
inline constexpr std::size_t max_inflated_tile_bytes = std::size_t{64} << 20;

/// A number for messages, with thousands separators ("16,777,216").
std::string grouped(std::uint64_t n);

struct TileCoord {
    std::uint8_t z = 0;
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    friend auto operator<=>(const TileCoord&, const TileCoord&) = default;
};

/// "z/x/y", for messages.
std::string to_string(const TileCoord& c);

/// Throws usage_error unless z <= max_zoom and x, y < 2^z.
void check_tile(const TileCoord& c);

struct LonLatBounds {
    double min_lon = 0;
    double min_lat = 0;
    double max_lon = 0;
    double max_lat = 0;

    /// The smallest bounds holding both.
    void extend(const LonLatBounds& o);
};

/// The WGS84 longitude/latitude bounds of a Web Mercator tile.
LonLatBounds tile_bounds(const TileCoord& c);

/// A layer as listed in `vector_layers`.
struct VectorLayer {
    std::string id;  ///< the layer name in the tiles
    std::string description;
    int minzoom = 0;
    int maxzoom = 0;
    /// Field name -> "String", "Number" or "Boolean" (TileJSON's convention).
    std::map<std::string, std::string> fields;
    /// "Point", "LineString" or "Polygon" when the layer holds one kind; empty when
    /// unknown or mixed. Written to `tilestats`, where GDAL looks for layer types.
    std::string geometry;
};

/// The description of a tileset. Empty strings are left out of the written metadata.
struct TilesetInfo {
    std::string name;
    std::string description;
    std::string attribution;
    std::string version = "1.0.0";
    std::string type = "overlay";  ///< "overlay" or "baselayer"
    std::vector<VectorLayer> vector_layers;
    /// Default: the union of the bounds of the tiles written.
    std::optional<LonLatBounds> bounds;
    /// lon, lat, zoom. Default: the middle of the bounds at the lowest zoom written.
    std::optional<std::array<double, 3>> center;
    /// More metadata keys (e.g. wangge's build time, which `tiles update` reads back).
    std::map<std::string, std::string> extra;
};

nlohmann::json to_json(const VectorLayer& l);
nlohmann::json to_json(const std::vector<VectorLayer>& layers);
/// Parse `vector_layers`; throws input_error when it is not an array of objects with an id.
std::vector<VectorLayer> vector_layers_from_json(const nlohmann::json& j);
/// {"vector_layers": [...], "tilestats": {...}}: the layer description both archives
/// carry (MBTiles in its `json` row, PMTiles in its metadata). `tilestats` (Mapbox's
/// layout, without counts) gives each layer's geometry type and attribute types.
nlohmann::json metadata_json(const std::vector<VectorLayer>& layers);

/// Typed reads of wangge's own keys in an archive's metadata: a missing key or a value
/// of the wrong type is an archive_error naming the file, the metadata entry and the
/// key ("X.pmtiles: corrupt archive metadata: wangge:build: 'minzoom' is an object,
/// not an integer").
class MetadataObject {
public:
    /// `text` must be a JSON object; `file` and `entry` (e.g. "wangge:build") are for messages.
    MetadataObject(std::string_view text, const std::filesystem::path& file, std::string entry);

    bool has(std::string_view key) const;
    int integer(std::string_view key) const;        ///< an integer within int
    std::size_t count(std::string_view key) const;  ///< a non-negative integer
    double number(std::string_view key) const;      ///< any finite number
    std::string string(std::string_view key) const;
    std::vector<std::string> strings(std::string_view key) const;  ///< an array of strings
    std::array<double, 4> numbers4(std::string_view key) const;    ///< an array of 4 numbers

private:
    const nlohmann::json& at(std::string_view key) const;
    [[noreturn]] void fail(std::string_view key, const std::string& what) const;
    nlohmann::json j_;
    std::string where_;  // "FILE: corrupt archive metadata: ENTRY"
};

/// The string at `key` of a metadata object (PMTiles' JSON metadata), "" when absent;
/// an archive_error naming the file and key when it is not a string.
std::string metadata_string(const nlohmann::json& meta, std::string_view key, const std::filesystem::path& file);

}  // namespace wangge::tiles
