// wangge/tiles/mbtiles.hpp — MBTiles 1.3 archives: tiles in a SQLite database.
//
// MBTiles is what GDAL/QGIS open directly and what most tile servers serve. The
// spec asks for a `metadata(name, value)` table and a `tiles(zoom_level, tile_column,
// tile_row, tile_data)` table or view, with rows numbered TMS-style: row 0 is the
// SOUTHERNMOST row, so tile_row = 2^z - 1 - y for an XYZ tile y (the writer and reader
// here flip it; callers always speak XYZ).
//
// Layout written: the deduplicated one of mbutil and tippecanoe. `images(tile_id,
// tile_data)` holds each distinct tile once, `map(zoom_level, tile_column, tile_row,
// tile_id)` points every tile at its image, and the view `tiles` joins them, so
// readers that know only the spec see the plain layout. Tile ids are the hex of a
// content hash (with a suffix on the rare collision of different bytes). Unique
// indexes on map(zoom_level, tile_column, tile_row) and images(tile_id).
//
// Tiles are stored gzip-compressed, as GDAL's MVT driver and MapLibre (through a
// server) expect in MBTiles. Metadata rows: name, format=pbf, minzoom, maxzoom, bounds,
// center, type, version, description and attribution when given, and `json` holding
// {"vector_layers": [...]}.
//
// The database is built as `FILE.tmp` (no journal: a failed build is simply
// discarded), synced and renamed over FILE by finish().
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wangge/tiles/tileset.hpp"

namespace wangge::tiles {

class MbtilesWriter {
public:
    /// Starts `path`.tmp (replacing a stale one). Throws io_error.
    explicit MbtilesWriter(std::filesystem::path path, TilesetInfo info = {});
    /// Without finish(): removes the temporary database, leaves `path` alone.
    ~MbtilesWriter();
    MbtilesWriter(const MbtilesWriter&) = delete;
    MbtilesWriter& operator=(const MbtilesWriter&) = delete;

    /// Add one tile: raw MVT (gzip-compressed here) or already gzip-compressed (kept).
    /// Empty data is not stored. The same z/x/y twice is a usage_error.
    void add_tile(const TileCoord& c, std::string_view data);

    /// Write the metadata, close the database and move it to `path` atomically.
    void finish();

    std::size_t tile_count() const noexcept;
    std::size_t image_count() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Reads an MBTiles archive (either layout: plain `tiles` table or the view).
class MbtilesReader {
public:
    /// Opens read-only. Throws io_error when the file is missing or not MBTiles.
    explicit MbtilesReader(const std::filesystem::path& path);
    ~MbtilesReader();
    MbtilesReader(const MbtilesReader&) = delete;
    MbtilesReader& operator=(const MbtilesReader&) = delete;

    std::map<std::string, std::string> metadata() const;
    /// The tile as stored (XYZ coordinates; the TMS flip is done here), or nullopt.
    std::optional<std::string> stored_tile(const TileCoord& c) const;
    std::size_t tile_count() const;
    /// Call `fn` for every tile (XYZ coordinates) with its bytes as stored.
    void for_each_tile(const std::function<void(const TileCoord&, const std::string& stored)>& fn) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wangge::tiles
