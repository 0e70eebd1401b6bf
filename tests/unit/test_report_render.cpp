// The area report's writers on a report built by hand (report_render_fixture.hpp):
// JSON field by field, the CSV tables (header, rows, RFC 4180 quoting, the BOM), the
// self-contained HTML page with its SVG map, and the PDF read back with poppler's
// pdftotext / pdftoppm / pdfinfo.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <regex>

#include "report_render_fixture.hpp"
#include "support.hpp"
#include "wangge/error.hpp"

using namespace wangge;
using namespace wangge::test;
using nlohmann::json;

namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + what.size())) ++n;
    return n;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> v;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find("\r\n", start);
        if (end == std::string::npos) end = text.size();
        v.push_back(text.substr(start, end - start));
        start = end + 2;
    }
    return v;
}

bool have_poppler() {
    return require_or_skip(run_shell("pdftotext -v").exit_code == 0 && run_shell("pdftoppm -v").exit_code == 0 &&
                               run_shell("pdfinfo -v").exit_code == 0,
                           "pdftotext, pdftoppm and pdfinfo (Debian package poppler-utils)");
}

int pdf_pages(const fs::path& pdf) {
    const auto r = run_shell("pdfinfo '" + pdf.string() + "'");
    std::smatch m;
    static const std::regex pages(R"(Pages:\s+([0-9]+))");
    if (r.exit_code != 0 || !std::regex_search(r.out, m, pages)) return -1;
    return std::stoi(m[1]);
}

const char* const section_titles[] = {"概况", "覆盖检查", "规模", "人员配备", "事项", "考核", "变更"};

}  // namespace

