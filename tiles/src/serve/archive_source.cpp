// serve/archive_source.cpp — tiles from a PMTiles or MBTiles archive (see archive_source.hpp).
#include "serve/archive_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "wangge/error.hpp"
#include "wangge/tiles/gzip.hpp"
#include "wangge/tiles/mbtiles.hpp"
#include "wangge/tiles/pmtiles.hpp"

namespace wangge::tiles::serve {

namespace {

/// Comma-separated numbers ("1.5,2,3"); empty when one is not a number.
std::vector<double> numbers(const std::string& s) {
    std::vector<double> out;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');) {
        double v = 0;
        const char* b = item.data();
        while (b < item.data() + item.size() && *b == ' ') ++b;
        const auto [p, ec] = std::from_chars(b, item.data() + item.size(), v);
        if (ec != std::errc() || p != item.data() + item.size()) return {};
        out.push_back(v);
    }
    return out;
}

bool within(const TileCoord& c, const SourceInfo& info) {
    if (c.z < info.minzoom || c.z > info.maxzoom) return false;
    if (!info.tileset.bounds) return true;
    const auto t = tile_bounds(c);
    const auto& b = *info.tileset.bounds;
    return t.min_lon < b.max_lon && t.max_lon > b.min_lon && t.min_lat < b.max_lat && t.max_lat > b.min_lat;
}

class ArchiveSource : public TileSource {
public:
    ArchiveSource(std::string name, SourceInfo info) : name_(std::move(name)), info_(std::move(info)) {}
    const std::string& name() const override { return name_; }
    SourceInfo info() const override { return info_; }
    SourceTile tile(const TileCoord& c) override {
        SourceTile t;
        auto stored = stored_tile(c);
        if (!stored || stored->empty()) {
            t.kind = within(c, info_) ? SourceTile::Kind::empty : SourceTile::Kind::outside;
            return t;
        }
        t.kind = SourceTile::Kind::tile;
        t.gzip = is_gzip(*stored);
        t.etag = etag_of(*stored);
        t.bytes = std::move(*stored);
        return t;
    }

protected:
    virtual std::optional<std::string> stored_tile(const TileCoord& c) = 0;
    std::string name_;
    SourceInfo info_;
};

class PmtilesSource : public ArchiveSource {
public:
    PmtilesSource(const std::filesystem::path& file, std::string name, std::unique_ptr<PmtilesReader> r)
        : ArchiveSource(std::move(name), describe(file, *r)), reader_(std::move(r)) {}

private:
    static SourceInfo describe(const std::filesystem::path& file, const PmtilesReader& r) {
        SourceInfo info;
        info.file = file;
        const auto& h = r.header();
        info.minzoom = h.min_zoom;
        info.maxzoom = h.max_zoom;
        auto& ts = info.tileset;
        ts.bounds = LonLatBounds{h.min_lon_e7 / 1e7, h.min_lat_e7 / 1e7, h.max_lon_e7 / 1e7, h.max_lat_e7 / 1e7};
        ts.center = std::array<double, 3>{h.center_lon_e7 / 1e7, h.center_lat_e7 / 1e7, double(h.center_zoom)};
        const auto meta = r.metadata();
        ts.name = metadata_string(meta, "name", file);
        ts.description = metadata_string(meta, "description", file);
        ts.attribution = metadata_string(meta, "attribution", file);
        ts.version = metadata_string(meta, "version", file);
        ts.type = metadata_string(meta, "type", file);
        if (meta.contains("vector_layers")) ts.vector_layers = vector_layers_from_json(meta["vector_layers"]);
        info.built_at = metadata_string(meta, "wangge:built_at", file);
        for (const auto& [k, v] : meta.items())
            if (v.is_string() && k.rfind("wangge:", 0) == 0) ts.extra[k] = v.get<std::string>();
        return info;
    }
    std::optional<std::string> stored_tile(const TileCoord& c) override { return reader_->stored_tile(c); }
    std::unique_ptr<PmtilesReader> reader_;  // thread-safe (positioned reads)
};

class MbtilesSource : public ArchiveSource {
public:
    MbtilesSource(const std::filesystem::path& file, std::string name, std::unique_ptr<MbtilesReader> r)
        : ArchiveSource(std::move(name), describe(file, *r)), reader_(std::move(r)) {}

private:
    static SourceInfo describe(const std::filesystem::path& file, const MbtilesReader& r) {
        SourceInfo info;
        info.file = file;
        const auto meta = r.metadata();
        const auto get = [&](const char* k) {
            const auto it = meta.find(k);
            return it == meta.end() ? std::string() : it->second;
        };
        const auto zoom = [&](const char* k, int fallback) {
            const auto v = numbers(get(k));
            return v.size() == 1 && v[0] >= 0 && v[0] <= max_zoom ? static_cast<int>(v[0]) : fallback;
        };
        info.minzoom = zoom("minzoom", 0);
        info.maxzoom = zoom("maxzoom", max_zoom);
        auto& ts = info.tileset;
        ts.name = get("name");
        ts.description = get("description");
        ts.attribution = get("attribution");
        ts.version = get("version");
        ts.type = get("type");
        if (const auto b = numbers(get("bounds")); b.size() == 4) ts.bounds = LonLatBounds{b[0], b[1], b[2], b[3]};
        if (const auto c = numbers(get("center")); c.size() == 3) ts.center = std::array<double, 3>{c[0], c[1], c[2]};
        if (const auto j = get("json"); !j.empty()) {
            const auto parsed = nlohmann::json::parse(j, nullptr, false);
            if (!parsed.is_object())
                throw archive_error(
                    fmt::format("{}: corrupt archive metadata: 'json' is not a JSON object", file.string()));
            if (parsed.contains("vector_layers")) ts.vector_layers = vector_layers_from_json(parsed["vector_layers"]);
        }
        info.built_at = get("wangge:built_at");
        for (const auto& [k, v] : meta)
            if (k.rfind("wangge:", 0) == 0) ts.extra[k] = v;
        return info;
    }
    std::optional<std::string> stored_tile(const TileCoord& c) override {
        std::lock_guard lock(mutex_);  // one SQLite connection
        return reader_->stored_tile(c);
    }
    std::mutex mutex_;
    std::unique_ptr<MbtilesReader> reader_;
};

}  // namespace

std::unique_ptr<TileSource> make_archive_source(const std::filesystem::path& file, std::string name) {
    const auto ext = file.extension().string();
    if (ext == ".pmtiles")
        return std::make_unique<PmtilesSource>(file, std::move(name), std::make_unique<PmtilesReader>(file));
    if (ext == ".mbtiles")
        return std::make_unique<MbtilesSource>(file, std::move(name), std::make_unique<MbtilesReader>(file));
    throw usage_error(fmt::format("'{}': an archive is FILE.pmtiles or FILE.mbtiles", file.string()));
}

}  // namespace wangge::tiles::serve
