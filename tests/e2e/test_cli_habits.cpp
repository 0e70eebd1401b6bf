// End-to-end: the habits of the whole command line (issue 14, items 9 and 10).
// Global options anywhere; one rule for output files (refused when they exist unless
// --overwrite, a missing folder named as the user wrote it); no temporary file left by
// a failed, interrupted or killed `tiles build`.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <set>
#include <sstream>
#include <thread>

#include "support.hpp"

using namespace wangge::test;

extern char** environ;

namespace {

/// The subcommand names listed under "Subcommands:" of a help text.
std::vector<std::string> subcommands_in(const std::string& help) {
    std::vector<std::string> out;
    const auto at = help.find("Subcommands:");
    if (at == std::string::npos) return out;
    std::istringstream in(help.substr(at));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        if (line.empty() || line[0] != ' ') break;
        std::istringstream ls(line);
        std::string name;
        ls >> name;
        if (!name.empty()) out.push_back(name);
    }
    return out;
}

/// Every command line of `wangge` that runs something: each subcommand, or each of
/// its own subcommands (`tiles build`), found from the help texts.
std::vector<std::vector<std::string>> leaf_commands() {
    std::vector<std::vector<std::string>> out;
    for (const auto& sub : subcommands_in(run_wangge({"--help"}).out)) {
        const auto subs = subcommands_in(run_wangge({sub, "--help"}).out);
        if (subs.empty()) out.push_back({sub});
        for (const auto& s : subs) {
            const auto subsubs = subcommands_in(run_wangge({sub, s, "--help"}).out);
            if (subsubs.empty()) out.push_back({sub, s});
            for (const auto& ss : subsubs) out.push_back({sub, s, ss});
        }
    }
    return out;
}

/// The files of a folder, by name.
std::set<std::string> files_in(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
}

/// Runs wangge with `args` in the background (SIGINT and SIGTERM at their default
/// actions, whatever the test runner does with them), pausing at `point`.
struct Background {
    pid_t pid = -1;
    fs::path flag;

    Background(const std::vector<std::string>& args, const std::string& point, const fs::path& dir)
        : flag(dir / "pause.flag") {
        std::vector<std::string> env_s;
        for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
        env_s.push_back("WANGGE_PAUSE_AT=" + point);
        env_s.push_back("WANGGE_PAUSE_FILE=" + flag.string());
        std::vector<char*> env;
        for (auto& e : env_s) env.push_back(e.data());
        env.push_back(nullptr);
        std::vector<std::string> argv_s{WANGGE_BIN};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t def;
        sigemptyset(&def);
        sigaddset(&def, SIGINT);
        sigaddset(&def, SIGTERM);
        posix_spawnattr_setsigdefault(&attr, &def);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        const std::string log = (dir / "background.log").string();
        posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        if (posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), env.data()) != 0) pid = -1;
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
    }

    /// Waits until the process is at its pause point (true) or has ended (false).
    bool paused() {
        while (!fs::exists(flag)) {
            int status = 0;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    }

    /// Sends `sig` and returns the wait status.
    int stop(int sig) {
        kill(pid, sig);
        int status = 0;
        waitpid(pid, &status, 0);
        pid = -1;
        return status;
    }

    ~Background() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
};

}  // namespace

TEST_CASE("cli: global options are accepted after every subcommand and sub-subcommand", "[e2e][cli]") {
    TempDir dir("cli-globals");
    const auto missing = (dir / "missing.sqlite").string();
    const auto commands = leaf_commands();
    // the list comes from the help texts: a new subcommand is covered without a change here
    REQUIRE(commands.size() >= 15);
    const std::vector<std::string> globals{"--db", missing, "--wait", "0", "-q", "-v"};
    for (const auto& cmd : commands) {
        std::vector<std::vector<std::string>> lines;
        auto after = cmd;  // `tiles build --db x -q`
        after.insert(after.end(), globals.begin(), globals.end());
        lines.push_back(after);
        if (cmd.size() > 1) {  // `tiles --db x -q build`
            std::vector<std::string> between{cmd[0]};
            between.insert(between.end(), globals.begin(), globals.end());
            between.insert(between.end(), cmd.begin() + 1, cmd.end());
            lines.push_back(between);
        }
        for (const auto& line : lines) {
            std::string shown;
            for (const auto& a : line) shown += " " + a;
            INFO("wangge" << shown);
            const auto r = run_wangge(line);
            INFO(r.err);
            CHECK_THAT(r.err, !Catch::Contains("not expected"));
            CHECK(r.exit_code != 0);  // each needs more arguments, or the store that is missing
        }
    }
    CHECK_FALSE(fs::exists(missing));  // no command created the store it was pointed at
}

