#include "wangge/tiles/pmtiles.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <memory>
#include <numbers>
#include <shared_mutex>
#include <unordered_map>

#include "file_io.hpp"
#include "wangge/error.hpp"
#include "wangge/tiles/gzip.hpp"

namespace wangge::tiles {

// ---------------------------------------------------------------- Hilbert ids

namespace {

// Tiles of all zooms below z: (4^z - 1) / 3.
std::uint64_t tiles_below(int z) {
    // 4^32 - 1 is 2^64 - 1: spelled out, since shifting by 64 is undefined.
    if (z >= 32) return std::numeric_limits<std::uint64_t>::max() / 3;
    return ((std::uint64_t{1} << (2 * z)) - 1) / 3;
}

// One step of the Hilbert curve's rotation/reflection (as in the spec's reference code).
void rotate(std::uint32_t n, std::uint32_t& x, std::uint32_t& y, std::uint32_t rx, std::uint32_t ry) {
    if (ry == 0) {
        if (rx != 0) {
            x = n - 1 - x;
            y = n - 1 - y;
        }
        std::swap(x, y);
    }
}

}  // namespace

std::uint64_t zxy_to_tile_id(const TileCoord& c) {
    check_tile(c);
    std::uint64_t acc = tiles_below(c.z);
    std::uint32_t x = c.x;
    std::uint32_t y = c.y;
    if (c.z == 0) return acc;
    for (std::uint32_t s = std::uint32_t{1} << (c.z - 1); s > 0; s >>= 1) {
        const std::uint32_t rx = (x & s) ? 1 : 0;
        const std::uint32_t ry = (y & s) ? 1 : 0;
        acc += std::uint64_t{s} * s * ((3 * rx) ^ ry);
        rotate(s, x, y, rx, ry);
    }
    return acc;
}

TileCoord tile_id_to_zxy(std::uint64_t id) {
    int z = 0;
    while (z <= max_zoom && tiles_below(z + 1) <= id) ++z;
    if (z > max_zoom) throw usage_error(fmt::format("tile id {} is beyond zoom {}", id, max_zoom));
    std::uint64_t t = id - tiles_below(z);
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    const std::uint64_t n = std::uint64_t{1} << z;
    for (std::uint64_t s = 1; s < n; s <<= 1) {
        const std::uint32_t rx = static_cast<std::uint32_t>(1 & (t >> 1));
        const std::uint32_t ry = static_cast<std::uint32_t>(1 & (t ^ rx));
        rotate(static_cast<std::uint32_t>(s), x, y, rx, ry);
        x += static_cast<std::uint32_t>(s) * rx;
        y += static_cast<std::uint32_t>(s) * ry;
        t >>= 2;
    }
    return {static_cast<std::uint8_t>(z), x, y};
}

// ---------------------------------------------------------------- header

namespace {

constexpr char magic[] = "PMTiles";
constexpr std::size_t first_fetch = 16384;  // readers fetch this much first: header + root

template <class T>
void put_le(std::string& out, std::size_t at, T v) {
    using U = std::make_unsigned_t<T>;
    U u = static_cast<U>(v);
    for (std::size_t i = 0; i < sizeof(T); ++i) out[at + i] = static_cast<char>((u >> (8 * i)) & 0xff);
}

template <class T>
T get_le(std::string_view in, std::size_t at) {
    using U = std::make_unsigned_t<T>;
    U u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) u |= static_cast<U>(static_cast<unsigned char>(in[at + i])) << (8 * i);
    return static_cast<T>(u);
}

std::int32_t to_e7(double deg) {
    return static_cast<std::int32_t>(std::lround(std::clamp(deg, -180.0, 180.0) * 1e7));
}

}  // namespace

std::string PmtilesHeader::serialize() const {
    std::string h(size, '\0');
    std::memcpy(h.data(), magic, 7);
    h[7] = static_cast<char>(version);
    put_le(h, 8, root_directory_offset);
    put_le(h, 16, root_directory_length);
    put_le(h, 24, metadata_offset);
    put_le(h, 32, metadata_length);
    put_le(h, 40, leaf_directories_offset);
    put_le(h, 48, leaf_directories_length);
    put_le(h, 56, tile_data_offset);
    put_le(h, 64, tile_data_length);
    put_le(h, 72, addressed_tiles);
    put_le(h, 80, tile_entries);
    put_le(h, 88, tile_contents);
    h[96] = clustered ? 1 : 0;
    h[97] = static_cast<char>(internal_compression);
    h[98] = static_cast<char>(tile_compression);
    h[99] = static_cast<char>(tile_type);
    h[100] = static_cast<char>(min_zoom);
    h[101] = static_cast<char>(max_zoom);
    put_le(h, 102, min_lon_e7);
    put_le(h, 106, min_lat_e7);
    put_le(h, 110, max_lon_e7);
    put_le(h, 114, max_lat_e7);
    h[118] = static_cast<char>(center_zoom);
    put_le(h, 119, center_lon_e7);
    put_le(h, 123, center_lat_e7);
    return h;
}

