// wangge events ... | wangge assign | wangge locate
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <wangge/assign.hpp>
#include <wangge/beidou.hpp>
#include <wangge/csv.hpp>
#include <wangge/error.hpp>
#include <wangge/events.hpp>
#include <wangge/grids.hpp>
#include <wangge/source.hpp>
#include <wangge/store.hpp>
#include <wangge/text.hpp>

#include "cli.hpp"
#include "output.hpp"

namespace wangge::cli {

namespace {

void print_counts(const std::map<std::string, std::int64_t>& by_platform) {
    for (const auto& [platform, n] : by_platform) fmt::print("  {:<14} {}\n", platform, n);
}

char delimiter_of(const std::string& d) {
    if (d.empty()) return 0;
    if (d == "\\t" || d == "tab") return '\t';
    if (d.size() != 1) throw usage_error(fmt::format("--delimiter '{}' must be one character (or 'tab')", d));
    return d[0];
}

/// Grids from the store, or from any GDAL polygon file with a code field.
CoverageIndex index_from(const std::string& source, const std::string& code_field, const std::string& db,
                         bool allow_ballpark) {
    if (source.empty() || source == "store") {
        Store store(db, Store::Mode::read_only);
        return grid_index(store);
    }
    SourceOptions so;
    so.file = source;
    so.allow_ballpark = allow_ballpark;
    VectorSource src(so);
    const int ci = src.require_field(code_field, "--code-field");
    std::vector<CoverageIndex::Polygon> polys;
    SourceFeature f;
    while (src.next(f)) {
        if (!f.geometry_error.empty()) throw input_error(fmt::format("{}: feature {}: {}", source, f.fid, f.geometry_error));
        if (f.wkb.empty()) continue;
        const auto& code = f.fields[static_cast<std::size_t>(ci)];
        polys.push_back({code ? *code : std::string(), std::move(f.wkb)});
    }
    if (polys.empty()) throw input_error(fmt::format("{}: no grid polygons", source));
    return CoverageIndex(polys);
}

} // namespace

void add_events(CLI::App& app, Registry& reg) {
    auto* ev = app.add_subcommand("events", "Grid events (网格事项): classification, import from field apps, assignment");
    ev->require_subcommand(1);

    // --- types
    auto* types = ev->add_subcommand("types", "The unified event classification (网格事项分类统一赋码)");
    types->require_subcommand(1);
    auto tfile = std::make_shared<std::string>();
    auto tversion = std::make_shared<std::string>();
    auto* tload = types->add_subcommand("load", "Replace the classification with a CSV (code, name, major_code, "
                                                "major_name, platform_code, platform, township_closable)");
    tload->add_option("FILE", *tfile, "CSV file")->required();
    tload->add_option("--version", *tversion, "Version label stored with it (default: the file name)");
    tload->callback([&reg, tfile, tversion] {
        *reg.action = [&reg, tfile, tversion] {
            Store store(reg.globals.db);
            const int n = load_event_types(store, *tfile, *tversion);
            if (!reg.globals.quiet)
                fmt::print("loaded {} event types (version {}) into {}\n", n, event_types_version(store), reg.globals.db);
            return ok;
        };
    });
    auto* tlist = types->add_subcommand("list", "Print the classification");
    tlist->callback([&reg] {
        *reg.action = [&reg] {
            Store store(reg.globals.db, Store::Mode::read_only);
            fmt::print("version {}\n", event_types_version(store));
            for (const auto& t : list_event_types(store))
                fmt::print("{}  {}/{:<10}  {:<4} {}  {}\n", t.code, t.major_name, t.name, t.platform_code, t.platform,
                           t.township_closable ? "乡镇可办结" : "须上报");
            return ok;
        };
    });

    // --- import
    auto opt = std::make_shared<EventImportOptions>();
    auto file = std::make_shared<std::string>();
    auto crs = std::make_shared<std::string>("wgs84");
    auto delim = std::make_shared<std::string>();
    auto rejects = std::make_shared<std::string>();
    auto* imp = ev->add_subcommand(
        "import", "Import events (CSV with any delimiter, UTF-8 or GBK; GeoJSON, GeoPackage or any GDAL point source), "
                  "assign each to its grid, and report what was rejected and why");
    imp->add_option("FILE", *file, "Events file")->required();
    imp->add_option("--crs", *crs,
                    "Datum of the coordinates: wgs84, cgcs2000, gcj02 (AMap, Tencent, WeChat maps), bd09 (Baidu)")
        ->capture_default_str();
    imp->add_option("--id-field", opt->id_field, "Event id column")->capture_default_str();
    imp->add_option("--type-field", opt->type_field, "Event type code column")->capture_default_str();
    imp->add_option("--time-field", opt->time_field, "Reported time column (ISO 8601 with zone)")->capture_default_str();
    imp->add_option("--status-field", opt->status_field, "Status column (optional)")->capture_default_str();
    imp->add_option("--source-field", opt->source_field, "Source column (optional)")->capture_default_str();
    imp->add_option("--x-field", opt->x_field, "Longitude column of a CSV (default: lon, lng, longitude, x or 经度, any case)");
    imp->add_option("--y-field", opt->y_field, "Latitude column of a CSV (default: lat, latitude, y or 纬度, any case)");
    imp->add_option("--delimiter", *delim, "CSV delimiter (default: guessed from the header)");
    imp->add_option("--encoding", opt->encoding, "Text encoding (default: UTF-8 where valid, else GB18030)");
    imp->add_option("--layer", opt->layer, "Layer of a multi-layer source");
    imp->add_option("--assume-zone", opt->assume_zone, "Zone for times written without one, e.g. +08:00");
    imp->add_flag("--allow-unknown-types", opt->allow_unknown_types, "Import events whose type code is not in the classification");
    imp->add_flag("--allow-ballpark", opt->allow_ballpark,
                  "Read a GDAL point source whose datum reaches CGCS2000 only by a ballpark offset (tens of metres off)");
    imp->add_option("--rejects", *rejects, "Rejects file (CSV: file, line, id, reason) [default: <input name>.rejects.csv]");
    imp->callback([&reg, opt, file, crs, delim, rejects] {
        *reg.action = [&reg, opt, file, crs, delim, rejects] {
            opt->file = *file;
            opt->crs = chinacrs::parse_datum(*crs);
            opt->delimiter = delimiter_of(*delim);
            opt->rejects_file = rejects->empty() ? std::filesystem::path(opt->file.stem().string() + ".rejects.csv")
                                                 : std::filesystem::path(*rejects);
            Store store(reg.globals.db, Store::Mode::must_exist);
            EventImportReport r;
            {
                Progress progress(reg.globals);
                r = import_events(store, *opt, progress.fn());
            }
            const std::size_t limit = reg.globals.verbose ? r.first_rejects.size() : std::min<std::size_t>(r.first_rejects.size(), 10);
            for (std::size_t i = 0; i < limit; ++i) {
                const auto& x = r.first_rejects[i];
                fmt::print(stderr, "rejected: {}: {} {}{}: {}\n", r.file, r.format == "CSV" ? "line" : "feature",
                           x.line, x.id.empty() ? "" : " (id " + text::escape_for_message(x.id, 40) + ")", x.reason);
            }
            if (limit < static_cast<std::size_t>(r.rejected))
                fmt::print(stderr, "rejected: ... {} in all, listed in {}\n", r.rejected, opt->rejects_file.string());
            if (!reg.globals.quiet) {
                fmt::print("{}: {} rows read: {} imported ({} new, {} updated), {} rejected\n", r.file, r.read, r.imported,
                           r.inserted, r.updated, r.rejected);
                for (const auto& [why, n] : r.rejects_by_reason) fmt::print("  rejected, {}: {}\n", why, n);
                fmt::print("assigned to a grid: {}; uncovered (in no grid, kept with the nearest grid): {}\n", r.assigned,
                           r.uncovered);
                fmt::print("by platform:\n");
                print_counts(r.by_platform);
                if (r.rejected) fmt::print("rejects written to {}\n", opt->rejects_file.string());
            }
            if (r.imported == 0) {
                fmt::print(stderr, "wangge: {}: nothing imported ({}); the store is unchanged\n", r.file,
                           r.read == 0 ? "no rows" : "every row was rejected");
                return input_rejected;
            }
            return ok;
        };
    });

    auto* re = ev->add_subcommand("reassign", "Assign every stored event to its grid again (after a redraw)");
    re->callback([&reg] {
        *reg.action = [&reg] {
            Store store(reg.globals.db, Store::Mode::must_exist);
            const auto r = reassign_events(store);
            if (!reg.globals.quiet)
                fmt::print("{} events checked, {} changed grid; {} assigned, {} uncovered\n", r.checked, r.changed,
                           r.assigned, r.uncovered);
            return ok;
        };
    });

    auto prefix = std::make_shared<std::string>();
    auto* sum = ev->add_subcommand("summary", "Events per platform, assigned and uncovered");
    sum->add_option("--prefix", *prefix, "Only events in grids whose code starts with this (county, township, village)");
    sum->callback([&reg, prefix] {
        *reg.action = [&reg, prefix] {
            Store store(reg.globals.db, Store::Mode::read_only);
            const auto c = event_counts(store, *prefix);
            fmt::print("{} events: {} assigned, {} uncovered\n", c.events, c.assigned, c.uncovered);
            print_counts(c.by_platform);
            return ok;
        };
    });
}

void add_assign(CLI::App& app, Registry& reg) {
    auto opt = std::make_shared<AssignOptions>();
    auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
    auto grids = std::make_shared<std::string>("store");
    auto code_field = std::make_shared<std::string>("code");
    auto crs = std::make_shared<std::string>("wgs84");
    auto delim = std::make_shared<std::string>();
    auto ballpark = std::make_shared<bool>(false);
    auto overwrite = std::make_shared<bool>(false);
    auto* a = app.add_subcommand(
        "assign", "Batch: give every row of an events CSV the code of the grid holding it, streaming to another CSV; "
                  "nothing is written to the store");
    a->add_option("--grids", *grids, "Grids: 'store' (the --db store's current grids) or any GDAL polygon file")
        ->capture_default_str();
    a->add_option("--code-field", *code_field, "Code field of a grids file")->capture_default_str();
    a->add_flag("--allow-ballpark", *ballpark,
                "Read a grids file whose datum reaches CGCS2000 only by a ballpark offset (tens of metres off)");
    a->add_option("--in", *in, "Input CSV")->required();
    a->add_option("--out", *out, "Output CSV (written whole, then moved into place)")->required();
    a->add_option("--crs", *crs, "Datum of the coordinates: wgs84, cgcs2000, gcj02, bd09")->capture_default_str();
    a->add_option("--x-field", opt->x_field, "Longitude column (default: lon, lng, longitude, x or 经度, any case)");
    a->add_option("--y-field", opt->y_field, "Latitude column (default: lat, latitude, y or 纬度, any case)");
    a->add_option("--delimiter", *delim, "Delimiter (default: guessed from the header)");
    a->add_option("-j,--threads", opt->threads, "Worker threads (default: all cores)");
    a->add_flag("--nearest", opt->nearest, "Add nearest_grid and nearest_m (metres) for points in no grid");
    add_overwrite_flag(a, *overwrite);
    a->callback([&reg, opt, in, out, grids, code_field, crs, delim, ballpark, overwrite] {
        *reg.action = [&reg, opt, in, out, grids, code_field, crs, delim, ballpark, overwrite] {
            opt->in = *in;
            opt->out = *out;
            opt->crs = chinacrs::parse_datum(*crs);
            opt->delimiter = delimiter_of(*delim);
            refuse_non_csv_input(opt->in);  // before the grids are read
            check_output(opt->out, *overwrite);
            const auto index = index_from(*grids, *code_field, reg.globals.db, *ballpark);
            AssignReport r;
            {
                Progress progress(reg.globals);
                r = assign_csv(index, *opt, progress.fn());
            }
            const std::size_t limit =
                reg.globals.verbose ? r.first_rejects.size() : std::min<std::size_t>(r.first_rejects.size(), 10);
            for (std::size_t i = 0; i < limit; ++i)
                fmt::print(stderr, "rejected: {}: line {}: {}\n", *in, r.first_rejects[i].line,
                           r.first_rejects[i].reason);
            if (limit < static_cast<std::size_t>(r.rejected))
                fmt::print(stderr, "rejected: ... {} in all (grid_status bad_record in {})\n", r.rejected, *out);
            if (!reg.globals.quiet) {
                fmt::print(
                    "{} rows: {} assigned, {} in no grid, {} without readable coordinates, {} unreadable records; "
                    "{} grids; {:.2f} s ({} threads, index {:.2f} s)\n",
                    r.rows, r.assigned, r.uncovered, r.bad, r.rejected, index.size(), r.seconds, r.threads,
                    index.stats().build_seconds);
            }
            return ok;
        };
    });
}

void add_locate(CLI::App& app, Registry& reg) {
    // as text: parse_coordinate gives the rule of a CSV row (not finite, out of range)
    auto lon = std::make_shared<std::string>(), lat = std::make_shared<std::string>();
    auto crs = std::make_shared<std::string>("wgs84");
    auto* l = app.add_subcommand("locate", "Which grid, village, township and county hold a point; its BeiDou code");
    l->add_option("LON", *lon, "Longitude")->required();
    l->add_option("LAT", *lat, "Latitude")->required();
    l->add_option("--crs", *crs, "Datum of the point: wgs84, cgcs2000, gcj02, bd09")->capture_default_str();
    l->callback([&reg, lon, lat, crs] {
        *reg.action = [&reg, lon, lat, crs] {
            const auto datum = chinacrs::parse_datum(*crs);
            double x = 0, y = 0;
            for (const auto& why : {parse_coordinate(*lon, false, x), parse_coordinate(*lat, true, y)})
                if (!why.empty()) throw usage_error(fmt::format("locate: {}", why));
            const auto p = chinacrs::to_cgcs2000(datum, x, y);
            Store store(reg.globals.db, Store::Mode::read_only);
            const auto index = grid_index(store);
            if (datum == chinacrs::Datum::gcj02 || datum == chinacrs::Datum::bd09)
                fmt::print("point       {:.7f} {:.7f} (CGCS2000, from {} {:.7f} {:.7f})\n", p.lon, p.lat,
                           chinacrs::datum_name(datum), x, y);
            else
                fmt::print("point       {:.7f} {:.7f} (CGCS2000)\n", p.lon, p.lat);
            if (std::abs(p.lat) <= 88) fmt::print("beidou      {}\n", beidou::encode(p.lon, p.lat));
            const int g = index.locate(p.lon, p.lat);
            if (g < 0) {
                const auto [n, d] = index.nearest(p.lon, p.lat);
                fmt::print("grid        none: the point is in no grid");
                if (n >= 0) fmt::print(" (nearest {} at {:.0f} m)", index.code(n), d);
                fmt::print("\n");
                return input_rejected;
            }
            const auto rows = grid_history(store, index.code(g));
            const auto& r = rows.front();
            fmt::print("grid        {} ({})\n", r.code, r.type);
            fmt::print("village     {} {}\n", r.village_code, r.village_name);
            fmt::print("township    {} {}\n", r.township_code, r.township_name);
            fmt::print("county      {} {}\n", r.county_code, r.county_name);
            return ok;
        };
    });
}

} // namespace wangge::cli
