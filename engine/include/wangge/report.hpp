// wangge/report.hpp — the coverage, staffing, events and assessment report of an
// area (a county, a township or street, a village or community), and its files.
//
// build_report() reads the store once into a Report: plain figures and the shapes
// to draw, nothing formatted. The writers turn one Report into the files a
// township office files and an auditor's scripts read: a self-contained HTML page
// (no internet: its map is SVG drawn here, its styles inline), a printable A4 PDF
// with the same content (drawn with cairo, Chinese in a CJK font the machine has),
// and the same figures as JSON and CSV tables. Personal data: staff names only when
// the report was built `with_names`; phone numbers never leave the store.
#pragma once

#include "wangge/progress.hpp"
#include "wangge/validate.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge {
class Store;
}

namespace wangge::report {

struct ReportOptions {
    std::string level;       ///< county, township or village
    std::string code;        ///< its statistical code (6, 9 or 12 digits)
    std::string from, to;    ///< events reported in [from, to) (UTC ISO 8601); empty: no bound
    std::string as_of;       ///< "now" for overdue events (UTC ISO 8601); empty: the current time
    double overdue_days = 7; ///< an event still open this long after it was reported is overdue
    std::string changes_since;  ///< grid changes since this date; empty: `from`, else the last 365 days
    bool with_names = false; ///< staff names in the report (never phone numbers)
    validate::Tolerances tolerances;
    int hot_spots = 10;      ///< how many grids to list as hot spots
};

/// One grid as the report shows it.
struct GridFigures {
    std::string code, name, village_code, type;  ///< type: base / dedicated
    std::int64_t households = 0;
    double area_m2 = 0;
    int band_min = 0, band_max = 0;   ///< the size policy's household band for its village
    bool by_area = false;             ///< village without household data: no band applies
    bool in_band = true;
    int leaders = 0, workers = 0, instructors = 0;
    std::vector<std::string> leader_names;  ///< only with_names
    std::int64_t events = 0;          ///< events in the period assigned to this grid
    double events_per_1000 = 0;       ///< per 1,000 households (0 when it has none)
    std::vector<std::string> findings;  ///< kinds of coverage findings involving it
    std::vector<unsigned char> wkb;   ///< outline, lon/lat
};

struct VillageFigures {
    std::string code, name;
    bool urban = false;
    int grids = 0;
    std::int64_t households = 0;
    double area_m2 = 0, covered_m2 = 0;
    std::vector<unsigned char> wkb;
};

struct Summary {
    int townships = 0, villages = 0, grids = 0;
    std::int64_t households = 0;
    double area_m2 = 0;          ///< of the area's villages
    double covered_m2 = 0;       ///< of that, inside some grid
    double coverage_ratio = 0;   ///< covered / area
    int villages_without_grids = 0;
};

struct Staffing {
    std::int64_t leaders = 0, workers = 0, instructors = 0;
    std::vector<std::string> without_leader, without_worker;  ///< grid codes
    std::vector<std::string> two_leaders;   ///< grid codes (an import refuses it; a redraw can cause it)
    double workers_per_1000 = 0;   ///< grid workers per 1,000 households
};

struct Count {
    std::string key, name;   ///< e.g. platform code and name, type code and name
    std::int64_t events = 0;
};

struct UncoveredEvent {
    std::string event_id, type_code, reported_at;
    double lon = 0, lat = 0;
    std::string nearest_grid;
    double nearest_m = 0;
};

struct HotSpot {
    std::string grid_code;
    std::int64_t events = 0;
    double events_per_1000 = 0;
};

struct EventFigures {
    std::int64_t total = 0, assigned = 0, uncovered = 0;
    std::vector<Count> by_platform, by_type;   ///< most events first
    std::vector<UncoveredEvent> uncovered_events;
    std::vector<HotSpot> hot_spots;            ///< grids with the most events per 1,000 households
};

struct OverdueEvent {
    std::string event_id, type_code, grid_code, reported_at, status, department, staff_id;
    double days_open = 0;
};

struct Handler {
    std::string key;          ///< department name or staff id
    std::string name;         ///< staff name (only with_names), else empty
    std::int64_t assigned = 0, closed = 0, overdue = 0;
};

struct Assessment {
    /// Events with a status on record (the others, from files without handling
    /// columns, are counted in `no_status` and left out of every figure below).
    std::int64_t events = 0, closed = 0, open = 0, overdue = 0, no_status = 0;
    /// Closed events by the level that closed them: grid; village or township
    /// ("小事不出网格，大事不出镇"); county or department (passed up).
    std::int64_t closed_in_grid = 0, closed_in_township = 0, passed_up = 0;
    double share_in_grid = 0, share_in_township = 0, share_passed_up = 0;  ///< of closed
    std::optional<double> median_hours, p90_hours;  ///< time to close; none without closed events
    std::vector<OverdueEvent> overdue_events;
    std::vector<Handler> departments, workers;
};

struct Change {
    std::string date, code, kind, detail;  ///< kind: new, reshaped, split, merged, retired
};

struct Report {
    std::string level, code, name;          ///< the area
    std::string county_name, township_name; ///< its parents' names, where it has them
    std::string generated_at, from, to, as_of, changes_since;
    std::string wangge_version;
    bool with_names = false;
    Summary summary;
    std::vector<VillageFigures> villages;
    std::vector<GridFigures> grids;
    std::vector<validate::Finding> findings;  ///< coverage: villages in the area, grids in each village
    int band_min = 0, band_max = 0;           ///< the rural band (size policy) for the text
    std::vector<std::string> oversized, undersized;  ///< grid codes outside their band
    Staffing staffing;
    EventFigures events;
    Assessment assessment;
    std::vector<Change> changes;
    std::vector<unsigned char> outline;       ///< the area's own outline, lon/lat
};

Report build_report(Store& store, const ReportOptions& options);

/// The code of the township or street named `name` (乡镇/街道, as stored); with
/// `county` (a 6-digit code, or empty) among that county's only. usage_error when
/// none has the name, or several do (naming them with their counties).
std::string township_code_by_name(Store& store, const std::string& name, const std::string& county = "");

/// The files of a report, each written whole to a temporary name and renamed.
/// Every field of the Report, "schema": "wangge-report/1", shapes as GeoJSON geometries.
void write_json(const Report& report, const std::filesystem::path& out);
/// report.csv tables: summary.csv, findings.csv, grids.csv, events_by_type.csv,
/// uncovered.csv, overdue.csv, departments.csv, workers.csv, changes.csv into `dir`
/// (created). UTF-8 with a byte order mark (Excel on Chinese Windows reads UTF-8
/// only then), RFC 4180 quoting, CRLF; columns named as the fields here.
void write_csv_tables(const Report& report, const std::filesystem::path& dir);
/// One self-contained page: no external resource, the map inline SVG.
void write_html(const Report& report, const std::filesystem::path& out);
/// A4 pages drawn with cairo; io_error naming the package fonts-noto-cjk when
/// fontconfig finds no font with Chinese characters.
void write_pdf(const Report& report, const std::filesystem::path& out);

/// The report files of one area in `dir` (created): report.html, report.pdf,
/// report.json and tables/*.csv, the ones `formats` names ("html", "pdf", "json", "csv").
void write_report_files(const Report& report, const std::filesystem::path& dir,
                        const std::vector<std::string>& formats);

/// The kinds an audit can fail on (`--fail-on`), and how many of each a report has:
/// gaps, overlaps, outside, invalid, slivers, near_misses, multipart, holes (coverage
/// findings), size (grids outside their band), staff (grids without a leader or a
/// worker), uncovered (events in no grid), overdue (open events past the limit).
const std::vector<std::string>& audit_kinds();
std::map<std::string, std::int64_t> audit_counts(const Report& report);

struct AuditOptions {
    std::string scope;          ///< county, city or all
    std::string code;           ///< 6-digit county or 4-digit city code (empty for all)
    std::filesystem::path out;  ///< the audit folder
    int threads = 0;            ///< 0: hardware concurrency
    bool force = false;         ///< redo townships whose data did not change
    /// No PDF by default: cairo embeds a subset of the CJK font in every PDF, reading
    /// the font's 16 MB CFF table each time (about 0.2 s a township, 4x the rest of
    /// the report); `wangge report` writes it for the township that prints.
    std::vector<std::string> formats{"html", "json", "csv"};
    ReportOptions report;       ///< level and code are set per township
    std::vector<std::string> fail_on;  ///< kinds of audit_kinds()
};

struct AuditRow {
    std::string code, name, county_code, county_name;
    bool reused = false;        ///< data unchanged since the last audit: files kept
    std::string dir;            ///< relative to the audit folder
    Summary summary;
    std::map<std::string, std::int64_t> counts;  ///< audit_counts
    std::int64_t events = 0;
    double share_in_grid = 0;
    std::string error;          ///< a township whose report failed (the audit goes on)
};

struct AuditResult {
    std::vector<AuditRow> rows;  ///< one per township, by code
    /// The levels above the townships: the counties of the scope as one coverage
    /// (neighbours), and the townships of each county against it.
    std::vector<validate::Finding> upper;
    std::map<std::string, std::int64_t> totals;  ///< audit_counts summed, upper levels included
    std::vector<std::string> failed;             ///< --fail-on kinds found
    int written = 0, reused = 0, errors = 0;
    double seconds = 0;
};

/// Report every township of the scope in parallel (each thread its own read-only
/// connection to the store at `store_path`), then write summary.csv,
/// coverage.csv (the upper levels' findings) and index.html into the audit folder.
AuditResult run_audit(const std::filesystem::path& store_path, const AuditOptions& options,
                      const ProgressFn& progress = {});

} // namespace wangge::report