PmtilesHeader PmtilesHeader::parse(std::string_view b) {
    if (b.size() < size || std::memcmp(b.data(), magic, 7) != 0) throw input_error("not a PMTiles archive (no magic)");
    PmtilesHeader h;
    h.version = static_cast<std::uint8_t>(b[7]);
    if (h.version != 3) throw input_error(fmt::format("PMTiles version {} is not supported (only 3)", h.version));
    h.root_directory_offset = get_le<std::uint64_t>(b, 8);
    h.root_directory_length = get_le<std::uint64_t>(b, 16);
    h.metadata_offset = get_le<std::uint64_t>(b, 24);
    h.metadata_length = get_le<std::uint64_t>(b, 32);
    h.leaf_directories_offset = get_le<std::uint64_t>(b, 40);
    h.leaf_directories_length = get_le<std::uint64_t>(b, 48);
    h.tile_data_offset = get_le<std::uint64_t>(b, 56);
    h.tile_data_length = get_le<std::uint64_t>(b, 64);
    h.addressed_tiles = get_le<std::uint64_t>(b, 72);
    h.tile_entries = get_le<std::uint64_t>(b, 80);
    h.tile_contents = get_le<std::uint64_t>(b, 88);
    h.clustered = b[96] == 1;
    h.internal_compression = static_cast<Compression>(b[97]);
    h.tile_compression = static_cast<Compression>(b[98]);
    h.tile_type = static_cast<TileType>(b[99]);
    h.min_zoom = static_cast<std::uint8_t>(b[100]);
    h.max_zoom = static_cast<std::uint8_t>(b[101]);
    h.min_lon_e7 = get_le<std::int32_t>(b, 102);
    h.min_lat_e7 = get_le<std::int32_t>(b, 106);
    h.max_lon_e7 = get_le<std::int32_t>(b, 110);
    h.max_lat_e7 = get_le<std::int32_t>(b, 114);
    h.center_zoom = static_cast<std::uint8_t>(b[118]);
    h.center_lon_e7 = get_le<std::int32_t>(b, 119);
    h.center_lat_e7 = get_le<std::int32_t>(b, 123);
    return h;
}

// ---------------------------------------------------------------- directories

namespace {

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

class VarintReader {
public:
    VarintReader(std::string_view d, const std::string& name) : d_(d), name_(name) {}
    std::uint64_t next() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= d_.size()) throw input_error(fmt::format("{} is truncated", name_));
            const auto byte = static_cast<unsigned char>(d_[pos_++]);
            v |= std::uint64_t{byte & 0x7fu} << shift;
            if (byte < 0x80) return v;
        }
        throw input_error(fmt::format("{} has a varint longer than 10 bytes", name_));
    }
    std::size_t left() const noexcept { return d_.size() - pos_; }

private:
    std::string_view d_;
    const std::string& name_;
    std::size_t pos_ = 0;
};

// Parse a directory; messages start with `name` ("root directory", "PMTiles directory").
std::vector<DirectoryEntry> parse_named_directory(std::string_view data, const std::string& name) {
    VarintReader r(data, name);
    const std::uint64_t n = r.next();
    // Every entry takes at least 4 bytes: a count beyond that is corruption, not a
    // reason to allocate.
    if (n > r.left() / 4) throw input_error(fmt::format("{} claims {} entries in {} bytes", name, n, data.size()));
    std::vector<DirectoryEntry> entries(n);
    auto where = [&](std::uint64_t i) { return fmt::format("{} entry {} of {}", name, i + 1, n); };
    std::uint64_t id = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t delta = r.next();
        if (i > 0 && delta == 0) throw input_error(fmt::format("{}: tile ids are not increasing", where(i)));
        if (delta > std::numeric_limits<std::uint64_t>::max() - id)
            throw input_error(fmt::format("{}: tile id does not fit in 64 bits", where(i)));
        id += delta;
        entries[i].tile_id = id;
    }
    auto u32 = [&](std::uint64_t i, std::uint64_t v, const char* what) {
        if (v > std::numeric_limits<std::uint32_t>::max())
            throw input_error(fmt::format("{}: {} {} does not fit in 32 bits", where(i), what, v));
        return static_cast<std::uint32_t>(v);
    };
    for (std::uint64_t i = 0; i < n; ++i) entries[i].run_length = u32(i, r.next(), "run length");
    for (std::uint64_t i = 0; i < n; ++i) entries[i].length = u32(i, r.next(), "length");
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t v = r.next();
        if (v == 0) {
            if (i == 0) throw input_error(fmt::format("{}: the first entry has no offset", name));
            const auto& prev = entries[i - 1];
            if (prev.offset > std::numeric_limits<std::uint64_t>::max() - prev.length)
                throw input_error(fmt::format("{}: offset does not fit in 64 bits", where(i)));
            entries[i].offset = prev.offset + prev.length;
        } else {
            entries[i].offset = v - 1;
        }
    }
    if (r.left() != 0) throw input_error(fmt::format("{} has {} trailing bytes", name, r.left()));
    return entries;
}

}  // namespace

