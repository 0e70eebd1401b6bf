// wangge serve
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <wangge/error.hpp>
#include <wangge/tiles/serve.hpp>

#include "cli.hpp"

namespace wangge::cli {

namespace {

namespace fs = std::filesystem;

/// The viewer's files when --web-root is not given: the source tree's build
/// (tiles/web/dist, beside this file's tree) or the installed share/wangge/web.
fs::path default_web_root() {
    std::error_code ec;
    std::vector<fs::path> candidates;
    // this file is tools/wangge/cmd_serve.cpp of the source tree
    const fs::path source_root = fs::path(__FILE__).parent_path().parent_path().parent_path();
    if (source_root.is_absolute()) candidates.push_back(source_root / "tiles" / "web" / "dist");
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share" / "wangge" / "web");
    for (const auto& c : candidates)
        if (fs::is_regular_file(c / "index.html", ec)) return c;
    return {};
}

}  // namespace

void add_serve(CLI::App& app, Registry& reg) {
    auto o = std::make_shared<tiles::ServeOptions>();
    auto archives = std::make_shared<std::vector<std::string>>();
    auto web_root = std::make_shared<std::string>(), font = std::make_shared<std::string>();
    auto* s = app.add_subcommand(
        "serve",
        "Serve tiles over HTTP: PMTiles/MBTiles archives (each under its file name without extension), with a store "
        "its changes since they were built (or the store alone), TileJSON, MapLibre styles, glyphs, the "
        "archive files with HTTP Range, the data API and the map viewer. Read-only. Stops on SIGTERM/SIGINT.");
    s->add_option("ARCHIVE", *archives, "Archives to serve (FILE.pmtiles, FILE.mbtiles)")->check(CLI::ExistingFile);
    s->add_option("--port", o->port, "TCP port (0: a free one; the line 'listening on' tells which)")
        ->capture_default_str();
    s->add_option("--bind", o->bind, "Address to listen on (0.0.0.0: every interface)")->capture_default_str();
    s->add_option("-j,--threads", o->threads, "Threads (default: the number of cores, at least 2)")
        ->check(CLI::Range(0, 1024));
    s->add_option("--cors-origin", o->cors_origins,
                  "Allow this origin to read the responses in a browser (CORS), repeatable; '*' for any. Default: "
                  "none (same origin only: the viewer needs none)");
    s->add_option("--max-connections", o->max_connections,
                  "Open connections at most; beyond, a connection gets 503 and is closed")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    s->add_option("--idle-timeout-s", o->idle_timeout_s,
                  "Seconds a request may take to arrive whole, and a keep-alive connection may stay idle")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 3600.0));
    s->add_option("--web-root", *web_root,
                  "The viewer's files (default: tiles/web/dist of the source tree, else share/wangge/web of the "
                  "installation)")
        ->check(CLI::ExistingDirectory);
    s->add_option("--font", *font, "Font of the label glyphs (/fonts; default: a system CJK font, Noto Sans CJK)")
        ->check(CLI::ExistingFile);
    CLI::Option* db_opt = app.get_option("--db");
    s->callback([&reg, o, archives, web_root, font, db_opt] {
        *reg.action = [&reg, o, archives, web_root, font, db_opt] {
            // --db only when given (on the command line or in WANGGE_DB): not its default
            if (db_opt->count() > 0 || std::getenv("WANGGE_DB")) o->db = fs::path(reg.globals.db);
            for (const auto& a : *archives) o->archives.emplace_back(a);
            o->web_root = web_root->empty() ? default_web_root() : fs::path(*web_root);
            o->font = *font;
            auto log_mutex = std::make_shared<std::mutex>();
            const auto to_stderr = [log_mutex](const std::string& line) {
                std::lock_guard lock(*log_mutex);
                fmt::print(stderr, "{}\n", line);
            };
            if (!reg.globals.quiet) o->access_log = to_stderr;
            o->notice = [to_stderr](const std::string& line) { to_stderr("wangge serve: " + line); };
            o->on_listening = [](const std::string& host, unsigned short port) {
                fmt::print("wangge serve: listening on http://{}:{}/\n", host, port);
                std::fflush(stdout);
            };
            tiles::run_server(*o);
            return ok;
        };
    });
}

}  // namespace wangge::cli
