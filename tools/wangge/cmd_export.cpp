// wangge export LAYER --out FILE [--village|--township|--county CODE | --prefix P]
#include "cli.hpp"
#include "output.hpp"

#include <wangge/error.hpp>
#include <wangge/grids.hpp>
#include <wangge/jurisdictions.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>

#include <array>
#include <memory>

namespace wangge::cli {

void add_export(CLI::App& app, Registry& reg) {
    auto opt = std::make_shared<ExportOptions>();
    auto out = std::make_shared<std::string>();
    // --village / --township / --county: a code of that level in the store
    auto scope = std::make_shared<std::array<std::string, 3>>();
    auto* exp = app.add_subcommand("export", "Write a layer of the store to a GIS file: Shapefile (UTF-8, with .cpg "
                                             "and .prj), GeoPackage, GeoJSON, FlatGeobuf...");
    exp->add_option("LAYER", opt->layer, "jurisdictions (all levels), counties, townships, villages, or grids (current "
                                         "grids with their village, township and county codes and names)")
        ->capture_default_str()
        ->check(CLI::IsMember({"jurisdictions", "counties", "townships", "villages", "grids"}));
    exp->add_option("-o,--out", *out, "Output file; the format follows the extension (.shp .gpkg .geojson .fgb)")
        ->required();
    exp->add_option("--format", opt->format, "GDAL driver name, overriding the extension (e.g. GPKG)");
    exp->add_option("--prefix", opt->prefix, "Only codes starting with this (e.g. 330502 for one county)");
    exp->add_option("--village", (*scope)[0], "Only this village/community and its grids (12-digit code in the store)");
    exp->add_option("--township", (*scope)[1], "Only this township/street and what is in it (9-digit code in the store)");
    exp->add_option("--county", (*scope)[2], "Only this county and what is in it (6-digit code in the store)");
    auto at = std::make_shared<std::string>();
    exp->add_option("--at", *at, "grids: as they stood at this time (UTC: 2026-12-02 = the end of that day, "
                                 "2026-12-02 10:00), from the history; default now");
    add_overwrite_flag(exp, opt->overwrite);
    exp->callback([&reg, opt, out, scope, at] {
        *reg.action = [&reg, opt, out, scope, at] {
            const std::string when = at->empty() ? std::string() : normalise_time_at(*at);
            if (!when.empty() && opt->layer != "grids") throw usage_error("--at is for the grids layer");
            static constexpr std::array<Level, 3> levels{Level::village, Level::township, Level::county};
            int given = 0;
            for (const auto& c : *scope) given += !c.empty();
            if (given + !opt->prefix.empty() > 1)
                throw usage_error("give at most one of --village, --township, --county, --prefix");
            opt->out = *out;
            check_output(opt->out, opt->overwrite);
            Store store(reg.globals.db, Store::Mode::read_only);
            // a scope is the prefix of every code under it, once it is known to be stored
            for (std::size_t i = 0; i < levels.size(); ++i)
                if (!(*scope)[i].empty()) opt->prefix = checked_scope_code(store, levels[i], (*scope)[i]);
            const auto n = opt->layer == "grids" ? export_grids(store, opt->out, opt->format, opt->prefix, opt->overwrite, when)
                                                 : export_layer(store, *opt);
            if (!reg.globals.quiet)
                fmt::print("exported {} {} to {}{}\n", n, opt->layer, opt->out.string(),
                           opt->prefix.empty() ? "" : " (codes " + opt->prefix + "*)");
            return ok;
        };
    });
}

} // namespace wangge::cli