std::string serialize_directory(const std::vector<DirectoryEntry>& entries) {
    std::string out;
    put_varint(out, entries.size());
    std::uint64_t last_id = 0;
    for (const auto& e : entries) {
        put_varint(out, e.tile_id - last_id);
        last_id = e.tile_id;
    }
    for (const auto& e : entries) put_varint(out, e.run_length);
    for (const auto& e : entries) put_varint(out, e.length);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        // 0 means "right after the previous entry": the common case of clustered data
        // compresses to almost nothing.
        if (i > 0 && entries[i].offset == entries[i - 1].offset + entries[i - 1].length)
            put_varint(out, 0);
        else
            put_varint(out, entries[i].offset + 1);
    }
    return out;
}

std::vector<DirectoryEntry> parse_directory(std::string_view data) {
    static const std::string name = "PMTiles directory";
    return parse_named_directory(data, name);
}

// ---------------------------------------------------------------- writer

namespace {

struct Directories {
    std::string root;    // compressed
    std::string leaves;  // compressed leaves, concatenated
    std::size_t leaf_count = 0;
};

Directories build_directories(const std::vector<DirectoryEntry>& entries) {
    const std::size_t root_limit = first_fetch - PmtilesHeader::size;
    Directories d;
    if (entries.size() < 16384) {
        d.root = gzip_compress(serialize_directory(entries));
        if (d.root.size() <= root_limit) return d;
    }
    // Root of leaf pointers only; leaves grow by 20% until the root fits (a root of
    // 3500 pointers compresses well under the limit).
    double leaf_size = std::max(4096.0, static_cast<double>(entries.size()) / 3500.0);
    for (;;) {
        d = {};
        std::vector<DirectoryEntry> root;
        const auto step = static_cast<std::size_t>(leaf_size);
        for (std::size_t i = 0; i < entries.size(); i += step) {
            const std::size_t end = std::min(entries.size(), i + step);
            const std::vector<DirectoryEntry> leaf(entries.begin() + static_cast<std::ptrdiff_t>(i),
                                                   entries.begin() + static_cast<std::ptrdiff_t>(end));
            const std::string bytes = gzip_compress(serialize_directory(leaf));
            root.push_back({leaf.front().tile_id, d.leaves.size(), static_cast<std::uint32_t>(bytes.size()), 0});
            d.leaves += bytes;
            ++d.leaf_count;
        }
        d.root = gzip_compress(serialize_directory(root));
        if (d.root.size() <= root_limit) return d;
        leaf_size *= 1.2;
    }
}

}  // namespace

struct PmtilesWriter::Impl {
    struct Content {
        std::uint64_t spool_offset = 0;
        std::uint32_t length = 0;
        std::uint64_t final_offset = unset;
        static constexpr std::uint64_t unset = std::numeric_limits<std::uint64_t>::max();
    };
    struct Pending {
        std::uint64_t tile_id;
        std::uint32_t content;
    };

    std::filesystem::path path;
    TilesetInfo info;
    detail::File spool;
    std::uint64_t spool_size = 0;
    std::vector<Content> contents;
    std::unordered_multimap<std::size_t, std::uint32_t> by_hash;
    std::vector<Pending> tiles;
    std::optional<LonLatBounds> bounds;
    int min_zoom = max_zoom + 1;
    int max_zoom_seen = -1;
    bool finished = false;
    PmtilesHeader header;

    std::filesystem::path spool_path() const { return detail::spool_path_for(path); }

    std::uint32_t store(std::string_view bytes) {
        const std::size_t h = std::hash<std::string_view>{}(bytes);
        const auto [first, last] = by_hash.equal_range(h);
        for (auto it = first; it != last; ++it) {
            const Content& c = contents[it->second];
            if (c.length == bytes.size() && spool.read_at(c.spool_offset, c.length) == bytes) return it->second;
        }
        if (bytes.size() > std::numeric_limits<std::uint32_t>::max())
            throw usage_error("a tile larger than 4 GiB cannot be stored in PMTiles");
        spool.write(bytes);
        contents.push_back({spool_size, static_cast<std::uint32_t>(bytes.size())});
        spool_size += bytes.size();
        const auto idx = static_cast<std::uint32_t>(contents.size() - 1);
        by_hash.emplace(h, idx);
        return idx;
    }
};

