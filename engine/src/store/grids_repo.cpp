// grids_repo: all SQL on grids, grid_serials, grid_lineage and partition_runs.
#include "store/grids_repo.hpp"

#include "store/sql.hpp"

namespace wangge::repo {

namespace {

constexpr const char* grid_columns = R"sql(
    SELECT code, village_code, substr(village_code, 1, 9), substr(village_code, 1, 6),
           serial, type, coalesce(name, ''), households, area_m2, compactness, label_lon, label_lat,
           coalesce(beidou, ''), lineage, valid_from, coalesce(valid_to, '')
)sql";

GridRow grid_row_of(const Statement& st) {
    GridRow r;
    r.code = st.text(0);
    r.village_code = st.text(1);
    r.township_code = st.text(2);
    r.county_code = st.text(3);
    r.serial = static_cast<int>(st.int64(4));
    r.type = st.text(5);
    r.name = st.text(6);
    r.households = st.int64(7);
    r.area_m2 = st.real(8);
    r.compactness = st.real(9);
    r.label_lon = st.real(10);
    r.label_lat = st.real(11);
    r.beidou = st.text(12);
    r.lineage = st.text(13);
    r.valid_from = st.text(14);
    r.valid_to = st.text(15);
    return r;
}

}  // namespace

std::int64_t count_current_grids(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM grids WHERE valid_to IS NULL");
}

std::int64_t count_current_dedicated_grids(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM grids WHERE valid_to IS NULL AND type = 'dedicated'");
}

std::int64_t count_retired_codes(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM grid_serials WHERE state = 'retired'");
}

std::int64_t count_partition_runs(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM partition_runs");
}

std::vector<GridRow> current_grids(Store& store, const std::string& prefix, bool with_geometry, const std::string& at) {
    Statement st = sql::prepare(store, std::string(grid_columns) + ", id" + (with_geometry ? ", AsBinary(geom)" : "") +
                                           " FROM grids WHERE " +
                                           (at.empty() ? "valid_to IS NULL AND ?2 = ''"
                                                       : "valid_from <= ?2 AND (valid_to IS NULL OR valid_to > ?2)") +
                                           " AND code LIKE ?1 || '%' ORDER BY code");
    st.bind(1, prefix).bind(2, at);
    std::vector<GridRow> out;
    while (st.step()) {
        out.push_back(grid_row_of(st));
        out.back().version = st.int64(16);
        if (with_geometry) out.back().wkb = st.blob(17);
    }
    return out;
}

std::vector<GridRow> grid_versions(Store& store, const std::string& code) {
    Statement st = sql::prepare(
        store, std::string(grid_columns) +
                   " FROM grids WHERE code = ? ORDER BY (valid_to IS NULL) DESC, valid_from DESC, id DESC");
    st.bind(1, code);
    std::vector<GridRow> out;
    while (st.step()) out.push_back(grid_row_of(st));
    return out;
}

void for_each_current_grid_outline(
    Store& store, const std::function<void(const std::string& code, const std::vector<unsigned char>& wkb)>& grid) {
    Statement st = sql::prepare(store, "SELECT code, AsBinary(geom) FROM grids WHERE valid_to IS NULL ORDER BY code");
    while (st.step()) grid(st.text(0), st.blob(1));
}

std::vector<LineageEntry> lineage_of(Store& store, const std::string& code) {
    Statement st = sql::prepare(
        store,
        "SELECT r.started_at, coalesce(l.old_code, ''), coalesce(l.new_code, ''), l.kind FROM grid_lineage l "
        "JOIN partition_runs r ON r.id = l.run_id WHERE l.old_code = ?1 OR l.new_code = ?1 ORDER BY l.run_id, l.rowid");
    st.bind(1, code);
    std::vector<LineageEntry> out;
    while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.text(3)});
    return out;
}

std::vector<LineageEntry> lineage_since(Store& store, const std::string& prefix, std::string_view since) {
    Statement st = sql::prepare(
        store,
        "SELECT r.started_at, coalesce(l.old_code, ''), coalesce(l.new_code, ''), l.kind FROM grid_lineage l "
        "JOIN partition_runs r ON r.id = l.run_id WHERE r.started_at >= ?2 AND "
        "(substr(l.old_code, 1, length(?1)) = ?1 OR substr(l.new_code, 1, length(?1)) = ?1) "
        "ORDER BY l.run_id, l.rowid");
    st.bind(1, prefix).bind(2, since);
    std::vector<LineageEntry> out;
    while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.text(3)});
    return out;
}

