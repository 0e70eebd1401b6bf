// wangge report (--township CODE | --street NAME | --county CODE | --village CODE)
// wangge audit (--county CODE | --city CODE | --all) --out DIR
#include "cli.hpp"
#include "output.hpp"

#include <wangge/error.hpp>
#include <wangge/events.hpp>
#include <wangge/report.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <sstream>

namespace wangge::cli {

namespace fs = std::filesystem;

namespace {

/// A --from/--to/--as-of/--since value in UTC: a date (YYYY-MM-DD, midnight China
/// time) or an ISO 8601 time (China time when it has no zone).
std::string utc_of(const std::string& option, const std::string& text) {
    if (text.empty()) return text;
    std::string t = text;
    if (t.size() == 10) t += "T00:00:00";
    std::string why;
    auto utc = parse_iso8601(t, "+08:00", why);
    if (!utc) throw usage_error(fmt::format("{}: '{}' is not a date or time ({})", option, text, why));
    return *utc;
}

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

struct CommonReportOptions {
    std::string from, to, as_of, since, formats = "html,pdf,json,csv";
    double overdue_days = 7;
    bool with_names = false;
    double sliver_width = 1.0, sliver_area = 10.0, near_miss = 0.5;
};

void add_common(CLI::App* cmd, CommonReportOptions& o, const std::string& formats) {
    o.formats = formats;
    const std::string g = "Report";
    cmd->add_option("--from", o.from, "Events reported from this date or time (YYYY-MM-DD or ISO 8601; China time "
                                      "unless it has a zone)")->group(g);
    cmd->add_option("--to", o.to, "... and before this one")->group(g);
    cmd->add_option("--as-of", o.as_of, "The time overdue events are counted at (default: now)")->group(g);
    cmd->add_option("--overdue-days", o.overdue_days, "An event open this many days after it was reported is overdue")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3650.0))
        ->group(g);
    cmd->add_option("--since", o.since, "Grid changes since this date (default: --from, else the last 365 days)")->group(g);
    cmd->add_flag("--with-names", o.with_names, "Show staff names (phone numbers are never shown)")->group(g);
    cmd->add_option("--formats", o.formats, "Files to write, of html,pdf,json,csv")->capture_default_str()->group(g);
    const std::string t = "Coverage tolerances";
    cmd->add_option("--sliver-width", o.sliver_width, "Metres: gaps and overlaps narrower are slivers")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1000.0))
        ->group(t);
    cmd->add_option("--sliver-area", o.sliver_area, "m²: pieces smaller are slivers")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e6))
        ->group(t);
    cmd->add_option("--near-miss", o.near_miss, "Metres: vertices of neighbours closer than this but not identical")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 100.0))
        ->group(t);
}

report::ReportOptions to_options(const CommonReportOptions& o) {
    report::ReportOptions r;
    r.from = utc_of("--from", o.from);
    r.to = utc_of("--to", o.to);
    r.as_of = utc_of("--as-of", o.as_of);
    r.changes_since = utc_of("--since", o.since);
    if (!r.from.empty() && !r.to.empty() && r.to <= r.from)
        throw usage_error(fmt::format("--to {} is not after --from {}", o.to, o.from));
    r.overdue_days = o.overdue_days;
    r.with_names = o.with_names;
    r.tolerances.sliver_width_m = o.sliver_width;
    r.tolerances.sliver_area_m2 = o.sliver_area;
    r.tolerances.near_miss_m = o.near_miss;
    return r;
}

std::vector<std::string> formats_of(const std::string& text) {
    auto f = split_list(text);
    if (f.empty()) throw usage_error("--formats: give at least one of html,pdf,json,csv");
    for (const auto& x : f)
        if (x != "html" && x != "pdf" && x != "json" && x != "csv")
            throw usage_error(fmt::format("--formats: unknown format '{}' (html, pdf, json, csv)", x));
    return f;
}

}  // namespace