PmtilesWriter::PmtilesWriter(std::filesystem::path path, TilesetInfo info) : impl_(std::make_unique<Impl>()) {
    impl_->path = std::move(path);
    impl_->info = std::move(info);
    detail::register_temp(impl_->spool_path());  // removed on SIGINT/SIGTERM too
    impl_->spool = detail::File(impl_->spool_path(), detail::File::Mode::read_write_create);
}

PmtilesWriter::~PmtilesWriter() {
    std::error_code ec;
    impl_->spool = {};
    std::filesystem::remove(impl_->spool_path(), ec);
    detail::unregister_temp(impl_->spool_path());
    if (!impl_->finished) {
        std::filesystem::path tmp = impl_->path;
        tmp += ".tmp";
        std::filesystem::remove(tmp, ec);
        detail::unregister_temp(tmp);
    }
}

std::size_t PmtilesWriter::tile_count() const noexcept {
    return impl_->tiles.size();
}

void PmtilesWriter::add_tile(const TileCoord& c, std::string_view data) {
    if (impl_->finished) throw usage_error("PMTiles writer: add_tile after finish");
    const std::uint64_t id = zxy_to_tile_id(c);
    if (data.empty()) return;
    std::string compressed;
    if (!is_gzip(data)) {
        compressed = gzip_compress(data);
        data = compressed;
    }
    impl_->tiles.push_back({id, impl_->store(data)});
    impl_->min_zoom = std::min<int>(impl_->min_zoom, c.z);
    impl_->max_zoom_seen = std::max<int>(impl_->max_zoom_seen, c.z);
    const LonLatBounds b = tile_bounds(c);
    if (impl_->bounds)
        impl_->bounds->extend(b);
    else
        impl_->bounds = b;
}

const PmtilesHeader& PmtilesWriter::finish() {
    Impl& w = *impl_;
    if (w.finished) throw usage_error("PMTiles writer: finish called twice");

    std::sort(w.tiles.begin(), w.tiles.end(), [](const auto& a, const auto& b) { return a.tile_id < b.tile_id; });
    for (std::size_t i = 1; i < w.tiles.size(); ++i)
        if (w.tiles[i].tile_id == w.tiles[i - 1].tile_id)
            throw usage_error(
                fmt::format("PMTiles writer: tile {} added twice", to_string(tile_id_to_zxy(w.tiles[i].tile_id))));

    // Offsets in tile id order: the first tile that uses a content places it.
    std::vector<DirectoryEntry> entries;
    std::vector<std::uint32_t> order;
    std::uint64_t data_length = 0;
    for (const auto& t : w.tiles) {
        auto& c = w.contents[t.content];
        if (c.final_offset == Impl::Content::unset) {
            c.final_offset = data_length;
            data_length += c.length;
            order.push_back(t.content);
        }
        if (!entries.empty()) {
            auto& last = entries.back();
            // Offsets are unique per content: same offset, same bytes.
            if (last.tile_id + last.run_length == t.tile_id && last.offset == c.final_offset &&
                last.run_length < std::numeric_limits<std::uint32_t>::max()) {
                ++last.run_length;
                continue;
            }
        }
        entries.push_back({t.tile_id, c.final_offset, c.length, 1});
    }

    const Directories dirs = build_directories(entries);

    const TilesetInfo& info = w.info;
    const int min_z = w.tiles.empty() ? 0 : w.min_zoom;
    const int max_z = w.tiles.empty() ? 0 : w.max_zoom_seen;
    const LonLatBounds bounds =
        info.bounds.value_or(w.bounds.value_or(LonLatBounds{-180, -85.0511287798, 180, 85.0511287798}));
    const std::array<double, 3> center = info.center.value_or(std::array<double, 3>{
        (bounds.min_lon + bounds.max_lon) / 2, (bounds.min_lat + bounds.max_lat) / 2, static_cast<double>(min_z)});

    nlohmann::json meta = metadata_json(info.vector_layers);
    meta["format"] = "pbf";
    meta["generator"] = "wangge";
    if (!info.name.empty()) meta["name"] = info.name;
    if (!info.description.empty()) meta["description"] = info.description;
    if (!info.attribution.empty()) meta["attribution"] = info.attribution;
    if (!info.version.empty()) meta["version"] = info.version;
    if (!info.type.empty()) meta["type"] = info.type;
    for (const auto& [k, v] : info.extra) meta[k] = v;
    const std::string metadata = gzip_compress(meta.dump());

    PmtilesHeader& h = w.header;
    h.root_directory_offset = PmtilesHeader::size;
    h.root_directory_length = dirs.root.size();
    h.metadata_offset = h.root_directory_offset + h.root_directory_length;
    h.metadata_length = metadata.size();
    h.leaf_directories_offset = h.metadata_offset + h.metadata_length;
    h.leaf_directories_length = dirs.leaves.size();
    h.tile_data_offset = h.leaf_directories_offset + h.leaf_directories_length;
    h.tile_data_length = data_length;
    h.addressed_tiles = w.tiles.size();
    h.tile_entries = entries.size();
    h.tile_contents = order.size();
    h.clustered = true;
    h.internal_compression = Compression::gzip;
    h.tile_compression = Compression::gzip;
    h.tile_type = TileType::mvt;
    h.min_zoom = static_cast<std::uint8_t>(min_z);
    h.max_zoom = static_cast<std::uint8_t>(max_z);
    h.min_lon_e7 = to_e7(bounds.min_lon);
    h.min_lat_e7 = to_e7(bounds.min_lat);
    h.max_lon_e7 = to_e7(bounds.max_lon);
    h.max_lat_e7 = to_e7(bounds.max_lat);
    h.center_zoom = static_cast<std::uint8_t>(std::clamp<double>(center[2], 0, max_zoom));
    h.center_lon_e7 = to_e7(center[0]);
    h.center_lat_e7 = to_e7(center[1]);

    const auto tmp = detail::temp_path_for(w.path);
    {
        detail::File out(tmp, detail::File::Mode::create);
        out.write(h.serialize());
        out.write(dirs.root);
        out.write(metadata);
        out.write(dirs.leaves);
        // Copy unique contents from the spool in tile id order, in batches of about
        // 1 MiB to keep the system calls few.
        std::string batch;
        for (const std::uint32_t idx : order) {
            const auto& c = w.contents[idx];
            batch += w.spool.read_at(c.spool_offset, c.length);
            if (batch.size() >= (1u << 20)) {
                out.write(batch);
                batch.clear();
            }
        }
        out.write(batch);
        out.sync();
        out.close();
    }
    detail::commit_file(tmp, w.path);
    w.finished = true;
    return h;
}

