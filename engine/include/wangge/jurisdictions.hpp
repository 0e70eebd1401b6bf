// wangge/jurisdictions.hpp — importing, checking and exporting jurisdictions:
// counties (县级), townships/streets (乡镇/街道) and villages/communities (村/社区).
//
// Import is check first, write after: every feature is read and checked, then the
// accepted ones are written in one transaction. With rejects and no `skip_invalid`
// nothing is written (all-or-nothing). Checks, each reported with file, feature id
// and reason: unreadable text, missing/empty/non-polygonal/invalid geometry (or
// repaired with GEOS MakeValid when `repair`), malformed code or wrong length for
// the level, duplicate code in the file, code already in the store (unless
// `replace`), parent field disagreeing with the code prefix, child not inside its
// parent beyond `inside_tolerance`. Warnings (not rejects): code not in the code
// table, name differing from it, parent missing so containment unchecked.
#pragma once

#include "wangge/progress.hpp"
#include "wangge/codes.hpp"
#include "wangge/source.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wangge {

class Store;

struct ImportOptions {
    SourceOptions source;
    std::string code_field = "code";
    std::string name_field = "name";      ///< may be absent: names then come from the code table
    std::string level_field;              ///< optional field with the level (county/township/village or 6/9/12)
    std::string parent_field;             ///< optional field with the parent code, checked against the prefix
    std::optional<Level> level;           ///< every feature must be of this level
    bool repair = false;                  ///< repair invalid geometry with MakeValid instead of rejecting
    bool skip_invalid = false;            ///< import the good features, report the rejects
    bool replace = false;                 ///< replace jurisdictions whose code is already stored
    double inside_tolerance = 0.001;      ///< share of a child's area allowed outside its parent
    std::filesystem::path rejects_file;   ///< where to write rejects (CSV); empty: do not write
    bool dry_run = false;                 ///< check only, write nothing
};

struct Finding {
    std::int64_t feature = -1;  ///< GDAL feature id (as ogrinfo and QGIS show it)
    std::string code;           ///< the code as read (may be malformed or empty)
    std::string name;
    std::string reason;
    std::string wkt;            ///< geometry of a reject, for the rejects file (may be empty)
};

struct ImportReport {
    std::string file;
    std::string driver;
    std::string crs;
    std::string crs_operation;  ///< how coordinates reached CGCS2000, with its accuracy
    std::string encoding;
    std::int64_t read = 0;
    std::int64_t imported = 0;   ///< written (new + replaced)
    std::int64_t replaced = 0;
    std::int64_t repaired = 0;
    std::int64_t counties = 0, townships = 0, villages = 0;  ///< accepted per level
    std::vector<Finding> rejects;
    std::vector<Finding> warnings;
    bool committed = false;      ///< false: the store was left exactly as it was
    std::int64_t import_id = 0;
};

ImportReport import_jurisdictions(Store& store, const ImportOptions& options, const ProgressFn& progress = {});

/// Write rejects as CSV (file, feature, code, name, reason, wkt), for QGIS or a spreadsheet.
void write_rejects_csv(const std::filesystem::path& path, const ImportReport& report);

struct ExportOptions {
    std::string layer = "jurisdictions";  ///< jurisdictions, counties, townships, villages
    std::filesystem::path out;
    std::string format;                   ///< GDAL driver short name; empty: from the extension
    std::string prefix;                   ///< only codes starting with this
    bool overwrite = false;
};

/// Export a layer of the store with GDAL. Returns the number of features written.
std::int64_t export_layer(Store& store, const ExportOptions& options);

/// GDAL driver for an output path by its extension (.shp, .gpkg, .geojson, .fgb...).
std::string driver_for_path(const std::filesystem::path& path);

struct LevelCount {
    std::string level;
    std::int64_t count = 0;
};

struct StoreInfo {
    std::string path;
    int schema_version = 0;
    int latest_schema_version = 0;
    std::vector<LevelCount> jurisdictions;   ///< county, township, village
    std::optional<std::array<double, 4>> extent;  ///< minx, miny, maxx, maxy (lon/lat)
    std::int64_t code_table_entries = 0;
    std::string code_table_source;
    std::int64_t import_runs = 0;
    std::int64_t household_points = 0, households = 0, barriers = 0;
    std::int64_t grids = 0, dedicated_grids = 0, retired_codes = 0, partition_runs = 0;
    std::int64_t events = 0, events_uncovered = 0, event_types = 0;
    std::int64_t networks = 0;  ///< other departments' grid systems (wangge networks list)
};

StoreInfo store_info(Store& store);

} // namespace wangge
