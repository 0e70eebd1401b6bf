// The pyramid driver: options, what changed (update), the archive and its metadata,
// every tile of every zoom on all threads (tile.cpp makes each). See
// wangge/tiles/build.hpp; the stages are in layers.hpp.
#include "wangge/tiles/build.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <set>
#include <thread>
#include <wangge/error.hpp>
#include <wangge/map_data.hpp>
#include <wangge/store.hpp>
#include <wangge/testpoint.hpp>

#include "file_io.hpp"
#include "tile_maker.hpp"
#include "wangge/tiles/mbtiles.hpp"
#include "wangge/tiles/mvt_reader.hpp"
#include "wangge/tiles/pmtiles.hpp"

namespace wangge::tiles {

using namespace detail;

namespace {

void check_options(const BuildOptions& opt) {
    if (opt.minzoom < 0 || opt.maxzoom > 22 || opt.minzoom > opt.maxzoom)
        throw usage_error(fmt::format("zoom range {}-{} is not within 0-22", opt.minzoom, opt.maxzoom));
    if (!opt.prefix.empty() && opt.prefix.find_first_not_of("0123456789") != std::string::npos)
        throw usage_error(fmt::format("'{}' is not a code prefix", opt.prefix));
    const auto ext = opt.out.extension().string();
    if (ext != ".pmtiles" && ext != ".mbtiles")
        throw usage_error(fmt::format("{}: the archive must end in .pmtiles or .mbtiles", opt.out.string()));
}

/// Update: the archive being updated, its build time and the Web Mercator envelopes
/// of what changed since.
struct Update {
    std::unique_ptr<PmtilesReader> pm;
    std::unique_ptr<MbtilesReader> mb;
    std::string since;
    std::vector<std::array<double, 4>> dirty;
    std::set<TileCoord> regenerate;  // the tiles built anew (written or now empty)
};

Update read_update(Store& store, const BuildOptions& opt) {
    Update u;
    if (opt.update_from.extension() == ".pmtiles") {
        u.pm = std::make_unique<PmtilesReader>(opt.update_from);
        u.since = metadata_string(u.pm->metadata(), "wangge:built_at", opt.update_from);
    } else {
        u.mb = std::make_unique<MbtilesReader>(opt.update_from);
        const auto meta = u.mb->metadata();
        if (auto it = meta.find("wangge:built_at"); it != meta.end()) u.since = it->second;
    }
    if (u.since.empty())
        throw input_error(fmt::format("{}: not built by 'wangge tiles build' (no wangge:built_at): build it anew",
                                      opt.update_from.string()));
    // only a timestamp as wangge writes it is accepted
    if (u.since.size() != 20 || u.since.find_first_not_of("0123456789-:TZ") != std::string::npos)
        throw input_error(fmt::format("{}: wangge:built_at '{}' is not a timestamp: build the archive anew",
                                      opt.update_from.string(), u.since));
    for (const auto& e : changed_since(store, u.since)) {
        const auto a = topology::to_mercator(e[0], e[1]);
        const auto b = topology::to_mercator(e[2], e[3]);
        u.dirty.push_back({a.x, a.y, b.x, b.y});
    }
    return u;
}

/// The zooms a layer is written at, within the build's.
std::pair<int, int> written_zooms(const LayerData& s, const BuildOptions& opt) {
    return {std::max(s.zooms.minzoom, opt.minzoom), std::min(s.zooms.maxzoom, opt.maxzoom)};
}

/// Bounds and centre of what is written, not of the tiles (z0's tile is the world):
/// every feature of every layer built (with --bbox, whole features that touch it),
/// events where they are drawn (as points from the points zoom, at their grid's
/// label below it).
void set_bounds(const MapLayers::Impl& m, TilesetInfo& info) {
    const auto& opt = m.options;
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::array<double, 4> b{inf, inf, -inf, -inf};  // Web Mercator
    auto extend = [&](const std::array<double, 4>& e) {
        b = {std::min(b[0], e[0]), std::min(b[1], e[1]), std::max(b[2], e[2]), std::max(b[3], e[3])};
    };
    auto extend_point = [&](const topology::XY& p) { extend({p.x, p.y, p.x, p.y}); };
    for (const auto& s : m.layers) {
        const auto [mn, mx] = written_zooms(s, opt);
        if (mn > mx) continue;
        const bool events = s.kind == Kind::events;
        if (s.polygons())
            for (std::size_t f = 0; f < s.coverage->size(); ++f) extend(s.coverage->envelope(f));
        for (std::size_t f = 0; f < s.points.size(); ++f) {
            if (!events || mx >= opt.events_point_zoom) extend_point(s.points[f]);
            if (events && mn < opt.events_point_zoom) {
                const auto label = s.label_index[f];
                extend_point(label >= 0 ? m.labels[static_cast<std::size_t>(label)].second : s.points[f]);
            }
        }
    }
    if (b[0] <= b[2]) {
        const auto [x0, y0] = topology::from_mercator({b[0], b[1]});
        const auto [x1, y1] = topology::from_mercator({b[2], b[3]});
        info.bounds = LonLatBounds{x0, y0, x1, y1};
        const double zoom = std::clamp(10, opt.minzoom, opt.maxzoom);
        info.center = std::array<double, 3>{(x0 + x1) / 2, (y0 + y1) / 2, zoom};
    }
}

/// The archive's description: vector_layers (into rep.layers), bounds, build options.
TilesetInfo tileset_info(const MapLayers::Impl& m, const std::string& built_at, BuildReport& rep) {
    const auto& opt = m.options;
    TilesetInfo info;
    for (const auto& s : m.layers) {
        const auto [mn, mx] = written_zooms(s, opt);
        if (mn > mx) continue;
        VectorLayer vl;
        vl.id = s.name;
        vl.minzoom = mn;
        vl.maxzoom = mx;
        vl.fields = s.fields;
        vl.geometry = s.polygons() ? "Polygon" : "Point";
        rep.layers.push_back(vl);
    }
    set_bounds(m, info);
    info.extra["wangge:built_at"] = built_at;
    nlohmann::json b;
    b["minzoom"] = opt.minzoom;
    b["maxzoom"] = opt.maxzoom;
    b["layers"] = opt.layers;
    b["prefix"] = opt.prefix;
    if (opt.bbox) b["bbox"] = *opt.bbox;
    b["max_tile_bytes"] = opt.max_tile_bytes;
    b["simplify_units"] = opt.simplify_units;
    b["events_point_zoom"] = opt.events_point_zoom;
    info.extra["wangge:build"] = b.dump();
    info.name = "wangge";
    info.description = "Jurisdictions, full-function grids and events (wangge)";
    info.attribution = "wangge; codes: NBS 统计用区划代码";
    info.vector_layers = rep.layers;
    return info;
}

/// The archive being written, from any thread; counts into the report.
class Archive {
public:
    Archive(const BuildOptions& opt, const TilesetInfo& info, BuildReport& rep) : rep_(rep) {
        if (opt.out.extension() == ".pmtiles")
            pm_ = std::make_unique<PmtilesWriter>(opt.out, info);
        else
            mb_ = std::make_unique<MbtilesWriter>(opt.out, info);
    }
    /// `raw`: the uncompressed size (0 for a tile copied as stored).
    void write(const TileCoord& c, const std::string& data, std::size_t raw) {
        std::lock_guard lock(mu_);
        if (pm_)
            pm_->add_tile(c, data);
        else
            mb_->add_tile(c, data);
        ++rep_.tiles;
        ++rep_.per_zoom[c.z];
        rep_.bytes += static_cast<std::int64_t>(data.size());
        if (static_cast<std::int64_t>(raw) > rep_.largest) {
            rep_.largest = static_cast<std::int64_t>(raw);
            rep_.largest_tile = to_string(c);
        }
    }
    void finish() {
        if (pm_)
            pm_->finish();
        else
            mb_->finish();
    }

private:
    BuildReport& rep_;
    std::mutex mu_;
    std::unique_ptr<PmtilesWriter> pm_;
    std::unique_ptr<MbtilesWriter> mb_;
};

/// Update: only the entries of tiles over what changed; those tiles are regenerated.
void keep_dirty(Update& u, int z, std::vector<Entry>& entries) {
    std::set<std::uint64_t> dirty_tiles;
    for (const auto& e : u.dirty) {
        const Range r = tile_range(e, z);
        for (std::uint32_t x = r.x0; x <= r.x1; ++x)
            for (std::uint32_t y = r.y0; y <= r.y1; ++y) dirty_tiles.insert(tile_key(x, y));
    }
    std::erase_if(entries, [&](const Entry& e) { return !dirty_tiles.count(e.tile); });
    for (auto t : dirty_tiles)
        u.regenerate.insert({static_cast<std::uint8_t>(z), static_cast<std::uint32_t>(t >> 32),
                             static_cast<std::uint32_t>(t & 0xffffffffu)});
}

/// Every tile of zoom z (update: those over what changed), on all threads.
void build_zoom(MapLayers::Impl& m, int z, Update* update, Archive& archive, BuildReport& rep,
                const ProgressFn& progress) {
    Zoom zoom;
    zoom.z = z;
    zoom.tol = m.options.simplify_units * (world / std::ldexp(1.0, z) / extent);
    prepare_zoom(m, zoom);
    std::vector<Entry> entries = zoom_entries(m, zoom);
    if (update) keep_dirty(*update, z, entries);
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (i == 0 || entries[i].tile != entries[i - 1].tile) starts.push_back(i);
    starts.push_back(entries.size());
    const std::size_t ntiles = starts.size() - 1;
    std::mutex note_mu;
    std::map<std::uint32_t, std::int64_t> points_shown;  // per layer: points (events counted) in this zoom's tiles
    std::atomic<std::size_t> done{0};
    const auto caller = std::this_thread::get_id();
    parallel_for(ntiles, m.threads, [&](std::size_t t) {
        const std::uint64_t key = entries[starts[t]].tile;
        const TileCoord c{static_cast<std::uint8_t>(z), static_cast<std::uint32_t>(key >> 32),
                          static_cast<std::uint32_t>(key & 0xffffffffu)};
        TileOut out = make_tile(m, zoom, c, entries.data() + starts[t], entries.data() + starts[t + 1]);
        if (!out.data.empty()) archive.write(c, out.data, out.data.size());
        {
            std::lock_guard lock(note_mu);
            if (!out.size_action.empty()) rep.size_actions.push_back(std::move(out.size_action));
            for (const auto& [layer, n] : out.points) points_shown[layer] += n;
        }
        const auto d = done.fetch_add(1) + 1;
        if (std::this_thread::get_id() == caller && progress && d % 64 == 0)
            progress(static_cast<std::int64_t>(d), static_cast<std::int64_t>(ntiles), fmt::format("z{}", z));
    });
    if (progress) progress(static_cast<std::int64_t>(ntiles), static_cast<std::int64_t>(ntiles), fmt::format("z{}", z));
    // every point in one tile at this zoom, as counted in the tiles written (an
    // update builds only some tiles)
    for (std::uint32_t li = 0; li < m.layers.size() && !update; ++li) {
        const auto& s = m.layers[li];
        if (s.polygons() || z < s.zooms.minzoom || z > s.zooms.maxzoom) continue;
        if (const auto want = static_cast<std::int64_t>(s.points.size()); points_shown[li] != want)
            rep.points_missing.push_back(
                fmt::format("{} z{}: {} of {} points in tiles", s.name, z, points_shown[li], want));
    }
}

/// Update: the tiles not regenerated, copied from the archive as they are (each
/// decoded first, strictly: a corrupt one is not carried over).
void copy_unchanged(const Update& u, const BuildOptions& opt, Archive& archive, BuildReport& rep) {
    std::string checked;  // the last tile decoded (runs of one content come in a row)
    auto copy = [&](const TileCoord& c, const std::string& stored) {
        if (u.regenerate.count(c)) return;
        if (stored != checked) {
            try {
                (void)decode_tile(stored);
            } catch (const input_error& e) {
                throw input_error(
                    fmt::format("{}: tile {} is corrupt ({}); the archive was left as it was: build it "
                                "anew with 'wangge tiles build'",
                                opt.update_from.string(), to_string(c), e.what()));
            }
            checked = stored;
        }
        archive.write(c, stored, 0);
        ++rep.copied;
    };
    if (u.pm)
        u.pm->for_each_tile(copy);
    else
        u.mb->for_each_tile(copy);
}

}  // namespace

std::map<std::string, LayerZooms> default_layer_zooms() {
    std::map<std::string, LayerZooms> out;
    for (const auto* t : layer_types()) out[std::string(t->name())] = t->default_zooms();
    return out;
}

BuildReport build_tiles(Store& store, const BuildOptions& opt, const ProgressFn& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    check_options(opt);
    // temporaries of an earlier killed run removed; ours removed on failure and on SIGINT/SIGTERM
    const detail::TempFiles temps(opt.out);
    BuildReport rep;
    const std::string built_at = store_now(store);
    std::optional<Update> update;
    if (!opt.update_from.empty()) {
        update = read_update(store, opt);
        rep.since = update->since;
    }
    MapLayers layers(store, opt);
    if (layers.empty()) throw input_error("nothing to tile: the store has no jurisdictions, grids or events in scope");
    auto& m = layers.impl();
    rep.features_per_layer = m.features_per_layer;
    rep.coverage_per_layer = m.coverage_per_layer;
    rep.threads = m.threads;
    Archive archive(opt, tileset_info(m, built_at, rep), rep);
    pause_point("tiles:writing");  // tests: the temporary file exists
    int lo = 99, hi = -1;
    for (const auto& l : rep.layers) {
        lo = std::min(lo, l.minzoom);
        hi = std::max(hi, l.maxzoom);
    }
    for (int z = std::max(lo, opt.minzoom); z <= std::min(hi, opt.maxzoom); ++z)
        build_zoom(m, z, update ? &*update : nullptr, archive, rep, progress);
    if (update) {
        rep.regenerated = rep.tiles;
        copy_unchanged(*update, opt, archive, rep);
    }
    archive.finish();
    std::error_code ec;
    rep.bytes = static_cast<std::int64_t>(std::filesystem::file_size(opt.out, ec));
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

TilesetInfo describe_tileset(const MapLayers& layers, const std::string& built_at) {
    BuildReport rep;
    return tileset_info(layers.impl(), built_at, rep);
}

BuildOptions update_options(const std::filesystem::path& archive) {
    std::string build;
    if (archive.extension() == ".pmtiles") {
        const auto meta = PmtilesReader(archive).metadata();
        build = metadata_string(meta, "wangge:build", archive);
    } else if (archive.extension() == ".mbtiles") {
        const auto meta = MbtilesReader(archive).metadata();
        if (auto it = meta.find("wangge:build"); it != meta.end()) build = it->second;
    } else {
        throw usage_error(fmt::format("{}: not a .pmtiles or .mbtiles archive", archive.string()));
    }
    if (build.empty())
        throw input_error(
            fmt::format("{}: not built by 'wangge tiles build' (no wangge:build): build it anew", archive.string()));
    const MetadataObject j(build, archive, "wangge:build");
    BuildOptions o;
    o.out = archive;
    o.update_from = archive;
    o.minzoom = j.integer("minzoom");
    o.maxzoom = j.integer("maxzoom");
    o.layers = j.strings("layers");
    o.prefix = j.string("prefix");
    if (j.has("bbox")) o.bbox = j.numbers4("bbox");
    o.max_tile_bytes = j.count("max_tile_bytes");
    o.simplify_units = j.number("simplify_units");
    o.events_point_zoom = j.integer("events_point_zoom");
    return o;
}

}  // namespace wangge::tiles