// ---------------------------------------------------------------- reader

namespace {

// Web Mercator tile row of a latitude at zoom z (n = 2^z tiles), unclamped.
double tile_row(double lat, double n) {
    const double phi = std::clamp(lat, -85.0511287798, 85.0511287798) * std::numbers::pi / 180.0;
    return (1.0 - std::asinh(std::tan(phi)) / std::numbers::pi) / 2.0 * n;
}

// How many tiles zooms min_zoom..max_zoom have within the header's bounds, with one
// tile more on every side (tiles holding a feature's buffer, bounds rounded to 1e-7
// degrees); more than max_archive_tiles is returned as max_archive_tiles + 1. Bounds
// that are not a box (all zero, west of east across the antimeridian, out of range)
// count as the whole world.
std::uint64_t tiles_within_bounds(const PmtilesHeader& h) {
    const double w = h.min_lon_e7 / 1e7, e = h.max_lon_e7 / 1e7, s = h.min_lat_e7 / 1e7, n = h.max_lat_e7 / 1e7;
    const bool box =
        w <= e && s <= n && w >= -180 && e <= 180 && s >= -90 && n <= 90 && !(w == 0 && e == 0 && s == 0 && n == 0);
    std::uint64_t total = 0;
    for (int z = h.min_zoom; z <= h.max_zoom && z <= max_zoom; ++z) {
        const std::int64_t size = std::int64_t{1} << z;
        const double nd = static_cast<double>(size);
        std::int64_t x0 = 0, x1 = size - 1, y0 = 0, y1 = size - 1;
        if (box) {
            auto cell = [&](double v) { return static_cast<std::int64_t>(std::floor(std::clamp(v, 0.0, nd))); };
            x0 = std::max<std::int64_t>(0, cell((w + 180) / 360 * nd) - 1);
            x1 = std::min<std::int64_t>(size - 1, cell((e + 180) / 360 * nd) + 1);
            y0 = std::max<std::int64_t>(0, cell(tile_row(n, nd)) - 1);
            y1 = std::min<std::int64_t>(size - 1, cell(tile_row(s, nd)) + 1);
        }
        total += static_cast<std::uint64_t>(x1 - x0 + 1) * static_cast<std::uint64_t>(y1 - y0 + 1);
        if (total > max_archive_tiles) return max_archive_tiles + 1;
    }
    return total;
}

}  // namespace

struct PmtilesReader::Impl {
    std::string path;
    detail::File file;
    std::uint64_t file_size = 0;
    PmtilesHeader header;
    std::vector<DirectoryEntry> root;
    std::uint64_t capacity = 0;                  // tiles the archive may address
    std::string capacity_text;                   // what limits it, for messages
    std::uint64_t zoom_first = 0, zoom_end = 0;  // tile ids of the header's zooms: [first, end)

