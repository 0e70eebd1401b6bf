// serve/store_source.hpp — tiles from the store, made on demand with make_tile and
// cached; laid over an archive, only where the store changed since the archive was
// built. Internal to the server.
//
// The store is read once into memory (MapLayers, as `tiles build` reads it) and
// every tile is made from that reading. A thread of the source's own checks the store
// every `poll` (SQLite's data_version: one cheap query on a read-only connection);
// when another process has committed a change, it asks the store what changed since
// its last reading (changed_since, its window opened `window_overlap` earlier, for
// the one-second timestamps), reads the layers anew and then, at once, swaps them in
// and drops exactly the cached tiles over what changed (their buffer included).
// Requests are answered from the old reading until the new one is ready and never
// wait for the store. A tile's ETag is etag_of its stored (gzipped) bytes: a tile
// made again with the same bytes keeps its ETag, whether it came from the archive or
// the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "serve/source.hpp"

namespace wangge {
class Store;
}

namespace wangge::tiles::serve {

struct LiveOptions {
    /// How often the store is checked for changes.
    std::chrono::milliseconds poll{1000};
    /// Zoom range of tiles made from the store (when there is no archive).
    int minzoom = 0, maxzoom = 16;
    /// Most bytes of tiles kept in memory (least recently used dropped first).
    std::size_t cache_bytes = std::size_t{256} << 20;
    /// Threads for reading the layers (0: all cores).
    int threads = 0;
};

/// How far before its last reading a source looks for changes: a change is stamped
/// with the store's time in whole seconds, taken inside its write transaction.
inline constexpr std::chrono::seconds window_overlap{10};

/// A source serving `base` (may be null: the store alone, under `name`) with the
/// store's changes: every tile over an area changed since base's built_at is made
/// from the store, cached, and dropped from the cache when a later change touches it.
/// The store is watched by the source itself (no restart needed). Throws what opening
/// and reading the store throws (store_error, input_error), and input_error for a
/// base without a `wangge:built_at`.
std::unique_ptr<TileSource> make_live_source(const std::filesystem::path& store, std::string name,
                                             std::unique_ptr<TileSource> base, const LiveOptions& options);

/// What a live source has done, for /healthz and measurements.
struct LiveStatus {
    std::int64_t readings = 0;        ///< readings of the store (1 at start)
    double last_reading_seconds = 0;  ///< how long the last one took
    std::string last_reading_at;      ///< store time of the last reading
    std::string last_error;           ///< of the last failed reading ("" none); retried every poll
    std::int64_t tiles_made = 0, cache_hits = 0, tiles_dropped = 0;
    std::size_t cached_tiles = 0, cached_bytes = 0;
};
/// The status of a source made by make_live_source; nullopt for any other source.
std::optional<LiveStatus> live_status(const TileSource& source);

/// Watches a store from a thread of its own: opens it read-only, calls `read(store)`
/// once in the constructor (its exceptions propagate), then, every `poll`, calls it
/// again on the watcher's thread after another connection committed a change (a
/// failed call, e.g. a locked or half-migrated store, is retried at the next poll;
/// `on_error` gets its message). The destructor stops the thread (after a call in
/// progress ends).
class StoreWatcher {
public:
    using Read = std::function<void(Store&)>;
    using OnError = std::function<void(const std::string&)>;
    StoreWatcher(const std::filesystem::path& store, std::chrono::milliseconds poll, Read read, OnError on_error = {});
    ~StoreWatcher();
    StoreWatcher(const StoreWatcher&) = delete;
    StoreWatcher& operator=(const StoreWatcher&) = delete;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// `stamp` ('YYYY-MM-DDTHH:MM:SSZ') moved back by `by`, in the same form.
std::string earlier_stamp(const std::string& stamp, std::chrono::seconds by);

}  // namespace wangge::tiles::serve
