// wangge networks list: other departments' grid systems in the store (wangge import network)
#include "cli.hpp"

#include <wangge/error.hpp>
#include <wangge/networks.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>

namespace wangge::cli {

void add_networks(CLI::App& app, Registry& reg) {
    auto* nets = app.add_subcommand("networks", "Other departments' grid systems (多网合一): list them; "
                                                "import one with 'wangge import network'");
    nets->require_subcommand(1);
    auto* list = nets->add_subcommand("list", "List the networks in the store: current version, grids, area, source");
    list->callback([&reg] {
        *reg.action = [&reg] {
            Store store(reg.globals.db, Store::Mode::read_only);
            const auto all = list_networks(store);
            if (all.empty()) {
                fmt::print("no networks in {} (wangge import network NAME FILE --code-field F)\n", reg.globals.db);
                return ok;
            }
            fmt::print("{:<16}  {:>7}  {:>8}  {:>6}  {:>10}  {:<20}  {}\n", "network", "version", "versions", "grids",
                       "area_km2", "imported_at", "source");
            for (const auto& n : all)
                fmt::print("{:<16}  {:>7}  {:>8}  {:>6}  {:>10.3f}  {:<20}  {} (code field {}{})\n", n.name, n.version,
                           n.versions, n.grids, n.area_m2 / 1e6, n.imported_at, n.source_file, n.code_field,
                           n.name_field.empty() ? "" : ", name field " + n.name_field);
            fmt::print("{} network{}\n", all.size(), all.size() == 1 ? "" : "s");
            return ok;
        };
    });
}

}  // namespace wangge::cli
