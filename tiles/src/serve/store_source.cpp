// Tiles from the store, live after edits (serve/store_source.hpp).
#include "serve/store_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <wangge/error.hpp>
#include <wangge/map_data.hpp>
#include <wangge/store.hpp>
#include <wangge/topology.hpp>

#include "tile_maker.hpp"
#include "wangge/tiles/gzip.hpp"
#include "wangge/tiles/tile.hpp"

namespace wangge::tiles::serve {

// ------------------------------------------------------------------ watcher

struct StoreWatcher::Impl {
    std::chrono::milliseconds poll;
    Read read;
    OnError on_error;
    std::unique_ptr<Store> store;  // used by the constructor, then by the thread alone
    std::int64_t version = 0;
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
    std::thread thread;

    void run() {
        bool retry = false;
        std::unique_lock lock(mu);
        while (!stop) {
            cv.wait_for(lock, poll, [&] { return stop; });
            if (stop) break;
            lock.unlock();
            try {
                const auto v = store->data_version();
                if (v != version || retry) {
                    retry = true;
                    read(*store);
                    version = v;
                    retry = false;
                }
            } catch (const std::exception& e) {
                if (on_error) on_error(e.what());
            }
            lock.lock();
        }
    }
};

StoreWatcher::StoreWatcher(const std::filesystem::path& store, std::chrono::milliseconds poll, Read read,
                           OnError on_error)
    : impl_(std::make_unique<Impl>()) {
    auto& m = *impl_;
    m.poll = poll;
    m.read = std::move(read);
    m.on_error = std::move(on_error);
    m.store = std::make_unique<Store>(store, Store::Mode::read_only);
    m.version = m.store->data_version();  // before reading: a change made meanwhile is seen
    m.read(*m.store);
    m.thread = std::thread([&m] { m.run(); });
}

StoreWatcher::~StoreWatcher() {
    {
        std::lock_guard lock(impl_->mu);
        impl_->stop = true;
    }
    impl_->cv.notify_all();
    impl_->thread.join();
}

std::string earlier_stamp(const std::string& stamp, std::chrono::seconds by) {
    std::tm tm{};
    if (std::sscanf(stamp.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec) != 6)
        throw input_error(fmt::format("'{}' is not a store timestamp", stamp));
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const std::time_t t = timegm(&tm) - static_cast<std::time_t>(by.count());
    std::tm out{};
    gmtime_r(&t, &out);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &out);
    return buf;
}

// ------------------------------------------------------------------ source

namespace {

using Box = std::array<double, 4>;  // Web Mercator metres

/// The envelopes (lon/lat) as Web Mercator boxes.
std::vector<Box> mercator(const std::vector<std::array<double, 4>>& lonlat) {
    std::vector<Box> out;
    out.reserve(lonlat.size());
    for (const auto& e : lonlat) {
        const auto a = topology::to_mercator(e[0], e[1]);
        const auto b = topology::to_mercator(e[2], e[3]);
        out.push_back({a.x, a.y, b.x, b.y});
    }
    return out;
}

/// Whether tile c is one of the tiles of box (with the tile buffer, as an update redraws).
bool touches(const Box& box, const TileCoord& c) {
    const auto r = detail::tile_range(box, c.z);
    return c.x >= r.x0 && c.x <= r.x1 && c.y >= r.y0 && c.y <= r.y1;
}

bool touches_any(const std::vector<Box>& boxes, const TileCoord& c) {
    for (const auto& b : boxes)
        if (touches(b, c)) return true;
    return false;
}

bool valid(const TileCoord& c) {
    if (c.z > max_zoom) return false;
    const std::uint64_t n = std::uint64_t{1} << c.z;
    return c.x < n && c.y < n;
}

/// One reading of the store.
struct Reading {
    std::unique_ptr<MapLayers> layers;
    SourceInfo info;
    std::optional<Box> bounds;  // store alone: of what is drawn (Web Mercator)
    std::vector<Box> dirty;     // over an archive: what changed since it was built
};

class LiveSource final : public TileSource {
public:
    LiveSource(const std::filesystem::path& store, std::string name, std::unique_ptr<TileSource> base,
               const LiveOptions& options)
        : name_(std::move(name)), base_(std::move(base)), options_(options) {
        if (base_) {
            base_info_ = base_->info();
            if (base_info_.built_at.empty())
                throw input_error(
                    fmt::format("{}: not built by 'wangge tiles build' (no wangge:built_at): its "
                                "changes in the store cannot be found",
                                base_info_.file.string()));
            build_ = update_options(base_info_.file);
        } else {
            build_.minzoom = options.minzoom;
            build_.maxzoom = options.maxzoom;
        }
        build_.threads = options.threads;
        watcher_ = std::make_unique<StoreWatcher>(
            store, options.poll, [this](Store& s) { read(s); },
            [this](const std::string& why) {
                std::lock_guard lock(mu_);
                status_.last_error = why;
            });
    }

    const std::string& name() const override { return name_; }

    SourceInfo info() const override { return current()->info; }

