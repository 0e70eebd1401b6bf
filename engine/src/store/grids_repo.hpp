// grids_repo — the owner of the tables grids, grid_serials, grid_lineage and
// partition_runs (internal header).
//
// A grid is kept in versions: the current one has no valid_to; a partition run
// closes a version (valid_to = the run's time) and inserts its successor. Serials
// are never given twice in a village (grid_serials); lineage records what each run
// did to each code. Names of villages, townships and counties are not this
// repository's: rows come back with them empty.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wangge/grids.hpp"
#include "wangge/map_data.hpp"

namespace wangge {
class Store;
}

namespace wangge::repo {

// ------------------------------------------------------------------ counts

/// Current grid versions (valid_to IS NULL).
std::int64_t count_current_grids(Store& store);
/// Current grid versions of type 'dedicated'.
std::int64_t count_current_dedicated_grids(Store& store);
/// Grid codes retired for good (grid_serials.state = 'retired').
std::int64_t count_retired_codes(Store& store);
/// Partition runs written.
std::int64_t count_partition_runs(Store& store);

// ----------------------------------------------------------------- reading

/// Current grids whose code starts with `prefix` (digits only; empty: all), ordered
/// by code. village/township/county codes are filled, their names left empty; the
/// geometry (WKB, EPSG:4490) only when `with_geometry`.
/// With `at` (a UTC time as stored, "2026-12-02T10:00:00Z"): the versions current then.
std::vector<GridRow> current_grids(Store& store, const std::string& prefix, bool with_geometry,
                                   const std::string& at = "");
/// Every version of the grid `code`: the current one first, then newest first.
/// Names left empty, no geometry.
std::vector<GridRow> grid_versions(Store& store, const std::string& code);

/// Stream the code and outline (WKB, EPSG:4490) of every current grid, ordered by code.
void for_each_current_grid_outline(
    Store& store, const std::function<void(const std::string& code, const std::vector<unsigned char>& wkb)>& grid);

/// One lineage row with the time of its run.
struct LineageEntry {
    std::string run_started_at, old_code, new_code, kind;  ///< old/new empty when NULL
};
/// Lineage rows that name `code` as old or new, in run order, then as written.
std::vector<LineageEntry> lineage_of(Store& store, const std::string& code);
/// Lineage rows of the runs started at or after `since` (empty: all) whose old or new
/// code starts with `prefix`, in run order, then as written.
std::vector<LineageEntry> lineage_since(Store& store, const std::string& prefix, std::string_view since);
/// Grid versions with lineage 'new' (a code given for the first time, from no old
/// grid: runs record no lineage row for them) made at or after `since`, as lineage
/// entries (run_started_at = valid_from, new_code = the code, kind "new").
std::vector<LineageEntry> new_grids_since(Store& store, const std::string& prefix, std::string_view since);
/// A text that changes whenever a grid version whose code starts with `prefix` is
/// written or closed (for reports that are redone only on change).
std::string grids_stamp(Store& store, const std::string& prefix);
/// The settings text of the newest partition run ("urban=300-500 rural=100-300 ..."),
/// nullopt when nothing was partitioned.
std::optional<std::string> latest_partition_settings(Store& store);

/// A current grid version of a village, as a partition run compares with it.
struct CurrentGrid {
    std::int64_t row_id = 0;  ///< the version's row, for GridWriter::close_version
    std::string code;
    int serial = 0;
    std::int64_t households = 0;
    std::vector<unsigned char> wkb;
    std::string type, name;    ///< base/dedicated; name empty when none
    std::int64_t run_id = 0;   ///< the run (partition, edit, rollback) that made this version
};
/// The current grids of a village (ordered by serial) and the highest serial ever
/// given in it (0: none), retired ones included.
struct VillageGrids {
    std::vector<CurrentGrid> grids;
    int max_serial = 0;
};
VillageGrids village_grids(Store& store, const std::string& village_code);

/// What the serial registry says of a grid code: never given, active, or retired (with when).
struct SerialState {
    enum class State { none, active, retired } state = State::none;
    std::string retired_at;
};
SerialState serial_state(Store& store, const std::string& code);

/// A run as history shows it.
struct RunInfo {
    std::int64_t id = 0;
    std::string started_at, kind, scope, author, message, source_file;
};
/// The run `id`; nullopt when there is none.
std::optional<RunInfo> run_info(Store& store, std::int64_t id);

// ----------------------------------------------------------------- writing
// Call inside the caller's Store::Transaction.

struct PartitionRunRow {
    std::string started_at, scope, settings;
    std::int64_t villages = 0, grids = 0, kept = 0, added = 0, retired = 0;
    std::string kind = "partition";          ///< partition, edit or rollback
    std::string author, message, source_file; ///< empty: NULL
};
/// Record a run (a version of the grids: partition, edit import or rollback); returns its id.
std::int64_t insert_partition_run(Store& store, const PartitionRunRow& run);

/// One grid version to insert (valid_to NULL: current).
struct GridVersionRow {
    std::string code, village_code;
    int serial = 0;
    std::string type;  ///< base or dedicated
    std::string name;  ///< empty: none (NULL)
    std::int64_t households = 0;
    double area_m2 = 0, perimeter_m = 0, compactness = 0, label_lon = 0, label_lat = 0;
    std::string beidou, lineage, valid_from;
    std::int64_t run_id = 0;
    std::vector<unsigned char> wkb;  ///< polygon or multipolygon, EPSG:4490; stored as a MULTIPOLYGON
};

/// Writes the grids, serials and lineage of a partition run, keeping its
/// statements for the whole run.
class GridWriter {
public:
    explicit GridWriter(Store& store);
    ~GridWriter();
    GridWriter(const GridWriter&) = delete;
    GridWriter& operator=(const GridWriter&) = delete;

