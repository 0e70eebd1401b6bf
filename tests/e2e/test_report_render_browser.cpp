// End-to-end: the area report's HTML page in a real browser. The page written for a
// report built by hand (report_render_fixture.hpp), opened from a file:// URL in
// Debian's chromium through playwright-core (tiles/web/test/report.mjs): no request
// beyond the file itself, no error in the console, the sections and the map drawn
// with every grid inside it, and a screenshot. Needs node, the npm packages of
// tiles/web (tiles/web/setup.sh) and chromium: skipped with a warning without them,
// except under CI=true where they are required.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support.hpp"
#include "unit/report_render_fixture.hpp"

using namespace wangge;
using namespace wangge::test;
using nlohmann::json;

namespace {

fs::path web_dir() {
    return source_dir() / "tiles" / "web";
}

std::string chromium() {
    const char* env = std::getenv("WANGGE_CHROMIUM");
    return env && *env ? env : "/usr/bin/chromium";
}

bool browser_available() {
    std::string missing;
    if (!fs::exists(web_dir() / "node_modules" / "playwright-core" / "package.json")) missing += " playwright-core";
    if (run_shell("node --version").exit_code != 0) missing += " node";
    if (!fs::exists(chromium())) missing += " " + chromium();
    if (missing.empty()) return true;
    return require_or_skip(false, fmt::format("the report's browser test ({}; run tiles/web/setup.sh, which needs "
                                              "node and npm, and install chromium)",
                                              missing.substr(1)));
}

}  // namespace

TEST_CASE("report html: in chromium, no request beyond the file, no error, the map and sections drawn",
          "[e2e][report-render][browser]") {
    if (!browser_available()) return;
    TempDir dir("report-browser");
    const auto page = dir / "report.html";
    const auto r = sample_report();
    report::write_html(r, page);
    const auto shot = dir / "report.png";
    const auto run = run_shell(fmt::format("cd '{}' && node test/report.mjs --file '{}' --screenshot '{}' "
                                           "--timeout-ms 60000",
                                           web_dir().string(), page.string(), shot.string()));
    INFO(run.out << "\n" << run.err);
    REQUIRE(!run.out.empty());
    const json o = json::parse(run.out);
    CHECK(run.exit_code == 0);
    CHECK_FALSE(o.contains("error"));
    CHECK(o["external"].empty());
    CHECK(o["failed"].empty());
    CHECK(o["console_errors"].empty());
    CHECK(o["page_errors"].empty());
    CHECK(o["requests"].size() == 1);
    CHECK(o["scripts"] == 0);
    CHECK(o["title"].get<std::string>().find("八里店镇") != std::string::npos);
    CHECK(o["sections"] == json::array({"概况", "覆盖检查", "规模", "人员配备", "事项", "考核", "变更"}));
    REQUIRE(o["map"].is_object());
    CHECK(o["map"]["grids"] == 6);
    CHECK(o["map"]["grids_inside"] == 6);
    CHECK(o["map"]["width"].get<double>() > 500);
    CHECK(o["overflowing_tables"].empty());
    CHECK(fs::file_size(shot) > 10000);
    if (const char* keep = std::getenv("WANGGE_REPORT_SCREENSHOT"); keep && *keep)
        fs::copy_file(shot, keep, fs::copy_options::overwrite_existing);
}
