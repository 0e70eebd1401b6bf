// The sections of a report in words and tables (report/content.hpp).
#include "report/content.hpp"

#include "report/common.hpp"

#include <fmt/format.h>

#include <map>

namespace wangge::report::detail {

namespace {

std::string or_dash(const std::string& s) {
    return s.empty() ? "–" : s;
}

std::string hours(const std::optional<double>& h) {
    return h ? fixed(*h, 1) : "–";
}

/// A timestamp at midnight UTC as its date alone ("2026-01-01T00:00:00Z" -> "2026-01-01").
std::string short_time(const std::string& t) {
    if (t.size() == 20 && t.compare(10, 10, "T00:00:00Z") == 0) return t.substr(0, 10);
    return t;
}

std::string period(const Report& r) {
    if (r.from.empty() && r.to.empty()) return "全部";
    return fmt::format("{} 至 {}", r.from.empty() ? "…" : short_time(r.from), r.to.empty() ? "…" : short_time(r.to));
}

/// Grid code -> name, for tables that only carry codes.
std::map<std::string, const GridFigures*> grids_by_code(const Report& r) {
    std::map<std::string, const GridFigures*> m;
    for (const auto& g : r.grids) m[g.code] = &g;
    return m;
}

std::string grid_name(const std::map<std::string, const GridFigures*>& m, const std::string& code) {
    const auto it = m.find(code);
    return it == m.end() ? "" : it->second->name;
}

Section summary(const Report& r) {
    Section s{"summary", "概况", "Summary", {}, {}, {}};
    const Summary& m = r.summary;
    if (m.townships > 0) s.facts.push_back({"乡镇（街道）", "townships", grouped(m.townships)});
    s.facts.push_back({"村（社区）", "villages", grouped(m.villages)});
    s.facts.push_back({"网格", "grids", grouped(m.grids)});
    s.facts.push_back({"户数", "households", grouped(m.households)});
    s.facts.push_back({"面积（平方公里）", "area, km²", km2(m.area_m2)});
    s.facts.push_back({"网格覆盖面积（平方公里）", "covered, km²", km2(m.covered_m2)});
    s.facts.push_back({"覆盖率", "coverage ratio", percent(m.coverage_ratio, 2)});
    s.facts.push_back({"无网格的村（社区）", "villages without grids", grouped(m.villages_without_grids)});
    s.facts.push_back({"事件统计期", "events reported", period(r)});

    Table t{"villages", "村（社区）", "villages", {"编码", "名称", "城/乡", "网格", "户数", "面积 km²", "覆盖率"},
            {false, false, false, true, true, true, true}, {}, "无"};
    for (const auto& v : r.villages)
        t.rows.push_back({v.code, v.name, v.urban ? "社区" : "村", grouped(v.grids), grouped(v.households),
                          km2(v.area_m2), v.area_m2 > 0 ? percent(v.covered_m2 / v.area_m2, 1) : "–"});
    s.tables.push_back(std::move(t));
    return s;
}

Section coverage(const Report& r) {
    Section s{"coverage", "覆盖检查", "Coverage findings", {}, {}, {}};
    int errors = 0;
    for (const auto& f : r.findings) errors += f.severity == validate::Severity::error;
    s.facts.push_back({"问题", "findings", grouped(static_cast<std::int64_t>(r.findings.size()))});
    s.facts.push_back({"其中错误", "errors", grouped(errors)});
    s.notes.push_back("村（社区）须无缝、无重叠地覆盖所辖区域，网格须无缝、无重叠地覆盖所在村（社区）。位置为问题范围内一点（经纬度，CGCS2000）。");
    Table t{"findings",
            "覆盖问题",
            "findings",
            {"类型", "级别", "涉及编码", "面积 m²", "宽度 m", "经度", "纬度", "说明"},
            {false, false, false, true, true, true, true, false},
            {},
            "未发现问题"};
    for (const auto& f : r.findings) {
        const auto c = centre(f.where);
        t.rows.push_back({kind_zh(f.kind) + " " + kind_en(f.kind), severity_zh(f.severity),
                          joined(f.codes), f.area_m2 > 0 ? fixed(f.area_m2, 1) : "–",
                          f.width_m > 0 ? fixed(f.width_m, 2) : "–", c ? fixed(c->x, 6) : "–",
                          c ? fixed(c->y, 6) : "–", f.detail});
    }
    s.tables.push_back(std::move(t));
    return s;
}

Section size(const Report& r) {
    Section s{"size", "规模", "Size policy", {}, {}, {}};
    if (r.band_max > 0)
        s.facts.push_back({"农村网格户数范围", "rural band, households", fmt::format("{}–{}", r.band_min, r.band_max)});
    s.facts.push_back({"户数过多", "oversized", grouped(static_cast<std::int64_t>(r.oversized.size()))});
    s.facts.push_back({"户数过少", "undersized", grouped(static_cast<std::int64_t>(r.undersized.size()))});
    Table t{"size", "超出户数范围的网格", "grids outside their band",
            {"网格编码", "名称", "村（社区）", "户数", "范围", "情况"}, {false, false, false, true, true, false}, {},
            "全部网格在范围内"};
    const auto by_code = grids_by_code(r);
    auto add = [&](const std::vector<std::string>& codes, const char* what) {
        for (const auto& code : codes) {
            const auto it = by_code.find(code);
            if (it == by_code.end()) {
                t.rows.push_back({code, "", "", "", "", what});
                continue;
            }
            const GridFigures& g = *it->second;
            t.rows.push_back({g.code, g.name, g.village_code, grouped(g.households),
                              fmt::format("{}–{}", g.band_min, g.band_max), what});
        }
    };
    add(r.oversized, "过多 oversized");
    add(r.undersized, "过少 undersized");
    s.tables.push_back(std::move(t));
    return s;
}

Section staffing(const Report& r) {
    Section s{"staffing", "人员配备", "Staffing", {}, {}, {}};
    const Staffing& st = r.staffing;
    s.facts.push_back({"网格长", "grid leaders", grouped(st.leaders)});
    s.facts.push_back({"专职网格员", "grid workers", grouped(st.workers)});
    s.facts.push_back({"网格指导员", "instructors", grouped(st.instructors)});
    s.facts.push_back({"每千户网格员", "workers per 1,000 households", fixed(st.workers_per_1000, 2)});
    s.facts.push_back({"无网格长的网格", "grids without a leader", grouped(static_cast<std::int64_t>(st.without_leader.size()))});
    s.facts.push_back({"无专职网格员的网格", "grids without a worker", grouped(static_cast<std::int64_t>(st.without_worker.size()))});
    const auto by_code = grids_by_code(r);
    Table t{"staffing", "配备不全的网格", "grids short of staff", {"网格编码", "名称", "问题"}, {false, false, false}, {},
            "全部网格配备齐全"};
    for (const auto& c : st.without_leader) t.rows.push_back({c, grid_name(by_code, c), "无网格长 no leader"});
    for (const auto& c : st.without_worker) t.rows.push_back({c, grid_name(by_code, c), "无专职网格员 no worker"});
    for (const auto& c : st.two_leaders) t.rows.push_back({c, grid_name(by_code, c), "两名以上网格长 two leaders"});
    s.tables.push_back(std::move(t));
    if (r.with_names) {
        Table n{"leaders", "网格长", "grid leaders", {"网格编码", "名称", "网格长", "网格员", "指导员"},
                {false, false, false, true, true}, {}, "无"};
        for (const auto& g : r.grids)
            n.rows.push_back({g.code, g.name, or_dash(joined(g.leader_names, "、")), grouped(g.workers),
                              grouped(g.instructors)});
        s.tables.push_back(std::move(n));
    }
    return s;
}

Section events(const Report& r) {
    Section s{"events", "事项", "Events", {}, {}, {}};
    const EventFigures& e = r.events;
    s.facts.push_back({"事件", "events", grouped(e.total)});
    s.facts.push_back({"已落入网格", "in a grid", grouped(e.assigned)});
    s.facts.push_back({"未落入网格", "in no grid", grouped(e.uncovered)});
    if (r.summary.households > 0)
        s.facts.push_back({"每千户事件", "per 1,000 households",
                           fixed(1000.0 * static_cast<double>(e.total) / static_cast<double>(r.summary.households), 1)});
    s.facts.push_back({"统计期", "reported", period(r)});

    Table p{"by-platform", "按来源平台", "by platform", {"平台", "名称", "事件"}, {false, false, true}, {}, "无"};
    for (const auto& c : e.by_platform) p.rows.push_back({c.key, c.name, grouped(c.events)});
    s.tables.push_back(std::move(p));
    Table t{"by-type", "按事件类型", "by type", {"类型", "名称", "事件"}, {false, false, true}, {}, "无"};
    for (const auto& c : e.by_type) t.rows.push_back({c.key, c.name, grouped(c.events)});
    s.tables.push_back(std::move(t));
    Table g{"per-grid", "各网格事件", "per grid", {"网格编码", "名称", "户数", "事件", "每千户"},
            {false, false, true, true, true}, {}, "无网格"};
    for (const auto& x : r.grids)
        g.rows.push_back({x.code, x.name, grouped(x.households), grouped(x.events),
                          x.households > 0 ? fixed(x.events_per_1000, 1) : "–"});
    s.tables.push_back(std::move(g));
    const auto by_code = grids_by_code(r);
    Table h{"hot-spots", "事件高发网格", "hot spots", {"网格编码", "名称", "事件", "每千户"}, {false, false, true, true},
            {}, "无"};
    for (const auto& x : e.hot_spots)
        h.rows.push_back({x.grid_code, grid_name(by_code, x.grid_code), grouped(x.events), fixed(x.events_per_1000, 1)});
    s.tables.push_back(std::move(h));
    Table u{"uncovered", "未落入网格的事件", "events in no grid",
            {"事件编号", "类型", "上报时间", "经度", "纬度", "最近网格", "距离 m"},
            {false, false, false, true, true, false, true}, {}, "无"};
    for (const auto& x : e.uncovered_events)
        u.rows.push_back({x.event_id, x.type_code, x.reported_at, fixed(x.lon, 6), fixed(x.lat, 6),
                          or_dash(x.nearest_grid), x.nearest_grid.empty() ? "–" : fixed(x.nearest_m, 0)});
    s.tables.push_back(std::move(u));
    return s;
}

Section assessment(const Report& r) {
    Section s{"assessment", "考核", "Assessment", {}, {}, {}};
    const Assessment& a = r.assessment;
    s.facts.push_back({"事件", "events", grouped(a.events)});
    s.facts.push_back({"已办结", "closed", grouped(a.closed)});
    s.facts.push_back({"未办结", "open", grouped(a.open)});
    s.facts.push_back({"超期未办结", "overdue", grouped(a.overdue)});
    s.facts.push_back({"网格内办结", "closed in the grid", fmt::format("{}（{}）", grouped(a.closed_in_grid), percent(a.share_in_grid))});
    s.facts.push_back({"镇（街道）内办结", "closed in the township",
                       fmt::format("{}（{}）", grouped(a.closed_in_township), percent(a.share_in_township))});
    s.facts.push_back({"上报县级及部门", "passed up", fmt::format("{}（{}）", grouped(a.passed_up), percent(a.share_passed_up))});
    s.facts.push_back({"办结时长中位数（小时）", "median hours to close", hours(a.median_hours)});
    s.facts.push_back({"办结时长P90（小时）", "P90 hours to close", hours(a.p90_hours)});
    s.notes.push_back("小事不出网格，大事不出镇：网格内办结与镇（街道）内办结之和越高越好。");
    if (!r.as_of.empty()) s.notes.push_back(fmt::format("超期：截至 {} 仍未办结的事件。", r.as_of));

    Table d{"departments", "各部门", "per department", {"部门", "分派", "办结", "超期"}, {false, true, true, true}, {},
            "无"};
    for (const auto& h : a.departments) d.rows.push_back({h.key, grouped(h.assigned), grouped(h.closed), grouped(h.overdue)});
    s.tables.push_back(std::move(d));
    Table w{"workers", "各网格员", "per grid worker", {"人员编号", "姓名", "分派", "办结", "超期"},
            {false, false, true, true, true}, {}, "无"};
    if (!r.with_names) {
        w.header.erase(w.header.begin() + 1);
        w.numeric.erase(w.numeric.begin() + 1);
    }
    for (const auto& h : a.workers) {
        std::vector<std::string> row{h.key, or_dash(h.name), grouped(h.assigned), grouped(h.closed), grouped(h.overdue)};
        if (!r.with_names) row.erase(row.begin() + 1);
        w.rows.push_back(std::move(row));
    }
    s.tables.push_back(std::move(w));
    Table o{"overdue", "超期未办结事件", "overdue open events",
            {"事件编号", "类型", "网格", "上报时间", "状态", "部门", "人员", "已开天数"},
            {false, false, false, false, false, false, false, true}, {}, "无"};
    for (const auto& x : a.overdue_events)
        o.rows.push_back({x.event_id, x.type_code, or_dash(x.grid_code), x.reported_at, x.status, or_dash(x.department),
                          or_dash(x.staff_id), fixed(x.days_open, 1)});
    s.tables.push_back(std::move(o));
    return s;
}

Section changes(const Report& r) {
    Section s{"changes", "变更", "Changes", {}, {}, {}};
    s.facts.push_back({"自", "since", or_dash(r.changes_since)});
    s.facts.push_back({"变更", "changes", grouped(static_cast<std::int64_t>(r.changes.size()))});
    Table t{"changes", "网格变更", "grid changes", {"日期", "网格编码", "变更", "说明"}, {false, false, false, false}, {},
            "无变更"};
    for (const auto& c : r.changes) t.rows.push_back({c.date, c.code, change_kind_zh(c.kind), c.detail});
    s.tables.push_back(std::move(t));
    return s;
}

}  // namespace

std::string report_title(const Report& r) {
    return fmt::format("{} 网格化服务管理报告", r.name.empty() ? r.code : r.name);
}

std::string report_subtitle(const Report& r) {
    std::string parents = joined({r.county_name, r.township_name}, " ");
    if (r.county_name.empty() || r.township_name.empty()) parents = r.county_name + r.township_name;
    std::string s = fmt::format("{} {}", level_zh(r.level), r.code);
    if (!parents.empty()) s += " · " + parents;
    s += " · 事件 " + period(r);
    return s;
}

std::vector<Section> build_sections(const Report& r) {
    std::vector<Section> v;
    v.push_back(summary(r));
    v.push_back(coverage(r));
    v.push_back(size(r));
    v.push_back(staffing(r));
    v.push_back(events(r));
    v.push_back(assessment(r));
    v.push_back(changes(r));
    return v;
}

}  // namespace wangge::report::detail
