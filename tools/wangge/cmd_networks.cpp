// wangge networks list | networks crosswalk NAME: other departments' grid systems in the
// store (wangge import network), and how each maps to the unified grids
#include "cli.hpp"

#include <wangge/error.hpp>
#include <wangge/networks.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>

#include <memory>

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

    auto opt = std::make_shared<CrosswalkOptions>();
    auto township = std::make_shared<std::string>();
    auto county = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto overwrite = std::make_shared<bool>(false);
    auto* cw = nets->add_subcommand(
        "crosswalk", "For each grid of a network, the unified grids it overlaps (shared area, share of each), the "
                     "best match and a class: same, contained, contains, split, straddles-village, "
                     "straddles-township, unmatched");
    cw->add_option("NAME", opt->network, "The network (wangge networks list)")->required();
    cw->add_option("--township", *township, "Only the unified grids of this 9-digit township/street code");
    cw->add_option("--county", *county, "Only the unified grids of this 6-digit county code");
    cw->add_option("--out", *out, "FILE.csv (the grids; FILE_pairs.csv beside it: every pair) or a GIS file, e.g. "
                                  "FILE.gpkg (layers foreign_grids, pairs, straddling_parts)")
        ->required();
    cw->add_flag("--overwrite", *overwrite, "Replace the output if it exists");
    cw->add_option("--same-share", opt->same_share,
                   "Share of a grid's area that makes two grids the same, or one inside the other")
        ->capture_default_str();
    cw->add_option("--min-share", opt->min_share,
                   "Overlaps below this share of both grids are digitising slivers, left out")
        ->capture_default_str();
    cw->add_option("-j,--threads", opt->threads, "Worker threads (default: all cores)");
    cw->callback([&reg, opt, township, county, out, overwrite] {
        *reg.action = [&reg, opt, township, county, out, overwrite] {
            if (!township->empty() && !county->empty()) throw usage_error("give --township or --county, not both");
            opt->prefix = !township->empty() ? *township : *county;
            Store store(reg.globals.db, Store::Mode::read_only);
            Crosswalk c;
            {
                Progress progress(reg.globals);
                c = crosswalk(store, *opt, progress.fn());
            }
            const auto files = write_crosswalk(c, *out, *overwrite);
            if (!reg.globals.quiet) {
                fmt::print("network {} version {}: {} grids against {} unified grids{}, {} pairs\n", c.network,
                           c.version, c.grids.size(), c.unified_grids,
                           opt->prefix.empty() ? std::string() : " under " + opt->prefix, c.pairs.size());
                static const char* order[] = {"same",   "contained",         "contains",          "split",
                                              "straddles-village", "straddles-township", "unmatched"};
                for (const char* k : order) {
                    const auto it = c.by_class.find(k);
                    const std::int64_t n = it == c.by_class.end() ? 0 : it->second;
                    const double share = c.grids.empty() ? 0 : 100.0 * double(n) / double(c.grids.size());
                    const auto a = c.area_by_class.find(k);
                    fmt::print("  {:<19} {:>6}  {:>5.1f}%  {:>10.3f} km²\n", k, n, share,
                               a == c.area_by_class.end() ? 0.0 : a->second / 1e6);
                }
                for (const auto& f : files) fmt::print("wrote {}\n", f.string());
            }
            return ok;
        };
    });
}

}  // namespace wangge::cli
