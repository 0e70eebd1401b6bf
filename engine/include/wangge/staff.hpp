// wangge/staff.hpp — the people who serve each grid (网格力量): 网格长 (leader),
// 网格员 (worker, full- or part-time: 专职/兼职) and 网格指导员 (instructor).
//
// A staff list arrives as a CSV (UTF-8 or GBK) or any GDAL table (.xlsx, .ods,
// .dbf, a GeoPackage attribute table): one row per person and grid. An import is
// checked whole and written all or nothing. It replaces the staff of the grids the
// file names (other grids keep theirs) and keeps history: a row that changed or left
// is closed (valid_to), not deleted; a row that is the same as before stays open.
// Phone numbers are stored for the grid's own use and never shown: no reader here
// returns them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace wangge {

class Store;

struct StaffImportOptions {
    std::filesystem::path file;
    std::string layer;     ///< for multi-layer GDAL sources
    std::string encoding;  ///< text encoding; default: UTF-8 where valid, else GB18030 (a GDAL source: its own rules)
    char delimiter = 0;    ///< CSV; 0: guess
    /// Column names; empty: the first present of the usual names (docs/cli.md,
    /// `import staff`): grid_code/grid/网格编码/网格代码, role/岗位/角色, name/姓名,
    /// staff_id/id/工号/人员编号, phone/电话/手机, employment/专兼职. A name given must be
    /// a column of the file. phone and employment are optional columns.
    std::string grid_field, role_field, name_field, staff_id_field, phone_field, employment_field;
    std::filesystem::path rejects_file;  ///< written when given (file, line, grid_code, staff_id, reason)
};

struct StaffReject {
    std::int64_t line = 0;  ///< CSV line (1 = header), or GDAL feature id
    std::string grid_code, staff_id, reason;
};

struct StaffImportReport {
    std::string file, format, encoding;
    std::int64_t read = 0;                        ///< rows read
    std::int64_t grids = 0;                       ///< grids the file names
    std::int64_t inserted = 0, kept = 0, closed = 0;  ///< rows written new, left open unchanged, closed
    std::map<std::string, std::int64_t> by_role;  ///< current staff of those grids per role, after the import
    std::vector<StaffReject> rejects;             ///< every rejected row; any: nothing was written
    bool committed = false;
    std::int64_t import_id = 0;
};

/// The role stored for a role as written: leader (网格长), worker (网格员, 专职网格员,
/// 兼职网格员) or instructor (网格指导员), or the English word in any ASCII case;
/// "" when unknown. `employment` is set to full/part when the role says it
/// (专职网格员 / 兼职网格员), else cleared.
std::string normalise_staff_role(std::string_view text, std::string& employment);
/// full (专职) or part (兼职), the English words in any case; "" when unknown.
std::string normalise_employment(std::string_view text);

/// Import a staff list in one transaction: every row is checked (a current grid
/// code, a known role, a name and a staff id, one leader per grid and a staff id once
/// per grid in the file); with any reject nothing is written (`committed` false; the
/// rejects file is still written). Throws input_error for a file it cannot read as a
/// staff list (a missing column, no rows).
StaffImportReport import_staff(Store& store, const StaffImportOptions& options);

/// One person serving a grid (no phone: readers never return it). valid_to "" while current.
struct StaffMember {
    std::string grid_code, role, name, staff_id, employment, valid_from, valid_to;
};

/// The current staff of grids whose code starts with `prefix` (empty: all), ordered
/// by grid code, role (leader, worker, instructor) and staff id.
std::vector<StaffMember> current_staff(Store& store, const std::string& prefix);
/// Every staff row a grid has had, current and closed, ordered by valid_from, role,
/// staff id.
std::vector<StaffMember> staff_history(Store& store, const std::string& grid_code);

}  // namespace wangge