TEST_CASE("report json: every field with its value, shapes as GeoJSON, a schema", "[report-render]") {
    TempDir dir("report-json");
    const auto r = sample_report();
    const auto out = dir / "report.json";
    report::write_json(r, out);
    const json j = json::parse(read_file(out));
    CHECK(j["schema"] == "wangge-report/1");
    CHECK(j["level"] == "township");
    CHECK(j["code"] == "330502001");
    CHECK(j["name"] == "八里店镇");
    CHECK(j["county_name"] == "吴兴区");
    CHECK(j["township_name"] == "");
    CHECK(j["generated_at"] == r.generated_at);
    CHECK(j["from"] == r.from);
    CHECK(j["to"] == r.to);
    CHECK(j["as_of"] == r.as_of);
    CHECK(j["changes_since"] == "2026-01-01");
    CHECK(j["wangge_version"] == "0.1.0");
    CHECK(j["with_names"] == false);

    const json& s = j["summary"];
    CHECK(s["villages"] == 2);
    CHECK(s["grids"] == 6);
    CHECK(s["households"] == 1900);
    CHECK(s["area_m2"].get<double>() == Approx(2.14e6));
    CHECK(s["covered_m2"].get<double>() == Approx(2.13e6));
    CHECK(s["coverage_ratio"].is_number());
    CHECK(s["coverage_ratio"].get<double>() == Approx(2.13 / 2.14));
    CHECK(s["villages_without_grids"] == 0);

    REQUIRE(j["villages"].size() == 2);
    CHECK(j["villages"][1]["name"] == "<script>alert(1)</script>社区");
    CHECK(j["villages"][1]["urban"] == true);
    CHECK(j["villages"][0]["households"] == 900);
    CHECK(j["villages"][0]["geometry"]["type"] == "Polygon");

    REQUIRE(j["grids"].size() == 6);
    const json& g0 = j["grids"][0];
    CHECK(g0["code"] == "330502001001001");
    CHECK(g0["name"] == "潘店村\"一\",组");
    CHECK(g0["village_code"] == "330502001001");
    CHECK(g0["households"] == 250);
    CHECK(g0["band_min"] == 300);
    CHECK(g0["band_max"] == 500);
    CHECK(g0["in_band"] == false);
    CHECK(g0["events"] == 10);
    CHECK(g0["events_per_1000"].get<double>() == Approx(40.0));
    CHECK_FALSE(g0.contains("leader_names"));  // not built with names
    const json& geom = g0["geometry"];
    CHECK(geom["type"] == "Polygon");
    REQUIRE(geom["coordinates"].size() == 1);
    REQUIRE(geom["coordinates"][0].size() == 5);
    CHECK(geom["coordinates"][0][0][0].get<double>() == Approx(120.10));
    CHECK(geom["coordinates"][0][0][1].get<double>() == Approx(30.90));
    CHECK(geom["coordinates"][0][2][1].get<double>() == Approx(30.91));
    CHECK(j["grids"][1]["findings"] == json::array({"overlap", "near_miss"}));
    CHECK(j["grids"][1]["leaders"] == 0);

    REQUIRE(j["findings"].size() == 3);
    const json& gap = j["findings"][0];
    CHECK(gap["kind"] == "gap");
    CHECK(gap["severity"] == "error");
    CHECK(gap["codes"].size() == 3);
    CHECK(gap["area_m2"].get<double>() == Approx(42.7 * 1112));
    CHECK(gap["width_m"].get<double>() == Approx(38.2));
    CHECK(gap["where"]["type"] == "Polygon");
    // the centre is inside the gap's strip
    CHECK(gap["centre"][0].get<double>() > 120.11 + 0.01 / 3 - 0.0004);
    CHECK(gap["centre"][0].get<double>() < 120.11 + 0.01 / 3);
    const json& near = j["findings"][2];
    CHECK(near["kind"] == "near_miss");
    CHECK(near["severity"] == "warning");
    CHECK(near["where"]["type"] == "Point");
    CHECK(near["where"]["coordinates"][0].get<double>() == Approx(120.1033));
    CHECK(near["centre"][1].get<double>() == Approx(30.905));

    CHECK(j["band_min"] == 300);
    CHECK(j["undersized"].size() == r.undersized.size());
    CHECK(j["oversized"].empty());
    CHECK(j["staffing"]["leaders"] == 4);
    CHECK(j["staffing"]["without_leader"] == json::array({r.grids[1].code, r.grids[4].code}));
    CHECK(j["staffing"]["without_worker"] == json::array({r.grids[3].code}));
    CHECK(j["staffing"]["workers_per_1000"].get<double>() == Approx(5000.0 / 1900));

    const json& e = j["events"];
    CHECK(e["total"] == 120);
    CHECK(e["uncovered"] == 1);
    CHECK(e["by_platform"][0]["key"] == "12345");
    CHECK(e["by_platform"][0]["events"] == 70);
    CHECK(e["by_type"][1]["name"] == "矛盾纠纷");
    CHECK(e["uncovered_events"][0]["event_id"] == "E-0042");
    CHECK(e["uncovered_events"][0]["lon"].get<double>() == Approx(120.1305));
    CHECK(e["uncovered_events"][0]["nearest_m"].get<double>() == Approx(812.5));
    CHECK(e["hot_spots"][0]["grid_code"] == r.grids[2].code);

    const json& a = j["assessment"];
    CHECK(a["closed"] == 100);
    CHECK(a["overdue"] == 3);
    CHECK(a["closed_in_grid"] == 60);
    CHECK(a["share_in_township"].get<double>() == Approx(0.3));
    CHECK(a["median_hours"].get<double>() == Approx(5.5));
    CHECK(a["p90_hours"].is_null());
    REQUIRE(a["overdue_events"].size() == 3);
    CHECK(a["overdue_events"][2]["days_open"].get<double>() == Approx(31.0));
    CHECK(a["overdue_events"][0]["department"] == "综合执法局");
    CHECK(a["departments"][0]["overdue"] == 3);
    CHECK(a["workers"][1]["key"] == "W003");
    CHECK(j["changes"][0]["kind"] == "reshaped");
    CHECK(j["outline"]["type"] == "Polygon");
    // written whole: no temporary left
    CHECK_FALSE(fs::exists(dir / "report.json.tmp"));
}

TEST_CASE("report json: names only when built with them, bad WKB is an error naming the shape", "[report-render]") {
    TempDir dir("report-json-names");
    auto r = sample_report();
    r.with_names = true;
    report::write_json(r, dir / "a.json");
    const json j = json::parse(read_file(dir / "a.json"));
    CHECK(j["grids"][0]["leader_names"] == json::array({"张三"}));

    r.grids[2].wkb.resize(20);  // truncated
    CHECK_THROWS_WITH(report::write_json(r, dir / "b.json"), Catch::Contains("grid 330502001001003"));
    CHECK_FALSE(fs::exists(dir / "b.json"));
}