    // The walk over directories: what the entries seen so far take.
    struct Walk {
        std::uint64_t next_id = 0;          // the lowest tile id the next entry may have
        std::uint64_t addressed = 0;        // tiles, runs counted in full
        std::uint64_t entries = 0;          // tile entries
        std::uint64_t directory_bytes = 0;  // decompressed, root included
        std::size_t leaves = 0;
    };

    [[noreturn]] void corrupt(const std::string& what) const {
        throw archive_error(fmt::format("{}: corrupt PMTiles archive: {}", path, what));
    }

    std::string decompress(const std::string& bytes, Compression c, const char* what, std::size_t limit) const {
        switch (c) {
            case Compression::none:
                if (bytes.size() > limit) corrupt(fmt::format("{} is larger than {} bytes", what, grouped(limit)));
                return bytes;
            case Compression::gzip:
                try {
                    return gzip_decompress(bytes, limit);
                } catch (const input_error& e) {
                    corrupt(fmt::format("{}: {}", what, e.what()));
                }
            default:
                break;
        }
        throw archive_error(fmt::format("{}: PMTiles {}: compression {} is not supported (only none and gzip)", path,
                                        what, static_cast<int>(c)));
    }

    void check_section(std::uint64_t offset, std::uint64_t length, const char* what) const {
        if (offset > file_size || length > file_size - offset)
            corrupt(
                fmt::format("{} at {}+{} lies beyond the end of the file ({} bytes)", what, offset, length, file_size));
    }

    // A section's bytes; offset and length were checked against the file at open.
    std::string section(std::uint64_t offset, std::uint64_t length) const {
        return file.read_at(offset, static_cast<std::size_t>(length));
    }

    std::vector<DirectoryEntry> directory(std::uint64_t offset, std::uint64_t length, const std::string& name,
                                          Walk& w) const {
        const std::string bytes = decompress(section(offset, length), header.internal_compression, name.c_str(),
                                             static_cast<std::size_t>(max_directory_bytes - w.directory_bytes));
        w.directory_bytes += bytes.size();
        try {
            return parse_named_directory(bytes, name);
        } catch (const archive_error&) {
            throw;
        } catch (const input_error& e) {
            corrupt(e.what());
        }
    }

    // Check one entry against the file and the entries before it (in tile id order
    // over all directories); a tile run is counted. Nothing loops over a run.
    // `where_fn` names the entry for messages; it is called only when one is written (a
    // lookup of a tile must not format strings).
    template <class Where>
    void check_entry(const DirectoryEntry& e, const Where& where_fn, Walk& w) const {
        if (e.length == 0) corrupt(fmt::format("{} has length 0", where_fn()));
        if (e.tile_id >= tiles_below(max_zoom + 1))
            corrupt(fmt::format("{} has tile id {}, beyond zoom {}", where_fn(), e.tile_id, max_zoom));
        if (e.tile_id < w.next_id)
            corrupt(fmt::format("{} (tile id {}) lies in the run of the entry before it: a tile would appear twice",
                                where_fn(), e.tile_id));
        if (e.run_length == 0) {  // a leaf directory
            if (e.offset > header.leaf_directories_length || e.length > header.leaf_directories_length - e.offset)
                corrupt(fmt::format("{}: leaf directory at {}+{} lies beyond the leaf directories ({} bytes)",
                                    where_fn(), e.offset, e.length, header.leaf_directories_length));
            w.next_id = e.tile_id;
            return;
        }
        if (e.tile_id < zoom_first || e.tile_id >= zoom_end)
            corrupt(fmt::format("{} has tile {}, outside the header's zooms {}-{}", where_fn(),
                                to_string(tile_id_to_zxy(e.tile_id)), header.min_zoom, header.max_zoom));
        if (e.run_length > capacity - std::min(capacity, w.addressed))
            corrupt(fmt::format("{} has run length {}, more than the {} tiles {}", where_fn(), e.run_length,
                                grouped(capacity), capacity_text));
        if (e.run_length > zoom_end - e.tile_id)
            corrupt(
                fmt::format("{}: its run of {} tiles goes beyond zoom {}", where_fn(), e.run_length, header.max_zoom));
        if (header.addressed_tiles != 0 && e.run_length > header.addressed_tiles - w.addressed)
            corrupt(fmt::format("the header says {} tiles are addressed, the directories address more",
                                header.addressed_tiles));
        if (e.offset > header.tile_data_length || e.length > header.tile_data_length - e.offset)
            corrupt(fmt::format("{}: tile at {}+{} lies beyond the tile data ({} bytes)", where_fn(), e.offset,
                                e.length, header.tile_data_length));
        w.addressed += e.run_length;
        ++w.entries;
        w.next_id = e.tile_id + e.run_length;
    }

