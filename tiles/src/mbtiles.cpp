#include "wangge/tiles/mbtiles.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <unordered_map>

#include "file_io.hpp"
#include "wangge/error.hpp"
#include "wangge/tiles/gzip.hpp"

namespace wangge::tiles {

namespace {

// Minimal RAII over sqlite3 and sqlite3_stmt: the archives need a handful of
// statements, and the engine's Store is about its own schema.
class Db {
public:
    Db(const std::filesystem::path& path, int flags) {
        if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw io_error(fmt::format("cannot open '{}': {}", path.string(), msg));
        }
        path_ = path;
    }
    ~Db() { sqlite3_close(db_); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    sqlite3* get() const noexcept { return db_; }

    void exec(const char* sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
            const std::string msg = err ? err : sqlite3_errmsg(db_);
            sqlite3_free(err);
            throw io_error(fmt::format("'{}': {}", path_.string(), msg));
        }
    }

    [[noreturn]] void fail(std::string_view what) const {
        throw io_error(fmt::format("'{}': {}: {}", path_.string(), what, sqlite3_errmsg(db_)));
    }

    /// Close now, reporting errors (statements must be finalized first).
    void close() {
        if (sqlite3_close(db_) != SQLITE_OK) fail("closing");
        db_ = nullptr;
    }

private:
    sqlite3* db_ = nullptr;
    std::filesystem::path path_;
};

class Stmt {
public:
    Stmt(const Db& db, const char* sql) : db_(&db) {
        if (sqlite3_prepare_v2(db.get(), sql, -1, &stmt_, nullptr) != SQLITE_OK) db.fail(sql);
    }
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, std::int64_t v) {
        if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) db_->fail("binding");
        return *this;
    }
    Stmt& bind(int i, std::string_view text) {
        if (sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK)
            db_->fail("binding");
        return *this;
    }
    Stmt& bind_blob(int i, std::string_view bytes) {
        if (sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT) != SQLITE_OK)
            db_->fail("binding");
        return *this;
    }
    /// True when a row is there; returns the raw code in `rc` for callers that care.
    bool step(int* rc = nullptr) {
        const int r = sqlite3_step(stmt_);
        if (rc) *rc = r;
        if (r == SQLITE_ROW) return true;
        if (r == SQLITE_DONE) return false;
        if (rc) return false;
        db_->fail(sqlite3_sql(stmt_));
    }
    void reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    std::string column_text(int i) const {
        const auto* t = sqlite3_column_text(stmt_, i);
        return t ? std::string(reinterpret_cast<const char*>(t),
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
                 : std::string();
    }
    std::string column_blob(int i) const {
        const void* b = sqlite3_column_blob(stmt_, i);
        return b ? std::string(static_cast<const char*>(b), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
                 : std::string();
    }
    std::int64_t column_int(int i) const { return sqlite3_column_int64(stmt_, i); }

private:
    const Db* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

std::int64_t tms_row(const TileCoord& c) {
    return static_cast<std::int64_t>((std::uint64_t{1} << c.z) - 1 - c.y);
}

// Numbers in metadata as short as they are exact enough (1e-7 degrees, ~1 cm).
std::string num(double v) {
    std::string s = fmt::format("{:.7f}", v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    if (s == "-0") s = "0";
    return s;
}

}  // namespace

// ---------------------------------------------------------------- writer

struct MbtilesWriter::Impl {
    std::filesystem::path path;
    std::filesystem::path tmp;
    TilesetInfo info;
    std::unique_ptr<Db> db;
    std::unique_ptr<Stmt> insert_map;
    std::unique_ptr<Stmt> insert_image;
    std::unique_ptr<Stmt> select_image;
    std::unordered_multimap<std::size_t, std::string> images_by_hash;
    std::size_t tiles = 0;
    std::size_t images = 0;
    std::optional<LonLatBounds> bounds;
    int min_zoom = max_zoom + 1;
    int max_zoom_seen = -1;
    bool finished = false;

    // The image id of these bytes: an existing image's, or a new id (is_new) that the
    // caller inserts once the tile's map row is in.
    std::pair<std::string, bool> image_for(std::string_view bytes, std::size_t h) {
        const auto [first, last] = images_by_hash.equal_range(h);
        std::size_t same_hash = 0;
        for (auto it = first; it != last; ++it, ++same_hash) {
            select_image->bind(1, it->second);
            const bool found = select_image->step();
            const bool equal = found && select_image->column_blob(0) == bytes;
            select_image->reset();
            if (equal) return {it->second, false};
        }
        std::string id = fmt::format("{:016x}", h);
        if (same_hash > 0) id += fmt::format("-{}", same_hash);
        return {id, true};
    }
};

MbtilesWriter::MbtilesWriter(std::filesystem::path path, TilesetInfo info) : impl_(std::make_unique<Impl>()) {
    Impl& w = *impl_;
    w.path = std::move(path);
    w.tmp = detail::temp_path_for(w.path);
    w.info = std::move(info);
    std::error_code ec;
    std::filesystem::remove(w.tmp, ec);
    w.db = std::make_unique<Db>(w.tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    // A scratch database: no journal, no syncs until finish() syncs the whole file.
    w.db->exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA application_id = 0x4d504258;");
    w.db->exec("BEGIN");
    w.db->exec(R"sql(
        CREATE TABLE metadata (name TEXT, value TEXT);
        CREATE UNIQUE INDEX metadata_name ON metadata (name);
        CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);
        CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);
        CREATE TABLE images (tile_data BLOB, tile_id TEXT);
        CREATE UNIQUE INDEX images_id ON images (tile_id);
        CREATE VIEW tiles AS
            SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, map.tile_row AS tile_row,
                   images.tile_data AS tile_data
            FROM map JOIN images ON images.tile_id = map.tile_id;
    )sql");
    w.insert_map = std::make_unique<Stmt>(
        *w.db, "INSERT INTO map (zoom_level, tile_column, tile_row, tile_id) VALUES (?1, ?2, ?3, ?4)");
    w.insert_image = std::make_unique<Stmt>(*w.db, "INSERT INTO images (tile_id, tile_data) VALUES (?1, ?2)");
    w.select_image = std::make_unique<Stmt>(*w.db, "SELECT tile_data FROM images WHERE tile_id = ?1");
}

MbtilesWriter::~MbtilesWriter() {
    Impl& w = *impl_;
    w.insert_map.reset();
    w.insert_image.reset();
    w.select_image.reset();
    w.db.reset();
    if (!w.finished) {
        std::error_code ec;
        std::filesystem::remove(w.tmp, ec);
        detail::unregister_temp(w.tmp);
    }
}

std::size_t MbtilesWriter::tile_count() const noexcept {
    return impl_->tiles;
}

std::size_t MbtilesWriter::image_count() const noexcept {
    return impl_->images;
}

void MbtilesWriter::add_tile(const TileCoord& c, std::string_view data) {
    Impl& w = *impl_;
    if (w.finished) throw usage_error("MBTiles writer: add_tile after finish");
    check_tile(c);
    if (data.empty()) return;
    std::string compressed;
    if (!is_gzip(data)) {
        compressed = gzip_compress(data);
        data = compressed;
    }
    const std::size_t hash = std::hash<std::string_view>{}(data);
    const auto [id, is_new] = w.image_for(data, hash);
    w.insert_map->bind(1, std::int64_t{c.z}).bind(2, std::int64_t{c.x}).bind(3, tms_row(c)).bind(4, id);
    int rc = 0;
    w.insert_map->step(&rc);
    w.insert_map->reset();
    // The map row first: a tile added twice must not leave an orphan image behind.
    if (rc == SQLITE_CONSTRAINT) throw usage_error(fmt::format("MBTiles writer: tile {} added twice", to_string(c)));
    if (rc != SQLITE_DONE) w.db->fail("inserting a tile");
    if (is_new) {
        w.insert_image->bind(1, id).bind_blob(2, data);
        w.insert_image->step();
        w.insert_image->reset();
        w.images_by_hash.emplace(hash, id);
        ++w.images;
    }
    ++w.tiles;
    w.min_zoom = std::min<int>(w.min_zoom, c.z);
    w.max_zoom_seen = std::max<int>(w.max_zoom_seen, c.z);
    const LonLatBounds b = tile_bounds(c);
    if (w.bounds)
        w.bounds->extend(b);
    else
        w.bounds = b;
}

void MbtilesWriter::finish() {
    Impl& w = *impl_;
    if (w.finished) throw usage_error("MBTiles writer: finish called twice");
    const TilesetInfo& info = w.info;
    const int min_z = w.tiles == 0 ? 0 : w.min_zoom;
    const int max_z = w.tiles == 0 ? 0 : w.max_zoom_seen;
    const LonLatBounds b =
        info.bounds.value_or(w.bounds.value_or(LonLatBounds{-180, -85.0511287798, 180, 85.0511287798}));
    const std::array<double, 3> center = info.center.value_or(
        std::array<double, 3>{(b.min_lon + b.max_lon) / 2, (b.min_lat + b.max_lat) / 2, static_cast<double>(min_z)});

    std::vector<std::pair<std::string, std::string>> rows = {
        {"name", info.name.empty() ? w.path.stem().string() : info.name},
        {"format", "pbf"},
        {"minzoom", std::to_string(min_z)},
        {"maxzoom", std::to_string(max_z)},
        {"bounds", fmt::format("{},{},{},{}", num(b.min_lon), num(b.min_lat), num(b.max_lon), num(b.max_lat))},
        {"center", fmt::format("{},{},{}", num(center[0]), num(center[1]), static_cast<int>(center[2]))},
        {"json", metadata_json(info.vector_layers).dump()},
        {"generator", "wangge"},
    };
    if (!info.type.empty()) rows.emplace_back("type", info.type);
    if (!info.version.empty()) rows.emplace_back("version", info.version);
    if (!info.description.empty()) rows.emplace_back("description", info.description);
    if (!info.attribution.empty()) rows.emplace_back("attribution", info.attribution);
    for (const auto& [k, v] : info.extra) rows.emplace_back(k, v);
    {
        Stmt insert(*w.db, "INSERT INTO metadata (name, value) VALUES (?1, ?2)");
        for (const auto& [name, value] : rows) {
            insert.bind(1, name).bind(2, value);
            insert.step();
            insert.reset();
        }
    }
    w.db->exec("COMMIT");
    w.insert_map.reset();
    w.insert_image.reset();
    w.select_image.reset();
    w.db->close();
    w.db.reset();
    detail::commit_file(w.tmp, w.path);
    w.finished = true;
}

// ---------------------------------------------------------------- reader

struct MbtilesReader::Impl {
    std::string path;
    std::unique_ptr<Db> db;

    [[noreturn]] void corrupt(const std::string& what) const {
        throw archive_error(fmt::format("{}: corrupt MBTiles archive: {}", path, what));
    }

    // A statement of the reader: SQLite's errors name the file and the problem, never
    // the SQL text; a damaged database is a corrupt archive.
    class Query {
    public:
        Query(const Impl& r, const char* sql) : r_(r) {
            if (sqlite3_prepare_v2(r.db->get(), sql, -1, &stmt_, nullptr) != SQLITE_OK) fail();
        }
        ~Query() { sqlite3_finalize(stmt_); }
        Query(const Query&) = delete;
        Query& operator=(const Query&) = delete;
        bool step() {
            const int rc = sqlite3_step(stmt_);
            if (rc == SQLITE_ROW) return true;
            if (rc == SQLITE_DONE) return false;
            fail();
        }
        sqlite3_stmt* get() const noexcept { return stmt_; }
        [[noreturn]] void fail() const {
            const int rc = sqlite3_errcode(r_.db->get());
            const std::string msg = sqlite3_errmsg(r_.db->get());
            if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_MISMATCH) r_.corrupt(msg);
            throw io_error(fmt::format("{}: cannot read the MBTiles archive: {}", r_.path, msg));
        }

    private:
        const Impl& r_;
        sqlite3_stmt* stmt_ = nullptr;
    };

    std::string text(sqlite3_stmt* st, int i) const {
        const auto* t = sqlite3_column_text(st, i);
        return t ? std::string(reinterpret_cast<const char*>(t), static_cast<std::size_t>(sqlite3_column_bytes(st, i)))
                 : std::string();
    }

    // A column that must hold an integer within [0, limit), as text for messages.
    static bool integer_in(sqlite3_stmt* st, int i, std::int64_t limit, std::int64_t& out) {
        if (sqlite3_column_type(st, i) != SQLITE_INTEGER) return false;
        out = sqlite3_column_int64(st, i);
        return out >= 0 && out < limit;
    }

    std::string value_text(sqlite3_stmt* st, int i) const {
        switch (sqlite3_column_type(st, i)) {
            case SQLITE_INTEGER:
                return std::to_string(sqlite3_column_int64(st, i));
            case SQLITE_NULL:
                return "NULL";
            case SQLITE_BLOB:
                return "a blob";
            default:
                break;
        }
        std::string t = text(st, i);
        if (t.size() > 20) t = t.substr(0, 20) + "...";
        return "'" + t + "'";
    }

    // The z/x/y of a row (zoom_level, tile_column, tile_row in columns 0-2), checked.
    TileCoord coord(sqlite3_stmt* st) const {
        const auto where = [&] {
            return fmt::format("tile row zoom_level {}, tile_column {}, tile_row {}", value_text(st, 0),
                               value_text(st, 1), value_text(st, 2));
        };
        std::int64_t z = 0, x = 0, row = 0;
        if (!integer_in(st, 0, max_zoom + 1, z)) {
            if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
                corrupt(fmt::format("{}: zoom {} is beyond {}", where(), sqlite3_column_int64(st, 0), max_zoom));
            corrupt(fmt::format("{}: the zoom is not an integer", where()));
        }
        const std::int64_t n = std::int64_t{1} << z;
        if (!integer_in(st, 1, n, x) || !integer_in(st, 2, n, row))
            corrupt(fmt::format("{}: column and row must be below {}", where(), n));
        return {static_cast<std::uint8_t>(z), static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(n - 1 - row)};
    }

    std::string data(sqlite3_stmt* st, int i, const TileCoord& c) const {
        const int type = sqlite3_column_type(st, i);
        if (type == SQLITE_NULL) corrupt(fmt::format("tile {} has no data", to_string(c)));
        const void* b = sqlite3_column_blob(st, i);
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(st, i));
        if (size > max_inflated_tile_bytes)
            corrupt(fmt::format("tile {} is {} bytes, more than {}", to_string(c), grouped(size),
                                grouped(max_inflated_tile_bytes)));
        return b ? std::string(static_cast<const char*>(b), size) : std::string();
    }
};