TEST_CASE("report csv: the tables, their headers and rows, RFC 4180 quoting, a BOM", "[report-render]") {
    TempDir dir("report-csv");
    const auto r = sample_report();
    const auto out = dir / "tables";
    report::write_csv_tables(r, out);
    for (const char* f : {"summary.csv", "findings.csv", "grids.csv", "events_by_type.csv", "uncovered.csv",
                          "overdue.csv", "departments.csv", "workers.csv", "changes.csv"}) {
        INFO(f);
        REQUIRE(fs::exists(out / f));
        // UTF-8 with a BOM, for Excel on Chinese Windows
        CHECK(read_file(out / f).substr(0, 3) == "\xEF\xBB\xBF");
    }
    const std::string grids = read_file(out / "grids.csv");
    const auto g = lines_of(grids.substr(3));
    REQUIRE(g.size() == 7);
    CHECK(g[0] ==
          "code,name,village_code,type,households,area_m2,band_min,band_max,by_area,in_band,leaders,workers,"
          "instructors,events,events_per_1000,findings");
    // the name with a comma and quotes: quoted, quotes doubled
    CHECK(g[1].rfind("330502001001001,\"潘店村\"\"一\"\",组\",330502001001,base,250,", 0) == 0);
    CHECK(g[2].find(",overlap;near_miss") != std::string::npos);
    CHECK(g[4].find("<script>alert(1)</script>社区第1网格") != std::string::npos);  // CSV is not HTML

    const auto f = lines_of(read_file(out / "findings.csv").substr(3));
    REQUIRE(f.size() == 4);
    CHECK(f[0] == "kind,severity,codes,area_m2,length_m,width_m,lon,lat,detail,where_wkt");
    CHECK(f[1].rfind("gap,error,330502001002;330502001002001;330502001002002,", 0) == 0);
    CHECK(f[1].find("POLYGON") != std::string::npos);
    // the detail with a quote is quoted
    CHECK(f[3].find("\"vertex 0.3 m from the neighbour's edge\"") == std::string::npos);
    CHECK(f[3].find("vertex 0.3 m from the neighbour's edge") != std::string::npos);

    const auto s = lines_of(read_file(out / "summary.csv").substr(3));
    REQUIRE(s.size() == 2);
    CHECK(s[0].rfind("level,code,name,", 0) == 0);
    CHECK(s[1].rfind("township,330502001,八里店镇,吴兴区,,0,2,6,1900,", 0) == 0);
    CHECK(lines_of(read_file(out / "overdue.csv").substr(3)).size() == 4);
    const auto t = lines_of(read_file(out / "events_by_type.csv").substr(3));
    REQUIRE(t.size() == 5);
    CHECK(t[1] == "platform,12345,12345热线,70");
    CHECK(t[3] == "type,01,环境卫生,80");
    const auto u = lines_of(read_file(out / "uncovered.csv").substr(3));
    REQUIRE(u.size() == 2);
    CHECK(u[1] == "E-0042,01,2026-05-02T03:04:05Z,120.1305,30.9052,330502001002003,812.5");
    CHECK(lines_of(read_file(out / "workers.csv").substr(3))[0] == "staff_id,assigned,closed,overdue");
    CHECK(lines_of(read_file(out / "changes.csv").substr(3))[1] ==
          "2026-03-15,330502001002001,reshaped,与第二网格交换两户");
}