    std::string leaf_name(const DirectoryEntry& pointer) const {
        return fmt::format("leaf directory at {}+{}", pointer.offset, pointer.length);
    }

    std::vector<DirectoryEntry> leaf(const DirectoryEntry& pointer, Walk& w) const {
        const std::string name = leaf_name(pointer);
        auto entries = directory(header.leaf_directories_offset + pointer.offset, pointer.length, name, w);
        if (entries.empty()) corrupt(fmt::format("{} is empty", name));
        ++w.leaves;
        return entries;
    }

    static std::string entry_name(const std::string& dir, std::size_t i, std::size_t n) {
        return fmt::format("{} entry {} of {}", dir, i + 1, n);
    }

    // Leaf directories already read, by offset: a tile server looks up every request,
    // and inflating and parsing a leaf each time cost ~10x the HTTP work (bench/serve).
    // Bounded: the cache is emptied when it would hold more than max_cached_entries.
    static constexpr std::size_t max_cached_entries = std::size_t{1} << 20;  // 32 MiB of entries
    using Directory = std::shared_ptr<const std::vector<DirectoryEntry>>;
    mutable std::shared_mutex leaves_mu;
    mutable std::unordered_map<std::uint64_t, Directory> leaves_read;
    mutable std::size_t leaves_read_entries = 0;

    Directory cached_leaf(const DirectoryEntry& pointer, Walk& w) const {
        {
            std::shared_lock lock(leaves_mu);
            if (auto it = leaves_read.find(pointer.offset); it != leaves_read.end()) return it->second;
        }
        auto dir = std::make_shared<const std::vector<DirectoryEntry>>(leaf(pointer, w));
        std::unique_lock lock(leaves_mu);
        if (leaves_read_entries + dir->size() > max_cached_entries) {
            leaves_read.clear();
            leaves_read_entries = 0;
        }
        if (leaves_read.emplace(pointer.offset, dir).second) leaves_read_entries += dir->size();
        return dir;
    }

    std::optional<DirectoryEntry> find(std::uint64_t id) const {
        const std::vector<DirectoryEntry>* dir = &root;
        Directory held;  // keeps a cached leaf alive while it is searched
        DirectoryEntry pointer{};
        bool in_root = true;
        const auto name = [&] { return in_root ? std::string("root directory") : leaf_name(pointer); };
        // The spec allows root + leaves nested; 4 levels is what readers support.
        for (int depth = 0; depth < max_directory_depth; ++depth) {
            auto it = std::upper_bound(dir->begin(), dir->end(), id,
                                       [](std::uint64_t v, const DirectoryEntry& e) { return v < e.tile_id; });
            if (it == dir->begin()) return std::nullopt;
            const DirectoryEntry e = *--it;
            Walk w;  // checks this entry alone
            w.next_id = e.tile_id;
            const auto index = static_cast<std::size_t>(it - dir->begin());
            check_entry(
                e, [&] { return entry_name(name(), index, dir->size()); }, w);
            if (e.run_length > 0) {
                if (id - e.tile_id < e.run_length) return e;
                return std::nullopt;
            }
            held = cached_leaf(e, w);
            dir = held.get();
            pointer = e;
            in_root = false;
        }
        corrupt(fmt::format("leaf directories nest deeper than {} levels", max_directory_depth));
    }

    void collect(const std::vector<DirectoryEntry>& dir, const std::string& name, int depth,
                 std::vector<DirectoryEntry>* out, Walk& w) const {
        if (depth >= max_directory_depth)
            corrupt(fmt::format("leaf directories nest deeper than {} levels", max_directory_depth));
        for (std::size_t i = 0; i < dir.size(); ++i) {
            const auto& e = dir[i];
            check_entry(
                e, [&] { return entry_name(name, i, dir.size()); }, w);
            if (e.run_length > 0) {
                if (out) out->push_back(e);
            } else {
                collect(leaf(e, w), leaf_name(e), depth + 1, out, w);
            }
        }
    }

    // Every directory, checked; the tile entries in `out` when given.
    Walk walk(std::vector<DirectoryEntry>* out) const {
        Walk w;
        collect(root, "root directory", 0, out, w);
        if (header.addressed_tiles != 0 && w.addressed != header.addressed_tiles)
            corrupt(fmt::format("the header says {} tiles are addressed, the directories address {}",
                                header.addressed_tiles, w.addressed));
        if (header.tile_entries != 0 && w.entries != header.tile_entries)
            corrupt(fmt::format("the header says {} tile entries, the directories have {}", header.tile_entries,
                                w.entries));
        return w;
    }
};

