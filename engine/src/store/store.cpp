#include "wangge/store.hpp"

#include "wangge/error.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
// spatialite.h needs sqlite3.h first
#include <spatialite.h>

#include "store/migrations.hpp"

namespace wangge {

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

Store::Store(const std::filesystem::path& path, Mode mode) : path_(path) {
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
