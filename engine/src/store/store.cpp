#include "wangge/store.hpp"

#include "wangge/error.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
// spatialite.h needs sqlite3.h first
#include <signal.h>
#include <spatialite.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#include "store/migrations.hpp"
#include "store/sql.hpp"
#include "wangge/testpoint.hpp"

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

std::function<void(const std::string&)>& wait_notice() {
    static std::function<void(const std::string&)> fn;
    return fn;
}

std::string& writer_command() {
    static std::string cmd = [] {
        // the process's own command line, arguments joined by spaces
        std::ifstream in("/proc/self/cmdline", std::ios::binary);
        std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        while (!raw.empty() && raw.back() == '\0') raw.pop_back();
        std::replace(raw.begin(), raw.end(), '\0', ' ');
        if (const auto slash = raw.find_last_of('/', raw.find(' ')); slash != std::string::npos)
            raw.erase(0, slash + 1);
        return raw.substr(0, 200);
    }();
    return cmd;
}

bool verbose_sql = false;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::filesystem::path writer_file(const std::filesystem::path& store) {
    return std::filesystem::path(store.string() + ".writer");
}

/// The first word of `sql` in lower case, and the table name after `after` (a
/// keyword in lower case) if there is one.
std::string lower_copy(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string table_after(const std::string& sql_lower, std::string_view keyword) {
    auto at = sql_lower.find(keyword);
    if (at == std::string::npos) return {};
    at += keyword.size();
    while (at < sql_lower.size() && std::isspace(static_cast<unsigned char>(sql_lower[at]))) ++at;
    std::size_t end = at;
    while (end < sql_lower.size() &&
           (std::isalnum(static_cast<unsigned char>(sql_lower[end])) || sql_lower[end] == '_'))
        ++end;
    return sql_lower.substr(at, end - at);
}

/// What a statement does, in words: "reading grids", "adding to events"...
std::string operation_of(std::string_view sql) {
    std::size_t i = 0;
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    const std::string l = lower_copy(sql.substr(i));
    const auto starts = [&](std::string_view w) { return l.rfind(w, 0) == 0; };
    const auto with_table = [](std::string verb, const std::string& table) {
        return table.empty() ? verb + " the store" : verb + " " + table;
    };
    if (starts("select") || starts("with")) return with_table("reading", table_after(l, " from "));
    if (starts("insert") || starts("replace")) return with_table("adding to", table_after(l, "into "));
    if (starts("update")) return with_table("updating", table_after(l, "update "));
    if (starts("delete")) return with_table("deleting from", table_after(l, "from "));
    if (starts("begin")) return "starting to write";
    if (starts("commit") || starts("end")) return "saving the changes";
    if (starts("rollback")) return "undoing the changes";
    if (starts("create") || starts("drop") || starts("alter")) return "changing the store's schema";
    if (starts("pragma")) return "setting up the store";
    if (starts("binding")) return "preparing a value to write";
    return "working on the store";
}

/// Why SQLite failed, in words, from its result code (and, for a duplicate, the
/// column SQLite names).
std::string reason_of(int code, std::string_view sqlite_message) {
    switch (code & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return "another process is writing it";
        case SQLITE_READONLY:
            return "it cannot be written here (no permission to write the file or its directory)";
        case SQLITE_CORRUPT:
            return "the store file is damaged";
        case SQLITE_NOTADB:
            return "not a wangge store: not a database file";
        case SQLITE_FULL:
            return "the disk is full";
        case SQLITE_IOERR:
            return "the file cannot be read or written (input/output error)";
        case SQLITE_CANTOPEN:
            return "the file cannot be opened";
        case SQLITE_PERM:
        case SQLITE_AUTH:
            return "permission denied";
        case SQLITE_NOMEM:
            return "out of memory";
        case SQLITE_INTERRUPT:
            return "interrupted";
        case SQLITE_TOOBIG:
            return "a value is too large for the store";
        case SQLITE_CONSTRAINT: {
            // "UNIQUE constraint failed: grids.code" -> grids.code
            const auto colon = sqlite_message.rfind(": ");
            const std::string what =
                colon == std::string_view::npos ? std::string() : std::string(sqlite_message.substr(colon + 2));
            if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
                return fmt::format("a record with the same {} is already in the store", what.empty() ? "key" : what);
            if (code == SQLITE_CONSTRAINT_FOREIGNKEY) return "it refers to a record that is not in the store";
            if (code == SQLITE_CONSTRAINT_NOTNULL)
                return fmt::format("{} would be left empty", what.empty() ? "a value" : what);
            return "the change contradicts what the store holds";
        }
        default:
            return "the store's contents are not what this wangge expects (is it a wangge store of this version?)";
    }
}

} // namespace

