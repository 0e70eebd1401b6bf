// wangge/assign.hpp — batch assignment of event points to grids, CSV in, CSV out.
//
// The audit path: millions of events from a file, each given the code of the grid
// that holds it, written to another file, with no store writes. It streams: a
// reader cuts the input into blocks at line ends, worker threads parse and locate
// the points of a block, and each block's output is written in input order. Memory
// is a few blocks per thread, whatever the file's size.
#pragma once

#include "wangge/chinacrs.hpp"
#include "wangge/codes.hpp"
#include "wangge/coverage_index.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace wangge {

struct AssignOptions {
    std::filesystem::path in, out;
    std::string x_field, y_field;   ///< default: lon/lng/longitude/x and lat/latitude/y
    char delimiter = 0;             ///< 0: guess from the header
    chinacrs::Datum crs = chinacrs::Datum::wgs84;
    int threads = 0;                ///< 0: all cores
    bool nearest = false;           ///< add nearest_grid and nearest_m for points in no grid
    std::string code_column = "grid_code";
};

struct AssignReport {
    std::int64_t rows = 0, assigned = 0, uncovered = 0, bad = 0;  ///< bad: no readable coordinates
    double seconds = 0;
    int threads = 0;
};

/// Assign every row of `options.in`; rows are written unchanged with the grid code
/// appended (empty for a point in no grid or a row without readable coordinates).
AssignReport assign_csv(const CoverageIndex& index, const AssignOptions& options, const ProgressFn& progress = {});

} // namespace wangge
