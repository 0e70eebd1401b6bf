// jurisdictions_repo — the only SQL on the table jurisdictions.
#include "store/jurisdictions_repo.hpp"

#include "store/sql.hpp"

namespace wangge::repo {

namespace {

constexpr std::string_view select_all =
    "SELECT code, name, level, parent_code, source_file, imported_at, AsBinary(geom) FROM jurisdictions";

}  // namespace

void for_each_jurisdiction(Store& store, const JurisdictionFilter& filter,
                           const std::function<void(const JurisdictionRow&)>& row) {
    std::string query(select_all);
    query += " WHERE (?1 = '' OR level = ?1) AND (?2 = '' OR code LIKE ?2 || '%'";
    query += filter.prefix_ancestors ? " OR ?2 LIKE code || '%')" : ")";
    if (filter.bbox) query += " AND MbrIntersects(geom, BuildMbr(?3, ?4, ?5, ?6, 4490))";
    query += " ORDER BY CASE level WHEN 'county' THEN 0 WHEN 'township' THEN 1 ELSE 2 END, code";
    Statement st = sql::prepare(store, query);
    st.bind(1, filter.level).bind(2, filter.prefix);
    if (filter.bbox)
        for (int i = 0; i < 4; ++i) st.bind(3 + i, (*filter.bbox)[static_cast<std::size_t>(i)]);
    JurisdictionRow r;
    while (st.step()) {
        r.code = st.text(0);
        r.name = st.text(1);
        r.level = st.text(2);
        r.parent_code = st.is_null(3) ? std::nullopt : std::optional<std::string>(st.text(3));
        r.source_file = st.text(4);
        r.imported_at = st.text(5);
        r.wkb = st.blob(6);
        row(r);
    }
}

std::string jurisdictions_stamp(Store& store, const std::string& prefix) {
    Statement st = sql::prepare(store,
                                "SELECT count(*), coalesce(max(imported_at), ''), coalesce(max(id), 0) FROM jurisdictions "
                                "WHERE substr(code, 1, length(?1)) = ?1");
    st.bind(1, prefix);
    st.step();
    return st.text(0) + "/" + st.text(1) + "/" + st.text(2);
}

std::map<std::string, std::string> jurisdiction_names(Store& store, const std::vector<std::string>& codes) {
    return sql::text_by_key(store, "SELECT name FROM jurisdictions WHERE code = ?", codes);
}

std::optional<JurisdictionRow> jurisdiction_origin(Store& store, std::string_view code) {
    Statement st = sql::prepare(store, "SELECT source_file, imported_at FROM jurisdictions WHERE code = ?");
    st.bind(1, code);
    if (!st.step()) return std::nullopt;
    JurisdictionRow r;
    r.code = std::string(code);
    r.source_file = st.text(0);
    r.imported_at = st.text(1);
    return r;
}

std::optional<std::vector<unsigned char>> jurisdiction_wkb(Store& store, std::string_view code) {
    Statement st = sql::prepare(store, "SELECT AsBinary(geom) FROM jurisdictions WHERE code = ?");
    st.bind(1, code);
    if (!st.step()) return std::nullopt;
    return st.blob(0);
}

std::int64_t count_jurisdictions(Store& store, std::string_view level) {
    Statement st = sql::prepare(store, "SELECT count(*) FROM jurisdictions WHERE level = ?");
    st.bind(1, level);
    st.step();
    return st.int64(0);
}

std::optional<std::array<double, 4>> jurisdictions_extent(Store& store) {
    Statement st = sql::prepare(
        store,
        "SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom)) FROM jurisdictions");
    if (!st.step() || st.is_null(0)) return std::nullopt;
    return std::array<double, 4>{st.real(0), st.real(1), st.real(2), st.real(3)};
}

void changed_jurisdiction_boxes(Store& store, std::string_view since,
                                const std::function<void(const std::array<double, 4>&)>& box) {
    Statement st = sql::prepare(
        store,
        "WITH cj AS (SELECT level, geom FROM jurisdictions WHERE imported_at >= ?1), "
        "env(geom) AS (SELECT geom FROM cj "
        "UNION ALL SELECT j.geom FROM jurisdictions j, cj WHERE j.level = cj.level AND MbrIntersects(j.geom, cj.geom)) "
        "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM env");
    st.bind(1, since);
    sql::for_each_box(st, box);
}

struct JurisdictionWriter::Impl {
    Statement del;
    Statement ins;
};

JurisdictionWriter::JurisdictionWriter(Store& store)
    : impl_(std::make_unique<Impl>(Impl{
          sql::prepare(store, "DELETE FROM jurisdictions WHERE code = ?"),
          sql::prepare(store,
                       "INSERT INTO jurisdictions(code, level, name, parent_code, source_file, source_feature, "
                       "import_id, imported_at, geom) VALUES (?,?,?,?,?,?,?, strftime('%Y-%m-%dT%H:%M:%SZ','now'), "
                       "CastToMultiPolygon(GeomFromWKB(?, 4490)))")})) {}

JurisdictionWriter::~JurisdictionWriter() = default;

void JurisdictionWriter::remove(std::string_view code) {
    impl_->del.bind(1, code).run();
}

void JurisdictionWriter::insert(const JurisdictionRow& row, std::int64_t source_feature, std::int64_t import_id) {
    Statement& ins = impl_->ins;
    ins.bind(1, row.code).bind(2, row.level).bind(3, row.name);
    sql::bind_optional(ins, 4, row.parent_code);
    ins.bind(5, row.source_file)
        .bind(6, source_feature)
        .bind(7, import_id)
        .bind_blob(8, row.wkb.data(), row.wkb.size());
    ins.run();
}

}  // namespace wangge::repo
