#include "file_io.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include "wangge/error.hpp"
#include "wangge/testpoint.hpp"

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

// ---------------------------------------------------------------- temporaries

namespace {

// The registry: fixed slots, so the signal handler reads it without locks or memory
// allocation. A slot's path is written only while its state is `free` (under the
// mutex) and read by the handler only while it is `active`.
constexpr int slot_free = 0, slot_active = 1;
constexpr std::size_t max_temps = 64, max_path = 4096;
struct Slot {
    std::atomic<int> state{slot_free};
    char path[max_path] = {};
};
Slot temp_slots[max_temps];
std::mutex temp_mu;
std::once_flag handlers_installed;
constexpr int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void remove_temps_and_reraise(int sig) {
    const int saved = errno;
    for (auto& s : temp_slots)
        if (s.state.load(std::memory_order_acquire) == slot_active) ::unlink(s.path);
    // the default action (terminate) of the same signal, delivered when this returns
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(sig, &dfl, nullptr);
    ::raise(sig);
    errno = saved;
}

void install_handlers() {
    for (const int sig : cleanup_signals) {
        struct sigaction old {};
        if (::sigaction(sig, nullptr, &old) != 0) continue;
        // a program's own handler, or an ignored signal (a background job), stays as it is
        if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
        struct sigaction sa {};
        sa.sa_handler = remove_temps_and_reraise;
        sigfillset(&sa.sa_mask);
        ::sigaction(sig, &sa, nullptr);
    }
}

}  // namespace

void register_temp(const fs::path& path) {
    const std::string& p = path.native();
    if (p.empty() || p.size() >= max_path) return;
    std::call_once(handlers_installed, install_handlers);
    std::lock_guard lock(temp_mu);
    Slot* free_slot = nullptr;
    for (auto& s : temp_slots) {
        if (s.state.load(std::memory_order_relaxed) == slot_active) {
            if (p == s.path) return;
        } else if (!free_slot) {
            free_slot = &s;
        }
    }
    if (!free_slot)  // drop entries whose file is gone (removed without unregister_temp)
        for (auto& s : temp_slots)
            if (::access(s.path, F_OK) != 0 && errno == ENOENT) {
                s.state.store(slot_free, std::memory_order_release);
                if (!free_slot) free_slot = &s;
            }
    if (!free_slot) return;
    std::memcpy(free_slot->path, p.c_str(), p.size() + 1);
    free_slot->state.store(slot_active, std::memory_order_release);
}

void unregister_temp(const fs::path& path) {
    std::lock_guard lock(temp_mu);
    for (auto& s : temp_slots)
        if (s.state.load(std::memory_order_relaxed) == slot_active && path.native() == s.path)
            s.state.store(slot_free, std::memory_order_release);
}

fs::path temp_path_for(const fs::path& target) {
    fs::path p = target;
    p += ".tmp";
    register_temp(p);
    return p;
}

fs::path spool_path_for(const fs::path& target) {
    fs::path p = target;
    p += ".tiles.tmp";
    return p;
}

std::vector<fs::path> temps_of(const fs::path& target) {
    return {temp_path_for(target), spool_path_for(target)};
}

TempFiles::TempFiles(const fs::path& target) : paths_(temps_of(target)) {
    for (const auto& p : paths_) {
        std::error_code ec;
        fs::remove(p, ec);  // left by an earlier run that was killed
        register_temp(p);
    }
}

TempFiles::~TempFiles() {
    for (const auto& p : paths_) {
        std::error_code ec;
        fs::remove(p, ec);
        unregister_temp(p);
    }
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
    pause_point("tiles:complete");  // tests: killed here, the old archive must be left whole
    if (::rename(tmp.c_str(), target.c_str()) != 0)
        throw io_error(
            fmt::format("cannot rename '{}' to '{}': {}", tmp.string(), target.string(), std::strerror(errno)));
    unregister_temp(tmp);
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
