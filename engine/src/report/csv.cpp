// write_csv_tables: the report's figures as CSV tables, one file per table, for a
// spreadsheet or a script. RFC 4180: comma, CRLF line ends, a field with a comma,
// quote, CR or LF (or leading/trailing space) quoted, quotes doubled. Column names
// are the field names of report.hpp (English, stable for scripts); numbers are
// plain (no grouping, '.' decimals, areas in m², shares 0..1); lists inside a field
// are joined with ';'.
//
// Encoding: UTF-8 WITH a byte order mark. Excel, as township offices use it, opens a
// CSV in the system's ANSI code page (GBK on Chinese Windows) unless the file starts
// with a BOM, and shows every Chinese name as mojibake; with the BOM it reads UTF-8.
// Python (encoding="utf-8-sig"), pandas, LibreOffice and wangge's own CSV reader all
// skip it. The cost, a script reading with plain "utf-8" sees U+FEFF before the
// first column name, is the smaller one.
#include "report/common.hpp"

#include "geometry/geos.hpp"
#include "wangge/error.hpp"

#include <fmt/format.h>

namespace wangge::report {

using namespace detail;

namespace {

std::string number(double v) {
    return fmt::format("{}", v);
}

using CsvFile = io::CsvText;

std::string wkt(const std::vector<unsigned char>& wkb) {
    if (wkb.empty()) return "";
    auto& ctx = geos::Context::local();
    const auto g = ctx.from_wkb(wkb.data(), wkb.size());
    return ctx.to_wkt(g.get(), 7);
}

std::string joined_semicolon(const std::vector<std::string>& v) {
    return joined(v, ";");
}

}  // namespace

void write_csv_tables(const Report& r, const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw io_error(fmt::format("{}: cannot create the folder: {}", dir.string(), ec.message()));

    {
        const Summary& s = r.summary;
        CsvFile f({"level", "code", "name", "county_name", "township_name", "townships", "villages", "grids",
                   "households", "area_m2", "covered_m2", "coverage_ratio", "villages_without_grids", "from", "to",
                   "as_of", "changes_since", "generated_at", "wangge_version"});
        f.row({r.level, r.code, r.name, r.county_name, r.township_name, std::to_string(s.townships),
               std::to_string(s.villages), std::to_string(s.grids), std::to_string(s.households), number(s.area_m2),
               number(s.covered_m2), number(s.coverage_ratio), std::to_string(s.villages_without_grids), r.from, r.to,
               r.as_of, r.changes_since, r.generated_at, r.wangge_version});
        f.write(dir / "summary.csv");
    }
    {
        CsvFile f({"kind", "severity", "codes", "area_m2", "length_m", "width_m", "lon", "lat", "detail", "where_wkt"});
        for (const auto& x : r.findings) {
            const auto c = centre(x.where);
            f.row({kind_en(x.kind), severity_en(x.severity),
                   joined_semicolon(x.codes), number(x.area_m2), number(x.length_m), number(x.width_m),
                   c ? number(c->x) : "", c ? number(c->y) : "", x.detail, wkt(x.where)});
        }
        f.write(dir / "findings.csv");
    }
    {
        std::vector<std::string> header{"code", "name", "village_code", "type", "households", "area_m2",
                                        "band_min", "band_max", "by_area", "in_band", "leaders", "workers",
                                        "instructors", "events", "events_per_1000", "findings"};
        if (r.with_names) header.insert(header.begin() + 13, "leader_names");
        CsvFile f(header);
        for (const auto& g : r.grids) {
            std::vector<std::string> row{g.code, g.name, g.village_code, g.type, std::to_string(g.households),
                                         number(g.area_m2), std::to_string(g.band_min), std::to_string(g.band_max),
                                         g.by_area ? "1" : "0", g.in_band ? "1" : "0", std::to_string(g.leaders),
                                         std::to_string(g.workers), std::to_string(g.instructors),
                                         std::to_string(g.events), number(g.events_per_1000),
                                         joined_semicolon(g.findings)};
            if (r.with_names) row.insert(row.begin() + 13, joined_semicolon(g.leader_names));
            f.row(row);
        }
        f.write(dir / "grids.csv");
    }
    {
        CsvFile f({"by", "key", "name", "events"});
        for (const auto& c : r.events.by_platform) f.row({"platform", c.key, c.name, std::to_string(c.events)});
        for (const auto& c : r.events.by_type) f.row({"type", c.key, c.name, std::to_string(c.events)});
        f.write(dir / "events_by_type.csv");
    }
    {
        CsvFile f({"event_id", "type_code", "reported_at", "lon", "lat", "nearest_grid", "nearest_m"});
        for (const auto& u : r.events.uncovered_events)
            f.row({u.event_id, u.type_code, u.reported_at, number(u.lon), number(u.lat), u.nearest_grid,
                   u.nearest_grid.empty() ? "" : number(u.nearest_m)});
        f.write(dir / "uncovered.csv");
    }
    {
        CsvFile f({"event_id", "type_code", "grid_code", "reported_at", "status", "department", "staff_id",
                   "days_open"});
        for (const auto& o : r.assessment.overdue_events)
            f.row({o.event_id, o.type_code, o.grid_code, o.reported_at, o.status, o.department, o.staff_id,
                   number(o.days_open)});
        f.write(dir / "overdue.csv");
    }
    {
        CsvFile f({"department", "assigned", "closed", "overdue"});
        for (const auto& h : r.assessment.departments)
            f.row({h.key, std::to_string(h.assigned), std::to_string(h.closed), std::to_string(h.overdue)});
        f.write(dir / "departments.csv");
    }
    {
        std::vector<std::string> header{"staff_id", "assigned", "closed", "overdue"};
        if (r.with_names) header.insert(header.begin() + 1, "name");
        CsvFile f(header);
        for (const auto& h : r.assessment.workers) {
            std::vector<std::string> row{h.key, std::to_string(h.assigned), std::to_string(h.closed),
                                         std::to_string(h.overdue)};
            if (r.with_names) row.insert(row.begin() + 1, h.name);
            f.row(row);
        }
        f.write(dir / "workers.csv");
    }
    {
        CsvFile f({"date", "code", "kind", "detail"});
        for (const auto& c : r.changes) f.row({c.date, c.code, c.kind, c.detail});
        f.write(dir / "changes.csv");
    }
}

}  // namespace wangge::report
