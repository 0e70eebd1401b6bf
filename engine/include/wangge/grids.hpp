// wangge/grids.hpp — grids in the store: partition runs, the unified grid code,
// stability across redraws, browsing and export.
//
// Unified grid code (docs/codes.md): 15 digits = the village's 12-digit statistical
// code + a 3-digit serial 001-999. Serials are given west to east, then north to
// south, when a village is first partitioned. When it is partitioned again, a new
// grid that shares at least half of its area with an old grid, and at least half of
// the old grid's area, keeps the old code; the others get the next serial never used
// in that village; codes that disappear are retired with a date and never given out
// again (the grid_serials table enforces it). Every change is recorded as lineage.
#pragma once

#include "wangge/progress.hpp"
#include "wangge/codes.hpp"
#include "wangge/coverage_index.hpp"
#include "wangge/partition.hpp"
#include "wangge/source.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wangge {

class Store;

// ---------------------------------------------------------------- inputs

struct HouseholdImportOptions {
    SourceOptions source;
    std::string count_field = "households";
    bool replace = false;   ///< drop the households already in the store first
};

struct BarrierImportOptions {
    SourceOptions source;
    std::string kind_field = "kind";  ///< road, river, railway... (optional field)
    std::string name_field = "name";  ///< optional field
    bool replace = false;
};

struct InputImportReport {
    std::string file, crs, encoding;
    std::string crs_operation;                       ///< how coordinates reached CGCS2000, with its accuracy
    std::vector<std::string> warnings;               ///< about the whole file
    std::int64_t read = 0, imported = 0, total = 0;  ///< total: households summed, or barrier length in m
    std::vector<std::string> rejects;                ///< "feature N: reason"
};

/// Household points with a count (any GDAL point source). Throws input_error when
/// the count field is missing or the file holds no points; bad features are listed
/// as rejects and nothing is written when there are any.
InputImportReport import_households(Store& store, const HouseholdImportOptions& options);
/// Barrier lines: roads, rivers, railways. Same rules; a file of points or polygons is refused.
InputImportReport import_barriers(Store& store, const BarrierImportOptions& options);

/// The household points of villages, each point in exactly one village by the rule
/// events use for grids (docs/codes.md): inside one village, that village; on an
/// edge, the half-open rule; where villages overlap, the lowest village code (every
/// village of the store near the given ones takes part, so a run over some villages
/// gives a point the same village as a run over all).
struct VillageHouseholds {
    std::vector<std::vector<HouseholdPoint>> points;          ///< per given village, in the order given
    std::int64_t overlap_points = 0, overlap_households = 0;  ///< of those, inside two or more villages
    std::int64_t outside_points = 0, outside_households = 0;  ///< within their extent but in no village
};
VillageHouseholds households_by_village(Store& store, const std::vector<CoverageIndex::Polygon>& villages);

// ------------------------------------------------------------ partition

struct PartitionOptions {
    std::string scope;                    ///< "" = every village; else a 6, 9 or 12-digit code
    SizePolicy policy;
    std::filesystem::path dedicated_file; ///< optional polygons that become 专属网格
    std::string dedicated_name_field = "name";
    int threads = 0;                      ///< 0: hardware concurrency
    int beidou_level = 8;
    bool dry_run = false;
    bool allow_ballpark = false;          ///< read dedicated areas even by a ballpark datum shift (SourceOptions)
};

/// What happened to one code in a run.
struct CodeChange {
    std::string code;
    std::string kind;     ///< new, unchanged, reshaped, split, merged, retired
    std::string detail;   ///< e.g. "from 330502001005003" or "into 330502001005007"
};

struct VillageRunSummary {
    std::string village_code, village_name;
    bool urban = false;  ///< community (社区/居委会) rather than village
    int grids = 0;
    std::int64_t households = 0;
    double target = 0;
    int band_min = 0, band_max = 0;    ///< households per grid, or m² when by_area
    bool by_area = false;              ///< no household data: target and band in m²
    double max_dev = 0, min_dev = 0;   ///< (households - target)/target of the heaviest / lightest grid
};

