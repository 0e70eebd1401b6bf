// wangge — command line of the wangge grid-coding engine. Thin: parsing and
// printing only; the work is in libwangge (engine/).
#include "cli.hpp"

#include <wangge/error.hpp>
#include <wangge/source.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <functional>
#include <new>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace wangge::cli {

Progress::Progress(const Globals& g) : enabled_(!g.quiet && isatty(STDERR_FILENO)) {}

Progress::~Progress() {
    if (drawn_) fmt::print(stderr, "\n");
}

void Progress::operator()(std::int64_t done, std::int64_t total, std::string_view what) {
    if (!enabled_) return;
    if (total > 0) {
        const int width = 30;
        const int filled = static_cast<int>(width * std::min<double>(1.0, double(done) / double(total)));
        fmt::print(stderr, "\r{:<14} [{}{}] {:>3}% {}/{}", what, std::string(filled, '#'),
                   std::string(width - filled, ' '), static_cast<int>(100.0 * done / total), done, total);
    } else {
        fmt::print(stderr, "\r{:<14} {}", what, done);
    }
    drawn_ = true;
}

} // namespace wangge::cli

int main(int argc, char** argv) {
    using namespace wangge;
    CLI::App app{"wangge: geospatial grid coding for full-function grids (全科网格): jurisdictions with their "
                 "statistical codes, grids, events and tiles, in one SpatiaLite store.",
                 "wangge"};
    app.set_version_flag("--version", std::string("wangge ") + WANGGE_VERSION);
    cli::Globals globals;
    // Global options go anywhere: before or after the subcommand and its own
    // subcommand. Each subcommand hands an option it does not know to its parent.
    app.fallthrough();
    const std::string global = "Global options (before or after the subcommand)";
    app.add_option("--db", globals.db, "Store file (SpatiaLite)")
        ->capture_default_str()
        ->envname("WANGGE_DB")
        ->group(global);
    double wait_s = 10;
    app.add_option("--wait", wait_s, "Seconds to wait for another process writing the store before giving up")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 86400.0))
        ->group(global);
    app.add_flag("-q,--quiet", globals.quiet, "Print only errors")->group(global);
    app.add_flag("-v,--verbose", globals.verbose, "Print every warning in full")->group(global);
    app.require_subcommand(1);
    const std::string exit_codes =
        "Exit codes: 0 success, 1 error (file, store), 2 bad command line, 3 input rejected (nothing written), 4 "
        "audit found a --fail-on kind.";
    app.footer(exit_codes + "\nSee docs/cli.md for every command.");

    cli::Action action;
    cli::Registry reg{globals, &action};
    cli::add_info(app, reg);
    cli::add_codes(app, reg);
    cli::add_import(app, reg);
    cli::add_partition(app, reg);
    cli::add_grids(app, reg);
    cli::add_networks(app, reg);
    cli::add_history(app, reg);
    cli::add_code(app, reg);
    cli::add_events(app, reg);
    cli::add_assign(app, reg);
    cli::add_locate(app, reg);
    cli::add_tiles(app, reg);
    cli::add_export(app, reg);
    cli::add_serve(app, reg);
    cli::add_report(app, reg);
    cli::add_audit(app, reg);

    // Every subcommand's help points at the global options (listed once, in `wangge --help`).
    const std::string global_footer =
        "Global options (--db FILE, --wait SECONDS, -q, -v) go before or after the subcommand: see 'wangge --help'.\n";
    const std::function<void(CLI::App*)> add_footer = [&](CLI::App* cmd) {
        for (CLI::App* sub : cmd->get_subcommands({})) {
            sub->footer(global_footer + exit_codes);
            add_footer(sub);
        }
    };
    add_footer(&app);

    // `wangge import FILE` is short for `wangge import jurisdictions FILE`.
    std::vector<char*> args(argv, argv + argc);
    static char jur[] = "jurisdictions";
    // Only the top-level `import`: the first argument that is not a global option.
    CLI::App* import_cmd = app.get_subcommand("import");
    const auto global_with_value = [](const std::string& a) { return a == "--db" || a == "--wait"; };
    const auto is_global = [&](const std::string& a) {
        return global_with_value(a) || a.rfind("--db=", 0) == 0 || a.rfind("--wait=", 0) == 0 || a == "-q" ||
               a == "--quiet" || a == "-v" || a == "--verbose";
    };
    for (int i = 1; i + 1 < argc; ++i) {
        const std::string a = argv[i];
        if (global_with_value(a)) {
            ++i;
            continue;
        }
        if (!a.empty() && a[0] == '-') continue;
        if (a != "import") break;
        // the first argument after `import` that is not a global option (`import --db x FILE`)
        int j = i + 1;
        while (j < argc && is_global(argv[j])) j += global_with_value(argv[j]) ? 2 : 1;
        if (j >= argc) break;
        const std::string next = argv[j];
        bool known = next == "-h" || next == "--help";
        for (const CLI::App* sub : import_cmd->get_subcommands({})) known = known || sub->get_name() == next;
        if (!known) args.insert(args.begin() + i + 1, jur);
        break;
    }

    try {
        app.parse(static_cast<int>(args.size()), args.data());
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : cli::usage;
    }
    try {
        Store::set_wait(wait_s);
        Store::set_verbose(globals.verbose);
        if (!globals.quiet)
            Store::set_wait_notice([](const std::string& m) { fmt::print(stderr, "wangge: {}\n", m); });
        install_gdal_message_handler(); // no raw GDAL line from any command
        return action ? action() : cli::usage;
    } catch (const usage_error& e) {
        fmt::print(stderr, "wangge: {}\n", e.what());
        return cli::usage;
    } catch (const input_error& e) {
        fmt::print(stderr, "wangge: {}\n", e.what());
        return cli::input_rejected;
    } catch (const error& e) {
        fmt::print(stderr, "wangge: {}\n", e.what());
        return cli::failure;
    } catch (const nlohmann::json::exception& e) {
        // JSON comes from files (archive metadata...): their contents are wrong. The
        // library should have named the file; never show the parser's own text.
        std::string_view what = e.what();
        if (const auto end = what.find("] "); what.rfind("[json.exception.", 0) == 0 && end != what.npos)
            what.remove_prefix(end + 2);
        fmt::print(stderr, "wangge: input rejected: malformed JSON in an input file: {}\n", what);
        return cli::input_rejected;
    } catch (const std::filesystem::filesystem_error& e) {
        const std::string where = e.path1().empty() ? std::string() : e.path1().string() + ": ";
        fmt::print(stderr, "wangge: {}{}\n", where, e.code().message());
        return cli::failure;
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "wangge: out of memory\n");
        return cli::failure;
    } catch (const std::exception& e) {
        // a bug of wangge: every expected failure is a wangge::error
        fmt::print(stderr, "wangge: internal error: {}\n", e.what());
        return cli::failure;
    }
}
