// The area report and the batch audit on the sample, with defects planted by the
// test: each must be found with the right codes and location, in the report built
// in-process and in the files the real CLI writes.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>
#include <wangge/grids.hpp>
#include <wangge/report.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

using namespace wangge::test;
namespace sql = wangge::sql;

namespace {

struct Planted {
    std::string township, v1, v2, v3;       // villages
    std::string gap, overlap, outside;      // grids given a gap, grown over neighbours, moved out
    std::string no_leader, oversized;
    double gap_m2 = 0, overlap_m2 = 0;      // the areas planted (m², local scale)
    double gap_lon = 0, gap_lat = 0;        // a point in the gap
    std::vector<std::string> township_grids;
    std::map<std::string, std::pair<double, double>> label;  // grid -> label point
};

// m² per square degree at a latitude (the local scale every area of wangge uses)
double m2_per_deg2(double lat) {
    const double m = 111319.49079327357;  // metres per degree of latitude, spherical
    return m * m * std::cos(lat * M_PI / 180.0);
}

double query_real(wangge::Store& s, const std::string& q) {
    auto st = sql::prepare(s, q);
    REQUIRE(st.step());
    return st.real(0);
}

/// Pick a township with three villages of three or more base grids, and plant the defects.
Planted plant(const fs::path& db) {
    Planted p;
    wangge::Store s(db, wangge::Store::Mode::must_exist);
    std::map<std::string, std::map<std::string, std::vector<std::string>>> base;  // township -> village -> grids
    for (const auto& g : wangge::list_grids(s, "")) {
        if (g.type == "base") base[g.code.substr(0, 9)][g.village_code].push_back(g.code);
        p.label[g.code] = {g.label_lon, g.label_lat};
    }
    for (const auto& [t, vs] : base) {
        std::vector<std::string> ok;
        for (const auto& [v, gs] : vs)
            if (gs.size() >= 3) ok.push_back(v);
        if (ok.size() < 3) continue;
        p.township = t;
        p.v1 = ok[0], p.v2 = ok[1], p.v3 = ok[2];
        p.gap = vs.at(p.v1)[0];
        p.no_leader = vs.at(p.v1)[1];
        p.oversized = vs.at(p.v2)[0];
        p.overlap = vs.at(p.v2)[1];
        p.outside = vs.at(p.v3)[0];
        break;
    }
    REQUIRE(!p.township.empty());
    for (const auto& g : wangge::list_grids(s, p.township)) p.township_grids.push_back(g.code);

    const double lat = p.label[p.gap].second;
    wangge::Store::Transaction tx(s);
    const std::string cur = " AND valid_to IS NULL";
    // a gap: the grid shrunk by ~30 m all round; a point in the ring left uncovered
    p.gap_m2 = query_real(s, fmt::format("SELECT ST_Area(geom) - ST_Area(ST_Buffer(geom, -0.0003)) FROM grids WHERE "
                                         "code = '{}'{}",
                                         p.gap, cur)) *
               m2_per_deg2(lat);
    {
        auto st = sql::prepare(s, fmt::format("SELECT ST_X(pt), ST_Y(pt) FROM (SELECT PointOnSurface(ST_Difference(geom, "
                                              "ST_Buffer(geom, -0.0003))) AS pt FROM grids WHERE code = '{}'{})",
                                              p.gap, cur));
        REQUIRE(st.step());
        p.gap_lon = st.real(0);
        p.gap_lat = st.real(1);
    }
    sql::exec(s, fmt::format("UPDATE grids SET geom = CastToMultiPolygon(ST_Buffer(geom, -0.0003)) WHERE code = '{}'{}",
                             p.gap, cur));
    // an overlap: a grid grown by ~20 m over its neighbours, inside its village
    const std::string grown = fmt::format(
        "ST_Union(geom, ST_Intersection(ST_Buffer(geom, 0.0002), (SELECT geom FROM jurisdictions WHERE code = '{}')))",
        p.v2);
    p.overlap_m2 = query_real(s, fmt::format("SELECT ST_Area({}) - ST_Area(geom) FROM grids WHERE code = '{}'{}", grown,
                                             p.overlap, cur)) *
                   m2_per_deg2(lat);
    sql::exec(s, fmt::format("UPDATE grids SET geom = CastToMultiPolygon({}) WHERE code = '{}'{}", grown, p.overlap, cur));
    // outside its village: moved 2 km east
    sql::exec(s, fmt::format("UPDATE grids SET geom = ST_Translate(geom, 0.02, 0, 0) WHERE code = '{}'{}", p.outside, cur));
    // oversized
    sql::exec(s, fmt::format("UPDATE grids SET households = 5000 WHERE code = '{}'{}", p.oversized, cur));
    tx.commit();
    return p;
}

void write_staff(const fs::path& file, const Planted& p) {
    std::ofstream f(file);
    f << "grid_code,role,name,staff_id,phone\n";
    int n = 0;
    for (const auto& g : p.township_grids) {
        ++n;
        if (g != p.no_leader) f << g << ",网格长,张网格" << n << ",L" << n << ",13800000" << fmt::format("{:03}", n) << "\n";
        f << g << ",网格员,李网格" << n << ",W" << n << ",13900000" << fmt::format("{:03}", n) << "\n";
    }
}

void write_events(const fs::path& file, const Planted& p) {
    std::ofstream f(file);
    f << "id,type,time,status,source,lon,lat,closed_at,closed_level,department,handler\n";
    const auto [l4x, l4y] = p.label.at(p.no_leader);
    const auto [l5x, l5y] = p.label.at(p.oversized);
    f << fmt::format("T-UNCOVERED,040102,2026-05-31T08:00:00+08:00,reported,test,{:.9f},{:.9f},,,,\n", p.gap_lon, p.gap_lat);
    f << fmt::format("T-OVERDUE,030101,2026-05-01T00:00:00Z,dispatched,test,{:.9f},{:.9f},,,综合执法局,W2\n", l4x, l4y);
    f << fmt::format("T-UP,020101,2026-05-20T00:00:00Z,closed,test,{:.9f},{:.9f},2026-05-22T00:00:00Z,county,县市场监管局,\n",
                     l5x, l5y);
    f << fmt::format("T-GRID,040401,2026-05-25T00:00:00Z,closed,test,{:.9f},{:.9f},2026-05-25T02:00:00Z,grid,,W2\n", l4x,
                     l4y);
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

const wangge::validate::Finding* find_kind(const wangge::report::Report& r, wangge::validate::Kind k,
                                           const std::string& code) {
    for (const auto& f : r.findings)
        if (f.kind == k && has(f.codes, code)) return &f;
    return nullptr;
}

double area_of(const wangge::report::Report& r, wangge::validate::Kind k, const std::string& code) {
    double a = 0;
    for (const auto& f : r.findings)
        if (f.kind == k && has(f.codes, code)) a += f.area_m2;
    return a;
}

}  // namespace

TEST_CASE("report: defects planted in the sample are found with their codes and places", "[report][e2e][slow]") {
    TempDir dir("report-planted");
    const fs::path db = dir / "s.sqlite";
    fs::copy_file(partitioned_sample_store(), db);
    const Planted p = plant(db);
    write_staff(dir / "staff.csv", p);
    write_events(dir / "events.csv", p);
    auto r = run_wangge({"--db", db.string(), "import", "staff", (dir / "staff.csv").string()});
    REQUIRE(r.exit_code == 0);
    r = run_wangge({"--db", db.string(), "events", "import", (dir / "events.csv").string(), "--crs", "cgcs2000"});
    REQUIRE(r.exit_code == 0);

    wangge::report::ReportOptions o;
    o.level = "township";
    o.code = p.township;
    o.from = "2026-04-01T00:00:00Z";
    o.to = "2026-06-01T00:00:00Z";
    o.as_of = "2026-06-01T00:00:00Z";
    wangge::Store s(db, wangge::Store::Mode::read_only);
    const auto rep = wangge::report::build_report(s, o);
    using K = wangge::validate::Kind;

    // coverage: the gap in its village, with the area planted
    REQUIRE(find_kind(rep, K::gap, p.v1) != nullptr);
    CHECK(area_of(rep, K::gap, p.v1) == Approx(p.gap_m2).epsilon(0.1));
    // the overlap: the grown grid over its neighbours
    REQUIRE(find_kind(rep, K::overlap, p.overlap) != nullptr);
    CHECK(area_of(rep, K::overlap, p.overlap) == Approx(p.overlap_m2).epsilon(0.15));
    for (const auto& f : rep.findings)
        if (f.kind == K::overlap && has(f.codes, p.overlap)) {
            CHECK(f.codes.size() == 2);
            CHECK(!f.where.empty());
            for (const auto& c : f.codes) CHECK(c.rfind(p.v2, 0) == 0);
        }
    // the moved grid: outside its village
    const auto* out = find_kind(rep, K::outside, p.outside);
    REQUIRE(out != nullptr);
    CHECK(out->area_m2 > 0);
    CHECK(!out->where.empty());
    // no finding for a grid that was not touched in a village that was not touched
    for (const auto& f : rep.findings)
        for (const auto& c : f.codes) {
            const bool planted_village =
                c.rfind(p.v1, 0) == 0 || c.rfind(p.v2, 0) == 0 || c.rfind(p.v3, 0) == 0 || c == p.township;
            if (!planted_village && f.kind != K::near_miss && f.kind != K::sliver) {
                // the moved grid lands in a neighbour 2 km east: findings there name it
                CHECK(has(f.codes, p.outside));
            }
        }
    // the grids carry their findings
    std::map<std::string, const wangge::report::GridFigures*> grid;
    for (const auto& g : rep.grids) grid[g.code] = &g;
    REQUIRE(grid.count(p.overlap));
    CHECK(has(grid[p.overlap]->findings, "overlap"));
    CHECK(has(grid[p.outside]->findings, "outside"));

    // size and staff
    CHECK(has(rep.oversized, p.oversized));
    CHECK_FALSE(grid[p.oversized]->in_band);
    CHECK(rep.staffing.without_leader == std::vector<std::string>{p.no_leader});
    CHECK(rep.staffing.without_worker.empty());
    CHECK(rep.staffing.leaders == static_cast<std::int64_t>(p.township_grids.size()) - 1);
    CHECK(rep.staffing.workers == static_cast<std::int64_t>(p.township_grids.size()));
    CHECK(grid[p.gap]->leader_names.empty());  // no names without with_names

    // events of the period: the four planted
    CHECK(rep.events.total == 4);
    CHECK(rep.events.uncovered == 1);
    REQUIRE(rep.events.uncovered_events.size() == 1);
    const auto& u = rep.events.uncovered_events.front();
    CHECK(u.event_id == "T-UNCOVERED");
    CHECK(u.nearest_grid.rfind(p.v1, 0) == 0);
    CHECK(u.nearest_m < 50);
    CHECK(u.lon == Approx(p.gap_lon).margin(1e-7));
    CHECK(grid[p.no_leader]->events == 2);

    // assessment
    const auto& a = rep.assessment;
    CHECK(a.events == 4);
    CHECK(a.closed == 2);
    CHECK(a.open == 2);
    CHECK(a.closed_in_grid == 1);
    CHECK(a.passed_up == 1);
    CHECK(a.share_in_grid == Approx(0.5));
    REQUIRE(a.median_hours);
    CHECK(*a.median_hours == Approx(2.0));
    CHECK(*a.p90_hours == Approx(48.0));
    REQUIRE(a.overdue_events.size() == 1);  // the uncovered one is open one day only
    CHECK(a.overdue_events[0].event_id == "T-OVERDUE");
    CHECK(a.overdue_events[0].days_open == Approx(31.0));
    CHECK(a.overdue_events[0].grid_code == p.no_leader);
    bool dept = false;
    for (const auto& d : a.departments)
        if (d.key == "综合执法局") {
            dept = true;
            CHECK(d.assigned == 1);
            CHECK(d.overdue == 1);
            CHECK(d.closed == 0);
        }
    CHECK(dept);
    bool worker = false;
    for (const auto& w : a.workers)
        if (w.key == "W2") {
            worker = true;
            CHECK(w.assigned == 2);
            CHECK(w.closed == 1);
            CHECK(w.overdue == 1);
            CHECK(w.name.empty());
        }
    CHECK(worker);

    // changes: the sample's partition made every grid of the township new
    CHECK(!rep.changes.empty());
    for (const auto& c : rep.changes) CHECK(c.code.rfind(p.township, 0) == 0);

    // the same through the CLI, into files
    const fs::path rd = dir / "rep";
    r = run_wangge({"--db", db.string(), "report", "--township", p.township, "--from", "2026-04-01T08:00:00+08:00", "--to",
                    "2026-06-01T08:00:00+08:00", "--as-of", "2026-06-01T00:00:00Z", "--out", rd.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    for (const char* f : {"report.html", "report.pdf", "report.json"}) CHECK(fs::file_size(rd / f) > 1000);
    const std::string json_text = read_file(rd / "report.json");
    const auto j = nlohmann::json::parse(json_text);
    // the file says what the report built in-process says, field by field
    CHECK(j.at("code") == p.township);
    CHECK(j.at("summary").at("grids") == rep.summary.grids);
    CHECK(j.at("summary").at("coverage_ratio").get<double>() == Approx(rep.summary.coverage_ratio));
    CHECK(j.at("staffing").at("without_leader") == nlohmann::json(std::vector<std::string>{p.no_leader}));
    CHECK(j.at("events").at("total") == 4);
    CHECK(j.at("events").at("uncovered_events").at(0).at("event_id") == "T-UNCOVERED");
    CHECK(j.at("assessment").at("passed_up") == 1);
    CHECK(j.at("assessment").at("closed_in_grid") == 1);
    CHECK(j.at("assessment").at("overdue_events").at(0).at("event_id") == "T-OVERDUE");
    CHECK(j.at("assessment").at("p90_hours").get<double>() == Approx(48.0));
    CHECK(j.at("findings").size() == rep.findings.size());
    bool json_outside = false;
    for (const auto& f : j.at("findings"))
        if (f.at("kind") == "outside" && has(f.at("codes").get<std::vector<std::string>>(), p.outside)) {
            json_outside = true;
            CHECK(f.at("where").at("type").get<std::string>().find("Polygon") != std::string::npos);
            CHECK(f.at("centre").size() == 2);
        }
    CHECK(json_outside);
    CHECK(has(j.at("oversized").get<std::vector<std::string>>(), p.oversized));
    CHECK(json_text.find("张网格") == std::string::npos);  // no names without --with-names
    for (const auto& f : fs::recursive_directory_iterator(rd))
        if (f.is_regular_file()) CHECK(read_file(f.path()).find("13800000") == std::string::npos);  // phones never

    // a second report into the same folder needs --overwrite; with it, names appear (never phones)
    r = run_wangge({"--db", db.string(), "report", "--township", p.township, "--out", rd.string()});
    CHECK(r.exit_code == 2);
    r = run_wangge({"--db", db.string(), "report", "--township", p.township, "--out", rd.string(), "--overwrite",
                    "--with-names", "--formats", "json,html"});
    REQUIRE(r.exit_code == 0);
    CHECK(read_file(rd / "report.json").find("张网格") != std::string::npos);
    CHECK(read_file(rd / "report.json").find("13800000") == std::string::npos);
    CHECK(read_file(rd / "report.html").find("13800000") == std::string::npos);

    // an area not in the store, a bad code
    r = run_wangge({"--db", db.string(), "report", "--township", "330599999", "--out", (dir / "x").string()});
    CHECK(r.exit_code == 3);
    r = run_wangge({"--db", db.string(), "report", "--township", "3305", "--out", (dir / "x").string()});
    CHECK(r.exit_code == 2);
}

TEST_CASE("audit: every township of a county, summary, fail-on exit code, unchanged townships kept", "[report][e2e][slow]") {
    TempDir dir("audit");
    const fs::path db = dir / "s.sqlite";
    fs::copy_file(partitioned_sample_store(), db);
    const Planted p = plant(db);
    const std::string county = p.township.substr(0, 6);
    int townships = 0;
    {
        wangge::Store s(db, wangge::Store::Mode::read_only);
        townships = static_cast<int>(
            sql::query_int(s, fmt::format("SELECT count(*) FROM jurisdictions WHERE level = 'township' AND code LIKE '{}%'",
                                          county)));
    }
    REQUIRE(townships > 3);
    const fs::path out = dir / "audit";
    auto r = run_wangge({"--db", db.string(), "audit", "--county", county, "--out", out.string(), "-j", "2", "--fail-on",
                         "gaps,outside", "--formats", "json,csv,html"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 4);
    const std::string summary = read_file(out / "summary.csv");
    int rows = 0;
    std::string planted_row;
    std::istringstream lines(summary);
    std::string line, header;
    std::getline(lines, header);
    while (std::getline(lines, line)) {
        ++rows;
        if (line.rfind(p.township, 0) == 0) planted_row = line;
    }
    CHECK(rows == townships);
    REQUIRE(!planted_row.empty());
    CHECK(fs::exists(out / p.township / "report.html"));
    CHECK(fs::exists(out / "index.html"));
    CHECK(read_file(out / "index.html").find(p.township + "/report.html") != std::string::npos);

    // again: nothing changed, nothing redone; the exit code is the same
    r = run_wangge({"--db", db.string(), "audit", "--county", county, "--out", out.string(), "-j", "2", "--fail-on",
                    "gaps,outside", "--formats", "json,csv,html"});
    CHECK(r.exit_code == 4);
    CHECK(r.out.find(fmt::format("0 reported, {} unchanged", townships)) != std::string::npos);
    CHECK(read_file(out / "summary.csv") == summary);
    // a change in one township redoes that one only
    write_staff(dir / "staff.csv", p);
    REQUIRE(run_wangge({"--db", db.string(), "import", "staff", (dir / "staff.csv").string()}).exit_code == 0);
    r = run_wangge({"--db", db.string(), "audit", "--county", county, "--out", out.string(), "--formats", "json,csv,html"});
    CHECK(r.exit_code == 0);  // no --fail-on
    CHECK(r.out.find(fmt::format("1 reported, {} unchanged", townships - 1)) != std::string::npos);
    r = run_wangge({"--db", db.string(), "audit", "--county", county, "--out", out.string(), "--formats",
                    "json,csv,html", "--force", "--fail-on", "overdue"});
    CHECK(r.exit_code == 4);  // the sample's events of 2024 still open (待受理, 处置中) are long overdue
    CHECK(r.out.find(fmt::format("{} reported, 0 unchanged", townships)) != std::string::npos);
    r = run_wangge({"--db", db.string(), "audit", "--county", county, "--out", out.string(), "--fail-on", "typo"});
    CHECK(r.exit_code == 2);
}