// ------------------------------------------------- the connection and sql::

struct Store::Impl {
  sqlite3 *db = nullptr;
  void *spatialite_cache = nullptr;
};

namespace sql {

struct Access {
  static sqlite3 *db(const Store &s) { return s.impl_->db; }
  [[noreturn]] static void fail(const Store &s, std::string_view q, int code) {
    s.fail(q, code);
  }
  [[noreturn]] static void fail(const Store &s, std::string_view q) {
    s.fail(q);
  }
};

sqlite3 *connection(const Store &store) { return Access::db(store); }
void fail(const Store &store, std::string_view q, int code) {
  Access::fail(store, q, code);
}
void fail(const Store &store, std::string_view q) { Access::fail(store, q); }
Statement prepare(Store &store, std::string_view q) {
  return Statement(store, q);
}

void exec(Store &store, std::string_view q) {
  std::string s(q);
  char *err = nullptr;
  const int rc =
      sqlite3_exec(connection(store), s.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK)
    fail(store, q, sqlite3_extended_errcode(connection(store)));
}

std::optional<std::string> query_text(Store &store, std::string_view q) {
  Statement st(store, q);
  if (!st.step() || st.is_null(0))
    return std::nullopt;
  return st.text(0);
}

std::int64_t query_int(Store &store, std::string_view q) {
  Statement st(store, q);
  return st.step() ? st.int64(0) : 0;
}

} // namespace sql

// ---------------------------------------------------------------- Statement

