// serve/source.hpp — where the tile server gets its tiles: an archive (PMTiles,
// MBTiles), the store (tiles made on demand with make_tile, cached), or an archive
// with the store's changes since it was built laid over it. Internal to the server.
#pragma once

#include "wangge/tiles/tileset.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace wangge::tiles::serve {

/// What a source answers for one z/x/y.
struct SourceTile {
    enum class Kind {
        tile,     ///< bytes hold the tile
        empty,    ///< inside the bounds and zooms, but no feature (HTTP 204)
        outside,  ///< outside the bounds or the zoom range (HTTP 404)
    };
    Kind kind = Kind::outside;
    std::string bytes;   ///< the tile as stored
    bool gzip = false;   ///< bytes are gzip-compressed
    std::string etag;    ///< quoted strong ETag; changes whenever the bytes change
};

/// The quoted strong ETag of stored bytes: a 64-bit hash (FNV-1a in four lanes) and the
/// length, in hex ("\"9f0e4c2a1b3d5e7f-1a2b\""). The same bytes give the same tag in
/// every process and run (clients keep their cached tiles across server restarts).
std::string etag_of(std::string_view bytes);

/// A tileset as the server describes it (TileJSON, styles).
struct SourceInfo {
    TilesetInfo tileset;     ///< name, layers with fields, bounds, center, attribution
    int minzoom = 0, maxzoom = 0;
    /// The archive's `wangge:built_at` ('YYYY-MM-DDTHH:MM:SSZ'); "" for a store source.
    std::string built_at;
    /// The archive file, for /archives/{file}; empty for a store source.
    std::filesystem::path file;
};

/// A named set of tiles. tile() and info() may be called from several threads at once.
class TileSource {
public:
    virtual ~TileSource() = default;
    /// The name the tiles are served under (/tiles/{name}/...).
    virtual const std::string& name() const = 0;
    virtual SourceInfo info() const = 0;
    virtual SourceTile tile(const TileCoord& c) = 0;
};

}  // namespace wangge::tiles::serve
