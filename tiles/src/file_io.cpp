#include "file_io.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wangge/error.hpp"

namespace wangge::tiles::detail {

namespace {
[[noreturn]] void fail(std::string_view what, const fs::path& p) {
    throw io_error(fmt::format("{} '{}': {}", what, p.string(), std::strerror(errno)));
}
}  // namespace

File::File(const fs::path& path, Mode mode) : path_(path) {
    int flags = O_CLOEXEC;
    switch (mode) {
        case Mode::read:
            flags |= O_RDONLY;
            break;
        case Mode::create:
            flags |= O_WRONLY | O_CREAT | O_TRUNC;
            break;
        case Mode::read_write_create:
            flags |= O_RDWR | O_CREAT | O_TRUNC;
            break;
    }
    fd_ = ::open(path.c_str(), flags, 0644);
    if (fd_ < 0) fail(mode == Mode::read ? "cannot open" : "cannot create", path);
}

File::~File() {
    if (fd_ >= 0) ::close(fd_);
}

File::File(File&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) {
    o.fd_ = -1;
}

File& File::operator=(File&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.fd_;
        path_ = std::move(o.path_);
        o.fd_ = -1;
    }
    return *this;
}

void File::write(std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write", path_);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string File::read_at(std::uint64_t offset, std::size_t length) const {
    std::string out(length, '\0');
    std::size_t done = 0;
    while (done < length) {
        const ssize_t n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot read", path_);
        }
        if (n == 0)
            throw io_error(fmt::format("'{}' is truncated: {} bytes at offset {} wanted, the file has {}",
                                       path_.string(), length, offset, size()));
        done += static_cast<std::size_t>(n);
    }
    return out;
}

std::uint64_t File::size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail("cannot stat", path_);
    return static_cast<std::uint64_t>(st.st_size);
}

void File::sync() {
    if (::fsync(fd_) != 0) fail("cannot sync", path_);
}

void File::close() {
    if (fd_ < 0) return;
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("cannot close", path_);
}

fs::path temp_path_for(const fs::path& target) {
    fs::path p = target;
    p += ".tmp";
    return p;
}

void commit_file(const fs::path& tmp, const fs::path& target) {
    {
        // Open for writing: some systems refuse fsync on a read-only descriptor.
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) fail("cannot open", tmp);
        const int rc = ::fsync(fd);
        ::close(fd);
        if (rc != 0) fail("cannot sync", tmp);
    }
    if (::rename(tmp.c_str(), target.c_str()) != 0)
        throw io_error(
            fmt::format("cannot rename '{}' to '{}': {}", tmp.string(), target.string(), std::strerror(errno)));
    // The rename is durable only once the directory entry is on disk.
    fs::path dir = target.parent_path();
    if (dir.empty()) dir = ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);  // best effort: some file systems do not sync directories
        ::close(dfd);
    }
}

}  // namespace wangge::tiles::detail
