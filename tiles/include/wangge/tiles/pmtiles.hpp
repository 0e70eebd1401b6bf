// wangge/tiles/pmtiles.hpp — PMTiles v3 archives: all tiles of a tileset in one file
// that a browser or server reads with HTTP range requests, no tile server needed.
//
// Layout written here (spec v3): a fixed 127-byte header; the root directory (so that
// header and root fit in the first 16 KiB, one request); the metadata JSON; the leaf
// directories; the tile data. Directories and metadata are gzip-compressed, tiles too
// (tile compression gzip, tile type MVT).
//
// Tiles are addressed by a Hilbert tile id: the count of tiles of all lower zooms plus
// the tile's position along the Hilbert curve of its zoom, so that tiles near each
// other on the map are near each other in the file. A directory lists entries sorted
// by id: (tile id, offset, length, run length). Writing, the archive
//  - stores identical tile contents once (hash, then a byte comparison): every entry
//    of a duplicate points at the same bytes;
//  - merges consecutive tile ids with the same content into one entry whose run
//    length counts them (seas, empty grid cells);
//  - writes tile data in tile id order ("clustered");
//  - moves entries to leaf directories when the compressed root would not fit in the
//    first 16 KiB: leaves of at least 4096 entries, grown until the root of leaf
//    pointers fits (run length 0 marks a pointer to a leaf).
// The writer spools unique tile contents to a scratch file beside the target, keeping
// only the index in memory, then writes `FILE.tmp`, syncs it and renames it over FILE.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wangge/tiles/tileset.hpp"

namespace wangge::tiles {

/// The Hilbert tile id of z/x/y (spec: 12/3423/1763 is 19078479). Throws usage_error
/// for a tile outside its zoom.
std::uint64_t zxy_to_tile_id(const TileCoord& c);
/// The inverse. Throws usage_error for an id beyond zoom 31.
TileCoord tile_id_to_zxy(std::uint64_t id);

/// Limits of the reader (beyond them an archive is corrupt, an archive_error), besides
/// max_archive_tiles: all directories of an archive inflate to at most
/// max_directory_bytes together, nest at most max_directory_depth levels (root
/// included), and the metadata inflates to at most max_metadata_bytes.
inline constexpr std::uint64_t max_directory_bytes = std::uint64_t{128} << 20;
inline constexpr int max_directory_depth = 4;
inline constexpr std::size_t max_metadata_bytes = std::size_t{16} << 20;

enum class Compression : std::uint8_t { unknown = 0, none = 1, gzip = 2, brotli = 3, zstd = 4 };
enum class TileType : std::uint8_t { unknown = 0, mvt = 1, png = 2, jpeg = 3, webp = 4, avif = 5 };

struct PmtilesHeader {
    static constexpr std::size_t size = 127;

    std::uint8_t version = 3;
    std::uint64_t root_directory_offset = 0;
    std::uint64_t root_directory_length = 0;
    std::uint64_t metadata_offset = 0;
    std::uint64_t metadata_length = 0;
    std::uint64_t leaf_directories_offset = 0;
    std::uint64_t leaf_directories_length = 0;
    std::uint64_t tile_data_offset = 0;
    std::uint64_t tile_data_length = 0;
    std::uint64_t addressed_tiles = 0;  ///< tiles reachable, runs counted in full
    std::uint64_t tile_entries = 0;     ///< directory entries with run length > 0
    std::uint64_t tile_contents = 0;    ///< distinct tile blobs stored
    bool clustered = false;
    Compression internal_compression = Compression::gzip;
    Compression tile_compression = Compression::gzip;
    TileType tile_type = TileType::mvt;
    std::uint8_t min_zoom = 0;
    std::uint8_t max_zoom = 0;
    std::int32_t min_lon_e7 = 0;  ///< degrees * 10^7
    std::int32_t min_lat_e7 = 0;
    std::int32_t max_lon_e7 = 0;
    std::int32_t max_lat_e7 = 0;
    std::uint8_t center_zoom = 0;
    std::int32_t center_lon_e7 = 0;
    std::int32_t center_lat_e7 = 0;

