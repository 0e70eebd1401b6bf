// Test support: temporary directories, running the real `wangge` binary, and
// small helpers to read results back with GDAL and the store.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wangge::test {

namespace fs = std::filesystem;

/// A fresh directory under the build tree, removed at the end of the test.
class TempDir {
public:
    explicit TempDir(const std::string& name);
    ~TempDir();
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& p) const { return path_ / p; }

private:
    fs::path path_;
};

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// Run a shell command line (stdout and stderr captured separately).
RunResult run_shell(const std::string& cmdline);
/// Run the wangge binary with the given arguments (each shell-quoted).
RunResult run_wangge(const std::vector<std::string>& args);

fs::path source_dir();    ///< the repository root
fs::path sample_dir();    ///< shapefiles/
fs::path data_dir();      ///< tests/data/

/// Real data shipped gzipped in tests/data/real/ (copies of ../shared/data, see its
/// README), unpacked under `into`: a file (`rel` without .gz) or a folder of files.
/// Returns the unpacked path. Tests on real data always run.
fs::path real_data(const std::string& rel, const fs::path& into);

/// True when the environment variable CI is "true" (as on the CI runners).
bool on_ci();
/// A test's prerequisite that lives outside the repository (a tool such as ogrinfo,
/// the npm validators, chromium): returns `present`. When it is absent, the
/// test fails under CI=true ("WHAT missing") and otherwise warns "WHAT missing -
/// skipped"; the caller then returns: `if (!require_or_skip(fs::exists(f), ...)) return;`
bool require_or_skip(bool present, const std::string& what);

/// Feature count of a GDAL vector file's first (or named) layer; -1 if unreadable.
std::int64_t feature_count(const fs::path& file, const std::string& layer = "");

/// A digest of the jurisdictions table (codes, names, levels, geometry), to prove a
/// failed command left the store exactly as it was.
std::string store_digest(const fs::path& db);

/// A store with the whole sample imported and partitioned, and its events imported
/// (GCJ-02): built once per test run and shared; tests that change a store copy it.
const std::string& partitioned_sample_store();

std::string read_file(const fs::path& p);
void write_file(const fs::path& p, const std::string& content);

} // namespace wangge::test