MbtilesReader::MbtilesReader(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
    Impl& r = *impl_;
    r.path = path.string();
    if (!std::filesystem::exists(path)) throw io_error(fmt::format("no MBTiles file '{}'", r.path));
    r.db = std::make_unique<Db>(path, SQLITE_OPEN_READONLY);
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v2(
        r.db->get(), "SELECT count(*) FROM sqlite_master WHERE name IN ('tiles', 'metadata')", -1, &st, nullptr);
    const bool ok = rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 2;
    const int err = sqlite3_errcode(r.db->get());
    sqlite3_finalize(st);
    if (err == SQLITE_CORRUPT) r.corrupt(sqlite3_errstr(err));
    if (!ok) throw io_error(fmt::format("'{}' is not an MBTiles file (no tiles and metadata)", r.path));
}

MbtilesReader::~MbtilesReader() = default;

std::map<std::string, std::string> MbtilesReader::metadata() const {
    const Impl& r = *impl_;
    std::map<std::string, std::string> out;
    Impl::Query q(r, "SELECT name, value FROM metadata");
    while (q.step()) out[r.text(q.get(), 0)] = r.text(q.get(), 1);
    return out;
}

std::optional<std::string> MbtilesReader::stored_tile(const TileCoord& c) const {
    const Impl& r = *impl_;
    check_tile(c);
    Impl::Query q(r, "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3");
    sqlite3_bind_int64(q.get(), 1, c.z);
    sqlite3_bind_int64(q.get(), 2, c.x);
    sqlite3_bind_int64(q.get(), 3, tms_row(c));
    if (!q.step()) return std::nullopt;
    return r.data(q.get(), 0, c);
}

void MbtilesReader::for_each_tile(const std::function<void(const TileCoord&, const std::string& stored)>& fn) const {
    const Impl& r = *impl_;
    // a count that cannot be right fails before the first tile
    if (const auto n = tile_count(); n > max_archive_tiles)
        r.corrupt(fmt::format("it holds {} tiles, more than the {} tiles an archive may address", grouped(n),
                              grouped(max_archive_tiles)));
    Impl::Query q(r, "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles ORDER BY 1, 2, 3");
    std::optional<TileCoord> last;
    while (q.step()) {
        const TileCoord c = r.coord(q.get());
        // rows come sorted by zoom, column, row: a tile twice comes in a row
        if (last && last->z == c.z && last->x == c.x && last->y == c.y)
            r.corrupt(fmt::format("tile {} appears twice", to_string(c)));
        last = c;
        fn(c, r.data(q.get(), 3, c));
    }
}

std::size_t MbtilesReader::tile_count() const {
    Impl::Query q(*impl_, "SELECT count(*) FROM tiles");
    if (!q.step()) return 0;
    return static_cast<std::size_t>(sqlite3_column_int64(q.get(), 0));
}

}  // namespace wangge::tiles
