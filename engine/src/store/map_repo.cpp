// map_repo — the reads a map of the store is drawn from (wangge/map_data.hpp). The SQL
// moved here from the tile builder; each function is self-contained so that it can
// move to the owner of its tables (grids_repo, jurisdictions_repo, events_repo).
#include <string>

#include "store/runs_repo.hpp"
#include "store/sql.hpp"
#include "wangge/map_data.hpp"

namespace wangge {

namespace {

// The area as SQL conditions on a code column and on `geom`, values bound from ?1
// (the prefix) and ?2-?5 (the box) by bind_area: "(code under the prefix or above
// it) AND (bounding boxes meet)"; "1" for what is not restricted.
std::string area_condition(const AreaFilter& area, const std::string& code_column) {
    std::string sql =
        area.code_prefix.empty() ? "1" : "(" + code_column + " LIKE ?1 || '%' OR ?1 LIKE " + code_column + " || '%')";
    sql += area.bbox ? " AND MbrIntersects(geom, BuildMbr(?2, ?3, ?4, ?5, 4490))" : " AND 1";
    return sql;
}

void bind_area(Statement& st, const AreaFilter& area) {
    if (!area.code_prefix.empty()) st.bind(1, area.code_prefix);
    if (area.bbox)
        for (int i = 0; i < 4; ++i) st.bind(2 + i, (*area.bbox)[static_cast<std::size_t>(i)]);
}

}  // namespace

// reads grids
void for_each_grid(Store& store, const AreaFilter& area, const std::function<void(const GridFeature&)>& fn) {
    Statement st = sql::prepare(store,
                                "SELECT AsBinary(geom), code, type, households, village_code, coalesce(name, ''), "
                                "label_lon, label_lat FROM grids WHERE valid_to IS NULL AND " +
                                    area_condition(area, "code") + " ORDER BY code");
    bind_area(st, area);
    GridFeature g;
    while (st.step()) {
        g.wkb = st.blob(0);
        g.code = st.text(1);
        g.type = st.text(2);
        g.households = st.int64(3);
        g.village = st.text(4);
        g.name = st.text(5);
        g.label_lon = st.real(6);
        g.label_lat = st.real(7);
        fn(g);
    }
}

// reads grids
void for_each_grid_label(Store& store, const std::function<void(const std::string&, double, double)>& fn) {
    Statement st = sql::prepare(store, "SELECT code, label_lon, label_lat FROM grids WHERE valid_to IS NULL");
    while (st.step()) fn(st.text(0), st.real(1), st.real(2));
}

// reads jurisdictions
void for_each_jurisdiction(Store& store, std::string_view level, const AreaFilter& area,
                           const std::function<void(const JurisdictionFeature&)>& fn) {
    Statement st = sql::prepare(
        store, "SELECT AsBinary(geom), code, name, coalesce(parent_code, '') FROM jurisdictions WHERE level = ?6 AND " +
                   area_condition(area, "code") + " ORDER BY code");
    bind_area(st, area);
    st.bind(6, level);
    JurisdictionFeature j;
    while (st.step()) {
        j.wkb = st.blob(0);
        j.code = st.text(1);
        j.name = st.text(2);
        j.parent = st.text(3);
        fn(j);
    }
}

// reads events, event_types
std::map<std::string, std::map<std::string, std::int64_t>> event_counts_per_grid(Store& store) {
    std::map<std::string, std::map<std::string, std::int64_t>> counts;
    Statement st =
        sql::prepare(store,
                     "SELECT e.grid_code, coalesce(t.platform, ''), count(*) FROM events e LEFT JOIN event_types t ON "
                     "t.code = e.type_code WHERE e.grid_code IS NOT NULL GROUP BY 1, 2");
    while (st.step()) counts[st.text(0)][st.text(1)] = st.int64(2);
    return counts;
}

// reads events
bool has_events(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM events") > 0;
}

// reads events, event_types
void for_each_event(Store& store, const AreaFilter& area, const std::function<void(const EventPoint&)>& fn) {
    Statement st = sql::prepare(
        store,
        "SELECT X(e.geom), Y(e.geom), e.event_id, e.type_code, coalesce(t.platform, ''), coalesce(e.grid_code, ''), "
        "e.uncovered FROM events e LEFT JOIN event_types t ON t.code = e.type_code WHERE " +
            area_condition(area, "coalesce(e.grid_code, '')") + " ORDER BY e.event_id");
    bind_area(st, area);
    EventPoint e;
    while (st.step()) {
        e.lon = st.real(0);
        e.lat = st.real(1);
        e.id = st.text(2);
        e.type = st.text(3);
        e.platform = st.text(4);
        e.grid = st.text(5);
        e.uncovered = st.int64(6) != 0;
        fn(e);
    }
}

// reads grids, jurisdictions, events
std::vector<std::array<double, 4>> changed_since(Store& store, const std::string& since) {
    // changed features, and every feature of the same layer touching one (the
    // topology step may cut their shared arcs anew); for changed events, the
    // current grid holding them (its event counts changed)
    Statement st = sql::prepare(
        store,
        "WITH cg AS (SELECT geom FROM grids WHERE valid_from >= ?1 OR (valid_to IS NOT NULL AND valid_to >= ?1)), "
        "cj AS (SELECT level, geom FROM jurisdictions WHERE imported_at >= ?1), env(geom) AS (SELECT geom FROM cg "
        "UNION ALL SELECT g.geom FROM grids g, cg WHERE g.valid_to IS NULL AND MbrIntersects(g.geom, cg.geom) "
        "UNION ALL SELECT geom FROM cj "
        "UNION ALL SELECT j.geom FROM jurisdictions j, cj WHERE j.level = cj.level AND MbrIntersects(j.geom, cj.geom) "
        "UNION ALL SELECT geom FROM events WHERE assigned_at >= ?1"
        " UNION ALL SELECT g.geom FROM events e JOIN grids g ON g.code = e.grid_code AND g.valid_to IS NULL "
        "WHERE e.assigned_at >= ?1) "
        "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM env");
    st.bind(1, since);
    std::vector<std::array<double, 4>> out;
    while (st.step()) {
        if (st.is_null(0)) continue;
        out.push_back({st.real(0), st.real(1), st.real(2), st.real(3)});
    }
    return out;
}

std::string store_now(Store& store) {
    return repo::now_timestamp(store);
}

}  // namespace wangge
