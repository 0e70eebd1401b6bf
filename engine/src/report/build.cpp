// build_report: the figures of an area's report, read from the store once.
//
// Coverage is checked level by level inside the area: the townships of a county
// against it, the villages of each township against the township, the grids of
// each village against the village (validate_coverage). Sizes use the band of the
// newest partition run's policy (or the default one), as the partition gave it to
// each village (size_rule). Events are those reported in the period whose grid is
// in the area, and uncovered ones whose nearest grid is: an event outside every
// grid still belongs to the township that has to answer for it.
#include "wangge/report.hpp"

#include "wangge/error.hpp"
#include "wangge/events.hpp"
#include "wangge/grids.hpp"
#include "wangge/partition.hpp"
#include "wangge/staff.hpp"
#include "wangge/store.hpp"

#include "geometry/geos.hpp"
#include "report/time.hpp"
#include "store/grids_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace wangge::report {

namespace {

std::string level_of_code(const std::string& code) {
    switch (code.size()) {
        case 6: return "county";
        case 9: return "township";
        case 12: return "village";
        default: return "";
    }
}

/// The policy of the newest partition run, from its settings text; the default
/// policy when there was none or the text is not understood.
SizePolicy policy_of(Store& store) {
    SizePolicy p;
    const auto settings = repo::latest_partition_settings(store);
    if (!settings) return p;
    int umin = 0, umax = 0, rmin = 0, rmax = 0, target = 0;
    double ua = 0, ra = 0;
    if (std::sscanf(settings->c_str(), "urban=%d-%d rural=%d-%d target_grids=%d area_km2=%lf/%lf", &umin, &umax,
                    &rmin, &rmax, &target, &ua, &ra) == 7) {
        p.urban_min = umin;
        p.urban_max = umax;
        p.rural_min = rmin;
        p.rural_max = rmax;
        p.target_grids = target;
        p.urban_area_km2 = ua;
        p.rural_area_km2 = ra;
    }
    return p;
}

double percentile(std::vector<double> v, double q) {
    // nearest rank: the smallest value with at least q of the values at or below it
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

void add_findings(Report& r, const validate::Result& res) {
    for (const auto& f : res.findings) r.findings.push_back(f);
}

struct Jurisdiction {
    std::string code, name;
    std::vector<unsigned char> wkb;
};

std::vector<Jurisdiction> children_of(Store& store, const std::string& level, const std::string& prefix) {
    std::vector<Jurisdiction> out;
    repo::JurisdictionFilter f;
    f.level = level;
    f.prefix = prefix;
    repo::for_each_jurisdiction(store, f, [&](const repo::JurisdictionRow& j) { out.push_back({j.code, j.name, j.wkb}); });
    return out;
}

}  // namespace

std::string township_code_by_name(Store& store, const std::string& name, const std::string& county) {
    repo::JurisdictionFilter f;
    f.level = "township";
    f.prefix = county;
    std::vector<std::string> found;
    repo::for_each_jurisdiction(store, f, [&](const repo::JurisdictionRow& j) {
        if (j.name == name) found.push_back(j.code);
    });
    if (found.size() == 1) return found.front();
    if (found.empty())
        throw usage_error(fmt::format("no township or street named '{}'{} in the store", name,
                                      county.empty() ? std::string() : " in county " + county));
    std::vector<std::string> codes = found;
    for (auto& c : codes) c.resize(6);
    const auto names = repo::jurisdiction_names(store, codes);
    std::vector<std::string> listed;
    for (const auto& c : found) {
        auto it = names.find(c.substr(0, 6));
        listed.push_back(fmt::format("{} ({})", c, it == names.end() ? c.substr(0, 6) : it->second));
    }
    throw usage_error(fmt::format("{} townships are named '{}': {}; give --township CODE (or --county to choose)",
                                  found.size(), name, fmt::join(listed, ", ")));
}

Report build_report(Store& store, const ReportOptions& options) {
    Report r;
    const std::string& code = options.code;
    if (code.empty() || code.find_first_not_of("0123456789") != std::string::npos || level_of_code(code).empty())
        throw usage_error(fmt::format("'{}' is not a county (6 digits), township (9) or village (12) code", code));
    r.level = options.level.empty() ? level_of_code(code) : options.level;
    if (r.level != level_of_code(code))
        throw usage_error(fmt::format("{} is a {} code, not a {} code", code, level_of_code(code), r.level));
    r.code = code;

    // the area itself
    auto outline = repo::jurisdiction_wkb(store, code);
    if (!outline)
        throw input_error(fmt::format("{} {} is not in the store: import its outline first (wangge info lists what "
                                      "the store holds)",
                                      r.level, code));
    r.outline = std::move(*outline);
    {
        std::vector<std::string> codes{code};
        if (code.size() > 6) codes.push_back(code.substr(0, 6));
        if (code.size() > 9) codes.push_back(code.substr(0, 9));
        const auto names = repo::jurisdiction_names(store, codes);
        auto name_of = [&](const std::string& c) {
            auto it = names.find(c);
            return it == names.end() ? std::string() : it->second;
        };
        r.name = name_of(code);
        if (code.size() > 6) r.county_name = name_of(code.substr(0, 6));
        if (code.size() > 9) r.township_name = name_of(code.substr(0, 9));
    }

    const std::string now = repo::now_timestamp(store);
    r.generated_at = now;
    r.from = options.from;
    r.to = options.to;
    r.as_of = options.as_of.empty() ? now : options.as_of;
    r.wangge_version = WANGGE_VERSION;
    r.with_names = options.with_names;
    const auto as_of_s = seconds_of(r.as_of);
    if (!as_of_s) throw usage_error(fmt::format("--as-of: '{}' is not a UTC time YYYY-MM-DDTHH:MM:SSZ", r.as_of));
    if (!options.changes_since.empty())
        r.changes_since = options.changes_since;
    else if (!options.from.empty())
        r.changes_since = options.from;
    else
        r.changes_since = timestamp_of(*as_of_s - 365 * 86400);

    auto& g = geos::Context::local();
    const auto& tol = options.tolerances;

    // --- coverage, level by level
    std::vector<Jurisdiction> villages;
    if (r.level == "village") {
        villages.push_back({code, r.name, r.outline});
    } else {
        villages = children_of(store, "village", code);
    }
    if (r.level == "county") {
        const auto townships = children_of(store, "township", code);
        r.summary.townships = static_cast<int>(townships.size());
        std::vector<validate::Item> items;
        for (const auto& t : townships) items.push_back({t.code, t.wkb});
        add_findings(r, validate::validate_coverage(validate::Item{code, r.outline}, items, tol));
        for (const auto& t : townships) {
            std::vector<validate::Item> vs;
            for (const auto& v : villages)
                if (v.code.compare(0, 9, t.code) == 0) vs.push_back({v.code, v.wkb});
            add_findings(r, validate::validate_coverage(validate::Item{t.code, t.wkb}, vs, tol));
        }
    } else if (r.level == "township") {
        r.summary.townships = 1;
        std::vector<validate::Item> vs;
        for (const auto& v : villages) vs.push_back({v.code, v.wkb});
        add_findings(r, validate::validate_coverage(validate::Item{code, r.outline}, vs, tol));
    }

    const auto grid_rows = list_grids(store, code, true);
    std::map<std::string, std::vector<const GridRow*>> grids_of_village;
    for (const auto& gr : grid_rows) grids_of_village[gr.village_code].push_back(&gr);

    const SizePolicy policy = policy_of(store);
    r.band_min = policy.rural_min;
    r.band_max = policy.rural_max;
    std::map<std::string, std::size_t> grid_index;  // code -> r.grids
    for (const auto& v : villages) {
        VillageFigures vf;
        vf.code = v.code;
        vf.name = v.name;
        vf.urban = is_urban_community(v.code, v.name);
        vf.wkb = v.wkb;
        const auto& gs = grids_of_village[v.code];
        std::vector<validate::Item> items;
        for (const auto* gr : gs) items.push_back({gr->code, gr->wkb});
        const auto res = validate::validate_coverage(validate::Item{v.code, v.wkb}, items, tol);
        add_findings(r, res);
        vf.area_m2 = res.parent_area_m2 > 0 ? res.parent_area_m2 : outline_area_m2(g, v.wkb);
        vf.covered_m2 = res.covered_m2;
        vf.grids = static_cast<int>(gs.size());

        std::int64_t base_households = 0;
        int base_grids = 0;
        for (const auto* gr : gs) {
            vf.households += gr->households;
            if (gr->type == "base") {
                base_households += gr->households;
                ++base_grids;
            }
        }
        const bool by_area = base_households == 0;
        double weight = 0;
        if (by_area) {
            for (const auto* gr : gs)
                if (gr->type == "base") weight += gr->area_m2;
        } else {
            weight = static_cast<double>(base_households);
        }
        const SizeRule rule = size_rule(policy, vf.urban, by_area, weight);
        for (const auto* gr : gs) {
            GridFigures gf;
            gf.code = gr->code;
            gf.name = gr->name;
            gf.village_code = gr->village_code;
            gf.type = gr->type;
            gf.households = gr->households;
            gf.area_m2 = gr->area_m2;
            gf.by_area = by_area;
            gf.band_min = static_cast<int>(std::lround(rule.band_min));
            gf.band_max = static_cast<int>(std::lround(rule.band_max));
            gf.wkb = gr->wkb;
            if (gr->type == "base" && base_grids > 0) {
                const double size = by_area ? gr->area_m2 : static_cast<double>(gr->households);
                if (size > rule.band_max) {
                    gf.in_band = false;
                    r.oversized.push_back(gr->code);
                } else if (size < rule.band_min) {
                    gf.in_band = false;
                    r.undersized.push_back(gr->code);
                }
            }
            grid_index[gf.code] = r.grids.size();
            r.grids.push_back(std::move(gf));
        }
        r.summary.villages += 1;
        r.summary.grids += vf.grids;
        r.summary.households += vf.households;
        r.summary.area_m2 += vf.area_m2;
        r.summary.covered_m2 += vf.covered_m2;
        if (vf.grids == 0) ++r.summary.villages_without_grids;
        r.villages.push_back(std::move(vf));
    }
    r.summary.coverage_ratio = r.summary.area_m2 > 0 ? std::min(1.0, r.summary.covered_m2 / r.summary.area_m2) : 0;

    std::sort(r.findings.begin(), r.findings.end(), [](const validate::Finding& a, const validate::Finding& b) {
        if (a.kind != b.kind) return a.kind < b.kind;
        return a.codes < b.codes;
    });
    for (const auto& f : r.findings) {
        for (const auto& c : f.codes) {
            auto it = grid_index.find(c);
            if (it == grid_index.end()) continue;
            auto& kinds = r.grids[it->second].findings;
            const std::string k(validate::to_string(f.kind));
            if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
        }
    }

    // --- staffing
    std::map<std::string, std::string> staff_names;  // staff id -> name (with_names only)
    for (const auto& m : current_staff(store, code)) {
        if (options.with_names) staff_names[m.staff_id] = m.name;
        auto it = grid_index.find(m.grid_code);
        if (it == grid_index.end()) continue;
        auto& gf = r.grids[it->second];
        if (m.role == "leader") {
            ++gf.leaders;
            ++r.staffing.leaders;
            if (options.with_names) gf.leader_names.push_back(m.name);
        } else if (m.role == "worker") {
            ++gf.workers;
            ++r.staffing.workers;
        } else if (m.role == "instructor") {
            ++gf.instructors;
            ++r.staffing.instructors;
        }
    }
    for (const auto& gf : r.grids) {
        if (gf.leaders == 0) r.staffing.without_leader.push_back(gf.code);
        if (gf.workers == 0) r.staffing.without_worker.push_back(gf.code);
        if (gf.leaders > 1) r.staffing.two_leaders.push_back(gf.code);
    }
    r.staffing.workers_per_1000 =
        r.summary.households > 0 ? 1000.0 * static_cast<double>(r.staffing.workers) / static_cast<double>(r.summary.households) : 0;

    // --- events and their handling
    std::map<std::string, std::string> type_names;
    for (const auto& t : list_event_types(store)) type_names[t.code] = t.name;
    std::map<std::string, Count> by_platform, by_type;
    std::map<std::string, Handler> departments, workers;
    std::vector<double> hours_to_close;
    auto& a = r.assessment;
    const double overdue_s = options.overdue_days * 86400.0;
    for_each_event_fact(store, code, options.from, options.to, [&](const EventFact& e) {
        auto& ev = r.events;
        ++ev.total;
        const std::string pkey = e.platform_code.empty() ? std::string("-") : e.platform_code;
        auto& pc = by_platform[pkey];
        pc.key = pkey;
        pc.name = e.platform.empty() ? std::string("(unknown type)") : e.platform;
        ++pc.events;
        auto& tc = by_type[e.type_code];
        tc.key = e.type_code;
        if (auto it = type_names.find(e.type_code); it != type_names.end()) tc.name = it->second;
        ++tc.events;
        if (e.uncovered) {
            ++ev.uncovered;
            ev.uncovered_events.push_back({e.event_id, e.type_code, e.reported_at, e.lon, e.lat, e.nearest_grid,
                                           e.nearest_m});
        } else {
            ++ev.assigned;
            if (auto it = grid_index.find(e.grid_code); it != grid_index.end()) ++r.grids[it->second].events;
        }

        // assessment: only events whose handling is on record
        if (e.status.empty()) return;
        ++a.events;
        const bool closed = e.status == "closed";
        const auto reported = seconds_of(e.reported_at);
        bool overdue = false;
        if (closed) {
            ++a.closed;
            if (e.closed_level == "grid")
                ++a.closed_in_grid;
            else if (e.closed_level == "village" || e.closed_level == "township")
                ++a.closed_in_township;
            else if (e.closed_level == "county" || e.closed_level == "department")
                ++a.passed_up;
            const auto closed_s = seconds_of(e.closed_at);
            if (reported && closed_s && *closed_s >= *reported)
                hours_to_close.push_back(static_cast<double>(*closed_s - *reported) / 3600.0);
        } else {
            ++a.open;
            if (reported && static_cast<double>(*as_of_s - *reported) > overdue_s) {
                overdue = true;
                ++a.overdue;
                a.overdue_events.push_back({e.event_id, e.type_code, e.uncovered ? e.nearest_grid : e.grid_code,
                                            e.reported_at, e.status, e.department, e.handler,
                                            static_cast<double>(*as_of_s - *reported) / 86400.0});
            }
        }
        auto tally = [&](std::map<std::string, Handler>& m, const std::string& key) {
            if (key.empty()) return;
            auto& h = m[key];
            h.key = key;
            ++h.assigned;
            if (closed) ++h.closed;
            if (overdue) ++h.overdue;
        };
        tally(departments, e.department);
        tally(workers, e.handler);
    });

    auto by_events = [](std::map<std::string, Count>& m) {
        std::vector<Count> v;
        for (auto& [k, c] : m) v.push_back(std::move(c));
        std::stable_sort(v.begin(), v.end(), [](const Count& x, const Count& y) { return x.events > y.events; });
        return v;
    };
    r.events.by_platform = by_events(by_platform);
    r.events.by_type = by_events(by_type);
    for (auto& gf : r.grids)
        gf.events_per_1000 = gf.households > 0 ? 1000.0 * static_cast<double>(gf.events) / static_cast<double>(gf.households) : 0;
    {
        std::vector<HotSpot> hs;
        for (const auto& gf : r.grids)
            if (gf.events > 0) hs.push_back({gf.code, gf.events, gf.events_per_1000});
        std::stable_sort(hs.begin(), hs.end(), [](const HotSpot& x, const HotSpot& y) {
            if (x.events_per_1000 != y.events_per_1000) return x.events_per_1000 > y.events_per_1000;
            return x.events > y.events;
        });
        if (hs.size() > static_cast<std::size_t>(std::max(0, options.hot_spots))) hs.resize(static_cast<std::size_t>(std::max(0, options.hot_spots)));
        r.events.hot_spots = std::move(hs);
    }

    const auto level_known = a.closed_in_grid + a.closed_in_township + a.passed_up;
    if (level_known > 0) {
        a.share_in_grid = static_cast<double>(a.closed_in_grid) / static_cast<double>(level_known);
        a.share_in_township = static_cast<double>(a.closed_in_township) / static_cast<double>(level_known);
        a.share_passed_up = static_cast<double>(a.passed_up) / static_cast<double>(level_known);
    }
    if (!hours_to_close.empty()) {
        a.median_hours = percentile(hours_to_close, 0.5);
        a.p90_hours = percentile(hours_to_close, 0.9);
    }
    std::sort(a.overdue_events.begin(), a.overdue_events.end(),
              [](const OverdueEvent& x, const OverdueEvent& y) { return x.days_open > y.days_open; });
    for (auto& [k, h] : departments) a.departments.push_back(h);
    for (auto& [k, h] : workers) {
        if (options.with_names)
            if (auto it = staff_names.find(k); it != staff_names.end()) h.name = it->second;
        a.workers.push_back(h);
    }

    // --- changes since a date, from the grid lineage
    auto entries = repo::lineage_since(store, code, r.changes_since);
    {
        std::set<std::string> named;  // codes a lineage row speaks of already
        for (const auto& l : entries) named.insert(l.new_code);
        for (auto& l : repo::new_grids_since(store, code, r.changes_since))
            if (!named.count(l.new_code)) entries.push_back(std::move(l));
        std::stable_sort(entries.begin(), entries.end(),
                         [](const repo::LineageEntry& x, const repo::LineageEntry& y) { return x.run_started_at < y.run_started_at; });
    }
    for (const auto& l : entries) {
        if (l.kind == "unchanged") continue;
        Change c;
        c.date = l.run_started_at;
        c.kind = l.kind;
        c.code = l.new_code.empty() ? l.old_code : l.new_code;
        if (l.kind == "retired")
            c.detail = "retired";
        else if (!l.old_code.empty() && l.old_code != l.new_code)
            c.detail = fmt::format("from {}", l.old_code);
        r.changes.push_back(std::move(c));
    }
    return r;
}

}  // namespace wangge::report
