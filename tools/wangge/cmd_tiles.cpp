// wangge tiles build
#include "cli.hpp"
#include "output.hpp"

#include <wangge/error.hpp>
#include <wangge/store.hpp>
#include <wangge/tiles/build.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>

namespace wangge::cli {

void add_tiles_update(CLI::App* t, Registry& reg);

void add_tiles(CLI::App& app, Registry& reg) {
    auto* t = app.add_subcommand("tiles", "Vector tiles (MVT) of jurisdictions, grids and events, in PMTiles or MBTiles");
    t->require_subcommand(1);
    auto opt = std::make_shared<tiles::BuildOptions>();
    auto out = std::make_shared<std::string>();
    auto layers = std::make_shared<std::string>();
    auto bbox = std::make_shared<std::string>();
    auto township = std::make_shared<std::string>(), county = std::make_shared<std::string>();
    auto max_kb = std::make_shared<std::size_t>(500);
    add_tiles_update(t, reg);
    auto* b = t->add_subcommand(
        "build",
        "Build the tile pyramid: layers counties (z0+), townships (z6+), villages (z9+), grids (z10+, with "
        "event counts per platform), grid_labels (z12+), county_labels (z7+), township_labels (z9+), "
        "village_labels (z11+), events (points from z14, counts per grid below). "
        "Neighbours share their edges exactly at every zoom.");
    b->add_option("-o,--out", *out, "Archive: FILE.pmtiles or FILE.mbtiles (written whole, then moved into place)")
        ->required();
    auto overwrite = std::make_shared<bool>(false);
    add_overwrite_flag(b, *overwrite);
    b->add_option("--minzoom", opt->minzoom, "Lowest zoom")->capture_default_str();
    b->add_option("--maxzoom", opt->maxzoom, "Highest zoom")->capture_default_str();
    b->add_option("--layers", *layers, "Comma-separated layers (default: all with data)");
    b->add_option("--bbox", *bbox, "min_lon,min_lat,max_lon,max_lat");
    b->add_option("--township", *township, "Only this township/street (9-digit code) and its parents");
    b->add_option("--county", *county, "Only this county (6-digit code)");
    b->add_option("--max-tile-kb", *max_kb, "Size limit per tile; larger tiles are simplified further or aggregated")
        ->capture_default_str();
    b->add_option("--simplify", opt->simplify_units, "Simplification tolerance in tile units (extent 4096)")
        ->capture_default_str();
    b->add_option("--events-point-zoom", opt->events_point_zoom, "Events as points from this zoom, counts per grid below")
        ->capture_default_str();
    b->add_option("-j,--threads", opt->threads, "Worker threads (default: all cores)");
    auto zooms = std::make_shared<std::string>();
    b->add_option("--zooms", *zooms,
                  "Per-layer zoom ranges, e.g. grids=0-14,events=12-16 (defaults: counties 0-16, "
                  "townships 6-16, villages 9-16, grids 10-16, grid_labels 12-16, county_labels 7-16, "
                  "township_labels 9-16, village_labels 11-16, events 10-16)");
    auto grids_file = std::make_shared<std::string>(), events_file = std::make_shared<std::string>();
    b->add_option("--grids-file", *grids_file, "Tile grids from this GDAL polygon file instead of the store (batch)");
    b->add_option("--code-field", opt->grids_code_field, "Code field of --grids-file")->capture_default_str();
    b->add_option("--events-file", *events_file,
                  "Events from this CSV (lon/lng/longitude/x/经度, lat/latitude/y/纬度 in any case[, type_code]) with "
                  "--grids-file");
    b->add_option("--x-field", opt->events_x_field, "Longitude column of --events-file (default: found by name)");
    b->add_option("--y-field", opt->events_y_field, "Latitude column of --events-file (default: found by name)");
    b->callback([&reg, opt, out, overwrite, layers, bbox, township, county, max_kb, grids_file, events_file, zooms] {
        *reg.action = [&reg, opt, out, overwrite, layers, bbox, township, county, max_kb, grids_file, events_file,
                       zooms] {
            std::stringstream zs(*zooms);
            for (std::string item; std::getline(zs, item, ',');) {
                const auto eq = item.find('='), dash = item.find('-', eq == std::string::npos ? 0 : eq);
                int lo = -1, hi = -1;
                if (eq != std::string::npos && dash != std::string::npos) {
                    lo = std::atoi(item.substr(eq + 1, dash - eq - 1).c_str());
                    hi = std::atoi(item.substr(dash + 1).c_str());
                }
                const std::string name = item.substr(0, eq);
                if (lo < 0 || hi < lo || hi > 22 || !opt->zooms.count(name))
                    throw usage_error(fmt::format("--zooms '{}': expected LAYER=MIN-MAX with a known layer", item));
                opt->zooms[name] = {lo, hi};
            }
            opt->grids_file = *grids_file;
            opt->events_file = *events_file;
            opt->out = *out;
            check_output(opt->out, *overwrite);
            opt->max_tile_bytes = *max_kb * 1024;
            if (!township->empty() && !county->empty()) throw usage_error("give --township or --county, not both");
            opt->prefix = !township->empty() ? *township : *county;
            std::stringstream ls(*layers);
            for (std::string l; std::getline(ls, l, ',');)
                if (!l.empty()) opt->layers.push_back(l);
            if (!bbox->empty()) {
                std::array<double, 4> v{};
                char comma;
                std::stringstream bs(*bbox);
                if (!(bs >> v[0] >> comma >> v[1] >> comma >> v[2] >> comma >> v[3]) || v[0] >= v[2] || v[1] >= v[3])
                    throw usage_error(fmt::format("--bbox '{}' is not min_lon,min_lat,max_lon,max_lat", *bbox));
                opt->bbox = v;
            }
            // files only: an empty in-memory store stands in for the jurisdictions
            Store store(opt->grids_file.empty() ? std::filesystem::path(reg.globals.db) : std::filesystem::path(":memory:"),
                        opt->grids_file.empty() ? Store::Mode::read_only : Store::Mode::create_if_missing);
            tiles::BuildReport r;
            {
                Progress progress(reg.globals);
                r = tiles::build_tiles(store, *opt, progress.fn());
            }
            for (const auto& a : r.size_actions) fmt::print(stderr, "size: {}\n", a);
            for (const auto& m : r.points_missing) fmt::print(stderr, "points: {}\n", m);
            if (!reg.globals.quiet) {
                fmt::print("{}: {} tiles, {:.1f} MB, largest {:.1f} KB ({}), z{}-{}, in {:.1f} s ({} threads)\n",
                           opt->out.string(), r.tiles, r.bytes / 1e6, r.largest / 1024.0, r.largest_tile, opt->minzoom,
                           opt->maxzoom, r.seconds, r.threads);
                std::size_t width = 12;
                for (const auto& l : r.layers) width = std::max(width, l.id.size());
                for (const auto& l : r.layers) {
                    fmt::print("  {:<{}} z{}-{}  {} features", l.id, width, l.minzoom, l.maxzoom,
                               r.features_per_layer[l.id]);
                    if (r.coverage_per_layer.count(l.id)) fmt::print("; {}", r.coverage_per_layer[l.id]);
                    fmt::print("\n");
                }
                const auto still = std::count_if(r.size_actions.begin(), r.size_actions.end(),
                                                 [](const std::string& a) { return a.find("(still over)") != std::string::npos; });
                fmt::print("  tiles over {} KB: {} (simplified further or aggregated, none dropped; {} still over)\n", *max_kb,
                           r.size_actions.size(), still);
                if (std::any_of(r.layers.begin(), r.layers.end(), [](const auto& l) { return l.geometry == "Point"; }))
                    fmt::print("  points: {}\n", r.points_missing.empty()
                                                     ? std::string("every point in one tile at each zoom")
                                                     : fmt::format("NOT every point in one tile at each zoom "
                                                                   "({} layer zooms, above)",
                                                                   r.points_missing.size()));
            }
            return ok;
        };
    });
}

namespace {

void update_archive(const Registry& reg, Store& store, const std::string& file, tiles::BuildOptions opt) {
    tiles::BuildReport r;
    {
        Progress progress(reg.globals);
        r = tiles::build_tiles(store, opt, progress.fn());
    }
    for (const auto& a : r.size_actions) fmt::print(stderr, "size: {}\n", a);
    if (!reg.globals.quiet)
        fmt::print("{}: changes since {}: {} tiles regenerated, {} kept; {} tiles in all, {:.1f} MB, in {:.1f} s\n",
                   file, r.since, r.regenerated, r.copied, r.tiles, r.bytes / 1e6, r.seconds);
}

}  // namespace

void update_archive(const Registry& reg, Store& store, const std::string& file, int threads) {
    auto opt = tiles::update_options(file);
    opt.threads = threads;
    update_archive(reg, store, file, std::move(opt));
}

void add_tiles_update(CLI::App* t, Registry& reg) {
    auto file = std::make_shared<std::string>();
    auto threads = std::make_shared<int>(0);
    auto* u = t->add_subcommand(
        "update", "Bring an archive up to date after edits: regenerate only the tiles over grids, jurisdictions and "
                  "events changed since it was built (and their neighbours), keep the others, rewrite it atomically");
    u->add_option("FILE", *file, "Archive built by 'wangge tiles build' (.pmtiles or .mbtiles)")->required()
        ->check(CLI::ExistingFile);
    u->add_option("-j,--threads", *threads, "Worker threads (default: all cores)");
    u->callback([&reg, file, threads] {
        *reg.action = [&reg, file, threads] {
            // the archive's own faults first: naming them needs no store
            auto opt = tiles::update_options(*file);
            opt.threads = *threads;
            Store store(reg.globals.db, Store::Mode::read_only);
            update_archive(reg, store, *file, std::move(opt));
            return ok;
        };
    });
}

} // namespace wangge::cli