Statement::Statement(Store& store, std::string_view sql) : store_(&store) {
  if (sqlite3_prepare_v2(sql::connection(store), sql.data(),
                         static_cast<int>(sql.size()), &stmt_,
                         nullptr) != SQLITE_OK)
    sql::fail(store, sql);
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
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK)
    sql::fail(*store_, "binding");
  return *this;
}
Statement& Statement::bind(int i, double v) {
  if (sqlite3_bind_double(stmt_, i, v) != SQLITE_OK)
    sql::fail(*store_, "binding");
  return *this;
}
Statement& Statement::bind(int i, std::string_view t) {
    if (sqlite3_bind_text(stmt_, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT) != SQLITE_OK)
      sql::fail(*store_, "binding");
    return *this;
}
Statement& Statement::bind_blob(int i, const void* data, std::size_t size) {
    if (sqlite3_bind_blob(stmt_, i, data, static_cast<int>(size), SQLITE_TRANSIENT) != SQLITE_OK)
      sql::fail(*store_, "binding");
    return *this;
}
Statement& Statement::bind_null(int i) {
  if (sqlite3_bind_null(stmt_, i) != SQLITE_OK)
    sql::fail(*store_, "binding");
  return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sql::fail(*store_, sqlite3_sql(stmt_), rc);
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

void remove_store_files(const std::filesystem::path& path) noexcept {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal", ".writer"})
        std::filesystem::remove(std::filesystem::path(path.string() + suffix), ec);
}

Store::Store(const std::filesystem::path &path, Mode mode)
    : path_(path), impl_(std::make_unique<Impl>()),
      read_only_(mode == Mode::read_only) {
  if (read_only_) {
    open_read_only();
    return;
  }
  std::error_code ec;
  if (mode == Mode::must_exist && !std::filesystem::exists(path, ec))
    throw store_error(fmt::format("{}: no store here (create one with 'wangge "
                                  "codes load' or 'wangge import')",
                                  path.string()));
  const int flags = SQLITE_OPEN_READWRITE |
                    (mode == Mode::create_if_missing ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.string().c_str(), &impl_->db, flags, nullptr) !=
      SQLITE_OK) {
    std::string msg = impl_->db ? sqlite3_errmsg(impl_->db) : "out of memory";
    sqlite3_close(impl_->db);
    impl_->db = nullptr;
    throw store_error(
        fmt::format("{}: cannot open store: {}", path.string(), msg));
  }
  impl_->spatialite_cache = spatialite_alloc_connection();
  spatialite_init_ex(impl_->db, impl_->spatialite_cache, 0);
  // After SpatiaLite: its init sets a busy timeout of its own (5 s), which
  // would replace our handler (one slot per connection) and skip the wait
  // notice.
  sqlite3_busy_handler(impl_->db, &Store::on_busy, this);
  try {
    // Refuse files that are not SQLite before touching them.
    sql::query_int(*this, "SELECT count(*) FROM sqlite_master");
    sql::exec(*this, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA "
                     "synchronous=NORMAL;");
    migrate();
  } catch (const store_error &e) {
    close();
    if (std::string_view(e.what()).rfind(path.string() + ": ", 0) == 0)
      throw;
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
        throw store_error(fmt::format("{}: not a wangge store: no such file (no store here yet; {})", name, hint));
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
        if (sqlite3_open_v2(target.c_str(), &impl_->db, flags, nullptr) !=
            SQLITE_OK) {
          const std::string msg =
              impl_->db ? sqlite3_errmsg(impl_->db) : "out of memory";
          close();
          throw store_error(
              fmt::format("{}: cannot open the store: {}", name, msg));
        }
        sqlite3_busy_handler(impl_->db, &Store::on_busy, this);
        // Refuse files that are not databases before anything else reads them.
        return sqlite3_exec(impl_->db, "SELECT count(*) FROM sqlite_master",
                            nullptr, nullptr, nullptr);
    };
    const bool writable = may_write_beside(path_);
    int rc = open(name, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
    if ((rc & 0xff) == SQLITE_CANTOPEN && !writable && !std::filesystem::exists(name + "-wal", ec))
        rc = open(sqlite_uri(path_, "immutable=1"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
    if (rc != SQLITE_OK) {
      const std::string msg = (rc & 0xff) == SQLITE_NOTADB
                                  ? "not a wangge store: not a database file"
                                  : fmt::format("cannot read the store: {}",
                                                sqlite3_errmsg(impl_->db));
      close();
      throw store_error(fmt::format("{}: {}", name, msg));
    }
    impl_->spatialite_cache = spatialite_alloc_connection();
    spatialite_init_ex(impl_->db, impl_->spatialite_cache, 0);
    sqlite3_busy_handler(impl_->db, &Store::on_busy,
                         this); // SpatiaLite's init replaced it
    try {
      if (writable)
        sql::exec(*this, "PRAGMA query_only=ON");
      check_readable_version();
    } catch (const store_error& e) {
        close();
        if (std::string_view(e.what()).rfind(name + ": ", 0) == 0) throw;
        throw store_error(fmt::format("{}: {}", name, e.what()));
    }
}

void Store::check_readable_version() {
    const int current = schema_version();
    const int latest = latest_schema_version();
    if (current == 0 ||
        sql::query_int(*this, "SELECT count(*) FROM sqlite_master WHERE "
                              "type='table' AND name='meta'") == 0)
      throw store_error(
          "not a wangge store: a database without wangge's tables");
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
  if (impl_->db) {
    sqlite3_close_v2(impl_->db);
    impl_->db = nullptr;
  }
  if (impl_->spatialite_cache) {
    spatialite_cleanup_ex(impl_->spatialite_cache);
    impl_->spatialite_cache = nullptr;
  }
}

void Store::fail(std::string_view sql) const {
  fail(sql, impl_->db ? sqlite3_extended_errcode(impl_->db) : SQLITE_ERROR);
}

void Store::fail(std::string_view sql, int code) const {
  const std::string message = impl_->db ? sqlite3_errmsg(impl_->db) : "";
  std::string reason = reason_of(code, message);
  if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED) {
    const std::string who = current_writer(path_);
    reason =
        fmt::format("another {} is writing it{}; gave up after waiting {:g} s "
                    "(give --wait SECONDS to wait "
                    "longer)",
                    who.empty() ? "process" : "wangge process",
                    who.empty() ? "" : " (" + who + ")", wait_ms_ / 1000.0);
    if (verbose_sql)
      reason += fmt::format(" [{}: {}]", message, sql.substr(0, 200));
    throw busy_error(
        fmt::format("{}: cannot write the store: {}", path_.string(), reason));
    }
    if ((code & 0xff) == SQLITE_CONSTRAINT &&
        (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY))
        reason += " (did another wangge process write the same records at the same time? run the command again)";
    if (verbose_sql) reason += fmt::format(" [{}: {}]", message, sql.substr(0, 200));
    throw store_error(fmt::format("{}: {}: {}", path_.string(), operation_of(sql), reason));
}

int Store::schema_version() const {
  return static_cast<int>(
      sql::query_int(*const_cast<Store *>(this), "PRAGMA user_version"));
}

std::int64_t Store::data_version() const {
  return sql::query_int(*const_cast<Store *>(this), "PRAGMA data_version");
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
        sql::exec(*this, fmt::format("PRAGMA user_version = {}", v + 1));
        tx.commit();
    }
}

int Store::wait_ms_ = 10000;

void Store::set_wait_notice(std::function<void(const std::string&)> notice) {
    wait_notice() = std::move(notice);
}

void Store::set_writer_command(std::string command) {
    writer_command() = std::move(command);
}

void Store::set_verbose(bool on) {
    verbose_sql = on;
}

// The sidecar file STORE.writer says who holds the write lock: "pid", "since"
// (seconds since the epoch) and "command" lines. The writer makes it right after
// BEGIN IMMEDIATE succeeds (so only the lock holder writes it; by a rename, so a
// reader never sees half a file) and removes it when its transaction ends. A
// row in the store could not do this: other connections see a row only after
// the commit. A file left by a killed writer names a process that is gone and is
// ignored (and replaced by the next writer).
std::string Store::current_writer(const std::filesystem::path& path) {
    std::ifstream in(writer_file(path));
    if (!in) return {};
    long pid = 0;
    std::time_t since = 0;
    std::string command, line;
    while (std::getline(in, line)) {
        if (line.rfind("pid ", 0) == 0)
            pid = std::atol(line.c_str() + 4);
        else if (line.rfind("since ", 0) == 0)
            since = static_cast<std::time_t>(std::atoll(line.c_str() + 6));
        else if (line.rfind("command ", 0) == 0)
            command = line.substr(8);
    }
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) return {};
    std::tm tm{};
    localtime_r(&since, &tm);
    return fmt::format("pid {}: `{}` since {:02d}:{:02d}:{:02d}", pid, command.empty() ? "?" : command, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

void Store::write_writer_file() {
    if (path_.empty() || path_.string() == ":memory:") return;
    const auto target = writer_file(path_);
    const auto tmp = std::filesystem::path(target.string() + fmt::format(".{}", ::getpid()));
    {
        std::ofstream out(tmp, std::ios::trunc);
        if (!out) return;  // a read-only directory: nobody else can write here either
        out << "pid " << ::getpid() << "\nsince " << std::time(nullptr) << "\ncommand " << writer_command() << "\n";
        if (!out) return;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, target, ec);
    if (ec)
        std::filesystem::remove(tmp, ec);
    else
        wrote_writer_file_ = true;
}

void Store::remove_writer_file() noexcept {
    if (!wrote_writer_file_) return;
    wrote_writer_file_ = false;
    std::error_code ec;
    std::filesystem::remove(writer_file(path_), ec);
}

// Waiting for another writer: SQLite calls this while the lock is busy. The first
// call of a wait tells the CLI (once per Store) who writes and for how long we
// wait; then we sleep in short steps until --wait is used up.
int Store::on_busy(void* p, int count) {
    auto* self = static_cast<Store*>(p);
    const std::int64_t now = now_ms();
    if (count == 0) self->busy_since_ms_ = now;
    const std::int64_t left = wait_ms_ - (now - self->busy_since_ms_);
    if (left <= 0) return 0;
    if (!self->wait_noticed_ && wait_notice()) {
        self->wait_noticed_ = true;
        const std::string who = current_writer(self->path_);
        wait_notice()(fmt::format("waiting for another {} writing {}{} — up to {:g} s (--wait)",
                                  who.empty() ? "process" : "wangge process", self->path_.string(),
                                  who.empty() ? "" : " (" + who + ")", wait_ms_ / 1000.0));
    }
    const std::int64_t step = std::min<std::int64_t>({left, count < 10 ? 10 : 100});
    std::this_thread::sleep_for(std::chrono::milliseconds(step));
    return 1;
}

void Store::set_wait(double seconds) {
    if (!(seconds >= 0) || seconds > 86400) throw usage_error(fmt::format("--wait {}: give seconds between 0 and 86400", seconds));
    wait_ms_ = static_cast<int>(seconds * 1000);
}

// -------------------------------------------------------------- Transaction

Store::Transaction::Transaction(Store& store) : store_(store) {
    if (store_.read_only())
        throw store_error(
            fmt::format("{}: opened for reading only, so nothing can be written", store_.path().string()));
    sql::exec(store_, "BEGIN IMMEDIATE");
    store_.write_writer_file();
    pause_point("store:writing");
}

Store::Transaction::~Transaction() {
  if (!done_)
    sqlite3_exec(sql::connection(store_), "ROLLBACK", nullptr, nullptr,
                 nullptr);
  store_.remove_writer_file();
}

void Store::Transaction::commit() {
  sql::exec(store_, "COMMIT");
  done_ = true;
  store_.remove_writer_file();
}

} // namespace wangge