TEST_CASE("cli: global options after the subcommand take effect", "[e2e][cli][slow]") {
    TempDir dir("cli-globals-effect");
    const auto& db = partitioned_sample_store();
    const auto before = run_wangge({"--db", db, "grids", "list", "--village", "330502001005"});
    REQUIRE(before.exit_code == 0);
    REQUIRE_FALSE(before.out.empty());
    const auto after = run_wangge({"grids", "list", "--village", "330502001005", "--db", db});
    CHECK(after.exit_code == 0);
    CHECK(after.out == before.out);
    const auto middle = run_wangge({"grids", "--db", db, "list", "--village", "330502001005"});
    CHECK(middle.exit_code == 0);
    CHECK(middle.out == before.out);

    // -q after the sub-subcommand: the tiles summary is not printed
    const auto out = dir / "q.pmtiles";
    const auto q = run_wangge({"tiles", "build", "--out", out.string(), "--county", "330502", "--maxzoom", "8",
                               "--layers", "counties", "-q", "--db", db});
    INFO(q.err);
    CHECK(q.exit_code == 0);
    CHECK(q.out.empty());
    CHECK(fs::exists(out));

    // the `import FILE` shorthand with global options after `import`
    const auto s1 = (dir / "a.sqlite").string(), s2 = (dir / "b.sqlite").string(), s3 = (dir / "c.sqlite").string();
    const auto counties = (sample_dir() / "huzhou_counties.shp").string();
    for (const auto& s : {s1, s2, s3})
        REQUIRE(run_wangge({"--db", s, "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
    const auto i1 = run_wangge({"import", "--db", s1, counties});
    INFO(i1.err);
    CHECK(i1.exit_code == 0);
    const auto i2 = run_wangge({"import", "-q", "--db", s2, "jurisdictions", counties});
    INFO(i2.err);
    CHECK(i2.exit_code == 0);
    CHECK(i2.out.empty());
    const auto i3 = run_wangge({"import", counties, "--db", s3, "-q"});
    INFO(i3.err);
    CHECK(i3.exit_code == 0);
    CHECK(store_digest(s1) == store_digest(s2));
    CHECK(store_digest(s1) == store_digest(s3));
    CHECK(store_digest(s1) != store_digest(partitioned_sample_store()));
}

TEST_CASE("cli: help lists the global options once, and each subcommand's help points at them", "[e2e][cli]") {
    const auto top = run_wangge({"--help"});
    REQUIRE(top.exit_code == 0);
    CHECK_THAT(top.out, Catch::Contains("Global options"));
    for (const char* opt : {"--db", "--wait", "--quiet", "--verbose"}) {
        INFO(opt);
        const auto first = top.out.find(opt);
        REQUIRE(first != std::string::npos);
        CHECK(top.out.find(opt, first + 1) == std::string::npos);
    }
    const auto build = run_wangge({"tiles", "build", "--help"});
    REQUIRE(build.exit_code == 0);
    CHECK_THAT(build.out, Catch::Contains("Global options (--db FILE, --wait SECONDS, -q, -v)"));
    CHECK_THAT(build.out, Catch::Contains("--overwrite"));
}

TEST_CASE("cli: an existing output is refused unless --overwrite (tiles build, export)", "[e2e][cli][slow]") {
    TempDir dir("cli-overwrite");
    const auto& db = partitioned_sample_store();
    const std::string junk = "not an archive\n";
    SECTION("tiles build") {
        for (const char* name : {"t.pmtiles", "t.mbtiles"}) {
            const auto out = dir / name;
            write_file(out, junk);
            const std::vector<std::string> args{"--db",     db,       "tiles",     "build", "--out",    out.string(),
                                                "--county", "330502", "--maxzoom", "8",     "--layers", "counties"};
            const auto r = run_wangge(args);
            INFO(r.out << r.err);
            CHECK(r.exit_code == 2);
            CHECK_THAT(r.err, Catch::Contains(out.string() + ": exists already (--overwrite replaces it)"));
            CHECK(read_file(out) == junk);
            auto with = args;
            with.push_back("--overwrite");
            const auto o = run_wangge(with);
            INFO(o.err);
            CHECK(o.exit_code == 0);
            CHECK(read_file(out) != junk);
        }
    }
    SECTION("export") {
        const auto out = dir / "v.geojson";
        write_file(out, junk);
        const std::vector<std::string> args{"--db",     db,          "export", "villages",
                                            "--prefix", "330502001", "--out",  out.string()};
        const auto r = run_wangge(args);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(out.string() + ": exists already (--overwrite replaces it)"));
        CHECK(read_file(out) == junk);
        auto with = args;
        with.push_back("--overwrite");
        CHECK(run_wangge(with).exit_code == 0);
        CHECK(feature_count(out) > 0);
    }
    CHECK(files_in(dir.path()).size() <= 2);  // the outputs only, no temporaries
}

TEST_CASE("cli: an output in a missing folder names the user's path, not a temporary file", "[e2e][cli]") {
    TempDir dir("cli-missing-folder");
    const auto& db = partitioned_sample_store();
    const auto missing = dir / "no" / "such";
    const auto pm = (missing / "t.pmtiles").string(), mb = (missing / "t.mbtiles").string(),
               gpkg = (missing / "v.gpkg").string();
    for (const auto& [out, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
             {pm, {"tiles", "build", "--out", pm, "--county", "330502"}},
             {mb, {"tiles", "build", "--out", mb, "--county", "330502"}},
             {gpkg, {"export", "villages", "--out", gpkg}}}) {
        auto line = args;
        line.insert(line.begin(), {"--db", db});
        const auto r = run_wangge(line);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(out + ": folder " + missing.string() + " does not exist"));
        CHECK_THAT(r.err, !Catch::Contains(".tmp"));
    }
    CHECK(files_in(dir.path()).empty());
}

TEST_CASE("cli: SIGTERM or SIGINT during tiles build leaves no temporary file and the store as it was",
          "[e2e][cli][signals]") {
    TempDir dir("cli-signals");
    const auto db = dir / "s.sqlite";
    fs::copy_file(partitioned_sample_store(), db);
    const std::string before = read_file(db), digest = store_digest(db);
    for (const int sig : {SIGTERM, SIGINT}) {
        for (const char* name : {"t.pmtiles", "t.mbtiles"}) {
            DYNAMIC_SECTION((sig == SIGTERM ? "SIGTERM " : "SIGINT ") << name) {
                const auto out = dir / name;
                Background b({"--db", db.string(), "tiles", "build", "--out", out.string(), "--county", "330502",
                              "--maxzoom", "10"},
                             "tiles:writing", dir.path());
                REQUIRE(b.pid > 0);
                const bool paused = b.paused();
                INFO(read_file(dir / "background.log"));
                REQUIRE(paused);
                // the temporary file exists while the build runs
                std::set<std::string> tmps;
                for (const auto& f : files_in(dir.path()))
                    if (f.rfind(name, 0) == 0 && f.size() > 4 && f.substr(f.size() - 4) == ".tmp") tmps.insert(f);
                CHECK_FALSE(tmps.empty());
                const int status = b.stop(sig);
                CHECK(WIFSIGNALED(status));  // it ends by the signal, as a killed program should
                if (WIFSIGNALED(status)) CHECK(WTERMSIG(status) == sig);
                fs::remove(dir / "pause.flag");
                fs::remove(dir / "background.log");
                // nothing but the store is left (SQLite's -wal and -shm of a reader that was
                // stopped may be; a -wal holds nothing written)
                auto left = files_in(dir.path());
                const auto wal = fs::path(db.string() + "-wal");
                if (fs::exists(wal)) CHECK(fs::file_size(wal) == 0);
                left.erase("s.sqlite-wal");
                left.erase("s.sqlite-shm");
                CHECK(left == std::set<std::string>{"s.sqlite"});
                CHECK(read_file(db) == before);  // reading the store for tiles writes nothing to it
                CHECK(store_digest(db) == digest);
            }
        }
    }
}

TEST_CASE("cli: the next tiles build removes the temporaries a killed one left behind", "[e2e][cli][signals][slow]") {
    TempDir dir("cli-stale");
    const auto& db = partitioned_sample_store();
    for (const char* name : {"t.pmtiles", "t.mbtiles"}) {
        DYNAMIC_SECTION(name) {
            const auto out = dir / name;
            // what SIGKILL leaves: the archive being written and the PMTiles spool
            write_file(fs::path(out.string() + ".tmp"), "half an archive");
            write_file(fs::path(out.string() + ".tiles.tmp"), "tiles");
            // a run that fails (nothing to tile) still removes them: they are ours by name
            const auto r = run_wangge({"--db", db, "tiles", "build", "--out", out.string(), "--bbox", "10,10,11,11"});
            INFO(r.err);
            CHECK(r.exit_code == 3);
            CHECK(files_in(dir.path()).empty());
            // SIGKILL at the pause point, then a full run: only the archive is left
            {
                Background b({"--db", db, "tiles", "build", "--out", out.string(), "--county", "330502", "--maxzoom",
                              "8", "--layers", "counties"},
                             "tiles:writing", dir.path());
                REQUIRE(b.paused());
                b.stop(SIGKILL);
            }
            fs::remove(dir / "pause.flag");
            fs::remove(dir / "background.log");
            bool left = false;  // the temporaries SIGKILL left
            for (const auto& f : files_in(dir.path())) left = left || f.find(".tmp") != std::string::npos;
            CHECK(left);
            const auto ok = run_wangge({"--db", db, "tiles", "build", "--out", out.string(), "--county", "330502",
                                        "--maxzoom", "8", "--layers", "counties"});
            INFO(ok.err);
            CHECK(ok.exit_code == 0);
            CHECK(files_in(dir.path()) == std::set<std::string>{name});
            fs::remove(out);
        }
    }
}

TEST_CASE("cli: tiles update killed while writing or just before the rename leaves the old archive whole, "
          "and the next update lands",
          "[e2e][cli][signals][slow]") {
    TempDir dir("cli-kill-update");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    // stored times have a resolution of one second: the build comes after the store's
    // grids, the re-partition after the build
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    for (const char* name : {"u.pmtiles", "u.mbtiles"}) {
        DYNAMIC_SECTION(name) {
            const auto archive = dir / name;
            const auto b0 = run_wangge({"--db", db, "tiles", "build", "--out", archive.string(), "--county", "330502",
                                        "--maxzoom", "12", "--overwrite"});
            INFO(b0.err);
            REQUIRE(b0.exit_code == 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(1100));
            const auto p = run_wangge({"--db", db, "partition", "--village", "330502001005", "--grids",
                                       std::string(name) == "u.pmtiles" ? "7" : "8"});
            INFO(p.err);
            REQUIRE(p.exit_code == 0);
            const std::string before = read_file(archive);
            for (const char* point : {"tiles:writing", "tiles:complete"}) {
                INFO("killed at " << point);
                {
                    Background b({"--db", db, "tiles", "update", archive.string()}, point, dir.path());
                    REQUIRE(b.pid > 0);
                    const bool paused = b.paused();
                    INFO(read_file(dir / "background.log"));
                    REQUIRE(paused);
                    const int status = b.stop(SIGKILL);
                    CHECK(WIFSIGNALED(status));
                }
                fs::remove(dir / "pause.flag");
                fs::remove(dir / "background.log");
                // the archive is the old one, byte for byte (the update below reads it again)
                CHECK(read_file(archive) == before);
            }
            // the next update lands, and removes what the killed ones left
            const auto u = run_wangge({"--db", db, "tiles", "update", archive.string()});
            INFO(u.out << u.err);
            REQUIRE(u.exit_code == 0);
            CHECK_THAT(u.out, !Catch::Contains(": 0 tiles regenerated"));
            CHECK(read_file(archive) != before);
            for (const auto& f : files_in(dir.path())) CHECK(f.find(".tmp") == std::string::npos);
        }
    }
}

TEST_CASE("cli: tiles build and export only read the store: an empty file is not made a store", "[e2e][cli]") {
    TempDir dir("cli-read-only");
    const auto empty = dir / "empty.sqlite";
    write_file(empty, "");
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"tiles", "build", "--out", (dir / "t.pmtiles").string()},
                                               {"export", "villages", "--out", (dir / "v.gpkg").string()}}) {
        auto line = args;
        line.insert(line.begin(), {"--db", empty.string()});
        const auto r = run_wangge(line);
        INFO(r.err);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("not a wangge store"));
        CHECK(fs::file_size(empty) == 0);
        CHECK(files_in(dir.path()) == std::set<std::string>{"empty.sqlite"});
    }
}
