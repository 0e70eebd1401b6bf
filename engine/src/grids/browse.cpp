// Reading grids back: lists, a grid's versions and lineage.
#include <fmt/format.h>

#include "wangge/error.hpp"
#include "wangge/grids.hpp"
#include "wangge/jurisdictions.hpp"
#include "wangge/source.hpp"
#include "wangge/store.hpp"

namespace wangge {

namespace {

// Current or historic grid rows with the names of their village, township, county
// (from the jurisdictions, else the code table).
constexpr const char* grid_select = R"sql(
    SELECT g.code, g.village_code,
           coalesce(v.name, dv.name, ''), substr(g.village_code, 1, 9), coalesce(t.name, dt.name, ''),
           substr(g.village_code, 1, 6), coalesce(c.name, dc.name, ''),
           g.serial, g.type, coalesce(g.name, ''), g.households, g.area_m2, g.compactness, g.label_lon, g.label_lat,
           coalesce(g.beidou, ''), g.lineage, g.valid_from, coalesce(g.valid_to, '')
    FROM grids g
    LEFT JOIN jurisdictions v ON v.code = g.village_code
    LEFT JOIN division_codes dv ON dv.code = g.village_code
    LEFT JOIN jurisdictions t ON t.code = substr(g.village_code, 1, 9)
    LEFT JOIN division_codes dt ON dt.code = substr(g.village_code, 1, 9)
    LEFT JOIN jurisdictions c ON c.code = substr(g.village_code, 1, 6)
    LEFT JOIN division_codes dc ON dc.code = substr(g.village_code, 1, 6)
)sql";

GridRow row_of(const Statement& st) {
    GridRow r;
    r.code = st.text(0);
    r.village_code = st.text(1);
    r.village_name = st.text(2);
    r.township_code = st.text(3);
    r.township_name = st.text(4);
    r.county_code = st.text(5);
    r.county_name = st.text(6);
    r.serial = static_cast<int>(st.int64(7));
    r.type = st.text(8);
    r.name = st.text(9);
    r.households = st.int64(10);
    r.area_m2 = st.real(11);
    r.compactness = st.real(12);
    r.label_lon = st.real(13);
    r.label_lat = st.real(14);
    r.beidou = st.text(15);
    r.lineage = st.text(16);
    r.valid_from = st.text(17);
    r.valid_to = st.text(18);
    return r;
}

} // namespace

void check_code_prefix(const std::string& prefix) {
    if (prefix.find_first_not_of("0123456789") != std::string::npos)
        throw usage_error(fmt::format("'{}' is not a code prefix (digits only)", prefix));
}

std::vector<GridRow> list_grids(Store& store, const std::string& prefix) {
    check_code_prefix(prefix);
    Statement st = store.prepare(std::string(grid_select) +
                                 " WHERE g.valid_to IS NULL AND g.code LIKE ? || '%' ORDER BY g.code");
    st.bind(1, prefix);
    std::vector<GridRow> out;
    while (st.step()) out.push_back(row_of(st));
    return out;
}

std::vector<GridRow> grid_history(Store& store, const std::string& code) {
    Statement st = store.prepare(std::string(grid_select) +
                                 " WHERE g.code = ? ORDER BY (g.valid_to IS NULL) DESC, g.valid_from DESC, g.id DESC");
    st.bind(1, code);
    std::vector<GridRow> out;
    while (st.step()) out.push_back(row_of(st));
    return out;
}

std::vector<CodeChange> grid_lineage(Store& store, const std::string& code) {
    Statement st = store.prepare(
        "SELECT r.started_at, coalesce(l.old_code, ''), coalesce(l.new_code, ''), l.kind FROM grid_lineage l "
        "JOIN partition_runs r ON r.id = l.run_id WHERE l.old_code = ?1 OR l.new_code = ?1 ORDER BY l.run_id, l.rowid");
    st.bind(1, code);
    std::vector<CodeChange> out;
    while (st.step()) {
        const std::string at = st.text(0), from = st.text(1), to = st.text(2), kind = st.text(3);
        std::string detail;
        if (kind == "retired") detail = "retired";
        else if (from == to) detail = kind;
        else if (to == code) detail = kind + " from " + from;
        else detail = kind + " into " + to;
        out.push_back({code, kind, at + "  " + detail});
    }
    return out;
}

} // namespace wangge
