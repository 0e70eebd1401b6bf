// run_audit: the reports of every township of a county, a city or the store, in
// parallel, with a summary an alert can be raised on.
//
// A township's report is redone only when something it is made of changed: its
// stamp (the jurisdictions, grids, events and staff under its code, the report's
// options, the wangge version, and the day of an `as_of` left to "now", since open
// events become overdue with time alone) is kept beside its files with the counts of
// its row. Threads share nothing but the list of townships: each opens its own
// read-only connection (a Store is one connection) and has its own GEOS context.
#include "wangge/report.hpp"

#include "wangge/error.hpp"
#include "wangge/store.hpp"

#include "report/time.hpp"
#include "store/events_repo.hpp"
#include "store/grids_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"
#include "store/staff_repo.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace wangge::report {

namespace fs = std::filesystem;

const std::vector<std::string>& audit_kinds() {
    static const std::vector<std::string> kinds = {"gaps",      "overlaps", "outside", "invalid", "slivers",  "near_misses",
                                                   "multipart", "holes",    "size",    "staff",   "uncovered", "overdue"};
    return kinds;
}

namespace {

std::string kind_key(validate::Kind k) {
    switch (k) {
        case validate::Kind::gap: return "gaps";
        case validate::Kind::overlap: return "overlaps";
        case validate::Kind::outside: return "outside";
        case validate::Kind::invalid: return "invalid";
        case validate::Kind::sliver: return "slivers";
        case validate::Kind::near_miss: return "near_misses";
        case validate::Kind::multipart: return "multipart";
        case validate::Kind::hole: return "holes";
    }
    return "gaps";
}

std::map<std::string, std::int64_t> zero_counts() {
    std::map<std::string, std::int64_t> m;
    for (const auto& k : audit_kinds()) m[k] = 0;
    return m;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

/// Write `text` to `path` whole: a temporary file beside it, then a rename.
void write_file(const fs::path& path, const std::string& text) {
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw io_error(fmt::format("{}: cannot write", path.string()));
        f << text;
        if (!f.flush()) throw io_error(fmt::format("{}: cannot write", path.string()));
    }
    fs::rename(tmp, path);
}

std::string options_text(const ReportOptions& o, const std::vector<std::string>& formats) {
    return fmt::format("from={} to={} as_of={} overdue_days={} since={} names={} tol={}/{}/{}/{} hot={} formats={}",
                       o.from, o.to, o.as_of, o.overdue_days, o.changes_since, o.with_names,
                       o.tolerances.sliver_width_m, o.tolerances.sliver_area_m2, o.tolerances.near_miss_m,
                       o.tolerances.ignore_area_m2, o.hot_spots, fmt::join(formats, ","));
}

nlohmann::json row_json(const AuditRow& r) {
    nlohmann::json j;
    j["code"] = r.code;
    j["name"] = r.name;
    j["county_code"] = r.county_code;
    j["county_name"] = r.county_name;
    j["villages"] = r.summary.villages;
    j["grids"] = r.summary.grids;
    j["households"] = r.summary.households;
    j["area_m2"] = r.summary.area_m2;
    j["covered_m2"] = r.summary.covered_m2;
    j["coverage_ratio"] = r.summary.coverage_ratio;
    j["villages_without_grids"] = r.summary.villages_without_grids;
    j["counts"] = r.counts;
    j["events"] = r.events;
    j["share_in_grid"] = r.share_in_grid;
    return j;
}

AuditRow row_from_json(const nlohmann::json& j) {
    AuditRow r;
    r.code = j.at("code").get<std::string>();
    r.name = j.at("name").get<std::string>();
    r.county_code = j.at("county_code").get<std::string>();
    r.county_name = j.at("county_name").get<std::string>();
    r.summary.villages = j.at("villages").get<int>();
    r.summary.grids = j.at("grids").get<int>();
    r.summary.households = j.at("households").get<std::int64_t>();
    r.summary.area_m2 = j.at("area_m2").get<double>();
    r.summary.covered_m2 = j.at("covered_m2").get<double>();
    r.summary.coverage_ratio = j.at("coverage_ratio").get<double>();
    r.summary.villages_without_grids = j.at("villages_without_grids").get<int>();
    r.counts = j.at("counts").get<std::map<std::string, std::int64_t>>();
    r.events = j.at("events").get<std::int64_t>();
    r.share_in_grid = j.at("share_in_grid").get<double>();
    return r;
}

struct Township {
    std::string code, name;
};

}  // namespace

