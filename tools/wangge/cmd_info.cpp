// wangge info
#include "cli.hpp"

#include <wangge/jurisdictions.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>

namespace wangge::cli {

void add_info(CLI::App& app, Registry& reg) {
    auto* info = app.add_subcommand("info", "Summarise the store: schema version, jurisdictions per level, extent, "
                                            "code table");
    info->callback([&reg] {
        *reg.action = [&reg] {
            Store store(reg.globals.db, Store::Mode::read_only);
            const StoreInfo i = store_info(store);
            fmt::print("store           {}\n", i.path);
            fmt::print("schema version  {} (latest {})\n", i.schema_version, i.latest_schema_version);
            fmt::print("code table      {} codes{}\n", i.code_table_entries,
                       i.code_table_source.empty() ? "" : " from " + i.code_table_source);
            fmt::print("import runs     {}\n", i.import_runs);
            fmt::print("jurisdictions   ");
            std::int64_t total = 0;
            for (const auto& l : i.jurisdictions) {
                fmt::print("{} {}  ", l.count, l.level == "county" ? "counties" : l.level == "township" ? "townships" : "villages");
                total += l.count;
            }
            fmt::print("({} in all)\n", total);
            fmt::print("households      {} points, {} households\n", i.household_points, i.households);
            fmt::print("barriers        {} lines\n", i.barriers);
            fmt::print("grids           {} current ({} dedicated), {} codes retired, {} versions (wangge history)\n", i.grids,
                       i.dedicated_grids, i.retired_codes, i.partition_runs);
            fmt::print("events          {} ({} in no grid); {} event types\n", i.events, i.events_uncovered,
                       i.event_types);
            fmt::print("networks        {} (wangge networks list)\n", i.networks);
            if (i.extent)
                fmt::print("extent          {:.6f} {:.6f} {:.6f} {:.6f} (lon/lat, EPSG:4490)\n", (*i.extent)[0],
                           (*i.extent)[1], (*i.extent)[2], (*i.extent)[3]);
            else
                fmt::print("extent          (empty)\n");
            return ok;
        };
    });
}

} // namespace wangge::cli
