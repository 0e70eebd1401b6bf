// grids_repo, the history half: runs, the versions each made and closed, the grids
// as they stood before a run (see grids_repo.hpp).
#include "store/grids_repo.hpp"
#include "store/sql.hpp"

namespace wangge::repo {

using sql::Statement;

namespace {

constexpr const char* version_columns =
    "SELECT id, code, village_code, serial, type, coalesce(name, ''), households, area_m2, perimeter_m, compactness, "
    "label_lon, label_lat, coalesce(beidou, ''), coalesce(lineage, ''), valid_from, coalesce(valid_to, ''), run_id, "
    "coalesce(closed_by, 0), AsBinary(geom) FROM grids ";

VersionRow version_of(const Statement& st) {
    VersionRow v;
    v.row_id = st.int64(0);
    auto& r = v.row;
    r.code = st.text(1);
    r.village_code = st.text(2);
    r.serial = static_cast<int>(st.int64(3));
    r.type = st.text(4);
    r.name = st.text(5);
    r.households = st.int64(6);
    r.area_m2 = st.real(7);
    r.perimeter_m = st.real(8);
    r.compactness = st.real(9);
    r.label_lon = st.real(10);
    r.label_lat = st.real(11);
    r.beidou = st.text(12);
    r.lineage = st.text(13);
    r.valid_from = st.text(14);
    v.valid_to = st.text(15);
    r.run_id = st.int64(16);
    v.closed_by = st.int64(17);
    r.wkb = st.blob(18);
    return v;
}

std::vector<VersionRow> versions(Store& store, const std::string& where, std::int64_t a, const std::string* text = nullptr) {
    Statement st = sql::prepare(store, std::string(version_columns) + where);
    int i = 1;
    if (text) st.bind(i++, *text);
    if (a) st.bind(i, a);
    std::vector<VersionRow> out;
    while (st.step()) out.push_back(version_of(st));
    return out;
}

}  // namespace

std::vector<RunRow> runs_touching(Store& store, const std::string& prefix) {
    Statement st = sql::prepare(
        store,
        "SELECT id, started_at, kind, scope, coalesce(author, ''), coalesce(message, ''), coalesce(source_file, ''), "
        "settings, villages, grids, kept, added, retired FROM partition_runs r WHERE ?1 = '' OR EXISTS (SELECT 1 FROM "
        "grids g WHERE (g.run_id = r.id OR g.closed_by = r.id) AND g.code >= ?1 AND g.code < ?1 || 'a') ORDER BY id");
    st.bind(1, prefix);
    std::vector<RunRow> out;
    while (st.step()) {
        RunRow r;
        r.info = {st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4), st.text(5), st.text(6)};
        r.settings = st.text(7);
        r.villages = st.int64(8);
        r.grids = st.int64(9);
        r.kept = st.int64(10);
        r.added = st.int64(11);
        r.retired = st.int64(12);
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<VersionRow> versions_made_by(Store& store, std::int64_t run) {
    return versions(store, "WHERE run_id = ? ORDER BY code, id", run);
}

std::vector<VersionRow> versions_closed_by(Store& store, std::int64_t run) {
    return versions(store, "WHERE closed_by = ? ORDER BY code, id", run);
}

std::vector<std::string> villages_changed_by(Store& store, std::int64_t run) {
    Statement st = sql::prepare(
        store, "SELECT DISTINCT village_code FROM grids WHERE run_id = ?1 OR closed_by = ?1 ORDER BY village_code");
    st.bind(1, run);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.text(0));
    return out;
}

std::vector<VersionRow> versions_before(Store& store, const std::string& village, std::int64_t run) {
    return versions(store,
                    "WHERE village_code = ? AND run_id < ?2 AND (closed_by IS NULL OR closed_by >= ?2) ORDER BY code",
                    run, &village);
}

std::vector<VersionRow> current_versions(Store& store, const std::string& village) {
    return versions(store, "WHERE village_code = ? AND valid_to IS NULL ORDER BY code", 0, &village);
}

std::vector<std::int64_t> later_runs(Store& store, const std::string& village, std::int64_t run) {
    Statement st = sql::prepare(store,
                                "SELECT DISTINCT r FROM (SELECT run_id AS r FROM grids WHERE village_code = ?1 UNION "
                                "SELECT closed_by FROM grids WHERE village_code = ?1 AND closed_by IS NOT NULL) "
                                "WHERE r > ?2 ORDER BY r");
    st.bind(1, village).bind(2, run);
    std::vector<std::int64_t> out;
    while (st.step()) out.push_back(st.int64(0));
    return out;
}

std::vector<LineageRowOfRun> lineage_of_run(Store& store, std::int64_t run) {
    Statement st = sql::prepare(store,
                                "SELECT coalesce(old_code, ''), coalesce(new_code, ''), kind, coalesce(shared_m2, 0) "
                                "FROM grid_lineage WHERE run_id = ? ORDER BY rowid");
    st.bind(1, run);
    std::vector<LineageRowOfRun> out;
    while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.real(3)});
    return out;
}

void reactivate_serial(Store& store, const std::string& code) {
    Statement st = sql::prepare(store, "UPDATE grid_serials SET state = 'active', retired_at = NULL WHERE code = ?");
    st.bind(1, code).run();
}

}  // namespace wangge::repo
