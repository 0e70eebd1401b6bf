#include "wangge/store.hpp"

#include "wangge/error.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
// spatialite.h needs sqlite3.h first
#include <spatialite.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <fstream>

#include "store/migrations.hpp"

namespace wangge {

namespace {

/// `path` as an SQLite URI ("file:" and the path with every byte outside
/// [A-Za-z0-9/._~-] percent-encoded), with the query `query`.
std::string sqlite_uri(const std::filesystem::path& path, std::string_view query) {
    std::string out = "file:";
    for (const unsigned char c : path.string()) {
        if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '~' || c == '-')
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    out += '?';
    out += query;
    return out;
}

/// Whether this process may write `path` and create files beside it (its -wal and
/// -shm). access() answers for the real user, which is who we run as.
bool may_write_beside(const std::filesystem::path& path) {
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    return ::access(path.c_str(), W_OK) == 0 && ::access(dir.c_str(), W_OK) == 0;
}

}  // namespace

// ---------------------------------------------------------------- Statement

Statement::Statement(Store& store, std::string_view sql) : store_(&store) {
    if (sqlite3_prepare_v2(store.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK)
        store.fail(fmt::format("preparing '{}'", sql.substr(0, 80)));
}

Statement::Statement(Statement&& o) noexcept : store_(o.store_), stmt_(o.stmt_) {
    o.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(stmt_);
        store_ = o.store_;
        stmt_ = o.stmt_;
        o.stmt_ = nullptr;
    }
    return *this;
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int i, std::int64_t v) {
    if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) store_->fail("binding");
    return *this;
}
Statement& Statement::bind(int i, double v) {
    if (sqlite3_bind_double(stmt_, i, v) != SQLITE_OK) store_->fail("binding");
    return *this;
}
Statement& Statement::bind(int i, std::string_view t) {
    if (sqlite3_bind_text(stmt_, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT) != SQLITE_OK)
        store_->fail("binding");
    return *this;
}
Statement& Statement::bind_blob(int i, const void* data, std::size_t size) {
    if (sqlite3_bind_blob(stmt_, i, data, static_cast<int>(size), SQLITE_TRANSIENT) != SQLITE_OK)
        store_->fail("binding");
    return *this;
}
Statement& Statement::bind_null(int i) {
    if (sqlite3_bind_null(stmt_, i) != SQLITE_OK) store_->fail("binding");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    store_->fail(fmt::format("running '{}'", std::string_view(sqlite3_sql(stmt_)).substr(0, 80)));
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int c) const {
    return sqlite3_column_type(stmt_, c) == SQLITE_NULL;
}
std::int64_t Statement::int64(int c) const {
    return sqlite3_column_int64(stmt_, c);
}
double Statement::real(int c) const {
    return sqlite3_column_double(stmt_, c);
}
std::string Statement::text(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
}
std::vector<unsigned char> Statement::blob(int c) const {
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, c));
    return p ? std::vector<unsigned char>(p, p + sqlite3_column_bytes(stmt_, c)) : std::vector<unsigned char>();
}

// -------------------------------------------------------------------- Store

Store::Store(const std::filesystem::path& path, Mode mode) : path_(path), read_only_(mode == Mode::read_only) {
    if (read_only_) {
        open_read_only();
        return;
    }
    std::error_code ec;
    if (mode == Mode::must_exist && !std::filesystem::exists(path, ec))
        throw store_error(fmt::format("{}: no store here (create one with 'wangge codes load' or 'wangge import')",
                                      path.string()));
    const int flags = SQLITE_OPEN_READWRITE | (mode == Mode::create_if_missing ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.string().c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw store_error(fmt::format("{}: cannot open store: {}", path.string(), msg));
    }
    sqlite3_busy_timeout(db_, wait_ms_);
    spatialite_cache_ = spatialite_alloc_connection();
    spatialite_init_ex(db_, spatialite_cache_, 0);
    try {
        // Refuse files that are not SQLite before touching them.
        query_int("SELECT count(*) FROM sqlite_master");
        exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
        migrate();
    } catch (const store_error& e) {
        close();
        throw store_error(fmt::format("{}: {}", path.string(), e.what()));
    }
}

Store::~Store() {
    close();
}

