// wangge/tiles/gzip.hpp — gzip (RFC 1952) over zlib, the compression of tile archives.
//
// MBTiles readers (GDAL, MapLibre through a server) and PMTiles archives with tile
// compression "gzip" expect each tile gzip-compressed, and PMTiles compresses its
// directories and metadata the same way. The output is deterministic (no file name,
// modification time 0), so identical input gives identical bytes: the archive
// writers rely on that to store identical tiles once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wangge::tiles {

/// True when `data` starts with the gzip magic bytes 1F 8B.
bool is_gzip(std::string_view data) noexcept;

/// Compress `data` into one gzip member (level 0-9; 6 is zlib's default balance).
std::string gzip_compress(std::string_view data, int level = 6);

/// Decompress gzip data (concatenated members too). Throws input_error when the data
/// is not gzip, is truncated or corrupt, or would inflate beyond `max_size` bytes
/// (a guard against decompression bombs in archives from elsewhere).
std::string gzip_decompress(std::string_view data, std::size_t max_size = std::size_t{1} << 30);

}  // namespace wangge::tiles
