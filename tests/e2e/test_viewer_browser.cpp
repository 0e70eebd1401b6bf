// End-to-end: the map viewer in a real browser. `wangge serve` on an archive of the
// sample and the sample store, the viewer (tiles/web/dist, built by tiles/web/setup.sh)
// opened in Debian's chromium through playwright-core (tiles/web/test/browser.mjs):
// grids, villages and labels drawn, a grid's popup, search, locate by coordinates,
// and not one request outside 127.0.0.1 nor an error in the page. Needs node, the
// npm packages of tiles/web and chromium: skipped with a warning without them, except
// under CI=true where they are required.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support.hpp"

extern char** environ;

using namespace wangge::test;
using nlohmann::json;

namespace {

fs::path web_dir() {
    return source_dir() / "tiles" / "web";
}

/// `wangge serve ARGS` in the background, stdout and stderr to files in `dir`; stopped
/// with SIGTERM when destroyed.
class Server {
public:
    Server(const TempDir& dir, const std::vector<std::string>& args)
        : out_(dir / "serve.out"), err_(dir / "serve.err") {
        std::vector<std::string> argv_s{WANGGE_BIN, "serve"};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&fa);
    }
    ~Server() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        // a server that does not stop on SIGTERM is killed (its own tests check SIGTERM)
        for (int i = 0; i < 200 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (kill(pid_, 0) == 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// The URL of "listening on URL"; "" when the server ended first (or said nothing
    /// within `bound`: a hung server, not a measure of speed).
    std::string url(std::chrono::seconds bound = std::chrono::seconds(60)) {
        static const std::regex listening(R"(listening on (http://127\.0\.0\.1:[0-9]+/))");
        const auto until = std::chrono::steady_clock::now() + bound;
        while (pid_ > 0 && std::chrono::steady_clock::now() < until) {
            std::smatch m;
            const std::string out = read_file(out_);
            if (std::regex_search(out, m, listening)) return m[1];
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return "";
    }
    std::string log() const { return read_file(out_) + read_file(err_); }

private:
    pid_t pid_ = -1;
    fs::path out_, err_;
};

std::string chromium() {
    const char* env = std::getenv("WANGGE_CHROMIUM");
    return env && *env ? env : "/usr/bin/chromium";
}

bool browser_available() {
    std::string missing;
    if (!fs::exists(web_dir() / "node_modules" / "playwright-core" / "package.json")) missing += " playwright-core";
    if (!fs::exists(web_dir() / "dist" / "index.html")) missing += " tiles/web/dist";
    if (run_shell("node --version").exit_code != 0) missing += " node";
    if (!fs::exists(chromium())) missing += " " + chromium();
    if (missing.empty()) return true;
    return require_or_skip(false, fmt::format("the viewer's browser test ({}; run tiles/web/setup.sh, which needs node "
                                              "and npm, and install chromium)",
                                              missing.substr(1)));
}

/// The name of a village, from the code table (`codes show` ends with the village's line).
std::string village_name(const std::string& code) {
    const auto r = run_wangge({"--db", partitioned_sample_store(), "codes", "show", code});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    static const std::regex village(R"(village\s+(\S+)\s*$)");
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, village));
    return m[1];
}

}  // namespace

TEST_CASE(
    "viewer: in chromium, grids, villages and labels drawn, a grid's popup, search and locate, all from 127.0.0.1",
    "[e2e][viewer][browser][slow]") {
    if (!browser_available()) return;
    TempDir dir("viewer-browser");
    // 吴兴区, z0-14: the whole pyramid of one county, small and quick to build
    const auto archive = dir / "huzhou.pmtiles";
    const auto b = run_wangge({"--db", partitioned_sample_store(), "tiles", "build", "--out", archive.string(),
                               "--county", "330502", "--maxzoom", "14"});
    INFO(b.out << b.err);
    REQUIRE(b.exit_code == 0);

    Server server(dir, {archive.string(), "--db", partitioned_sample_store(), "--port", "0", "--web-root",
                        (web_dir() / "dist").string()});
    const std::string url = server.url();
    INFO(server.log());
    REQUIRE(!url.empty());

    // the village searched for, by its name; the view opens elsewhere in the county
    const std::string searched = village_name("330502001005");
    REQUIRE(!searched.empty());
    const auto shot = dir / "viewer.png";
    const auto r =
        run_shell(fmt::format("cd '{}' && node test/browser.mjs --url '{}' --at '14/30.884/120.16' --search '{}' "
                              "--screenshot '{}' --timeout-ms 90000",
                              web_dir().string(), url, searched, shot.string()));
    INFO(r.out << "\n" << r.err << "\n" << server.log());
    REQUIRE(!r.out.empty());
    const json o = json::parse(r.out);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(o.contains("error"));

    // nothing from outside, no error in the page
    CHECK(o["external"].empty());
    CHECK(o["console_errors"].empty());
    CHECK(o["page_errors"].empty());
    CHECK(o["failed"].empty());
    CHECK(!o["requests"].empty());

    // drawn: grid fills and outlines, villages, and labels (names, grid codes)
    const json& n = o["rendered"];
    CHECK(n.value("grids-events", 0) > 0);
    CHECK(n.value("grids-line", 0) > 0);
    CHECK(n.value("villages-line", 0) > 0);
    CHECK(n.value("village-labels", 0) > 0);
    CHECK(n.value("grid-labels", 0) > 0);
    CHECK(n.value("grids-platform", -1) == 0);  // the second colouring, hidden
    CHECK(o["title"].get<std::string>().find("网格地图") != std::string::npos);

    // the popup of the grid clicked: its code, and the API's details
    REQUIRE(o["clicked"].is_object());
    const std::string code = o["clicked"]["code"];
    CHECK(o["popup"]["code"] == code);
    CHECK(o["popup"]["loaded"] == "true");
    const std::string popup = o["popup"]["text"];
    CHECK(popup.find(code) != std::string::npos);
    for (const char* label : {"户数", "村（社区）", "北斗网格码", "事件"})
        CHECK(popup.find(label) != std::string::npos);

    // search: the first result is the village, and the map went there
    REQUIRE(!o["search_results"].empty());
    CHECK(o["search_results"][0].get<std::string>().find(searched) != std::string::npos);
    const json& s = o["search"];
    CHECK(s["code"] == "330502001005");
    CHECK(s["before"]["center"] != s["after"]["center"]);
    CHECK(s["drawn"].get<int>() > 0);

    // locate: the clicked grid's label point, in WGS-84, is in that grid
    CHECK(o["crs_options"] == json::array({"wgs84", "cgcs2000", "gcj02", "bd09"}));
    CHECK(o["locate"]["code"] == code);

    // a screenshot for the docs, when asked for
    CHECK(fs::file_size(shot) > 10000);
    if (const char* keep = std::getenv("WANGGE_VIEWER_SCREENSHOT"); keep && *keep)
        fs::copy_file(shot, keep, fs::copy_options::overwrite_existing);
}