void add_report(CLI::App& app, Registry& reg) {
    struct Opts {
        std::string township, street, county, village, out = "report";
        bool overwrite = false;
        CommonReportOptions common;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand(
        "report",
        "Report on one area: coverage of its villages by grids (gaps, overlaps, outside, near misses, slivers), grid "
        "sizes against the policy, staffing, events per grid and platform, assessment of their handling, and grid "
        "changes; as one self-contained HTML page with a map, a printable A4 PDF, JSON and CSV tables");
    auto* area = cmd->add_option_group("Area (one of)");
    area->add_option("--township", o->township, "9-digit township/street code");
    area->add_option("--street", o->street, "Township/street name (乡镇/街道), e.g. 八里店镇");
    area->add_option("--county", o->county, "6-digit county code (with --street: the county to look in)");
    area->add_option("--village", o->village, "12-digit village/community code");
    cmd->add_option("--out", o->out, "Folder for report.html, report.pdf, report.json and tables/*.csv")
        ->capture_default_str();
    add_overwrite_flag(cmd, o->overwrite);
    add_common(cmd, o->common, "html,pdf,json,csv");
    cmd->footer("Exit codes: 0 written, 1 error, 2 bad command line, 3 the area is not in the store.");
    cmd->callback([&reg, o] {
        *reg.action = [&reg, o] {
            auto ro = to_options(o->common);
            const auto formats = formats_of(o->common.formats);
            const int given = !o->township.empty() + !o->street.empty() + !o->village.empty() +
                              (!o->county.empty() && o->street.empty());
            if (given != 1) throw usage_error("give one of --township CODE, --street NAME, --county CODE, --village CODE");
            const fs::path out = o->out;
            if (fs::exists(out) && !fs::is_directory(out))
                throw usage_error(fmt::format("--out {}: is a file, not a folder", out.string()));
            if (!o->overwrite && fs::exists(out / "report.json"))
                throw usage_error(fmt::format("--out {}: holds a report already (--overwrite replaces it)", out.string()));
            if (!out.parent_path().empty() && !fs::exists(out.parent_path()))
                throw usage_error(fmt::format("--out {}: folder {} does not exist", out.string(),
                                              out.parent_path().string()));
            Store store(reg.globals.db, Store::Mode::read_only);
            if (!o->street.empty()) {
                ro.code = report::township_code_by_name(store, o->street, o->county);
            } else {
                ro.code = !o->township.empty() ? o->township : !o->village.empty() ? o->village : o->county;
            }
            ro.level = ro.code.size() == 6 ? "county" : ro.code.size() == 9 ? "township" : "village";
            if (!o->township.empty() && ro.code.size() != 9)
                throw usage_error(fmt::format("--township: '{}' is not a 9-digit code", o->township));
            if (!o->village.empty() && ro.code.size() != 12)
                throw usage_error(fmt::format("--village: '{}' is not a 12-digit code", o->village));
            if (!o->county.empty() && o->street.empty() && ro.code.size() != 6)
                throw usage_error(fmt::format("--county: '{}' is not a 6-digit code", o->county));
            const auto rep = report::build_report(store, ro);
            report::write_report_files(rep, out, formats);
            if (!reg.globals.quiet) {
                const auto counts = report::audit_counts(rep);
                fmt::print("{} {} {}: {} villages, {} grids, {} households, coverage {:.2f}%\n", rep.level, rep.code,
                           rep.name, rep.summary.villages, rep.summary.grids, rep.summary.households,
                           100 * rep.summary.coverage_ratio);
                std::string found;
                for (const auto& [k, v] : counts)
                    if (v > 0) found += fmt::format("{}{} {}", found.empty() ? "" : ", ", v, k);
                fmt::print("findings: {}\n", found.empty() ? std::string("none") : found);
                fmt::print("events: {} ({} in no grid), {} open past {} days\n", rep.events.total,
                           rep.events.uncovered, rep.assessment.overdue, ro.overdue_days);
                for (const auto& f : formats)
                    fmt::print("wrote {}\n", (f == "csv" ? out / "tables" : out / ("report." + f)).string());
            }
            return ok;
        };
    });
}

void add_audit(CLI::App& app, Registry& reg) {
    struct Opts {
        std::string county, city, out, fail_on;
        bool all = false, force = false;
        int jobs = 0;
        CommonReportOptions common;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand(
        "audit",
        "Report on every township/street of a county, a city or the whole store, in parallel, with a summary table "
        "(summary.csv), the findings above the townships (coverage.csv) and an index page (index.html) linking every "
        "report; exit code 4 when a --fail-on kind is found (for scheduled jobs and CI)");
    auto* scope = cmd->add_option_group("Scope (one of)");
    scope->add_option("--county", o->county, "6-digit county code");
    scope->add_option("--city", o->city, "4-digit city code (e.g. 3305 湖州市)");
    scope->add_flag("--all", o->all, "Every township in the store");
    scope->require_option(1);
    cmd->add_option("--out", o->out, "Audit folder (created; one sub-folder per township)")->required();
    cmd->add_option("-j,--jobs", o->jobs, "Townships reported at once (default: the machine's cores)")
        ->check(CLI::Range(1, 256));
    cmd->add_flag("--force", o->force, "Redo townships whose data did not change since the last audit in --out");
    cmd->add_option("--fail-on", o->fail_on,
                    "Exit 4 when any of these is found: " + fmt::format("{}", fmt::join(report::audit_kinds(), ",")));
    add_common(cmd, o->common, "html,json,csv");
    cmd->footer("Exit codes: 0 audited (nothing of --fail-on found), 1 error (a township's report failed, or the "
                "store), 2 bad command line, 3 no township in the scope, 4 a --fail-on kind was found.");
    cmd->callback([&reg, o] {
        *reg.action = [&reg, o] {
            report::AuditOptions ao;
            ao.report = to_options(o->common);
            ao.formats = formats_of(o->common.formats);
            ao.scope = o->all ? "all" : !o->county.empty() ? "county" : "city";
            ao.code = o->all ? std::string() : !o->county.empty() ? o->county : o->city;
            ao.out = o->out;
            ao.threads = o->jobs;
            ao.force = o->force;
            ao.fail_on = split_list(o->fail_on);
            if (fs::exists(ao.out) && !fs::is_directory(ao.out))
                throw usage_error(fmt::format("--out {}: is a file, not a folder", ao.out.string()));
            Progress progress(reg.globals);
            const auto res = report::run_audit(reg.globals.db, ao, progress.fn());
            if (!reg.globals.quiet) {
                fmt::print("{} townships: {} reported, {} unchanged since the last audit (--force redoes them), {} "
                           "failed; {:.1f} s\n",
                           res.rows.size(), res.written, res.reused, res.errors, res.seconds);
                std::string found;
                for (const auto& [k, v] : res.totals)
                    if (v > 0) found += fmt::format("{}{} {}", found.empty() ? "" : ", ", v, k);
                fmt::print("findings: {}\n", found.empty() ? std::string("none") : found);
                for (const auto& r : res.rows)
                    if (!r.error.empty()) fmt::print(stderr, "wangge: township {} {}: {}\n", r.code, r.name, r.error);
                fmt::print("wrote {}, {}, {}\n", (ao.out / "index.html").string(), (ao.out / "summary.csv").string(),
                           (ao.out / "coverage.csv").string());
            }
            if (res.errors > 0) return static_cast<int>(failure);
            if (!res.failed.empty()) {
                if (!reg.globals.quiet)
                    fmt::print(stderr, "wangge: audit found {} (--fail-on)\n", fmt::join(res.failed, ", "));
                return static_cast<int>(audit_failed);
            }
            return static_cast<int>(ok);
        };
    });
}

}  // namespace wangge::cli
