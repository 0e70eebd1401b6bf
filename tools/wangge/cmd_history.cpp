// wangge history [--village|--township|--county CODE] | history show VERSION | rollback VERSION
#include "cli.hpp"

#include <wangge/error.hpp>
#include <wangge/history.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>

#include <memory>

namespace wangge::cli {

namespace {

std::string who_and_what(const HistoryEntry& e) {
    std::string s;
    if (!e.author.empty()) s += " by " + e.author;
    if (!e.message.empty()) s += ": " + e.message;
    return s;
}

}  // namespace

void add_history(CLI::App& app, Registry& reg) {
    auto village = std::make_shared<std::string>();
    auto township = std::make_shared<std::string>();
    auto county = std::make_shared<std::string>();
    auto* h = app.add_subcommand(
        "history", "The versions of the grids: every partition run, edit import (import edits) and rollback, with "
                   "time, author, message and what it changed. 'history show VERSION' lists one grid by grid");
    h->add_option("--village", *village, "Only versions that changed grids of this 12-digit village");
    h->add_option("--township", *township, "... of this 9-digit township/street");
    h->add_option("--county", *county, "... of this 6-digit county");
    h->callback([&reg, h, village, township, county] {
        if (!h->get_subcommands().empty()) return;
        *reg.action = [&reg, village, township, county] {
            int given = !village->empty() + !township->empty() + !county->empty();
            if (given > 1) throw usage_error("give one of --village, --township, --county");
            const std::string prefix = !village->empty() ? *village : !township->empty() ? *township : *county;
            Store store(reg.globals.db, Store::Mode::read_only);
            const auto all = grid_history_of(store, prefix);
            if (all.empty()) {
                fmt::print("no versions{} (wangge partition makes the first)\n",
                           prefix.empty() ? "" : " changed grids under " + prefix);
                return ok;
            }
            fmt::print("{:>7}  {:<19}  {:<9}  {:>8}  {:>5}  {:>5}  {:>7}  {}\n", "version", "at (UTC)", "kind", "villages",
                       "grids", "new", "retired", "by, message");
            for (const auto& e : all)
                fmt::print("{:>7}  {:<19}  {:<9}  {:>8}  {:>5}  {:>5}  {:>7} {}\n", e.version, e.at.substr(0, 19), e.kind,
                           e.villages, e.grids, e.added, e.retired, who_and_what(e));
            return ok;
        };
    });

    auto version = std::make_shared<std::int64_t>(0);
    auto* show = h->add_subcommand("show", "One version grid by grid: what became of each code, the grid versions "
                                           "it wrote and closed");
    show->add_option("VERSION", *version, "Version number (wangge history lists them)")->required();
    show->callback([&reg, version] {
        *reg.action = [&reg, version] {
            Store store(reg.globals.db, Store::Mode::read_only);
            const auto d = history_version(store, *version);
            const auto& e = d.entry;
            fmt::print("version     {}\nat          {} (UTC)\nkind        {}\n", e.version, e.at, e.kind);
            if (!e.author.empty()) fmt::print("author      {}\n", e.author);
            if (!e.message.empty()) fmt::print("message     {}\n", e.message);
            if (!e.file.empty()) fmt::print("file        {}\n", e.file);
            fmt::print("scope       {}\nsettings    {}\n", e.scope, e.settings);
            fmt::print("changes     {} codes\n", d.changes.size());
            for (const auto& c : d.changes)
                fmt::print("  {:<9} {}{}\n", c.kind, c.code, c.detail.empty() ? "" : "  " + c.detail);
            fmt::print("written     {} grid versions\n", d.written.size());
            for (const auto& g : d.written)
                fmt::print("  {}  {:<9} {:>6} households  {:>10.0f} m²\n", g.code, g.lineage, g.households, g.area_m2);
            fmt::print("closed      {} grid versions\n", d.closed.size());
            for (const auto& g : d.closed)
                fmt::print("  {}  {:<9} {:>6} households  {:>10.0f} m²\n", g.code, g.lineage, g.households, g.area_m2);
            return ok;
        };
    });

    auto ropt = std::make_shared<RollbackOptions>();
    auto* rb = app.add_subcommand(
        "rollback", "Undo a version: a new version that restores the grids of the villages it changed as they stood "
                    "before it (codes it retired come back; codes it gave are retired). History is never rewritten");
    rb->add_option("VERSION", ropt->version, "The version to undo (wangge history lists them)")->required();
    rb->add_option("--author", ropt->author, "Who rolls back, for the history (default: the system user)");
    rb->add_option("--message", ropt->message, "Why, for the history");
    rb->add_flag("--dry-run", ropt->dry_run, "Print what would be restored and retired; write nothing");
    rb->add_flag("--force", ropt->force, "Also when later versions changed the same villages (undone there too)");
    auto rtiles = std::make_shared<std::string>();
    rb->add_option("--tiles", *rtiles, "Afterwards, bring this archive up to date (wangge tiles update)")
        ->check(CLI::ExistingFile);
    rb->callback([&reg, ropt, rtiles] {
        *reg.action = [&reg, ropt, rtiles] {
            Store store(reg.globals.db, Store::Mode::must_exist);
            const auto r = rollback_version(store, *ropt);
            if (r.run_id && !rtiles->empty() && reg.globals.quiet) update_archive(reg, store, *rtiles);
            if (reg.globals.quiet) return ok;
            for (const auto& l : r.later) fmt::print(stderr, "warning: {}\n", l);
            for (const auto& c : r.changes) fmt::print("  {:<9} {}  {}\n", c.kind, c.code, c.detail);
            if (ropt->dry_run)
                fmt::print("dry run: version {} would be undone in {} villages: {} grids restored, {} retired, {} "
                           "unchanged; nothing written\n",
                           ropt->version, r.villages.size(), r.restored, r.retired, r.unchanged);
            else if (r.run_id)
                fmt::print("rolled back version {} as version {}: {} villages, {} grids restored, {} retired, {} "
                           "unchanged; {} events moved to another grid\n",
                           ropt->version, r.run_id, r.villages.size(), r.restored, r.retired, r.unchanged,
                           r.events_reassigned);
            else
                fmt::print("nothing to roll back: the grids of version {}'s villages are as they were before it\n",
                           ropt->version);
            if (r.run_id && !rtiles->empty()) update_archive(reg, store, *rtiles);
            return ok;
        };
    });
}

}  // namespace wangge::cli
