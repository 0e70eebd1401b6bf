// wangge/assign.hpp — batch assignment of event points to grids, CSV in, CSV out.
//
// The audit path: millions of events from a file, each given the code of the grid
// that holds it, written to another file, with no store writes. It streams: a
// reader cuts the input into blocks at line ends, worker threads parse and locate
// the points of a block, and each block's output is written in input order. Memory
// is a few blocks per thread, whatever the file's size.
#pragma once

#include "wangge/progress.hpp"
#include "wangge/chinacrs.hpp"
#include "wangge/codes.hpp"
#include "wangge/coverage_index.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wangge {

struct AssignOptions {
    std::filesystem::path in, out;
    std::string x_field, y_field;   ///< default: lon/lng/longitude/x and lat/latitude/y
    char delimiter = 0;             ///< 0: guess from the header
    chinacrs::Datum crs = chinacrs::Datum::wgs84;
    int threads = 0;                ///< 0: all cores
    bool nearest = false;           ///< add nearest_grid and nearest_m for points in no grid
    std::string code_column = "grid_code";
    std::string status_column = "grid_status";
};

struct AssignReject {
    std::int64_t line = 0;
    std::string reason;
};

struct AssignReport {
    std::int64_t rows = 0, assigned = 0, uncovered = 0;
    std::int64_t bad = 0;                     ///< no readable coordinates
    std::int64_t rejected = 0;                ///< records the CSV reader rejected (a quote left open)
    std::vector<AssignReject> first_rejects;  ///< the first 50, in input order
    double seconds = 0;
    int threads = 0;
};

/// Throws usage_error when `in` is named as a GDAL vector file, not a CSV (GeoJSON,
/// GeoPackage...), saying how to convert it; assign_csv calls it first.
void refuse_non_csv_input(const std::filesystem::path& in);

/// Assign every row of `options.in` (read with CsvReader, the reader of `events
/// import`). Each row is written as read, padded with empty fields to the header's
/// width, then the grid code (empty when there is none) and the status column:
/// `assigned`, `uncovered` (in no grid), `bad_coordinates` (a coordinate missing, not
/// a number or out of range) or `bad_record` (rejected by the CSV reader: its fields
/// are written quoted again so the output stays valid). With `nearest`, also the
/// nearest grid and its distance for uncovered rows.
AssignReport assign_csv(const CoverageIndex& index, const AssignOptions& options, const ProgressFn& progress = {});

} // namespace wangge