    /// The 127 bytes (little-endian fields, magic "PMTiles", version 3).
    std::string serialize() const;
    /// Parse the first 127 bytes; throws input_error for a bad magic or version.
    static PmtilesHeader parse(std::string_view bytes);
};

struct DirectoryEntry {
    std::uint64_t tile_id = 0;
    std::uint64_t offset = 0;  ///< in the tile data section, or in the leaf section when run_length is 0
    std::uint32_t length = 0;
    std::uint32_t run_length = 0;  ///< 0: this entry points to a leaf directory
    friend bool operator==(const DirectoryEntry&, const DirectoryEntry&) = default;
};

/// A directory as varints (uncompressed): count, tile id deltas, run lengths,
/// lengths, offsets (0 = right after the previous entry's data, else offset + 1).
std::string serialize_directory(const std::vector<DirectoryEntry>& entries);
/// The inverse; throws input_error for truncated data or ids not increasing.
std::vector<DirectoryEntry> parse_directory(std::string_view data);

/// Writes a PMTiles archive; nothing appears at `path` before finish().
class PmtilesWriter {
public:
    explicit PmtilesWriter(std::filesystem::path path, TilesetInfo info = {});
    /// Without finish(): removes the scratch and temporary files, leaves `path` alone.
    ~PmtilesWriter();
    PmtilesWriter(const PmtilesWriter&) = delete;
    PmtilesWriter& operator=(const PmtilesWriter&) = delete;

    /// Add one tile: `data` is the encoded MVT, raw (gzip-compressed here) or already
    /// gzip-compressed (stored as given; recognized by the gzip magic, which a raw MVT
    /// cannot start with). Empty data is not stored: a missing tile reads as empty.
    /// Adding the same z/x/y twice is a usage_error (reported by finish()).
    void add_tile(const TileCoord& c, std::string_view data);

    /// Sort, deduplicate, build directories and metadata, write the file atomically.
    /// Returns the header written.
    const PmtilesHeader& finish();

    std::size_t tile_count() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Reads a PMTiles v3 archive (internal compression none or gzip). Reads are positioned
/// (pread) and the reader keeps no cursor: its const functions may be called from
/// several threads at once, as a tile server does.
///
/// Everything read from the file is checked before use, and a corrupt archive is an
/// archive_error naming the file and what is wrong: sections within the file, the
/// root within the first 16 KiB, zooms within 0-31; every directory entry has a
/// length > 0, a tile id below zoom 31's end and within the header's zooms, ids and
/// runs that do not overlap the entry before (no tile twice), data within the tile
/// data or leaf section; runs together within max_archive_tiles and the tiles of the
/// header's zooms within its bounds (one tile of margin), and the header's addressed
/// tiles and entries (when not 0) equal to what the directories hold. The root's
/// entries are checked when the archive is opened, leaves when they are read, and
/// all of them before for_each_tile calls `fn` the first time.
class PmtilesReader {
public:
    /// Throws io_error when the file cannot be read or is not PMTiles, archive_error
    /// when its header or root directory is corrupt or its version is not 3.
    explicit PmtilesReader(const std::filesystem::path& path);
    ~PmtilesReader();
    PmtilesReader(const PmtilesReader&) = delete;
    PmtilesReader& operator=(const PmtilesReader&) = delete;

    const PmtilesHeader& header() const noexcept;
    /// The metadata JSON object.
    nlohmann::json metadata() const;
    /// The root directory as stored (leaf pointers included).
    const std::vector<DirectoryEntry>& root_directory() const noexcept;
    /// Every tile entry of the archive, leaves resolved, in tile id order.
    std::vector<DirectoryEntry> tile_entries() const;
    /// How many leaf directories the archive has (reachable from the root).
    std::size_t leaf_directory_count() const;

    /// The tile as stored (gzip for wangge's archives), or nullopt when absent.
    std::optional<std::string> stored_tile(const TileCoord& c) const;
    /// The tile decompressed (tile compression none or gzip).
    std::optional<std::string> tile(const TileCoord& c) const;
    /// Call `fn` for every addressed tile (runs expanded) in tile id order, with the
    /// bytes as stored.
    void for_each_tile(const std::function<void(const TileCoord&, const std::string& stored)>& fn) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wangge::tiles
