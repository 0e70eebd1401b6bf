// events_repo: all SQL on events and event_types.
#include "store/events_repo.hpp"

#include <fmt/format.h>

#include "store/sql.hpp"

namespace wangge::repo {

std::string events_stamp(Store& store, const std::string& prefix) {
    Statement st = sql::prepare(store,
                                "SELECT count(*), coalesce(max(id), 0), coalesce(max(import_id), 0), "
                                "coalesce(max(assigned_at), '') FROM events "
                                "WHERE substr(grid_code, 1, length(?1)) = ?1 OR substr(nearest_grid, 1, length(?1)) = ?1");
    st.bind(1, prefix);
    st.step();
    return st.text(0) + "/" + st.text(1) + "/" + st.text(2) + "/" + st.text(3);
}

std::int64_t count_events(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM events");
}

std::int64_t count_uncovered_events(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM events WHERE uncovered = 1");
}

std::int64_t count_event_types(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM event_types");
}

void replace_event_types(Store& store, const std::vector<EventType>& types) {
    sql::exec(store, "DELETE FROM event_types");
    Statement ins = sql::prepare(store, "INSERT INTO event_types VALUES (?,?,?,?,?,?,?)");
    for (const auto& t : types) {
        ins.bind(1, t.code).bind(2, t.name).bind(3, t.major_code).bind(4, t.major_name).bind(5, t.platform_code);
        ins.bind(6, t.platform).bind(7, static_cast<std::int64_t>(t.township_closable)).run();
    }
}

std::vector<EventType> event_types(Store& store) {
    std::vector<EventType> out;
    Statement st = sql::prepare(store,
                                "SELECT code, name, major_code, major_name, platform_code, platform, township_closable "
                                "FROM event_types ORDER BY code");
    while (st.step())
        out.push_back({st.text(0), st.text(1), st.text(2), st.text(3), st.text(4), st.text(5), st.int64(6) != 0});
    return out;
}

struct EventImportWriter::Impl {
    Statement exists, first_line, mark_line, upsert;
};

namespace {

Statement prepare_import_lines(Store& store) {
    // the line of each id imported by this run (a temporary table: memory stays flat)
    sql::exec(store,
              "CREATE TEMP TABLE IF NOT EXISTS event_import_lines(event_id TEXT PRIMARY KEY, line INTEGER NOT NULL) "
              "WITHOUT ROWID");
    sql::exec(store, "DELETE FROM temp.event_import_lines");
    return sql::prepare(store, "SELECT line FROM temp.event_import_lines WHERE event_id = ?");
}

}  // namespace

EventImportWriter::EventImportWriter(Store& store)
    : impl_(new Impl{
          sql::prepare(store, "SELECT 1 FROM events WHERE event_id = ?"), prepare_import_lines(store),
          sql::prepare(store, "INSERT INTO temp.event_import_lines(event_id, line) VALUES (?, ?)"),
          sql::prepare(
              store,
              "INSERT INTO events(event_id, type_code, reported_at, status, source, crs, lon_reported, lat_reported, "
              "grid_code, uncovered, nearest_grid, nearest_m, import_id, assigned_at, geom, closed_at, closed_level, "
              "department, handler) "
              "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14, MakePoint(?15, ?16, 4490), ?17,?18,?19,?20) "
              "ON CONFLICT(event_id) DO UPDATE SET type_code=?2, reported_at=?3, status=?4, source=?5, crs=?6, "
              "lon_reported=?7, lat_reported=?8, grid_code=?9, uncovered=?10, nearest_grid=?11, nearest_m=?12, "
              "import_id=?13, assigned_at=?14, geom=MakePoint(?15, ?16, 4490), closed_at=?17, closed_level=?18, "
              "department=?19, handler=?20")}) {}

EventImportWriter::~EventImportWriter() = default;

std::optional<std::int64_t> EventImportWriter::first_line(std::string_view event_id) {
    auto& st = impl_->first_line;
    st.bind(1, event_id);
    std::optional<std::int64_t> line;
    if (st.step()) line = st.int64(0);
    st.reset();
    return line;
}

void EventImportWriter::mark_line(std::string_view event_id, std::int64_t line) {
    impl_->mark_line.bind(1, event_id).bind(2, line).run();
}

bool EventImportWriter::exists(std::string_view event_id) {
    auto& st = impl_->exists;
    st.bind(1, event_id);
    const bool found = st.step();
    st.reset();
    return found;
}

namespace {

/// Bind a placement as (grid_code, uncovered, nearest_grid, nearest_m) from `first`.
void bind_placement(Statement& st, int first, const EventPlacement& p) {
    if (p.uncovered)
        st.bind_null(first).bind(first + 1, std::int64_t{1});
    else
        st.bind(first, p.grid_code).bind(first + 1, std::int64_t{0});
    if (p.uncovered && p.nearest_m)
        st.bind(first + 2, p.nearest_grid).bind(first + 3, *p.nearest_m);
    else
        st.bind_null(first + 2).bind_null(first + 3);
}

}  // namespace

namespace {

/// Bind `text`, or NULL when it is empty.
void bind_text_or_null(Statement& st, int at, const std::string& text) {
    if (text.empty())
        st.bind_null(at);
    else
        st.bind(at, text);
}

}  // namespace

void EventImportWriter::upsert(const EventRecord& e) {
    auto& ins = impl_->upsert;
    ins.bind(1, e.event_id).bind(2, e.type_code).bind(3, e.reported_at);
    bind_text_or_null(ins, 4, e.status);
    bind_text_or_null(ins, 5, e.source);
    bind_text_or_null(ins, 17, e.closed_at);
    bind_text_or_null(ins, 18, e.closed_level);
    bind_text_or_null(ins, 19, e.department);
    bind_text_or_null(ins, 20, e.handler);
    ins.bind(6, e.crs).bind(7, e.lon_reported).bind(8, e.lat_reported);
    bind_placement(ins, 9, e.placement);
    ins.bind(13, e.import_id).bind(14, e.assigned_at).bind(15, e.lon).bind(16, e.lat);
    ins.run();
}

void for_each_event_to_place(Store& store, const std::optional<Frame>& frame,
                             const std::vector<std::string>& current_grids,
                             const std::function<void(const StoredPlacement&)>& fn) {
    std::string where;
    if (frame) {
        sql::exec(store, "CREATE TEMP TABLE IF NOT EXISTS current_grid_codes(code TEXT PRIMARY KEY); "
                         "DELETE FROM temp.current_grid_codes");
        Statement ins = sql::prepare(store, "INSERT OR IGNORE INTO temp.current_grid_codes(code) VALUES (?)");
        for (const auto& c : current_grids) {
            ins.bind(1, c).run();
        }
    }
    if (frame)
        // the events in the frame, any event whose grid is no longer current, and
        // every event in no grid (its nearest grid may be one that changed)
        where = fmt::format(
            " WHERE id IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = 'events' AND "
            "search_frame = BuildMbr({:.12f}, {:.12f}, {:.12f}, {:.12f}, 4490))"
            " OR (grid_code IS NOT NULL AND grid_code NOT IN "
            "(SELECT code FROM temp.current_grid_codes)) OR uncovered = 1",
            frame->x0, frame->y0, frame->x1, frame->y1);
    Statement sel = sql::prepare(store,
                                 "SELECT id, X(geom), Y(geom), coalesce(grid_code, ''), uncovered, "
                                 "coalesce(nearest_grid, ''), nearest_m FROM events" +
                                     where);
    StoredPlacement e;
    while (sel.step()) {
        e.rowid = sel.int64(0);
        e.lon = sel.real(1);
        e.lat = sel.real(2);
        e.placement.grid_code = sel.text(3);
        e.placement.uncovered = sel.int64(4) != 0;
        e.placement.nearest_grid = sel.text(5);
        e.placement.nearest_m = sel.is_null(6) ? std::nullopt : std::optional<double>(sel.real(6));
        fn(e);
    }
}

struct EventPlacementWriter::Impl {
    Statement update;
};

EventPlacementWriter::EventPlacementWriter(Store& store)
    : impl_(new Impl{sql::prepare(store,
                                  "UPDATE events SET grid_code = ?, uncovered = ?, nearest_grid = ?, nearest_m = ?, "
                                  "assigned_at = ? WHERE id = ?")}) {}

EventPlacementWriter::~EventPlacementWriter() = default;

void EventPlacementWriter::update(std::int64_t rowid, const EventPlacement& placement, std::string_view assigned_at) {
    auto& upd = impl_->update;
    bind_placement(upd, 1, placement);
    upd.bind(5, assigned_at).bind(6, rowid).run();
}

std::vector<PlatformCount> event_counts_by_platform(Store& store, const std::string& prefix) {
    Statement st =
        sql::prepare(store,
                     "SELECT coalesce(t.platform, '(unknown type)'), count(*), sum(e.uncovered) FROM events e "
                     "LEFT JOIN event_types t ON t.code = e.type_code "
                     "WHERE ?1 = '' OR e.grid_code LIKE ?1 || '%' GROUP BY 1 ORDER BY 1");
    st.bind(1, prefix);
    std::vector<PlatformCount> out;
    while (st.step()) out.push_back({st.text(0), st.int64(1), st.int64(2)});
    return out;
}

void for_each_event_fact(Store& store, const std::string& prefix, const std::string& from, const std::string& to,
                         const std::function<void(const EventFact&)>& fn) {
    // the prefix is matched with substr, not LIKE: a code holds no wildcards, but a
    // caller's text might
    Statement st = sql::prepare(
        store,
        "SELECT e.event_id, e.type_code, coalesce(t.platform_code, ''), coalesce(t.platform, ''), "
        "coalesce(e.reported_at, ''), coalesce(e.status, ''), coalesce(e.closed_at, ''), "
        "coalesce(e.closed_level, ''), coalesce(e.department, ''), coalesce(e.handler, ''), "
        "coalesce(e.grid_code, ''), coalesce(e.nearest_grid, ''), e.uncovered, coalesce(t.township_closable, 1), "
        "coalesce(e.nearest_m, 0), X(e.geom), Y(e.geom) "
        "FROM events e LEFT JOIN event_types t ON t.code = e.type_code "
        "WHERE (?1 = '' OR substr(e.grid_code, 1, length(?1)) = ?1 "
        "       OR (e.uncovered = 1 AND substr(e.nearest_grid, 1, length(?1)) = ?1)) "
        "AND (?2 = '' OR e.reported_at >= ?2) AND (?3 = '' OR e.reported_at < ?3) "
        "ORDER BY e.event_id");
    st.bind(1, prefix).bind(2, from).bind(3, to);
    EventFact f;
    while (st.step()) {
        f.event_id = st.text(0);
        f.type_code = st.text(1);
        f.platform_code = st.text(2);
        f.platform = st.text(3);
        f.reported_at = st.text(4);
        f.status = st.text(5);
        f.closed_at = st.text(6);
        f.closed_level = st.text(7);
        f.department = st.text(8);
        f.handler = st.text(9);
        f.grid_code = st.text(10);
        f.nearest_grid = st.text(11);
        f.uncovered = st.int64(12) != 0;
        f.township_closable = st.int64(13) != 0;
        f.nearest_m = st.real(14);
        f.lon = st.real(15);
        f.lat = st.real(16);
        fn(f);
    }
}

std::map<std::string, std::map<std::string, std::int64_t>> event_counts_per_grid(Store& store) {
    std::map<std::string, std::map<std::string, std::int64_t>> counts;
    Statement st =
        sql::prepare(store,
                     "SELECT e.grid_code, coalesce(t.platform, ''), count(*) FROM events e LEFT JOIN event_types t ON "
                     "t.code = e.type_code WHERE e.grid_code IS NOT NULL GROUP BY 1, 2");
    while (st.step()) counts[st.text(0)][st.text(1)] = st.int64(2);
    return counts;
}

void for_each_event_point(Store& store, const AreaFilter& area, const std::function<void(const EventPoint&)>& fn) {
    Statement st = sql::prepare(
        store,
        "SELECT X(e.geom), Y(e.geom), e.event_id, e.type_code, coalesce(t.platform, ''), coalesce(e.grid_code, ''), "
        "e.uncovered FROM events e LEFT JOIN event_types t ON t.code = e.type_code WHERE " +
            sql::area_condition(area, "coalesce(e.grid_code, '')") + " ORDER BY e.event_id");
    sql::bind_area(st, area);
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

void changed_event_boxes(Store& store, std::string_view since,
                         const std::function<void(const std::array<double, 4>&)>& box) {
    Statement st = sql::prepare(
        store, "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM events WHERE assigned_at >= ?1");
    st.bind(1, since);
    sql::for_each_box(st, box);
}

std::vector<std::string> grids_of_events_assigned_since(Store& store, std::string_view since) {
    Statement st = sql::prepare(
        store, "SELECT DISTINCT grid_code FROM events WHERE assigned_at >= ?1 AND grid_code IS NOT NULL ORDER BY 1");
    st.bind(1, since);
    std::vector<std::string> out;
    while (st.step()) out.push_back(st.text(0));
    return out;
}
}  // namespace wangge::repo
