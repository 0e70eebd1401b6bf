// wangge import [jurisdictions] FILE [options]
#include "cli.hpp"

#include <wangge/edits.hpp>
#include <wangge/error.hpp>
#include <wangge/grids.hpp>
#include <wangge/jurisdictions.hpp>
#include <wangge/networks.hpp>
#include <wangge/staff.hpp>
#include <wangge/store.hpp>
#include <wangge/text.hpp>

#include <fmt/format.h>

#include <memory>

namespace wangge::cli {

namespace {

void print_findings(const char* kind, const ImportReport& r, const std::vector<Finding>& list, bool verbose) {
    const std::size_t limit = verbose ? list.size() : std::min<std::size_t>(list.size(), 20);
    for (std::size_t i = 0; i < limit; ++i) {
        const auto& f = list[i];
        if (f.feature < 0)
            fmt::print(stderr, "{}: {}: {}\n", kind, r.file, f.reason);
        else
            fmt::print(stderr, "{}: {}: feature {}{}: {}\n", kind, r.file, f.feature,
                       !f.code.empty()   ? fmt::format(" (code {})", f.code)
                       : !f.name.empty() ? fmt::format(" ({})", f.name)
                                         : std::string(),
                       f.reason);
    }
    if (limit < list.size())
        fmt::print(stderr, "{}: ... and {} more (--verbose lists all)\n", kind, list.size() - limit);
}


constexpr const char* allow_ballpark_help =
    "Import even when the CRS reaches CGCS2000 only by a ballpark datum shift, or one of unknown accuracy or worse "
    "than 1 m (NAD27, Beijing 1954, Xian 1980...), with a warning; by default such a file is refused";

int report_inputs(Registry& reg, const InputImportReport& r, const char* what, const std::string& total) {
    if (!reg.globals.quiet)
        for (const auto& w : r.warnings) fmt::print(stderr, "warning: {}: {}\n", r.file, w);
    const std::size_t limit = reg.globals.verbose ? r.rejects.size() : std::min<std::size_t>(r.rejects.size(), 20);
    for (std::size_t i = 0; i < limit; ++i) fmt::print(stderr, "rejected: {}: {}\n", r.file, r.rejects[i]);
    if (limit < r.rejects.size()) fmt::print(stderr, "rejected: ... and {} more (--verbose)\n", r.rejects.size() - limit);
    if (!r.rejects.empty()) {
        fmt::print(stderr, "wangge: nothing imported: {} of {} features rejected\n", r.rejects.size(), r.read);
        return input_rejected;
    }
    if (!reg.globals.quiet)
        fmt::print("{}: CRS {} (to CGCS2000: {}), text {}\nimported {} {} ({}) into {}\n", r.file, r.crs,
                   r.crs_operation, r.encoding, r.imported, what, total, reg.globals.db);
    return ok;
}

void add_max_vertices(CLI::App* cmd, SourceOptions& source) {
    cmd->add_option("--max-vertices", source.max_vertices,
                    "Most vertices one feature may have; a feature with more is rejected")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
}

/// The summary of a jurisdiction import says what was written: "imported" only
/// when the transaction was committed.
int report_jurisdictions(Registry& reg, const ImportOptions& opt, const ImportReport& r) {
    if (!reg.globals.quiet) print_findings("warning", r, r.warnings, reg.globals.verbose);
    print_findings("rejected", r, r.rejects, reg.globals.verbose);
    const std::int64_t good = r.counties + r.townships + r.villages;
    const std::string split =
        fmt::format("{} counties, {} townships, {} villages", r.counties, r.townships, r.villages);
    if (!reg.globals.quiet) {
        fmt::print("{}: {}, CRS {} (to CGCS2000: {}), text {}\n", r.file, r.driver, r.crs, r.crs_operation, r.encoding);
        fmt::print("read {} features: {} {} ({}), {} repaired, {} rejected, {} warnings\n", r.read, good,
                   r.committed ? "imported" : "passed the checks", split, r.repaired, r.rejects.size(),
                   r.warnings.size());
        if (!r.rejects.empty()) fmt::print("rejects written to {}\n", opt.rejects_file.string());
    }
    if (opt.dry_run) {
        if (!reg.globals.quiet) fmt::print("dry run: nothing written\n");
        return r.rejects.empty() ? ok : input_rejected;
    }
    if (!r.committed) {
        if (good == 0)
            fmt::print(stderr, "wangge: nothing imported: every feature was rejected ({} of {})\n", r.rejects.size(),
                       r.read);
        else
            fmt::print(stderr,
                       "wangge: nothing imported: {} of {} features rejected and the import is all-or-nothing; "
                       "fix them, or use --skip-invalid to import the {} good ones\n",
                       r.rejects.size(), r.read, good);
        return input_rejected;
    }
    if (!reg.globals.quiet)
        fmt::print("imported {} jurisdictions into {} ({} replaced)\n", r.imported, reg.globals.db, r.replaced);
    return ok;
}

} // namespace

void add_import(CLI::App& app, Registry& reg) {
    auto* imp = app.add_subcommand("import", "Import data into the store ('wangge import FILE' imports jurisdictions)");
    imp->require_subcommand(1);

    auto opt = std::make_shared<ImportOptions>();
    auto file = std::make_shared<std::string>();
    auto level = std::make_shared<std::string>();
    auto rejects = std::make_shared<std::string>();
    auto* j = imp->add_subcommand(
        "jurisdictions",
        "Import counties, townships/streets and villages/communities with their 12-digit statistical codes from any "
        "GDAL vector format (Shapefile, GeoPackage, GeoJSON, FlatGeobuf...). Every feature is checked first; by "
        "default one bad feature rejects the whole file and the store is left as it was.");
    j->add_option("FILE", *file, "Input file (any GDAL vector format)")->required();
    j->add_option("--layer", opt->source.layer, "Layer to read, for files with several");
    j->add_option("--code-field", opt->code_field, "Field with the division code (6, 9 or 12 digits; 12-digit codes "
                                                   "padded with zeros are accepted)")
        ->capture_default_str();
    j->add_option("--name-field", opt->name_field,
                  "Field with the name; when the file has no such field, names come from the code table")
        ->capture_default_str();
    j->add_option("--level", *level, "Level of every feature: county, township or village (default: from the code "
                                     "length: 6 county, 9 township/street, 12 village/community)");
    j->add_option("--level-field", opt->level_field, "Field with each feature's level, checked against the code");
    j->add_option("--parent-field", opt->parent_field, "Field with the parent's code, checked against the code prefix");
    j->add_option("--s-srs", opt->source.s_srs,
                  "Source CRS, overriding the file's (EPSG:4549, a .prj file, WKT or PROJ string); required when "
                  "the file has none");
    j->add_flag("--allow-ballpark", opt->source.allow_ballpark, allow_ballpark_help);
    j->add_option("--encoding", opt->source.encoding,
                  "Text encoding of the attributes (GBK, GB18030, UTF-8...); default: the file's .cpg, else "
                  "detected (UTF-8 if valid, else GB18030)");
    j->add_flag("--repair", opt->repair, "Repair invalid geometry with GEOS MakeValid instead of rejecting it");
    j->add_flag("--skip-invalid", opt->skip_invalid,
                "Import the good features and write the rejected ones, with reasons, to the rejects file");
    j->add_option("--rejects", *rejects, "Rejects file (CSV) [default: <input name>.rejects.csv in the current "
                                         "directory, written when there are rejects]");
    j->add_flag("--replace", opt->replace, "Replace jurisdictions whose code is already in the store");
    j->add_option("--inside-tolerance", opt->inside_tolerance,
                  "Share of a township's or village's area that may lie outside its parent")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    j->add_flag("--dry-run", opt->dry_run, "Check only; write nothing");
    add_max_vertices(j, opt->source);
    j->callback([&reg, opt, file, level, rejects] {
        *reg.action = [&reg, opt, file, level, rejects] {
            opt->source.file = *file;
            if (!level->empty()) {
                opt->level = level_from_name(*level);
                if (!opt->level || *opt->level == Level::province || *opt->level == Level::city)
                    throw usage_error(fmt::format("--level '{}': expected county, township or village", *level));
            }
            opt->rejects_file = rejects->empty() ? std::filesystem::path(opt->source.file.stem().string() +
                                                                         ".rejects.csv")
                                                 : std::filesystem::path(*rejects);
            return with_store_removed_on_failure(reg.globals.db, [&] {
                Store store(reg.globals.db);
                ImportReport r;
                {
                    Progress progress(reg.globals);
                    r = import_jurisdictions(store, *opt, progress.fn());
                }
                return report_jurisdictions(reg, *opt, r);
            });
        };
    });

    auto hopt = std::make_shared<HouseholdImportOptions>();
    auto hfile = std::make_shared<std::string>();
    auto* h = imp->add_subcommand("households", "Import household points (one per building, with a household count) "
                                                "that partitioning balances grids by");
    h->add_option("FILE", *hfile, "Point file, any GDAL vector format")->required();
    h->add_option("--layer", hopt->source.layer, "Layer to read, for files with several");
    h->add_option("--count-field", hopt->count_field, "Field with the number of households")->capture_default_str();
    h->add_option("--s-srs", hopt->source.s_srs, "Source CRS, overriding the file's");
    h->add_flag("--allow-ballpark", hopt->source.allow_ballpark, allow_ballpark_help);
    h->add_option("--encoding", hopt->source.encoding, "Text encoding of the attributes");
    h->add_flag("--replace", hopt->replace, "Replace the household points already in the store");
    add_max_vertices(h, hopt->source);
    h->callback([&reg, hopt, hfile] {
        *reg.action = [&reg, hopt, hfile] {
            hopt->source.file = *hfile;
            return with_store_removed_on_failure(reg.globals.db, [&] {
                Store store(reg.globals.db);
                const auto r = import_households(store, *hopt);
                return report_inputs(reg, r, "household points", fmt::format("{} households", r.total));
            });
        };
    });

    auto bopt = std::make_shared<BarrierImportOptions>();
    auto bfile = std::make_shared<std::string>();
    auto* b = imp->add_subcommand("barriers", "Import barrier lines (roads, rivers, railways) that grid edges follow");
    b->add_option("FILE", *bfile, "Line file, any GDAL vector format")->required();
    b->add_option("--layer", bopt->source.layer, "Layer to read, for files with several");
    b->add_option("--kind-field", bopt->kind_field, "Field with the kind (road, river, railway); optional")->capture_default_str();
    b->add_option("--name-field", bopt->name_field, "Field with the name; optional")->capture_default_str();
    b->add_option("--s-srs", bopt->source.s_srs, "Source CRS, overriding the file's");
    b->add_flag("--allow-ballpark", bopt->source.allow_ballpark, allow_ballpark_help);
    b->add_option("--encoding", bopt->source.encoding, "Text encoding of the attributes");
    b->add_flag("--replace", bopt->replace, "Replace the barrier lines already in the store");
    add_max_vertices(b, bopt->source);
    b->callback([&reg, bopt, bfile] {
        *reg.action = [&reg, bopt, bfile] {
            bopt->source.file = *bfile;
            return with_store_removed_on_failure(reg.globals.db, [&] {
                Store store(reg.globals.db);
                const auto r = import_barriers(store, *bopt);
                return report_inputs(reg, r, "barrier lines", fmt::format("{:.1f} km", double(r.total) / 1000));
            });
        };
    });

    auto nopt = std::make_shared<NetworkImportOptions>();
    auto nfile = std::make_shared<std::string>();
    auto* n = imp->add_subcommand(
        "network", "Import another department's grid system (综治网格, 城管单元网格, 警格...) as a named network, "
                   "its next version when the network is there already (wangge networks list)");
    n->add_option("NAME", nopt->network, "The network's name: letters, digits, '_', '-', '.' (e.g. 综治, police)")
        ->required();
    n->add_option("FILE", *nfile, "Polygon file, any GDAL vector format")->required();
    n->add_option("--code-field", nopt->code_field, "Field with each grid's code in that system")->required();
    n->add_option("--name-field", nopt->name_field, "Field with each grid's name; optional");
    n->add_option("--layer", nopt->source.layer, "Layer to read, for files with several");
    n->add_option("--s-srs", nopt->source.s_srs, "Source CRS, overriding the file's");
    n->add_flag("--allow-ballpark", nopt->source.allow_ballpark, allow_ballpark_help);
    n->add_option("--encoding", nopt->source.encoding, "Text encoding of the attributes");
    add_max_vertices(n, nopt->source);
    n->callback([&reg, nopt, nfile] {
        *reg.action = [&reg, nopt, nfile] {
            nopt->source.file = *nfile;
            return with_store_removed_on_failure(reg.globals.db, [&] {
                Store store(reg.globals.db);
                const auto r = import_network(store, *nopt);
                const int rc = report_inputs(reg, r.input, "grids", fmt::format("{:.2f} km²", r.area_m2 / 1e6));
                if (rc == ok && !reg.globals.quiet)
                    fmt::print("network {}: version {}{}\n", r.network, r.version,
                               r.previous_grids < 0
                                   ? std::string(" (new)")
                                   : fmt::format(", replacing version {} ({} grids) as the current one",
                                                 r.version - 1, r.previous_grids));
                return rc;
            });
        };
    });

    auto eopt = std::make_shared<EditImportOptions>();
    auto efile = std::make_shared<std::string>();
    auto* ed = imp->add_subcommand(
        "edits", "Take back grids redrawn in QGIS (a file from 'wangge export grids'): snap, check every edited "
                 "village's coverage and codes, keep the codes of grids that still stand, give new serials to new "
                 "grids, retire the rest; all or nothing, recorded as a version (wangge history)");
    ed->add_option("FILE", *efile, "The edited file: GeoPackage (layer grids), Shapefile, GeoJSON...")->required();
    ed->add_option("--layer", eopt->source.layer, "Layer to read (default: grids, else the file's only layer)");
    ed->add_option("--author", eopt->author, "Who made the edit, for the history (default: the system user)");
    ed->add_option("--message", eopt->message, "What the edit is, for the history");
    ed->add_flag("--dry-run", eopt->dry_run, "Check and print the changes per village; write nothing");
    ed->add_flag("--force", eopt->force,
                 "Import villages whose grids changed in the store since the export (recorded in the history)");
    ed->add_option("--snap-m", eopt->snap_m,
                   "Vertices of edited grids this close (metres) to the village outline or a neighbour snap to it")
        ->capture_default_str();
    auto etiles = std::make_shared<std::string>();
    ed->add_option("--tiles", *etiles, "After the import, bring this archive up to date (wangge tiles update)")
        ->check(CLI::ExistingFile);
    ed->add_option("--s-srs", eopt->source.s_srs, "Source CRS, overriding the file's");
    ed->add_option("--encoding", eopt->source.encoding, "Text encoding of the attributes");
    ed->callback([&reg, eopt, efile, etiles] {
        *reg.action = [&reg, eopt, efile, etiles] {
            eopt->source.file = *efile;
            Store store(reg.globals.db, Store::Mode::must_exist);
            const auto r = import_edits(store, *eopt);
            if (!reg.globals.quiet)
                for (const auto& w : r.warnings) fmt::print(stderr, "warning: {}\n", w);
            const std::size_t limit =
                reg.globals.verbose ? r.problems.size() : std::min<std::size_t>(r.problems.size(), 30);
            for (std::size_t i = 0; i < limit; ++i) {
                const auto& p = r.problems[i];
                std::string where = p.feature >= 0 ? fmt::format("feature {}", p.feature) : "village " + p.village;
                if (p.feature >= 0 && !p.code.empty()) where += " (" + text::escape_for_message(p.code, 20) + ")";
                if (p.lon != 0 || p.lat != 0) where += fmt::format(" at {:.6f}, {:.6f}", p.lon, p.lat);
                fmt::print(stderr, "problem: {}: {}: {}\n", r.file, where, p.reason);
            }
            if (limit < r.problems.size())
                fmt::print(stderr, "problem: ... and {} more (--verbose lists all)\n", r.problems.size() - limit);
            if (!r.problems.empty()) {
                fmt::print(stderr, "wangge: nothing imported: {} problem{} in {}; the store is unchanged\n",
                           r.problems.size(), r.problems.size() == 1 ? "" : "s", r.file);
                return input_rejected;
            }
            const auto print = [&] {
                int untouched = 0;
                for (const auto& v : r.villages) {
                    if (v.state == "untouched") {
                        ++untouched;
                        continue;
                    }
                    fmt::print("village {} {}{}: {} grids -> {}, households {} -> {}\n", v.village_code, v.village_name,
                               v.state == "forced" ? " (forced over changes since the export)" : "", v.grids_before,
                               v.grids_after, v.households_before, v.households_after);
                    for (const auto& c : v.changes)
                        if (c.kind != "unchanged")
                            fmt::print("  {:<9} {}{}\n", c.kind, c.code, c.detail.empty() ? "" : "  " + c.detail);
                }
                if (untouched)
                    fmt::print("{} village{} in the file unchanged, left as they are\n", untouched, untouched == 1 ? "" : "s");
                if (eopt->dry_run)
                    fmt::print("dry run: {} kept, {} reshaped, {} new, {} retired; nothing written\n", r.kept, r.reshaped,
                               r.added, r.retired);
                else if (r.written())
                    fmt::print("imported as version {}: {} kept, {} reshaped, {} new, {} retired; {} events moved to "
                               "another grid, in {}\n",
                               r.run_id, r.kept, r.reshaped, r.added, r.retired, r.events_reassigned, reg.globals.db);
                if (!eopt->dry_run && !r.written())
                    fmt::print("nothing to import: the grids of {} are as the store has them\n", r.file);
            };
            if (!reg.globals.quiet) print();
            if (r.written() && !etiles->empty()) update_archive(reg, store, *etiles);
            return ok;
        };
    });

    auto sopt = std::make_shared<StaffImportOptions>();
    auto sfile = std::make_shared<std::string>();
    auto sdelim = std::make_shared<std::string>();
    auto srejects = std::make_shared<std::string>();
    auto* st = imp->add_subcommand(
        "staff", "Import the staff of grids (网格长, 网格员, 网格指导员) from a CSV (UTF-8 or GBK) or any GDAL table "
                 "(.xlsx, .ods, .dbf, a GeoPackage table). Checked whole, all or nothing; replaces the staff of the "
                 "grids the file names, keeping history");
    st->add_option("FILE", *sfile, "Staff list: CSV, or a table GDAL reads")->required();
    st->add_option("--layer", sopt->layer, "Layer (sheet, table) to read, for files with several");
    st->add_option("--grid-field", sopt->grid_field,
                   "Grid code column (default: grid_code, grid, 网格编码 or 网格代码, any case)");
    st->add_option("--role-field", sopt->role_field, "Role column (default: role, 岗位 or 角色)");
    st->add_option("--name-field", sopt->name_field, "Name column (default: name or 姓名)");
    st->add_option("--staff-id-field", sopt->staff_id_field, "Staff id column (default: staff_id, id, 工号 or 人员编号)");
    st->add_option("--phone-field", sopt->phone_field,
                   "Phone column, optional (default: phone, 电话 or 手机); stored, never shown");
    st->add_option("--employment-field", sopt->employment_field,
                   "Full/part-time column, optional (default: employment or 专兼职): 专职/兼职/full/part");
    st->add_option("--delimiter", *sdelim, "CSV delimiter (default: guessed from the header)");
    st->add_option("--encoding", sopt->encoding, "Text encoding (default: UTF-8 where valid, else GB18030)");
    st->add_option("--rejects", *srejects,
                   "Rejects file (CSV: file, line, grid_code, staff_id, reason) [default: <input name>.rejects.csv, "
                   "written when there are rejects]");
    st->callback([&reg, sopt, sfile, sdelim, srejects] {
        *reg.action = [&reg, sopt, sfile, sdelim, srejects] {
            sopt->file = *sfile;
            sopt->delimiter = delimiter_of(*sdelim);
            sopt->rejects_file = srejects->empty()
                                     ? std::filesystem::path(sopt->file.stem().string() + ".rejects.csv")
                                     : std::filesystem::path(*srejects);
            Store store(reg.globals.db, Store::Mode::must_exist);
            const auto r = import_staff(store, *sopt);
            const char* where = r.format == "CSV" ? "line" : "feature";
            const std::size_t limit =
                reg.globals.verbose ? r.rejects.size() : std::min<std::size_t>(r.rejects.size(), 20);
            for (std::size_t i = 0; i < limit; ++i) {
                const auto& x = r.rejects[i];
                fmt::print(stderr, "rejected: {}: {} {}{}: {}\n", r.file, where, x.line,
                           x.staff_id.empty() ? "" : " (staff id " + text::escape_for_message(x.staff_id, 30) + ")",
                           x.reason);
            }
            if (limit < r.rejects.size())
                fmt::print(stderr, "rejected: ... {} in all, listed in {}\n", r.rejects.size(),
                           sopt->rejects_file.string());
            if (!r.committed) {
                fmt::print(stderr,
                           "wangge: nothing imported: {} of {} rows rejected and a staff import is all-or-nothing; "
                           "the store is unchanged (rejects written to {})\n",
                           r.rejects.size(), r.read, sopt->rejects_file.string());
                return input_rejected;
            }
            if (!reg.globals.quiet) {
                fmt::print("{}: {}, text {}: {} rows for {} grids\n", r.file, r.format, r.encoding, r.read, r.grids);
                fmt::print("staff of those grids now: {} leaders, {} workers, {} instructors\n",
                           r.by_role.count("leader") ? r.by_role.at("leader") : 0,
                           r.by_role.count("worker") ? r.by_role.at("worker") : 0,
                           r.by_role.count("instructor") ? r.by_role.at("instructor") : 0);
                fmt::print("{} rows new, {} unchanged, {} closed (kept as history) in {}\n", r.inserted, r.kept,
                           r.closed, reg.globals.db);
            }
            return ok;
        };
    });
}

} // namespace wangge::cli
