// The versions of the grids, and rollback: see wangge/history.hpp.
#include "wangge/history.hpp"

#include "store/grids_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"
#include "wangge/error.hpp"
#include "wangge/events.hpp"
#include "wangge/store.hpp"
#include "wangge/testpoint.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <set>

namespace wangge {

namespace {

HistoryEntry entry_of(const repo::RunRow& r) {
    HistoryEntry e;
    e.version = r.info.id;
    e.at = r.info.started_at;
    e.kind = r.info.kind;
    e.author = r.info.author;
    e.message = r.info.message;
    e.scope = r.info.scope;
    e.file = r.info.source_file;
    e.settings = r.settings;
    e.villages = r.villages;
    e.grids = r.grids;
    e.kept = r.kept;
    e.added = r.added;
    e.retired = r.retired;
    return e;
}

}  // namespace

std::vector<HistoryEntry> grid_history_of(Store& store, const std::string& prefix) {
    check_code_prefix(prefix);
    std::vector<HistoryEntry> out;
    for (const auto& r : repo::runs_touching(store, prefix)) out.push_back(entry_of(r));
    return out;
}

VersionDetail history_version(Store& store, std::int64_t version) {
    VersionDetail d;
    bool found = false;
    for (const auto& r : repo::runs_touching(store, ""))
        if (r.info.id == version) {
            d.entry = entry_of(r);
            found = true;
        }
    if (!found) throw input_error(fmt::format("there is no version {} (wangge history lists them)", version));
    for (const auto& l : repo::lineage_of_run(store, version)) {
        CodeChange c;
        c.code = l.old_code.empty() ? l.new_code : l.old_code;
        c.kind = l.kind;
        if (!l.new_code.empty() && l.new_code != l.old_code)
            c.detail = fmt::format("-> {} ({:.0f} m²)", l.new_code, l.shared_m2);
        else if (l.shared_m2 > 0)
            c.detail = fmt::format("({:.0f} m² kept)", l.shared_m2);
        d.changes.push_back(std::move(c));
    }
    for (const auto& v : repo::versions_made_by(store, version))
        d.written.push_back({v.row.code, v.row.lineage, v.row.households, v.row.area_m2});
    for (const auto& v : repo::versions_closed_by(store, version))
        d.closed.push_back({v.row.code, v.row.lineage, v.row.households, v.row.area_m2});
    return d;
}

RollbackReport rollback_version(Store& store, const RollbackOptions& opt) {
    RollbackReport rep;
    std::optional<Store::Transaction> tx;
    if (!opt.dry_run) tx.emplace(store);
    const auto run = repo::run_info(store, opt.version);
    if (!run) throw input_error(fmt::format("there is no version {} (wangge history lists them)", opt.version));
    rep.villages = repo::villages_changed_by(store, opt.version);
    if (rep.villages.empty())
        throw input_error(fmt::format("version {} changed no grid: nothing to roll back", opt.version));
    for (const auto& v : rep.villages)
        for (const auto later : repo::later_runs(store, v, opt.version)) {
            const auto r = repo::run_info(store, later);
            rep.later.push_back(fmt::format("version {} ({}, {}) changed village {} too", later, r ? r->kind : "?",
                                            r ? r->started_at : "?", v));
        }
    if (!rep.later.empty() && !opt.force) {
        std::string list;
        for (const auto& l : rep.later) list += (list.empty() ? "" : "; ") + l;
        throw input_error(fmt::format("version {} is not the last to change its villages: {}; rolling it back would "
                                      "undo those there too (--force does it, or roll back the later versions first)",
                                      opt.version, list));
    }

    struct Plan {
        std::vector<repo::VersionRow> restore;  // rows to copy as new versions
        std::vector<repo::VersionRow> close;    // current rows to close (replaced or retired)
        std::set<std::string> retire, reactivate;
        std::vector<unsigned char> outline;
    };
    std::vector<Plan> plans;
    for (const auto& v : rep.villages) {
        Plan p;
        std::map<std::string, repo::VersionRow> target, now;
        for (auto& r : repo::versions_before(store, v, opt.version)) target.emplace(r.row.code, std::move(r));
        for (auto& r : repo::current_versions(store, v)) now.emplace(r.row.code, std::move(r));
        for (auto& [code, t] : target) {
            const auto it = now.find(code);
            if (it != now.end() && it->second.row_id == t.row_id) {
                ++rep.unchanged;
                continue;
            }
            if (it != now.end()) p.close.push_back(it->second);
            else p.reactivate.insert(code);
            rep.changes.push_back({code, "restored", it != now.end() ? "shape and households as before" : "back from retired"});
            ++rep.restored;
            p.restore.push_back(t);
        }
        for (auto& [code, n] : now)
            if (!target.count(code)) {
                p.close.push_back(n);
                p.retire.insert(code);
                rep.changes.push_back({code, "retired", fmt::format("made by version {}", n.row.run_id)});
                ++rep.retired;
            }
        repo::JurisdictionFilter f;
        f.level = "village";
        f.prefix = v;
        repo::for_each_jurisdiction(store, f, [&](const repo::JurisdictionRow& r) {
            if (r.code == v) p.outline = r.wkb;
        });
        plans.push_back(std::move(p));
    }
    if (opt.dry_run || (rep.restored == 0 && rep.retired == 0)) return rep;

    const std::string now = repo::now_timestamp(store);
    repo::PartitionRunRow r;
    r.kind = "rollback";
    r.started_at = now;
    {
        std::string scope;
        for (const auto& v : rep.villages) scope += (scope.empty() ? "" : ", ") + v;
        r.scope = scope;
    }
    r.settings = fmt::format("rollback_of={}{}", opt.version, rep.later.empty() ? "" : " forced");
    r.villages = static_cast<std::int64_t>(rep.villages.size());
    r.kept = rep.unchanged;
    r.added = rep.restored;
    r.retired = rep.retired;
    r.author = opt.author.empty() ? (std::getenv("USER") ? std::getenv("USER") : "") : opt.author;
    r.message = opt.message.empty() ? fmt::format("rollback of version {}", opt.version) : opt.message;
    rep.run_id = repo::insert_partition_run(store, r);
    repo::GridWriter writer(store);
    std::vector<std::vector<unsigned char>> areas;
    for (auto& p : plans) {
        for (const auto& c : p.close) writer.close_version(c.row_id, now, rep.run_id);
        for (const auto& code : p.retire) {
            writer.retire_serial(code, now);
            writer.add_lineage(rep.run_id, code, "", "retired", 0);
        }
        for (auto& t : p.restore) {
            repo::GridVersionRow row = t.row;
            row.valid_from = now;
            row.run_id = rep.run_id;
            writer.insert_version(row);
            if (p.reactivate.count(row.code)) repo::reactivate_serial(store, row.code);
            writer.add_lineage(rep.run_id, row.code, row.code, "restored", row.area_m2);
        }
        areas.push_back(p.outline);
    }
    pause_point("rollback:written");
    rep.events_reassigned = reassign_events_within(store, areas).changed;
    tx->commit();
    return rep;
}

}  // namespace wangge
