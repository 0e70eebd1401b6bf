// wangge/events.hpp — grid events (网格事项): the unified event classification,
// import from field apps, and assignment of every event to exactly one grid.
//
// The classification (docs/codes.md) is data: a versioned CSV of 6-digit type codes
// (2-digit platform + 2-digit major class + 2-digit minor class) with names, the
// platform each routes to (综治工作, 市场监管, 综合执法, 便民服务) and whether a
// township may close it ("大事不出镇") or it must go up. A default list ships with
// wangge; `load_event_types` replaces it.
//
// Events are imported streaming (memory does not grow with the file); every row is
// either imported or rejected with its line and reason; every imported event is
// either assigned to the grid holding it (docs/codes.md has the boundary rule) or
// kept as `uncovered` with the nearest grid and its distance. So assigned +
// uncovered = imported, always.
#pragma once

#include "wangge/progress.hpp"
#include "wangge/chinacrs.hpp"
#include "wangge/codes.hpp"
#include "wangge/coverage_index.hpp"

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

struct EventType {
    std::string code, name, major_code, major_name, platform_code, platform;
    bool township_closable = true;
};

/// Replace the classification with a CSV (columns: code, name, major_code,
/// major_name, platform_code, platform, township_closable). All or nothing; bad
/// rows are reported by line. Returns the number of types.
int load_event_types(Store& store, const std::filesystem::path& csv, const std::string& version);
/// The default classification shipped with wangge (used when a store is created).
int load_default_event_types(Store& store);
std::vector<EventType> list_event_types(Store& store);
std::string event_types_version(Store& store);

/// An ISO 8601 date-time with a zone ("2024-03-05T08:15:00+08:00", "...Z",
/// fractional seconds allowed, 'T' or a space) in UTC as "YYYY-MM-DDTHH:MM:SSZ";
/// `assume_zone` ("+08:00") is used when the text has none. nullopt with `why` set
/// when it is not a valid time.
std::optional<std::string> parse_iso8601(std::string_view text, std::string_view assume_zone, std::string& why);

/// The current grids of the store, indexed.
CoverageIndex grid_index(Store& store);

struct EventImportOptions {
    std::filesystem::path file;
    std::string layer;                 ///< for multi-layer GDAL sources
    std::string id_field = "id";
    std::string type_field = "type";
    std::string time_field = "time";
    std::string status_field = "status";
    std::string source_field = "source";
    /// Handling columns (optional; docs/cli.md "Handling columns"). Empty: the first
    /// present of the default names (closed_at, closed_time, 办结时间 / closed_level,
    /// level, 办结层级 / department, 部门, 承办部门 / handler, staff_id, 处置人, 网格员工号);
    /// a name given must be a column of the file.
    std::string closed_at_field, closed_level_field, department_field, handler_field;
    std::string x_field, y_field;      ///< CSV coordinate columns; default: see coordinate_columns (csv.hpp)
    char delimiter = 0;                ///< CSV; 0: guess
    std::string encoding;              ///< CSV text; default: UTF-8 if valid, else GB18030
    chinacrs::Datum crs = chinacrs::Datum::wgs84;  ///< datum of the coordinates
    bool allow_unknown_types = false;
    bool allow_ballpark = false;  ///< a GDAL source: accept a ballpark datum shift (SourceOptions)
    std::string assume_zone;           ///< zone for times without one, e.g. "+08:00"; empty: reject them
    std::filesystem::path rejects_file;
};

struct EventReject {
    std::int64_t line = 0;  ///< CSV line (1 = header), or GDAL feature id
    std::string id;
    std::string reason;
};

struct EventImportReport {
    std::string file, format;
    std::int64_t read = 0, imported = 0, inserted = 0, updated = 0, rejected = 0;
    std::int64_t assigned = 0, uncovered = 0;
    std::map<std::string, std::int64_t> by_platform;      ///< imported events per platform name
    std::map<std::string, std::int64_t> rejects_by_reason;  ///< kind of reason -> count
    std::vector<EventReject> first_rejects;               ///< the first 50
    std::int64_t import_id = 0;
};

/// Import one file in one write transaction, inside which everything it depends on
/// (the classification, the grids, the ids already stored) is read, so a writer
/// that commits meanwhile (a partition) cannot leave events on grids it retired.
/// A CSV is read with CsvReader (a quote left open rejects its row); a second row
/// with an id already imported from the same file is rejected, naming the first
/// line. When nothing is imported the transaction is rolled back (the rejects file
/// is still written): `imported == 0` leaves the store as it was.
EventImportReport import_events(Store& store, const EventImportOptions& options, const ProgressFn& progress = {});

struct ReassignReport {
    std::int64_t checked = 0, changed = 0, assigned = 0, uncovered = 0;
};

/// Recompute the grid of events: all, or only those inside `area_wkb` (a polygon,
/// lon/lat) when given — what a redraw calls for the area it changed.
ReassignReport reassign_events(Store& store, const std::vector<unsigned char>* area_wkb = nullptr);

/// The same for events inside any of `areas`, inside the caller's transaction (a
/// partition run or a redraw calls this before it commits, so grids and events
/// never disagree in the store).
ReassignReport reassign_events_within(Store& store, const std::vector<std::vector<unsigned char>>& areas);

/// The status of an event as stored: reported, dispatched, in_progress, closed or
/// returned, from those words (ASCII case-insensitive, "in progress" too) or the
/// Chinese ones (已上报/上报/待受理, 已派遣/派遣/已分派, 处置中/办理中/处理中,
/// 已办结/办结/已结案/结案/已关闭, 退回/已退回); nullopt for anything else.
std::optional<std::string> normalise_event_status(std::string_view text);
/// The level an event was closed at: grid, village, township, county or department,
/// from those words or 网格, 村/社区, 乡镇/街道, 县/区/市, 部门; nullopt otherwise.
std::optional<std::string> normalise_closing_level(std::string_view text);

/// One stored event with its handling and placement, for reports. Text fields are
/// "" when not stored; platform fields "" and township_closable true for a type not
/// in the classification. lon/lat are CGCS2000.
struct EventFact {
    std::string event_id, type_code, platform_code, platform, reported_at, status, closed_at, closed_level, department,
        handler, grid_code, nearest_grid;
    bool uncovered = false;
    bool township_closable = true;
    double nearest_m = 0, lon = 0, lat = 0;
};

/// Each event whose grid code starts with `prefix`, or that is uncovered and whose
/// nearest grid starts with it (empty prefix: every event), reported at or after
/// `from` and before `to` (each ignored when empty; ISO UTC "YYYY-MM-DDTHH:MM:SSZ"
/// text, compared as text, so "2024-03" works as a bound too), ordered by event_id.
void for_each_event_fact(Store& store, const std::string& prefix, const std::string& from, const std::string& to,
                         const std::function<void(const EventFact&)>& fn);

struct EventCounts {
    std::int64_t events = 0, assigned = 0, uncovered = 0;
    std::map<std::string, std::int64_t> by_platform;
};
EventCounts event_counts(Store& store, const std::string& prefix = "");

} // namespace wangge
