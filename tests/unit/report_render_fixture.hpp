// A report built by hand for the writers' tests (test_report_render.cpp and the
// browser test): a small township, 八里店镇, with two villages of three grids each
// (squares near 120.1E 30.9N), a gap and an overlap, an uncovered event, staffing
// holes and assessment figures. Names carry a comma, a quote and a "<script>" to
// test quoting and escaping.
#pragma once

#include "geometry/geos.hpp"
#include "wangge/report.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace wangge::test {

inline std::vector<unsigned char> wkb_of(const std::string& wkt) {
    auto& g = geos::Context::local();
    const auto geom = g.from_wkt(wkt);
    return g.to_wkb(geom.get());
}

/// A lon/lat rectangle as WKT.
inline std::string box(double x0, double y0, double x1, double y1) {
    return fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x0, y0, x1, y1);
}

inline report::Report sample_report(int overdue_events = 3) {
    using namespace report;
    Report r;
    r.level = "township";
    r.code = "330502001";
    r.name = "八里店镇";
    r.county_name = "吴兴区";
    r.generated_at = "2026-12-01T08:00:00Z";
    r.from = "2026-01-01T00:00:00Z";
    r.to = "2026-12-01T00:00:00Z";
    r.as_of = "2026-12-01T00:00:00Z";
    r.changes_since = "2026-01-01";
    r.wangge_version = "0.1.0";
    r.outline = wkb_of(box(120.10, 30.90, 120.12, 30.91));

    const std::vector<std::string> village_names{"潘店村", "<script>alert(1)</script>社区"};
    for (int v = 0; v < 2; ++v) {
        VillageFigures vf;
        vf.code = fmt::format("330502001{:03}", v + 1);
        vf.name = village_names[static_cast<std::size_t>(v)];
        vf.urban = v == 1;
        vf.grids = 3;
        vf.households = 900 + 100 * v;
        vf.area_m2 = 1.07e6;
        vf.covered_m2 = v == 0 ? 1.07e6 : 1.06e6;
        vf.wkb = wkb_of(box(120.10 + 0.01 * v, 30.90, 120.11 + 0.01 * v, 30.91));
        r.villages.push_back(vf);
        for (int g = 0; g < 3; ++g) {
            GridFigures gf;
            gf.code = fmt::format("{}{:03}", vf.code, g + 1);
            gf.name = fmt::format("{}第{}网格", vf.name, g + 1);
            gf.village_code = vf.code;
            gf.type = "base";
            gf.households = g == 2 && v == 1 ? 0 : 250 + 60 * g + 20 * v;
            gf.area_m2 = 3.5e5;
            gf.band_min = 300;
            gf.band_max = 500;
            gf.in_band = gf.households >= 300;
            gf.leaders = g == 1 ? 0 : 1;
            gf.workers = v == 1 && g == 0 ? 0 : 1;
            gf.events = 10 * (g + 1) + 7 * v;
            gf.events_per_1000 = gf.households > 0 ? 1000.0 * static_cast<double>(gf.events) /
                                                         static_cast<double>(gf.households)
                                                   : 0;
            // strips of the village: in the second village a gap between the first
            // two, in the first an overlap of the last two
            double x0 = 120.10 + 0.01 * v + g * (0.01 / 3), x1 = x0 + 0.01 / 3;
            if (v == 1 && g == 0) x1 -= 0.0004;
            if (v == 0 && g == 2) x0 -= 0.0005;
            gf.wkb = wkb_of(box(x0, 30.90, x1, 30.91));
            r.grids.push_back(gf);
        }
    }
    // a name with a comma and a quote (CSV quoting)
    r.grids[0].name = "潘店村\"一\",组";
    r.grids[0].leader_names = {"张三"};

    validate::Finding gap;
    gap.kind = validate::Kind::gap;
    gap.codes = {"330502001002", "330502001002001", "330502001002002"};
    gap.where = wkb_of(box(120.11 + 0.01 / 3 - 0.0004, 30.90, 120.11 + 0.01 / 3, 30.91));
    gap.area_m2 = 42.7 * 1112;
    gap.width_m = 38.2;
    gap.detail = "网格之间的缝隙";
    validate::Finding overlap;
    overlap.kind = validate::Kind::overlap;
    overlap.codes = {"330502001001002", "330502001001003"};
    overlap.where = wkb_of(box(120.10 + 0.02 / 3 - 0.0005, 30.90, 120.10 + 0.02 / 3, 30.91));
    overlap.area_m2 = 53.4 * 1112;
    overlap.width_m = 47.7;
    validate::Finding near;
    near.kind = validate::Kind::near_miss;
    near.severity = validate::Severity::warning;
    near.codes = {"330502001001001", "330502001001002"};
    near.where = wkb_of("POINT(120.1033 30.905)");
    near.detail = "vertex 0.3 m from the neighbour's edge";
    r.findings = {gap, overlap, near};
    r.grids[1].findings = {"overlap", "near_miss"};
    r.grids[2].findings = {"overlap"};
    r.grids[3].findings = {"gap"};
    r.grids[4].findings = {"gap"};

    r.summary.townships = 0;
    r.summary.villages = 2;
    r.summary.grids = 6;
    r.summary.households = 1900;
    r.summary.area_m2 = 2.14e6;
    r.summary.covered_m2 = 2.13e6;
    r.summary.coverage_ratio = 2.13 / 2.14;
    r.band_min = 300;
    r.band_max = 500;
    for (const auto& g : r.grids)
        if (!g.in_band) r.undersized.push_back(g.code);

    r.staffing.leaders = 4;
    r.staffing.workers = 5;
    r.staffing.instructors = 2;
    r.staffing.without_leader = {r.grids[1].code, r.grids[4].code};
    r.staffing.without_worker = {r.grids[3].code};
    r.staffing.workers_per_1000 = 5 * 1000.0 / 1900;

    r.events.total = 120;
    r.events.assigned = 119;
    r.events.uncovered = 1;
    r.events.by_platform = {{"12345", "12345热线", 70}, {"app", "基层治理四平台", 50}};
    r.events.by_type = {{"01", "环境卫生", 80}, {"02", "矛盾纠纷", 40}};
    r.events.uncovered_events = {{"E-0042", "01", "2026-05-02T03:04:05Z", 120.1305, 30.9052, r.grids[5].code, 812.5}};
    r.events.hot_spots = {{r.grids[2].code, 30, 1000.0 * 30 / 370}};

    Assessment& a = r.assessment;
    a.events = 120;
    a.closed = 100;
    a.open = 20;
    a.overdue = overdue_events;
    a.closed_in_grid = 60;
    a.closed_in_township = 30;
    a.passed_up = 10;
    a.share_in_grid = 0.6;
    a.share_in_township = 0.3;
    a.share_passed_up = 0.1;
    a.median_hours = 5.5;
    a.p90_hours = std::nullopt;  // null in the JSON
    for (int i = 0; i < overdue_events; ++i)
        a.overdue_events.push_back({fmt::format("E-{:04}", 1000 + i), "02", r.grids[static_cast<std::size_t>(i % 6)].code,
                                    "2026-11-01T09:00:00Z", "处理中", "综合执法局", "W003", 30 + 0.5 * i});
    a.departments = {{"综合执法局", "", 40, 35, 3}, {"司法所", "", 10, 9, 0}};
    a.workers = {{"W001", "", 30, 29, 0}, {"W003", "", 20, 15, 3}};
    r.changes = {{"2026-03-15", r.grids[3].code, "reshaped", "与第二网格交换两户"}};
    return r;
}

}  // namespace wangge::test
