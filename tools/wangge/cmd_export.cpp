// wangge export LAYER --out FILE
#include "cli.hpp"
#include "output.hpp"

#include <wangge/grids.hpp>
#include <wangge/jurisdictions.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>

#include <memory>

namespace wangge::cli {

void add_export(CLI::App& app, Registry& reg) {
    auto opt = std::make_shared<ExportOptions>();
    auto out = std::make_shared<std::string>();
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
    add_overwrite_flag(exp, opt->overwrite);
    exp->callback([&reg, opt, out] {
        *reg.action = [&reg, opt, out] {
            opt->out = *out;
            check_output(opt->out, opt->overwrite);
            Store store(reg.globals.db, Store::Mode::read_only);
            const auto n = opt->layer == "grids" ? export_grids(store, opt->out, opt->format, opt->prefix, opt->overwrite)
                                                 : export_layer(store, *opt);
            if (!reg.globals.quiet)
                fmt::print("exported {} {} to {}{}\n", n, opt->layer, opt->out.string(),
                           opt->prefix.empty() ? "" : " (codes " + opt->prefix + "*)");
            return ok;
        };
    });
}

} // namespace wangge::cli
