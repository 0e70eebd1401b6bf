// File helpers of the archive writers and readers: an RAII file descriptor with
// positioned reads, and the atomic replacement of a finished file.
//
// An archive is written to `FILE.tmp` beside its target, flushed to disk with fsync,
// then renamed over the target; the directory is synced too, so after a crash the
// target is either the old file or the complete new one, never a torn mix. Readers
// such as a running tile server keep the old file open through the rename.
//
// Temporary files are registered for the life of the process: a SIGINT, SIGTERM or
// SIGHUP removes every registered one before the process ends by that signal (an
// async-signal-safe handler: unlink, then the default action), a failure removes them
// in the writers' destructors, and the next build to the same target removes what a
// SIGKILL left (TempFiles). Only files named after the target are touched.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::tiles::detail {

namespace fs = std::filesystem;

class File {
public:
    enum class Mode { read, create, read_write_create };

    File() = default;
    File(const fs::path& path, Mode mode);
    ~File();
    File(File&& o) noexcept;
    File& operator=(File&& o) noexcept;
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    bool is_open() const noexcept { return fd_ >= 0; }
    const fs::path& path() const noexcept { return path_; }

    /// Append at the current position (loops over short writes). Throws io_error.
    void write(std::string_view data);
    /// Read exactly `length` bytes at `offset`. Throws io_error (short file included).
    std::string read_at(std::uint64_t offset, std::size_t length) const;
    std::uint64_t size() const;
    /// fsync; throws io_error.
    void sync();
    /// Close, reporting errors (the destructor closes silently).
    void close();

private:
    int fd_ = -1;
    fs::path path_;
};

/// `target` + ".tmp", registered (register_temp).
fs::path temp_path_for(const fs::path& target);

/// `target` + ".tiles.tmp": the PMTiles writer's spool of tile contents.
fs::path spool_path_for(const fs::path& target);

/// Every temporary file that writing `target` may create: temp_path_for and spool_path_for.
std::vector<fs::path> temps_of(const fs::path& target);

/// fsync `tmp`, rename it over `target`, fsync the directory; `tmp` is unregistered.
/// Throws io_error.
void commit_file(const fs::path& tmp, const fs::path& target);

/// Remove `path` when the process is stopped by SIGINT, SIGTERM or SIGHUP. The first
/// registration installs the handler for each of these signals whose action is the
/// default one (a program's own handler is left alone). Registering a path twice is
/// one registration; at most 64 paths at once (entries whose file is gone are dropped
/// to make room; past that a path is not registered and only the next build's removal
/// of stale temporaries applies).
void register_temp(const fs::path& path);
/// Forget `path` (renamed into place or removed). Unknown paths are ignored.
void unregister_temp(const fs::path& path);

/// The temporaries of one archive being written (temps_of its target), for the time
/// of the build: the constructor removes those an earlier killed run left behind (ours
/// by name) and registers them; the destructor removes whatever is left (after a
/// failure) and unregisters them.
class TempFiles {
public:
    explicit TempFiles(const fs::path& target);
    ~TempFiles();
    TempFiles(const TempFiles&) = delete;
    TempFiles& operator=(const TempFiles&) = delete;

private:
    std::vector<fs::path> paths_;
};

}  // namespace wangge::tiles::detail