TEST_CASE("report html: one self-contained page, Chinese sections, an SVG map with a path per grid, escaped text",
          "[report-render]") {
    TempDir dir("report-html");
    const auto r = sample_report();
    const auto out = dir / "report.html";
    report::write_html(r, out);
    // one file, nothing beside it
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
    CHECK(files == 1);
    const std::string h = read_file(out);
    CHECK(h.find("<meta charset=\"utf-8\">") != std::string::npos);
    CHECK(h.find("<html lang=\"zh-CN\">") != std::string::npos);
    CHECK(h.find("八里店镇") != std::string::npos);
    for (const char* t : section_titles) {
        INFO(t);
        CHECK(h.find(fmt::format("<h2>{}<small", t)) != std::string::npos);
    }
    // no external resource: no URL at all but the SVG namespace
    std::string stripped = h;
    for (auto p = stripped.find("xmlns=\"http://www.w3.org/2000/svg\""); p != std::string::npos;
         p = stripped.find("xmlns=\"http://www.w3.org/2000/svg\""))
        stripped.erase(p, 34);
    CHECK(stripped.find("http://") == std::string::npos);
    CHECK(stripped.find("https://") == std::string::npos);
    CHECK(stripped.find("src=") == std::string::npos);
    CHECK(stripped.find("<link") == std::string::npos);
    CHECK(stripped.find("@import") == std::string::npos);
    CHECK(count_of(stripped, "url(") == count_of(stripped, "url(#"));  // only the SVG's own patterns

    // the map: one svg, one path per grid, the grids with findings hatched, the
    // finding locations and the uncovered event drawn
    CHECK(count_of(h, "<svg ") == 1);
    CHECK(count_of(h, "<path class=\"grid\"") == 6);
    for (const auto& g : r.grids) CHECK(count_of(h, "class=\"grid\" data-code=\"" + g.code + "\"") == 1);
    CHECK(count_of(h, "<path class=\"grid-finding\"") == 4);
    CHECK(count_of(h, "<path class=\"village\"") == 2);
    CHECK(count_of(h, "<path class=\"finding\"") == 2);  // gap and overlap polygons (the point is ringed)
    CHECK((h.find("米 m</text>") != std::string::npos || h.find("公里 km</text>") != std::string::npos));  // scale bar

    // escaped: the "<script>" of a name is text, and there is no script at all
    CHECK(h.find("<script") == std::string::npos);
    CHECK(h.find("&lt;script&gt;alert(1)&lt;/script&gt;社区") != std::string::npos);
    CHECK(h.find("潘店村&quot;一&quot;,组") != std::string::npos);
    // print styles
    CHECK(h.find("@page { size: A4") != std::string::npos);
    // names only with_names
    CHECK(h.find("张三") == std::string::npos);
    auto named = r;
    named.with_names = true;
    report::write_html(named, dir / "named.html");
    CHECK(read_file(dir / "named.html").find("张三") != std::string::npos);
}

TEST_CASE("report svg: the map's projection keeps the scale bar true", "[report-render]") {
    // a 2 km wide township at 30.9N: the scale bar's length in SVG units against the
    // area's outline width in SVG units is its metres against the outline's metres
    TempDir dir("report-svg");
    auto r = sample_report();
    report::write_html(r, dir / "r.html");
    const std::string h = read_file(dir / "r.html");
    std::smatch m;
    // the outline path: its x extent
    static const std::regex area(R"(<path class="area" data-code="330502001" d="M([0-9.]+),[0-9.]+L([0-9.]+),)");
    REQUIRE(std::regex_search(h, m, area));
    const double outline_units = std::stod(m[2]) - std::stod(m[1]);
    static const std::regex bar(R"(<path d="M([0-9.]+),[0-9.]+L[0-9.]+,[0-9.]+ ([0-9.]+),[0-9.]+ [0-9.]+,[0-9.]+" fill="none")");
    REQUIRE(std::regex_search(h, m, bar));
    const double bar_units = std::stod(m[2]) - std::stod(m[1]);
    static const std::regex label(R"(>([0-9.]+) (米 m|公里 km)</text>)");
    REQUIRE(std::regex_search(h, m, label));
    const double bar_m = std::stod(m[1]) * (m[2] == "米 m" ? 1 : 1000);
    const double outline_m = 0.02 * std::cos(30.905 * 3.14159265358979 / 180) * 6378137.0 * 3.14159265358979 / 180;
    CHECK(bar_units / outline_units == Approx(bar_m / outline_m).epsilon(0.01));
}