PmtilesReader::PmtilesReader(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
    Impl& r = *impl_;
    r.path = path.string();
    r.file = detail::File(path, detail::File::Mode::read);
    r.file_size = r.file.size();
    const std::string head =
        r.file.read_at(0, static_cast<std::size_t>(std::min<std::uint64_t>(r.file_size, PmtilesHeader::size)));
    if (head.size() < 7 || std::memcmp(head.data(), magic, 7) != 0)
        throw io_error(fmt::format("'{}' is not a PMTiles archive", r.path));
    if (head.size() < PmtilesHeader::size)
        r.corrupt(fmt::format("truncated: {} bytes, less than the {}-byte header", head.size(), PmtilesHeader::size));
    try {
        r.header = PmtilesHeader::parse(head);
    } catch (const input_error& e) {
        throw archive_error(fmt::format("{}: {}", r.path, e.what()));
    }
    const PmtilesHeader& h = r.header;
    r.check_section(h.root_directory_offset, h.root_directory_length, "root directory");
    r.check_section(h.metadata_offset, h.metadata_length, "metadata");
    r.check_section(h.leaf_directories_offset, h.leaf_directories_length, "leaf directories");
    r.check_section(h.tile_data_offset, h.tile_data_length, "tile data");
    if (h.root_directory_offset + h.root_directory_length > first_fetch)
        r.corrupt(fmt::format("root directory at {}+{} is not within the first {} bytes (spec v3)",
                              h.root_directory_offset, h.root_directory_length, grouped(first_fetch)));
    if (h.min_zoom > h.max_zoom || h.max_zoom > max_zoom)
        r.corrupt(fmt::format("header zooms {}-{} are not a range within 0-{}", h.min_zoom, h.max_zoom, max_zoom));
    if (h.addressed_tiles > max_archive_tiles)
        r.corrupt(fmt::format("the header says {} tiles are addressed, more than the {} tiles an archive may address",
                              grouped(h.addressed_tiles), grouped(max_archive_tiles)));
    r.zoom_first = tiles_below(h.min_zoom);
    r.zoom_end = tiles_below(h.max_zoom + 1);
    const std::uint64_t within = tiles_within_bounds(h);
    if (within < max_archive_tiles) {
        r.capacity = within;
        r.capacity_text = fmt::format("of zooms {}-{} within the header's bounds", h.min_zoom, h.max_zoom);
    } else {
        r.capacity = max_archive_tiles;
        r.capacity_text = "an archive may address";
    }
    Impl::Walk w;
    r.root = r.directory(h.root_directory_offset, h.root_directory_length, "root directory", w);
    // the root's own entries now (leaves when they are read): a count that cannot fit
    // fails here, before anything loops over it
    for (std::size_t i = 0; i < r.root.size(); ++i)
        r.check_entry(
            r.root[i], [&] { return Impl::entry_name("root directory", i, r.root.size()); }, w);
}

PmtilesReader::~PmtilesReader() = default;

const PmtilesHeader& PmtilesReader::header() const noexcept {
    return impl_->header;
}

const std::vector<DirectoryEntry>& PmtilesReader::root_directory() const noexcept {
    return impl_->root;
}

nlohmann::json PmtilesReader::metadata() const {
    const Impl& r = *impl_;
    if (r.header.metadata_length == 0) return nlohmann::json::object();
    const std::string text = r.decompress(r.section(r.header.metadata_offset, r.header.metadata_length),
                                          r.header.internal_compression, "metadata", max_metadata_bytes);
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) r.corrupt("metadata is not a JSON object");
    return j;
}

std::vector<DirectoryEntry> PmtilesReader::tile_entries() const {
    std::vector<DirectoryEntry> out;
    impl_->walk(&out);
    return out;
}

std::size_t PmtilesReader::leaf_directory_count() const {
    return impl_->walk(nullptr).leaves;
}

std::optional<std::string> PmtilesReader::stored_tile(const TileCoord& c) const {
    const Impl& r = *impl_;
    const auto e = r.find(zxy_to_tile_id(c));
    if (!e) return std::nullopt;
    return r.section(r.header.tile_data_offset + e->offset, e->length);
}

std::optional<std::string> PmtilesReader::tile(const TileCoord& c) const {
    auto stored = stored_tile(c);
    if (!stored) return stored;
    return impl_->decompress(*stored, impl_->header.tile_compression, "tile", max_inflated_tile_bytes);
}

void PmtilesReader::for_each_tile(const std::function<void(const TileCoord&, const std::string&)>& fn) const {
    const Impl& r = *impl_;
    // every directory is checked before the first tile: runs fit the archive
    for (const auto& e : tile_entries()) {
        const std::string bytes = r.section(r.header.tile_data_offset + e.offset, e.length);
        for (std::uint64_t k = 0; k < e.run_length; ++k) fn(tile_id_to_zxy(e.tile_id + k), bytes);
    }
}

}  // namespace wangge::tiles
