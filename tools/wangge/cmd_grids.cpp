// wangge grids list | grids show CODE
#include "cli.hpp"

#include <wangge/error.hpp>
#include <wangge/grids.hpp>
#include <wangge/staff.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <memory>
#include <vector>

namespace wangge::cli {

namespace {

/// The current staff of a grid per role: how many, and their staff ids (with the
/// names when asked; a phone number is never printed, and no reader returns one).
void print_staff(const std::vector<StaffMember>& staff, const std::string& code, bool with_names) {
    static const std::pair<const char*, const char*> roles[] = {
        {"leader", "网格长 leader"}, {"worker", "网格员 worker"}, {"instructor", "网格指导员 instructor"}};
    std::map<std::string, std::vector<std::string>> people;
    for (const auto& m : staff) {
        if (m.grid_code != code) continue;
        std::string who = m.staff_id;
        if (with_names) who += " " + m.name;
        if (!m.employment.empty()) who += m.employment == "full" ? " (专职 full-time)" : " (兼职 part-time)";
        people[m.role].push_back(std::move(who));
    }
    if (people.empty()) {
        fmt::print("staff       none (wangge import staff FILE)\n");
        return;
    }
    bool first = true;
    for (const auto& [role, label] : roles) {
        const auto it = people.find(role);
        const std::size_t n = it == people.end() ? 0 : it->second.size();
        fmt::print("{}{:<24} {}{}{}\n", first ? "staff       " : "            ", label, n, n ? ": " : "",
                   n ? fmt::format("{}", fmt::join(it->second, ", ")) : std::string());
        first = false;
    }
}

}  // namespace

void add_grids(CLI::App& app, Registry& reg) {
    auto* grids = app.add_subcommand("grids", "Browse the grids in the store");
    grids->require_subcommand(1);

    auto village = std::make_shared<std::string>();
    auto township = std::make_shared<std::string>();
    auto county = std::make_shared<std::string>();
    auto* list = grids->add_subcommand("list", "List the current grids of a village, township or county");
    list->add_option("--village", *village, "12-digit village/community code");
    list->add_option("--township", *township, "9-digit township/street code");
    list->add_option("--county", *county, "6-digit county code");
    auto at = std::make_shared<std::string>();
    list->add_option("--at", *at, "As they stood at this time (UTC: 2026-12-02 = the end of that day, "
                                  "2026-12-02 10:00), from the history (wangge history)");
    list->callback([&reg, village, township, county, at] {
        *reg.action = [&reg, village, township, county, at] {
            const std::string prefix = !village->empty() ? *village : !township->empty() ? *township : *county;
            if (prefix.empty()) throw usage_error("give --village, --township or --county");
            const std::string when = at->empty() ? std::string() : normalise_time_at(*at);
            Store store(reg.globals.db, Store::Mode::read_only);
            const auto rows = list_grids(store, prefix, false, when);
            if (rows.empty())
                throw input_error(when.empty() ? fmt::format("no grids under {} (run wangge partition first)", prefix)
                                               : fmt::format("no grids under {} at {}", prefix, when));
            fmt::print("{:<15}  {:<9}  {:>10}  {:>9}  {:>7}  {:<16}  {}\n", "code", "type", "households", "area_km2",
                       "compact", "beidou", "village");
            std::int64_t hh = 0;
            for (const auto& r : rows) {
                fmt::print("{:<15}  {:<9}  {:>10}  {:>9.3f}  {:>7.3f}  {:<16}  {}{}\n", r.code, r.type, r.households,
                           r.area_m2 / 1e6, r.compactness, r.beidou, r.village_name,
                           r.name.empty() ? "" : " · " + r.name);
                hh += r.households;
            }
            fmt::print("{} grids, {} households\n", rows.size(), hh);
            return ok;
        };
    });

    auto code = std::make_shared<std::string>();
    auto* show = grids->add_subcommand("show", "Show one grid: where it is, its figures, its versions and lineage");
    auto with_names = std::make_shared<bool>(false);
    show->add_option("CODE", *code, "15-digit grid code")->required();
    show->add_flag("--with-names", *with_names,
                   "List the staff with their names (by default staff ids only; phone numbers are never shown)");
    show->callback([&reg, code, with_names] {
        *reg.action = [&reg, code, with_names] {
            if (!parse_grid_code(*code)) throw usage_error(fmt::format("'{}' is not a 15-digit grid code", *code));
            Store store(reg.globals.db, Store::Mode::read_only);
            const auto versions = grid_history(store, *code);
            if (versions.empty()) throw input_error(fmt::format("grid {} is not in the store", *code));
            const auto& g = versions.front();
            fmt::print("grid        {} ({}{})\n", g.code, g.type == "base" ? "基础网格 base" : "专属网格 dedicated",
                       g.name.empty() ? "" : ": " + g.name);
            fmt::print("status      {}\n", g.valid_to.empty() ? "current since " + g.valid_from
                                                              : "retired on " + g.valid_to);
            fmt::print("village     {} {}\n", g.village_code, g.village_name);
            fmt::print("township    {} {}\n", g.township_code, g.township_name);
            fmt::print("county      {} {}\n", g.county_code, g.county_name);
            fmt::print("households  {}\n", g.households);
            fmt::print("area        {:.0f} m² ({:.3f} km²)\n", g.area_m2, g.area_m2 / 1e6);
            fmt::print("compactness {:.3f} (Polsby-Popper)\n", g.compactness);
            fmt::print("label point {:.7f} {:.7f}\n", g.label_lon, g.label_lat);
            fmt::print("beidou      {}\n", g.beidou);
            fmt::print("versions    {}\n", versions.size());
            for (const auto& v : versions)
                fmt::print("  {} .. {}  {}  {} households\n", v.valid_from, v.valid_to.empty() ? "now" : v.valid_to,
                           v.lineage, v.households);
            for (const auto& l : grid_lineage(store, *code)) fmt::print("lineage     {}\n", l.detail);
            print_staff(current_staff(store, *code), *code, *with_names);
            return ok;
        };
    });
}

} // namespace wangge::cli