// Read-only opening. The file must exist and hold a wangge store of exactly this
// version; nothing is created, migrated or written. How SQLite is opened:
//  - if we may write the file and its directory: read-write without CREATE and with
//    PRAGMA query_only, so SQLite refuses every write yet removes the -wal and -shm
//    files it makes at close, as every writer does (a read-only handle would leave
//    them behind after each `info`);
//  - else SQLITE_OPEN_READONLY, which reads a WAL store when its -shm exists or can
//    be created;
//  - else (a read-only directory without -shm) and only when no -wal file exists,
//    so the main file holds every committed transaction and no process can be
//    writing (a writer needs the -wal in that directory): immutable=1.
void Store::open_read_only() {
    const std::string name = path_.string();
    const std::string hint = "create one with 'wangge codes load' or 'wangge import'";
    std::error_code ec;
    const auto status = std::filesystem::status(path_, ec);
    if (!std::filesystem::exists(status))
        throw store_error(fmt::format("{}: not a wangge store: no such file ({})", name, hint));
    if (!std::filesystem::is_regular_file(status))
        throw store_error(fmt::format("{}: not a wangge store: not a regular file", name));
    if (std::filesystem::file_size(path_, ec) == 0)
        throw store_error(fmt::format("{}: not a wangge store: the file is empty ({})", name, hint));
    {
        std::array<char, 16> head{};
        std::ifstream in(path_, std::ios::binary);
        if (!in) throw store_error(fmt::format("{}: cannot read the store: permission denied", name));
        in.read(head.data(), head.size());
        if (in.gcount() != 16 || std::string_view(head.data(), 16) != std::string_view("SQLite format 3\0", 16))
            throw store_error(fmt::format("{}: not a wangge store: not a database file", name));
    }
    const auto open = [&](const std::string& target, int flags) {
        close();
        if (sqlite3_open_v2(target.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
            const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
            close();
            throw store_error(fmt::format("{}: cannot open the store: {}", name, msg));
        }
        sqlite3_busy_timeout(db_, wait_ms_);
        // Refuse files that are not databases before anything else reads them.
        return sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
    };
    const bool writable = may_write_beside(path_);
    int rc = open(name, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
    if ((rc & 0xff) == SQLITE_CANTOPEN && !writable && !std::filesystem::exists(name + "-wal", ec))
        rc = open(sqlite_uri(path_, "immutable=1"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
    if (rc != SQLITE_OK) {
        const std::string msg = (rc & 0xff) == SQLITE_NOTADB
                                    ? "not a wangge store: not a database file"
                                    : fmt::format("cannot read the store: {}", sqlite3_errmsg(db_));
        close();
        throw store_error(fmt::format("{}: {}", name, msg));
    }
    spatialite_cache_ = spatialite_alloc_connection();
    spatialite_init_ex(db_, spatialite_cache_, 0);
    try {
        if (writable) exec("PRAGMA query_only=ON");
        check_readable_version();
    } catch (const store_error& e) {
        close();
        throw store_error(fmt::format("{}: {}", name, e.what()));
    }
}

void Store::check_readable_version() {
    const int current = schema_version();
    const int latest = latest_schema_version();
    if (current == 0 || query_int("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'") == 0)
        throw store_error("not a wangge store: a database without wangge's tables");
    if (current > latest)
        throw store_error(
            fmt::format("store schema version {} is newer than this wangge understands ({}); "
                        "upgrade wangge",
                        current, latest));
    if (current < latest)
        throw store_error(
            fmt::format("the store is schema version {} and this wangge reads version {}; run any "
                        "writing command (e.g. `wangge codes load DIR`) to upgrade it",
                        current, latest));
}

void Store::close() noexcept {
    if (db_) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
    }
    if (spatialite_cache_) {
        spatialite_cleanup_ex(spatialite_cache_);
        spatialite_cache_ = nullptr;
    }
}

void Store::fail(std::string_view what) const {
    throw store_error(fmt::format("store error {}: {}", what, sqlite3_errmsg(db_)));
}

void Store::exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(db_);
        sqlite3_free(err);
        throw store_error(fmt::format("store error: {} (in '{}')", msg, sql.substr(0, 120)));
    }
}

std::optional<std::string> Store::query_text(std::string_view sql) {
    Statement st(*this, sql);
    if (!st.step() || st.is_null(0)) return std::nullopt;
    return st.text(0);
}

std::int64_t Store::query_int(std::string_view sql) {
    Statement st(*this, sql);
    return st.step() ? st.int64(0) : 0;
}

int Store::schema_version() const {
    return static_cast<int>(const_cast<Store*>(this)->query_int("PRAGMA user_version"));
}

int Store::latest_schema_version() {
    return static_cast<int>(store::migrations().size());
}

void Store::migrate() {
    const auto& steps = store::migrations();
    const int current = schema_version();
    const int latest = static_cast<int>(steps.size());
    if (current > latest)
        throw store_error(fmt::format("store schema version {} is newer than this wangge understands ({}); "
                                      "upgrade wangge",
                                      current, latest));
    for (int v = current; v < latest; ++v) {
        Transaction tx(*this);
        steps[static_cast<std::size_t>(v)].apply(*this);
        Statement log(*this,
                      "INSERT INTO schema_migrations(version, description, applied_at) "
                      "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))");
        log.bind(1, static_cast<std::int64_t>(v + 1)).bind(2, steps[static_cast<std::size_t>(v)].description).run();
        exec(fmt::format("PRAGMA user_version = {}", v + 1));
        tx.commit();
    }
}

int Store::wait_ms_ = 10000;

void Store::set_wait(double seconds) {
    if (!(seconds >= 0) || seconds > 86400) throw usage_error(fmt::format("--wait {}: give seconds between 0 and 86400", seconds));
    wait_ms_ = static_cast<int>(seconds * 1000);
}

// -------------------------------------------------------------- Transaction

Store::Transaction::Transaction(Store& store) : store_(store) {
    if (store_.read_only())
        throw store_error(
            fmt::format("{}: opened for reading only, so nothing can be written", store_.path().string()));
    store_.exec("BEGIN IMMEDIATE");
}

Store::Transaction::~Transaction() {
    if (!done_) sqlite3_exec(store_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Store::Transaction::commit() {
    store_.exec("COMMIT");
    done_ = true;
}

} // namespace wangge
