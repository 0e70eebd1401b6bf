// File helpers of the archive writers and readers: an RAII file descriptor with
// positioned reads, and the atomic replacement of a finished file.
//
// An archive is written to `FILE.tmp` beside its target, flushed to disk with fsync,
// then renamed over the target; the directory is synced too, so after a crash the
// target is either the old file or the complete new one, never a torn mix. Readers
// such as a running tile server keep the old file open through the rename.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

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

/// `target` + ".tmp".
fs::path temp_path_for(const fs::path& target);

/// fsync `tmp`, rename it over `target`, fsync the directory. Throws io_error.
void commit_file(const fs::path& tmp, const fs::path& target);

}  // namespace wangge::tiles::detail