    SourceTile tile(const TileCoord& c) override {
        if (!valid(c)) return {};
        const auto r = current();
        if (c.z < r->info.minzoom || c.z > r->info.maxzoom) return {};
        if (base_) {
            if (!touches_any(r->dirty, c)) return base_->tile(c);
        } else if (!r->bounds || !touches(*r->bounds, c)) {
            return {};
        }
        {
            std::lock_guard lock(mu_);
            if (const auto it = index_.find(c); it != index_.end()) {
                lru_.splice(lru_.begin(), lru_, it->second);
                ++status_.cache_hits;
                return it->second->tile;
            }
        }
        SourceTile t = make(*r, c);
        std::lock_guard lock(mu_);
        ++status_.tiles_made;
        // made from a reading since replaced: not kept (its area may have changed)
        if (reading_ == r && !index_.count(c)) {
            const std::size_t cost = t.bytes.size() + 128;
            lru_.push_front({c, t, cost});
            index_[c] = lru_.begin();
            cached_bytes_ += cost;
            while (cached_bytes_ > options_.cache_bytes && !lru_.empty()) drop(std::prev(lru_.end()));
        }
        return t;
    }

    LiveStatus status() const {
        std::lock_guard lock(mu_);
        LiveStatus s = status_;
        s.cached_tiles = lru_.size();
        s.cached_bytes = cached_bytes_;
        return s;
    }

private:
    struct Cached {
        TileCoord c;
        SourceTile tile;
        std::size_t cost;
    };

    std::shared_ptr<const Reading> current() const {
        std::lock_guard lock(mu_);
        return reading_;
    }

    static SourceTile make(const Reading& r, const TileCoord& c) {
        TileResult made = make_tile(*r.layers, c);
        SourceTile t;
        if (made.data.empty()) {
            t.kind = SourceTile::Kind::empty;
            return t;
        }
        t.kind = SourceTile::Kind::tile;
        t.bytes = gzip_compress(made.data);  // as the archives store it
        t.gzip = true;
        t.etag = etag_of(t.bytes);
        return t;
    }

    void drop(std::list<Cached>::iterator it) {
        cached_bytes_ -= it->cost;
        index_.erase(it->c);
        lru_.erase(it);
        ++status_.tiles_dropped;
    }

    /// Reads the store (at start, and on the watcher's thread after each change).
    void read(Store& store) {
        const auto t0 = std::chrono::steady_clock::now();
        const std::string now = store_now(store);
        std::vector<Box> changed;
        if (!since_.empty()) changed = mercator(changed_since(store, earlier_stamp(since_, window_overlap)));
        auto next = std::make_shared<Reading>();
        if (base_) next->dirty = mercator(changed_since(store, base_info_.built_at));
        next->layers = std::make_unique<MapLayers>(store, build_);
        describe(*next, now);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::lock_guard lock(mu_);
        reading_ = std::move(next);
        since_ = now;
        for (auto it = lru_.begin(); it != lru_.end();) {
            const auto here = it++;
            if (touches_any(changed, here->c)) drop(here);
        }
        ++status_.readings;
        status_.last_reading_seconds = seconds;
        status_.last_reading_at = now;
        status_.last_error.clear();
    }

    void describe(Reading& r, const std::string& now) const {
        const TilesetInfo made = describe_tileset(*r.layers, now);
        if (base_) {
            r.info = base_info_;
            // what the store added beyond the archive is served too
            if (made.bounds) {
                if (r.info.tileset.bounds)
                    r.info.tileset.bounds->extend(*made.bounds);
                else
                    r.info.tileset.bounds = made.bounds;
            }
            return;
        }
        r.info.tileset = made;
        r.info.tileset.name = name_;
        int lo = build_.maxzoom, hi = build_.minzoom;
        for (const auto& l : made.vector_layers) {
            lo = std::min(lo, l.minzoom);
            hi = std::max(hi, l.maxzoom);
        }
        r.info.minzoom = made.vector_layers.empty() ? build_.minzoom : lo;
        r.info.maxzoom = made.vector_layers.empty() ? build_.maxzoom : hi;
        if (made.bounds) {
            const auto& b = *made.bounds;
            r.bounds = mercator({{b.min_lon, b.min_lat, b.max_lon, b.max_lat}}).front();
        }
    }

    const std::string name_;
    const std::unique_ptr<TileSource> base_;
    const LiveOptions options_;
    SourceInfo base_info_;
    BuildOptions build_;

    mutable std::mutex mu_;  // guards what follows
    std::shared_ptr<const Reading> reading_;
    std::list<Cached> lru_;  // most recently used first
    std::map<TileCoord, std::list<Cached>::iterator> index_;
    std::size_t cached_bytes_ = 0;
    LiveStatus status_;
    std::string since_;  // store time of the last reading (the watcher's thread only)

    std::unique_ptr<StoreWatcher> watcher_;  // last: stopped first
};

}  // namespace

std::unique_ptr<TileSource> make_live_source(const std::filesystem::path& store, std::string name,
                                             std::unique_ptr<TileSource> base, const LiveOptions& options) {
    return std::make_unique<LiveSource>(store, std::move(name), std::move(base), options);
}

std::optional<LiveStatus> live_status(const TileSource& source) {
    if (const auto* live = dynamic_cast<const LiveSource*>(&source)) return live->status();
    return std::nullopt;
}

}  // namespace wangge::tiles::serve