std::map<std::string, std::int64_t> audit_counts(const Report& r) {
    auto m = zero_counts();
    for (const auto& f : r.findings) ++m[kind_key(f.kind)];
    m["size"] = static_cast<std::int64_t>(r.oversized.size() + r.undersized.size());
    std::int64_t staff = 0;
    for (const auto& g : r.grids)
        if (g.leaders == 0 || g.workers == 0) ++staff;
    m["staff"] = staff;
    m["uncovered"] = r.events.uncovered;
    m["overdue"] = r.assessment.overdue;
    return m;
}

void write_report_files(const Report& report, const fs::path& dir, const std::vector<std::string>& formats) {
    fs::create_directories(dir);
    auto wants = [&](const char* f) { return std::find(formats.begin(), formats.end(), f) != formats.end(); };
    if (wants("json")) write_json(report, dir / "report.json");
    if (wants("csv")) {
        fs::create_directories(dir / "tables");
        write_csv_tables(report, dir / "tables");
    }
    if (wants("html")) write_html(report, dir / "report.html");
    if (wants("pdf")) write_pdf(report, dir / "report.pdf");
}

AuditResult run_audit(const fs::path& store_path, const AuditOptions& options, const ProgressFn& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& k : options.fail_on)
        if (std::find(audit_kinds().begin(), audit_kinds().end(), k) == audit_kinds().end())
            throw usage_error(fmt::format("--fail-on: unknown kind '{}' (kinds: {})", k, fmt::join(audit_kinds(), ",")));
    std::string prefix;
    if (options.scope == "county") {
        if (options.code.size() != 6 || options.code.find_first_not_of("0123456789") != std::string::npos)
            throw usage_error(fmt::format("--county: '{}' is not a 6-digit county code", options.code));
        prefix = options.code;
    } else if (options.scope == "city") {
        if (options.code.size() != 4 || options.code.find_first_not_of("0123456789") != std::string::npos)
            throw usage_error(fmt::format("--city: '{}' is not a 4-digit city code", options.code));
        prefix = options.code;
    } else if (options.scope != "all") {
        throw usage_error("audit: give --county CODE, --city CODE or --all");
    }

    AuditResult result;
    std::vector<Township> townships;
    std::string stamp_day;
    {
        Store store(store_path, Store::Mode::read_only);
        repo::JurisdictionFilter f;
        f.level = "township";
        f.prefix = prefix;
        repo::for_each_jurisdiction(store, f, [&](const repo::JurisdictionRow& j) { townships.push_back({j.code, j.name}); });

        // the levels above the townships
        std::vector<validate::Item> counties;
        std::vector<std::pair<validate::Item, std::vector<validate::Item>>> county_townships;
        repo::JurisdictionFilter cf;
        cf.level = "county";
        cf.prefix = prefix;
        repo::for_each_jurisdiction(store, cf, [&](const repo::JurisdictionRow& j) {
            counties.push_back({j.code, j.wkb});
        });
        if (townships.empty() && counties.empty())
            throw input_error(fmt::format("no county or township in the store{}: import their outlines first",
                                          prefix.empty() ? std::string() : " under " + prefix));
        for (const auto& c : counties) {
            std::vector<validate::Item> ts;
            repo::JurisdictionFilter tf;
            tf.level = "township";
            tf.prefix = c.code;
            repo::for_each_jurisdiction(store, tf, [&](const repo::JurisdictionRow& j) { ts.push_back({j.code, j.wkb}); });
            county_townships.push_back({c, std::move(ts)});
        }
        if (options.scope != "county" && counties.size() > 1) {
            auto res = validate::validate_coverage(std::nullopt, counties, options.report.tolerances);
            for (auto& x : res.findings) result.upper.push_back(std::move(x));
        }
        for (const auto& [c, ts] : county_townships) {
            if (ts.empty()) continue;
            auto res = validate::validate_coverage(c, ts, options.report.tolerances);
            for (auto& x : res.findings) result.upper.push_back(std::move(x));
        }
        stamp_day = options.report.as_of.empty() ? repo::now_timestamp(store).substr(0, 10) : std::string();
    }

    fs::create_directories(options.out);
    const std::string common_stamp =
        fmt::format("wangge {}; {}; day {}", WANGGE_VERSION, options_text(options.report, options.formats), stamp_day);

    result.rows.resize(townships.size());
    std::atomic<std::size_t> next{0}, done{0};
    std::mutex progress_mutex;
    auto worker = [&] {
        std::unique_ptr<Store> store;
        for (;;) {
            const std::size_t i = next.fetch_add(1);
            if (i >= townships.size()) break;
            const auto& t = townships[i];
            AuditRow& row = result.rows[i];
            row.code = t.code;
            row.name = t.name;
            row.county_code = t.code.substr(0, 6);
            row.dir = t.code;
            try {
                if (!store) store = std::make_unique<Store>(store_path, Store::Mode::read_only);
                const std::string stamp = common_stamp + "; " + repo::jurisdictions_stamp(*store, t.code) + "; " +
                                          repo::jurisdictions_stamp(*store, t.code.substr(0, 6)) + "; " +
                                          repo::grids_stamp(*store, t.code) + "; " +
                                          repo::events_stamp(*store, t.code) + "; " +
                                          repo::staff_stamp(*store, t.code);
                const fs::path dir = options.out / t.code;
                const fs::path stamp_file = dir / ".audit-stamp.json";
                bool reused = false;
                if (!options.force && fs::exists(stamp_file)) {
                    try {
                        std::ifstream in(stamp_file);
                        const auto j = nlohmann::json::parse(in);
                        if (j.at("stamp").get<std::string>() == stamp) {
                            row = row_from_json(j.at("row"));
                            row.dir = t.code;
                            row.reused = reused = true;
                        }
                    } catch (const std::exception&) {
                        // an unreadable stamp: redo the township
                    }
                }
                if (!reused) {
                    ReportOptions ro = options.report;
                    ro.level = "township";
                    ro.code = t.code;
                    const Report rep = build_report(*store, ro);
                    write_report_files(rep, dir, options.formats);
                    row.county_name = rep.county_name;
                    row.summary = rep.summary;
                    row.counts = audit_counts(rep);
                    row.events = rep.events.total;
                    row.share_in_grid = rep.assessment.share_in_grid;
                    nlohmann::json j;
                    j["stamp"] = stamp;
                    j["row"] = row_json(row);
                    write_file(stamp_file, j.dump(1));
                }
            } catch (const error& e) {
                row.error = e.what();
            }
            const auto d = done.fetch_add(1) + 1;
            if (progress) {
                std::lock_guard lock(progress_mutex);
                progress(static_cast<std::int64_t>(d), static_cast<std::int64_t>(townships.size()), "townships");
            }
        }
    };
    unsigned n = options.threads > 0 ? static_cast<unsigned>(options.threads) : std::max(1u, std::thread::hardware_concurrency());
    n = std::min<unsigned>(n, static_cast<unsigned>(townships.size()));
    std::vector<std::thread> pool;
    for (unsigned k = 1; k < n; ++k) pool.emplace_back(worker);
    if (!townships.empty()) worker();
    for (auto& th : pool) th.join();

    // --- totals, summary.csv, coverage.csv, index.html
    result.totals = zero_counts();
    for (const auto& f : result.upper) ++result.totals[kind_key(f.kind)];
    for (const auto& r : result.rows) {
        if (!r.error.empty()) {
            ++result.errors;
            continue;
        }
        (r.reused ? result.reused : result.written) += 1;
        for (const auto& [k, v] : r.counts) result.totals[k] += v;
    }
    for (const auto& k : options.fail_on)
        if (result.totals[k] > 0) result.failed.push_back(k);

    std::ostringstream csv;
    csv << "\xEF\xBB\xBF";  // UTF-8 BOM: spreadsheets in Chinese offices read the names right
    csv << "township_code,township_name,county_code,county_name,villages,grids,households,coverage_ratio,"
           "villages_without_grids";
    for (const auto& k : audit_kinds()) csv << ',' << k;
    csv << ",events,share_closed_in_grid,report,error\r\n";
    for (const auto& r : result.rows) {
        csv << r.code << ',' << csv_field(r.name) << ',' << r.county_code << ',' << csv_field(r.county_name) << ','
            << r.summary.villages << ',' << r.summary.grids << ',' << r.summary.households << ','
            << fmt::format("{:.6f}", r.summary.coverage_ratio) << ',' << r.summary.villages_without_grids;
        for (const auto& k : audit_kinds()) {
            auto it = r.counts.find(k);
            csv << ',' << (it == r.counts.end() ? 0 : it->second);
        }
        csv << ',' << r.events << ',' << fmt::format("{:.4f}", r.share_in_grid) << ','
            << (r.error.empty() ? r.dir + "/report.html" : std::string()) << ',' << csv_field(r.error) << "\r\n";
    }
    write_file(options.out / "summary.csv", csv.str());

    std::ostringstream cov;
    cov << "\xEF\xBB\xBF" << "kind,severity,codes,area_m2,length_m,width_m,detail\r\n";
    for (const auto& f : result.upper)
        cov << validate::to_string(f.kind) << ',' << validate::to_string(f.severity) << ','
            << csv_field(fmt::format("{}", fmt::join(f.codes, " "))) << ',' << fmt::format("{:.1f}", f.area_m2) << ','
            << fmt::format("{:.1f}", f.length_m) << ',' << fmt::format("{:.2f}", f.width_m) << ','
            << csv_field(f.detail) << "\r\n";
    write_file(options.out / "coverage.csv", cov.str());

    std::ostringstream h;
    h << "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>网格审计 audit "
      << html_escape(options.code.empty() ? std::string("all") : options.code) << "</title>\n<style>"
         "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\",sans-serif;margin:1.5em}"
         "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}"
         "td:nth-child(-n+3),th{text-align:left}tr.bad td{background:#fde8e8}.ok{color:#2a7}.fail{color:#c22}"
         "</style></head><body>\n";
    h << "<h1>网格审计 Audit " << html_escape(options.code.empty() ? std::string("(all)") : options.code) << "</h1>\n";
    h << "<p>" << result.rows.size() << " townships/streets; " << result.upper.size()
      << " findings above the townships (<a href=\"coverage.csv\">coverage.csv</a>); "
      << "<a href=\"summary.csv\">summary.csv</a>.</p>\n";
    if (!options.fail_on.empty())
        h << "<p class=\"" << (result.failed.empty() ? "ok" : "fail") << "\">--fail-on "
          << html_escape(fmt::format("{}", fmt::join(options.fail_on, ","))) << ": "
          << (result.failed.empty() ? std::string("nothing found")
                                    : html_escape(fmt::format("found {}", fmt::join(result.failed, ","))))
          << "</p>\n";
    h << "<table><tr><th>乡镇/街道</th><th>code</th><th>county</th><th>villages</th><th>grids</th><th>households</th>"
         "<th>coverage</th>";
    for (const auto& k : audit_kinds()) h << "<th>" << k << "</th>";
    h << "<th>events</th></tr>\n";
    for (const auto& r : result.rows) {
        std::int64_t bad = 0;
        for (const auto& [k, v] : r.counts) bad += v;
        h << "<tr" << (bad > 0 || !r.error.empty() ? " class=\"bad\"" : "") << "><td>";
        if (r.error.empty())
            h << "<a href=\"" << html_escape(r.dir) << "/report.html\">" << html_escape(r.name) << "</a>";
        else
            h << html_escape(r.name) << " (failed: " << html_escape(r.error) << ")";
        h << "</td><td>" << r.code << "</td><td>" << html_escape(r.county_name) << "</td><td>" << r.summary.villages
          << "</td><td>" << r.summary.grids << "</td><td>" << r.summary.households << "</td><td>"
          << fmt::format("{:.2f}%", 100 * r.summary.coverage_ratio) << "</td>";
        for (const auto& k : audit_kinds()) {
            auto it = r.counts.find(k);
            h << "<td>" << (it == r.counts.end() ? 0 : it->second) << "</td>";
        }
        h << "<td>" << r.events << "</td></tr>\n";
    }
    h << "</table>\n</body></html>\n";
    write_file(options.out / "index.html", h.str());

    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

}  // namespace wangge::report
