// serve/store_source.hpp — tiles from the store, made on demand with make_tile and
// cached; laid over an archive, only where the store changed since the archive was
// built. Internal to the server.
#pragma once

#include "serve/source.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace wangge::tiles::serve {

struct LiveOptions {
    /// How often the store is checked for changes.
    std::chrono::milliseconds poll{1000};
    /// Zoom range of tiles made from the store (when there is no archive).
    int minzoom = 0, maxzoom = 16;
};

/// A source serving `base` (may be null: the store alone, under `name`) with the
/// store's changes: every tile over an area changed since base's built_at is made
/// from the store, cached, and dropped from the cache when a later change touches it.
/// The store is watched by the source itself (no restart needed).
std::unique_ptr<TileSource> make_live_source(const std::filesystem::path& store, std::string name,
                                             std::unique_ptr<TileSource> base, const LiveOptions& options);

}  // namespace wangge::tiles::serve
