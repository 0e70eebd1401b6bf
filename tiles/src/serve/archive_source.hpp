// serve/archive_source.hpp — a tile source over a PMTiles or MBTiles archive, as
// `wangge tiles build` writes them. Internal to the server.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "serve/source.hpp"

namespace wangge::tiles::serve {

/// The archive `file` (.pmtiles or .mbtiles, by extension) served under `name`. A tile
/// the archive lacks is empty (204) inside its zooms and bounds, outside (404)
/// elsewhere. Throws io_error when the file cannot be read, archive_error when it is
/// corrupt, usage_error for another extension.
std::unique_ptr<TileSource> make_archive_source(const std::filesystem::path& file, std::string name);

}  // namespace wangge::tiles::serve