struct PartitionReport {
    int villages = 0, grids = 0;
    int kept = 0, reshaped = 0, added = 0, retired = 0;
    std::int64_t households = 0;
    std::int64_t in_band = 0;              ///< grids inside their village's size band
    /// Base grids of villages sized by households / by area (no household data), and
    /// of those the ones inside their band.
    std::int64_t household_grids = 0, household_in_band = 0, area_grids = 0, area_in_band = 0;
    std::vector<double> compactness;       ///< per grid
    std::vector<double> deviation;         ///< per grid (households - target)/target (household villages only)
    /// In villages crossed by barriers: grid edges inside villages, the part of them
    /// along barriers, and the length of barrier lines inside the villages.
    double interior_edge_m = 0, barrier_edge_m = 0, barrier_length_m = 0;
    int villages_with_barriers = 0, dedicated = 0;
    std::vector<VillageRunSummary> per_village;
    std::vector<CodeChange> changes;       ///< code by code (filled always; printed for --dry-run)
    std::vector<std::string> notes;
    std::int64_t run_id = 0;
    std::int64_t events_reassigned = 0;    ///< events that moved to another grid (or out of all)
    /// Household points inside two or more villages (each counted once, in the lowest
    /// code), and points in no village (in no grid).
    std::int64_t overlap_points = 0, overlap_households = 0, outside_points = 0, outside_households = 0;
    double seconds = 0;
    int threads = 0;
};

PartitionReport run_partition(Store& store, const PartitionOptions& options, const ProgressFn& progress = {});

// -------------------------------------------------------------- browse

struct GridRow {
    std::string code, village_code, village_name, township_code, township_name, county_code, county_name;
    int serial = 0;
    std::string type;   ///< base / dedicated
    std::string name;
    std::int64_t households = 0;
    double area_m2 = 0, compactness = 0, label_lon = 0, label_lat = 0;
    std::string beidou, lineage, valid_from, valid_to;
    std::vector<unsigned char> wkb;  ///< the outline (WKB, EPSG:4490), when asked for
    std::int64_t version = 0;        ///< the id of this version's row (list_grids only; 0 elsewhere)
};

/// Throws usage_error unless `prefix` is digits only (a code prefix; empty: all).
void check_code_prefix(const std::string& prefix);
/// Current grids whose code starts with `prefix` (a county, township or village code),
/// ordered by code; with their outlines (`wkb`) when `with_geometry`.
/// With `at` (normalise_time_at): the grids as they stood then.
std::vector<GridRow> list_grids(Store& store, const std::string& prefix, bool with_geometry = false,
                                const std::string& at = "");
/// A user's time for `at`: "2026-12-02" (the end of that day, UTC), "2026-12-02 10:00",
/// "2026-12-02T10:00:00Z"; returned as stored ("2026-12-02T10:00:00Z"). Throws
/// usage_error for anything else.
std::string normalise_time_at(const std::string& text);
/// A grid by code (current version), with its history (all versions, newest first).
std::vector<GridRow> grid_history(Store& store, const std::string& code);
/// Lineage rows that mention a code: (run, old, new, kind).
std::vector<CodeChange> grid_lineage(Store& store, const std::string& code);
/// The code of `--village`, `--township` or `--county` (`level`) checked: a code of
/// that level (usage_error otherwise) of a stored jurisdiction (input_error naming it
/// otherwise). Returned as it is: the code prefix of everything under it.
std::string checked_scope_code(Store& store, Level level, const std::string& code);
/// Export current grids whose code starts with `prefix` (with village/township names,
/// their version row id and checksum) to any GDAL format, with the outlines of their
/// villages as a second layer (GeoPackage: layers `grids` and `villages` and a QGIS
/// default style per layer; one-layer formats: a sibling `<stem>_villages<ext>`).
/// Returns the number of grids written.
std::int64_t export_grids(Store& store, const std::filesystem::path& out, const std::string& format,
                          const std::string& prefix, bool overwrite, const std::string& at = "");

} // namespace wangge