std::vector<LineageEntry> new_grids_since(Store& store, const std::string& prefix, std::string_view since) {
    Statement st = sql::prepare(store,
                                "SELECT valid_from, code FROM grids WHERE lineage = 'new' AND valid_from >= ?2 AND "
                                "substr(code, 1, length(?1)) = ?1 ORDER BY valid_from, code");
    st.bind(1, prefix).bind(2, since);
    std::vector<LineageEntry> out;
    while (st.step()) out.push_back({st.text(0), "", st.text(1), "new"});
    return out;
}

std::string grids_stamp(Store& store, const std::string& prefix) {
    Statement st = sql::prepare(store,
                                "SELECT count(*), count(valid_to), coalesce(max(id), 0) FROM grids "
                                "WHERE substr(code, 1, length(?1)) = ?1");
    st.bind(1, prefix);
    st.step();
    return st.text(0) + "/" + st.text(1) + "/" + st.text(2);
}

std::optional<std::string> latest_partition_settings(Store& store) {
    return sql::query_text(store, "SELECT settings FROM partition_runs ORDER BY id DESC LIMIT 1");
}

VillageGrids village_grids(Store& store, const std::string& village_code) {
    VillageGrids out;
    Statement old = sql::prepare(
        store,
        "SELECT id, code, serial, households, AsBinary(geom), type, coalesce(name, ''), run_id FROM grids "
        "WHERE village_code = ? AND valid_to IS NULL ORDER BY serial");
    old.bind(1, village_code);
    while (old.step())
        out.grids.push_back({old.int64(0), old.text(1), static_cast<int>(old.int64(2)), old.int64(3), old.blob(4),
                             old.text(5), old.text(6), old.int64(7)});
    Statement maxs = sql::prepare(store, "SELECT coalesce(max(serial), 0) FROM grid_serials WHERE village_code = ?");
    maxs.bind(1, village_code);
    maxs.step();
    out.max_serial = static_cast<int>(maxs.int64(0));
    return out;
}

SerialState serial_state(Store& store, const std::string& code) {
    Statement st = sql::prepare(store, "SELECT state, coalesce(retired_at, '') FROM grid_serials WHERE code = ?");
    st.bind(1, code);
    SerialState out;
    if (st.step()) {
        out.state = st.text(0) == "retired" ? SerialState::State::retired : SerialState::State::active;
        out.retired_at = st.text(1);
    }
    return out;
}

