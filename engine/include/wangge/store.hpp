// wangge/store.hpp — the embedded store: one SQLite file with SpatiaLite.
//
// The store holds everything wangge knows (jurisdictions, the national code table,
// and, in later schema versions, grids, events, edit history and staff). Geometry is
// kept in CGCS2000 lon/lat (EPSG:4490) as SpatiaLite geometry columns registered in
// geometry_columns, so GDAL (`ogrinfo`) and QGIS list the layers. The schema is
// versioned (PRAGMA user_version) and upgraded by ordered migrations when opened.
// A Store is one connection: use it from one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge {

/// Remove the store file at `path` and its -wal, -shm, -journal and .writer side
/// files (no error if absent).
void remove_store_files(const std::filesystem::path& path) noexcept;

/// Run `command` (which opens the store at `path` and returns an exit code); if the
/// store did not exist before and the command throws or returns non-zero, remove
/// the store it created, so a failed first command leaves no empty store behind.
template <class Command>
int with_store_removed_on_failure(const std::filesystem::path& path, Command&& command) {
    std::error_code ec;
    const bool existed = std::filesystem::exists(path, ec);
    int rc = 0;
    try {
        rc = command();
    } catch (...) {
        if (!existed) remove_store_files(path);
        throw;
    }
    if (rc != 0 && !existed) remove_store_files(path);
    return rc;
}

/// SRID of every geometry in the store: CGCS2000 geographic 2D.
inline constexpr int store_srid = 4490;

class Store;

namespace sql {
struct Access; // the internal SQL API (engine/src/store/sql.hpp) reaches the
               // connection through it
}

class Store {
public:
    /// create_if_missing and must_exist open for writing and bring the schema up to
    /// the current version. read_only is for commands that only read: it never
    /// creates the file, never migrates and never writes; it works on a read-only
    /// file or directory. A missing, empty or non-SQLite file is "not a wangge
    /// store"; a store older than this wangge is refused with how to upgrade it
    /// (reading commands query tables the old schema lacks), a newer one too.
    enum class Mode { create_if_missing, must_exist, read_only };

    /// Open (and create, unless Mode::must_exist or read_only) the store at `path`,
    /// initialise SpatiaLite metadata and bring the schema up to the current version
    /// (not in read_only).
    explicit Store(const std::filesystem::path& path, Mode mode = Mode::create_if_missing);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    int schema_version() const;
    /// A number that changes whenever another connection has committed a write to
    /// the store since this one last asked (SQLite's PRAGMA data_version): the cheap
    /// check of a reader that watches the store for changes.
    std::int64_t data_version() const;
    static int latest_schema_version();

    /// How long a store opened from now on waits for another connection's write
    /// lock before failing (default 10 s). For the CLI's `--wait SECONDS`.
    static void set_wait(double seconds);
    /// Called (at most once per Store) when its write lock is held by another
    /// process and it starts waiting, with one line saying who writes and how long
    /// it waits. The library never prints: the CLI gives a function that does.
    static void set_wait_notice(std::function<void(const std::string&)> notice);
    /// The command recorded in the sidecar file STORE.writer while this process
    /// holds the write lock, for the messages of processes waiting for it (default:
    /// the process's own command line, where the system says it).
    static void set_writer_command(std::string command);
    /// Add the SQL text to store failure messages (for --verbose).
    static void set_verbose(bool on);
    /// Who holds the write lock of the store at `path`, from its sidecar file:
    /// "pid P: `COMMAND` since HH:MM:SS", or empty if none is recorded or the
    /// recorded process is gone.
    static std::string current_writer(const std::filesystem::path& path);

    /// RAII transaction: rolls back unless commit() is called. Not nestable.
    class Transaction {
    public:
        explicit Transaction(Store& store);
        ~Transaction();
        Transaction(const Transaction&) = delete;
        Transaction& operator=(const Transaction&) = delete;
        void commit();

    private:
        Store& store_;
        bool done_ = false;
    };

    bool read_only() const noexcept { return read_only_; }

private:
  friend struct sql::Access;
  struct Impl; // the connection, defined in store.cpp

  /// Throw a store_error naming the store, the operation in words (from `sql`,
  /// e.g. "updating grids") and the reason in words (never SQLite's own text,
  /// except under set_verbose). `code` is SQLite's result code.
  [[noreturn]] void fail(std::string_view sql, int code) const;
  [[noreturn]] void fail(std::string_view sql) const;
  static int on_busy(void *store, int count);
  void write_writer_file();
  void remove_writer_file() noexcept;
  void open_read_only();
  void check_readable_version();
  void migrate();
  void close() noexcept;

  std::filesystem::path path_;
  std::unique_ptr<Impl> impl_;
  bool read_only_ = false;
  bool wait_noticed_ = false;
  bool wrote_writer_file_ = false;
  std::int64_t busy_since_ms_ = 0;
  static int wait_ms_;
};

} // namespace wangge
