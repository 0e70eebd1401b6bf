// wangge events ...
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <wangge/error.hpp>
#include <wangge/events.hpp>
#include <wangge/store.hpp>
#include <wangge/text.hpp>

#include "cli.hpp"

namespace wangge::cli {

namespace {

void print_counts(const std::map<std::string, std::int64_t>& by_platform) {
    for (const auto& [platform, n] : by_platform) fmt::print("  {:<14} {}\n", platform, n);
}

}  // namespace

char delimiter_of(const std::string& d) {
    if (d.empty()) return 0;
    if (d == "\\t" || d == "tab") return '\t';
    if (d.size() != 1) throw usage_error(fmt::format("--delimiter '{}' must be one character (or 'tab')", d));
    return d[0];
}

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
    imp->add_option("--status-field", opt->status_field, "Status column, optional: reported, dispatched, in_progress, closed, returned or the Chinese words (docs/cli.md)")->capture_default_str();
    imp->add_option("--source-field", opt->source_field, "Source column (optional)")->capture_default_str();
    imp->add_option("--closed-at-field", opt->closed_at_field,
                    "Closed time column, optional (default: closed_at, closed_time or 办结时间)");
    imp->add_option("--closed-level-field", opt->closed_level_field,
                    "Closing level column, optional (default: closed_level, level or 办结层级)");
    imp->add_option("--department-field", opt->department_field,
                    "Handling department column, optional (default: department, 部门 or 承办部门)");
    imp->add_option("--handler-field", opt->handler_field,
                    "Handler's staff id column, optional (default: handler, staff_id, 处置人 or 网格员工号)");
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

} // namespace wangge::cli