std::optional<RunInfo> run_info(Store& store, std::int64_t id) {
    Statement st = sql::prepare(store,
                                "SELECT id, started_at, kind, scope, coalesce(author, ''), coalesce(message, ''), "
                                "coalesce(source_file, '') FROM partition_runs WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    return RunInfo{st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4), st.text(5), st.text(6)};
}

std::int64_t insert_partition_run(Store& store, const PartitionRunRow& r) {
    Statement run =
        sql::prepare(store,
                     "INSERT INTO partition_runs(started_at, scope, settings, villages, grids, kept, added, retired, "
                     "kind, author, message, source_file) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    run.bind(1, r.started_at)
        .bind(2, r.scope)
        .bind(3, r.settings)
        .bind(4, r.villages)
        .bind(5, r.grids)
        .bind(6, r.kept)
        .bind(7, r.added)
        .bind(8, r.retired)
        .bind(9, r.kind);
    auto text_or_null = [&](int i, const std::string& v) {
        if (v.empty())
            run.bind_null(i);
        else
            run.bind(i, v);
    };
    text_or_null(10, r.author);
    text_or_null(11, r.message);
    text_or_null(12, r.source_file);
    run.run();
    return sql::query_int(store, "SELECT last_insert_rowid()");
}

struct GridWriter::Impl {
    Statement close, ins, serial, retire, lin;
    explicit Impl(Store& store)
        : close(sql::prepare(store, "UPDATE grids SET valid_to = ?, closed_by = ? WHERE id = ?")),
          ins(sql::prepare(
              store,
              "INSERT INTO grids(code, village_code, serial, type, name, households, area_m2, perimeter_m, "
              "compactness, label_lon, label_lat, beidou, lineage, valid_from, run_id, geom) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, CastToMultiPolygon(GeomFromWKB(?, 4490)))")),
          serial(sql::prepare(
              store,
              "INSERT INTO grid_serials(village_code, serial, code, state, created_at) VALUES (?,?,?, 'active', ?)")),
          retire(sql::prepare(store, "UPDATE grid_serials SET state = 'retired', retired_at = ? WHERE code = ?")),
          lin(sql::prepare(
              store, "INSERT INTO grid_lineage(run_id, old_code, new_code, kind, shared_m2) VALUES (?,?,?,?,?)")) {}
};

GridWriter::GridWriter(Store& store) : impl_(std::make_unique<Impl>(store)) {}
GridWriter::~GridWriter() = default;

void GridWriter::close_version(std::int64_t row_id, const std::string& valid_to, std::int64_t run_id) {
    impl_->close.bind(1, valid_to).bind(2, run_id).bind(3, row_id).run();
}

void GridWriter::insert_version(const GridVersionRow& r) {
    Statement& ins = impl_->ins;
    ins.bind(1, r.code).bind(2, r.village_code).bind(3, static_cast<std::int64_t>(r.serial));
    ins.bind(4, r.type);
    if (r.name.empty())
        ins.bind_null(5);
    else
        ins.bind(5, r.name);
    ins.bind(6, r.households).bind(7, r.area_m2).bind(8, r.perimeter_m).bind(9, r.compactness);
    ins.bind(10, r.label_lon).bind(11, r.label_lat).bind(12, r.beidou);
    ins.bind(13, r.lineage).bind(14, r.valid_from).bind(15, r.run_id).bind_blob(16, r.wkb.data(), r.wkb.size());
    ins.run();
}

void GridWriter::add_serial(const std::string& village_code, int serial, const std::string& code,
                            const std::string& created_at) {
    impl_->serial.bind(1, village_code)
        .bind(2, static_cast<std::int64_t>(serial))
        .bind(3, code)
        .bind(4, created_at)
        .run();
}

void GridWriter::retire_serial(const std::string& code, const std::string& retired_at) {
    impl_->retire.bind(1, retired_at).bind(2, code).run();
}

void GridWriter::add_lineage(std::int64_t run_id, const std::string& old_code, const std::string& new_code,
                             const std::string& kind, double shared_m2) {
    Statement& lin = impl_->lin;
    lin.bind(1, run_id);
    if (old_code.empty())
        lin.bind_null(2);
    else
        lin.bind(2, old_code);
    if (new_code.empty())
        lin.bind_null(3);
    else
        lin.bind(3, new_code);
    lin.bind(4, kind).bind(5, shared_m2).run();
}

void for_each_grid_feature(Store& store, const AreaFilter& area, const std::function<void(const GridFeature&)>& fn) {
    Statement st = sql::prepare(store,
                                "SELECT AsBinary(geom), code, type, households, village_code, coalesce(name, ''), "
                                "label_lon, label_lat FROM grids WHERE valid_to IS NULL AND " +
                                    sql::area_condition(area, "code") + " ORDER BY code");
    sql::bind_area(st, area);
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

void for_each_grid_label(Store& store, const std::function<void(const std::string&, double, double)>& fn) {
    Statement st = sql::prepare(store, "SELECT code, label_lon, label_lat FROM grids WHERE valid_to IS NULL");
    while (st.step()) fn(st.text(0), st.real(1), st.real(2));
}

void changed_grid_boxes(Store& store, std::string_view since,
                        const std::function<void(const std::array<double, 4>&)>& box) {
    Statement st = sql::prepare(
        store,
        "WITH cg AS (SELECT geom FROM grids WHERE valid_from >= ?1 OR (valid_to IS NOT NULL AND valid_to >= ?1)), "
        "env(geom) AS (SELECT geom FROM cg "
        "UNION ALL SELECT g.geom FROM grids g, cg WHERE g.valid_to IS NULL AND MbrIntersects(g.geom, cg.geom)) "
        "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM env");
    st.bind(1, since);
    sql::for_each_box(st, box);
}

void current_grid_boxes(Store& store, const std::vector<std::string>& codes,
                        const std::function<void(const std::array<double, 4>&)>& box) {
    Statement st = sql::prepare(store,
                                "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM grids "
                                "WHERE code = ?1 AND valid_to IS NULL");
    for (const auto& c : codes) {
        st.reset();
        st.bind(1, c);
        sql::for_each_box(st, box);
    }
}
}  // namespace wangge::repo