TEST_CASE("report pdf: A4 pages with the Chinese text, page 1 renders, long tables continue on more pages",
          "[report-render]") {
    if (!have_poppler()) return;
    TempDir dir("report-pdf");
    const auto pdf = dir / "report.pdf";
    report::write_pdf(sample_report(), pdf);
    REQUIRE(fs::exists(pdf));
    CHECK_FALSE(fs::exists(dir / "report.pdf.tmp"));
    CHECK(read_file(pdf).substr(0, 5) == "%PDF-");

    const auto text = run_shell("pdftotext -enc UTF-8 '" + pdf.string() + "' -");
    REQUIRE(text.exit_code == 0);
    CHECK(text.out.find("八里店镇") != std::string::npos);
    for (const char* t : section_titles) {
        INFO(t);
        CHECK(text.out.find(t) != std::string::npos);
    }
    CHECK(text.out.find("潘店村") != std::string::npos);
    CHECK(text.out.find("<script>alert(1)</script>") != std::string::npos);  // a PDF shows the text as it is
    CHECK(text.out.find("330502001") != std::string::npos);                  // the footer's area code
    const int pages = pdf_pages(pdf);
    CHECK(pages >= 2);  // page 1 (title, summary, map), then the sections
    // the footer's "第 N 页 / 共 M 页" (pdftotext drops spaces between CJK and digits)
    std::string packed = text.out;
    std::erase(packed, ' ');
    CHECK(packed.find(fmt::format("共{}页", pages)) != std::string::npos);
    CHECK(packed.find(fmt::format("第{}页/共{}页", pages, pages)) != std::string::npos);
    const auto info = run_shell("pdfinfo '" + pdf.string() + "'");
    CHECK(info.out.find("595.276 x 841.89") != std::string::npos);  // A4 in points

    // page 1 renders
    const auto png = dir / "page";
    const auto ppm = run_shell("pdftoppm -r 50 -png -f 1 -l 1 '" + pdf.string() + "' '" + png.string() + "'");
    INFO(ppm.err);
    REQUIRE(ppm.exit_code == 0);
    fs::path page1;
    for (const auto& e : fs::directory_iterator(dir.path()))
        if (e.path().extension() == ".png") page1 = e.path();
    REQUIRE(!page1.empty());
    CHECK(fs::file_size(page1) > 5000);
    CHECK(read_file(page1).substr(1, 3) == "PNG");

    // 300 overdue events: the table runs over more pages, its header repeated
    const auto long_pdf = dir / "long.pdf";
    report::write_pdf(sample_report(300), long_pdf);
    const int long_pages = pdf_pages(long_pdf);
    CHECK(long_pages >= pages + 4);
    const auto long_text = run_shell("pdftotext -enc UTF-8 '" + long_pdf.string() + "' -");
    CHECK(count_of(long_text.out, "超期未办结事件（续）") >= 4);
    CHECK(long_text.out.find("E-1299") != std::string::npos);
    if (const char* keep = std::getenv("WANGGE_REPORT_PDF"); keep && *keep)
        fs::copy_file(pdf, keep, fs::copy_options::overwrite_existing);
}

TEST_CASE("report pdf: without a CJK font, an error that names fonts-noto-cjk and no file", "[report-render]") {
    TempDir dir("report-pdf-nofont");
    fs::create_directories(dir / "fonts");
    // a fontconfig configuration with an empty font folder (write_pdf reads the
    // configuration afresh each time, so FONTCONFIG_FILE set here is seen)
    write_file(dir / "fonts.conf", "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig><dir>" +
                                       (dir / "fonts").string() + "</dir><cachedir>" + (dir / "cache").string() +
                                       "</cachedir></fontconfig>\n");
    const char* before = std::getenv("FONTCONFIG_FILE");
    const std::string saved = before ? before : "";
    setenv("FONTCONFIG_FILE", (dir / "fonts.conf").c_str(), 1);
    CHECK_THROWS_WITH(report::write_pdf(sample_report(), dir / "r.pdf"), Catch::Contains("fonts-noto-cjk"));
    if (before) setenv("FONTCONFIG_FILE", saved.c_str(), 1);
    else unsetenv("FONTCONFIG_FILE");
    CHECK_FALSE(fs::exists(dir / "r.pdf"));
    CHECK_FALSE(fs::exists(dir / "r.pdf.tmp"));
    // and with the machine's fonts again, it works
    if (!require_or_skip(fs::exists("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), "fonts-noto-cjk")) return;
    report::write_pdf(sample_report(), dir / "r.pdf");
    CHECK(fs::exists(dir / "r.pdf"));
}