    /// Close the version in row `row_id`: it stops being current at `valid_to`,
    /// closed by run `run_id`.
    void close_version(std::int64_t row_id, const std::string& valid_to, std::int64_t run_id);
    void insert_version(const GridVersionRow& row);
    /// Give `serial` of `village_code` to `code` (active from `created_at`).
    void add_serial(const std::string& village_code, int serial, const std::string& code,
                    const std::string& created_at);
    /// Retire the serial of `code` for good.
    void retire_serial(const std::string& code, const std::string& retired_at);
    /// Record what run `run_id` did to a code (old or new empty: NULL).
    void add_lineage(std::int64_t run_id, const std::string& old_code, const std::string& new_code,
                     const std::string& kind, double shared_m2);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};


// ---------------------------------------------------------------- history
// (grids_history_repo.cpp)

/// A run with what it did, for `wangge history`.
struct RunRow {
    RunInfo info;
    std::string settings;
    std::int64_t villages = 0, grids = 0, kept = 0, added = 0, retired = 0;
};
/// The runs that made or closed a grid version whose code starts with `prefix`
/// (empty: every run), oldest first.
std::vector<RunRow> runs_touching(Store& store, const std::string& prefix);

/// A whole grid version row.
struct VersionRow {
    std::int64_t row_id = 0;
    GridVersionRow row;
    std::string valid_to;        ///< empty: current
    std::int64_t closed_by = 0;  ///< 0: not closed
};
/// The versions run `run` made, and those it closed, ordered by code.
std::vector<VersionRow> versions_made_by(Store& store, std::int64_t run);
std::vector<VersionRow> versions_closed_by(Store& store, std::int64_t run);
/// The villages whose grids run `run` changed.
std::vector<std::string> villages_changed_by(Store& store, std::int64_t run);
/// The grid versions of `village` as they stood just before run `run`.
std::vector<VersionRow> versions_before(Store& store, const std::string& village, std::int64_t run);
/// The current versions of `village`.
std::vector<VersionRow> current_versions(Store& store, const std::string& village);
/// Runs after `run` that changed grids of `village`.
std::vector<std::int64_t> later_runs(Store& store, const std::string& village, std::int64_t run);
/// The lineage rows of run `run`, as written.
struct LineageRowOfRun {
    std::string old_code, new_code, kind;
    double shared_m2 = 0;
};
std::vector<LineageRowOfRun> lineage_of_run(Store& store, std::int64_t run);
/// Give a retired code back its serial (a rollback restoring the grid): active again.
void reactivate_serial(Store& store, const std::string& code);

// ------------------------------------------------------------------ maps

/// Each current grid in the map area, in code order (wangge::for_each_grid).
void for_each_grid_feature(Store& store, const AreaFilter& area, const std::function<void(const GridFeature&)>& fn);
/// The label point of each current grid: code, lon, lat.
void for_each_grid_label(Store& store, const std::function<void(const std::string&, double, double)>& fn);
/// The bounding boxes of the grid versions made or closed at or after `since`, and of
/// every current grid whose box touches one of them: what a tile update redraws.
void changed_grid_boxes(Store& store, std::string_view since,
                        const std::function<void(const std::array<double, 4>&)>& box);
/// The bounding boxes of the current grids of `codes`.
void current_grid_boxes(Store& store, const std::vector<std::string>& codes,
                        const std::function<void(const std::array<double, 4>&)>& box);
}  // namespace wangge::repo
