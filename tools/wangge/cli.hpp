// Shared pieces of the `wangge` command line: global options, progress display,
// and the registration function of each subcommand group (one file each).
#pragma once

#include <CLI/CLI.hpp>
#include <wangge/codes.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace wangge::cli {

/// Exit codes, documented in docs/cli.md.
enum Exit : int {
    ok = 0,
    failure = 1,        ///< I/O, store or internal error
    usage = 2,          ///< bad command line
    input_rejected = 3, ///< input data failed checks; nothing was written
    audit_failed = 4,   ///< `wangge audit` found a kind its --fail-on names
};

struct Globals {
    std::string db = "wangge.sqlite";
    bool quiet = false;
    bool verbose = false;
};

/// A subcommand's action. Runs after parsing; returns the exit code.
using Action = std::function<int()>;

struct Registry {
    Globals& globals;
    /// Set by the subcommand that was chosen.
    Action* action;
};

/// Progress on stderr: a bar on a terminal, nothing otherwise (or when quiet).
class Progress {
public:
    Progress(const Globals& g);
    ~Progress();
    void operator()(std::int64_t done, std::int64_t total, std::string_view what);
    ProgressFn fn() {
        return [this](std::int64_t d, std::int64_t t, std::string_view w) { (*this)(d, t, w); };
    }

private:
    bool enabled_ = false;
    bool drawn_ = false;
};

void add_codes(CLI::App& app, Registry& reg);
void add_import(CLI::App& app, Registry& reg);
void add_export(CLI::App& app, Registry& reg);
void add_info(CLI::App& app, Registry& reg);
void add_partition(CLI::App& app, Registry& reg);
void add_grids(CLI::App& app, Registry& reg);
void add_history(CLI::App& app, Registry& reg);
/// `tiles update FILE` on an open store (also after import edits / rollback --tiles).
void update_archive(const Registry& reg, Store& store, const std::string& file, int threads = 0);
void add_code(CLI::App& app, Registry& reg);
void add_events(CLI::App& app, Registry& reg);
void add_assign(CLI::App& app, Registry& reg);
void add_locate(CLI::App& app, Registry& reg);
void add_tiles(CLI::App& app, Registry& reg);
void add_serve(CLI::App& app, Registry& reg);
void add_report(CLI::App& app, Registry& reg);
void add_audit(CLI::App& app, Registry& reg);
void add_networks(CLI::App& app, Registry& reg);

/// The --delimiter option of a command reading CSV: 0 (guess) when empty, a tab for
/// "\t" or "tab", else its one character (usage_error otherwise). In cmd_events.cpp.
char delimiter_of(const std::string& d);

} // namespace wangge::cli
