// staff_repo — the owner of the table staff (internal header).
//
// The people who serve each grid: 网格长 (leader), 网格员 (worker), 网格指导员
// (instructor). Kept in versions like grids: a row is current while valid_to IS
// NULL; a re-import closes the rows it replaces (valid_to = its time) and inserts
// their successors, so history is never deleted. The store itself holds one current
// leader per grid and a staff id once per grid (partial unique indexes, schema v5).
// Writers do not open a transaction (the caller does).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace wangge {
class Store;
}

namespace wangge::repo {

/// One row of staff. phone and employment are "" when NULL; valid_to "" while current.
struct StaffRow {
    std::int64_t row_id = 0;
    std::string grid_code, role, name, staff_id, phone, employment, valid_from, valid_to;
};

/// A text that changes whenever staff of grids whose code starts with `prefix` is
/// imported or replaced (for reports that are redone only on change).
std::string staff_stamp(Store& store, const std::string& prefix);
/// Current staff rows.
std::int64_t count_current_staff(Store& store);
/// The current staff of grids whose code starts with `prefix` (empty: all), ordered
/// by grid code, role (leader, worker, instructor) and staff id.
std::vector<StaffRow> current_staff(Store& store, const std::string& prefix);
/// Every row of grid `grid_code`, current or closed, ordered by valid_from, role
/// (leader, worker, instructor), staff id.
std::vector<StaffRow> staff_history(Store& store, const std::string& grid_code);

/// Closes and inserts staff rows, keeping its statements for a whole import.
class StaffWriter {
public:
    explicit StaffWriter(Store& store);
    ~StaffWriter();
    StaffWriter(const StaffWriter&) = delete;
    StaffWriter& operator=(const StaffWriter&) = delete;

    /// The row `row_id` stops being current at `valid_to`.
    void close(std::int64_t row_id, const std::string& valid_to);
    /// Insert a current row (valid_from from `row`); empty phone/employment: NULL.
    void insert(const StaffRow& row, std::int64_t import_id);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wangge::repo
