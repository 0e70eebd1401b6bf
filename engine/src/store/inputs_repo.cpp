// inputs_repo: all SQL on households and barriers.
#include "store/inputs_repo.hpp"

#include "store/sql.hpp"

namespace wangge::repo {

std::int64_t count_household_points(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM households");
}

std::int64_t sum_households(Store& store) {
    return sql::query_int(store, "SELECT coalesce(sum(households), 0) FROM households");
}

std::int64_t count_barriers(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM barriers");
}

void for_each_household_in(Store& store, const std::array<double, 4>& box,
                           const std::function<void(const HouseholdPoint&)>& point) {
    Statement st = sql::prepare(
        store,
        "SELECT X(geom), Y(geom), households FROM households WHERE X(geom) BETWEEN ? AND ? AND Y(geom) BETWEEN ? AND ? "
        "ORDER BY id");
    st.bind(1, box[0]).bind(2, box[2]).bind(3, box[1]).bind(4, box[3]);
    while (st.step()) point({st.real(0), st.real(1), st.int64(2)});
}

void for_each_barrier_wkb(Store& store, const std::function<void(const std::vector<unsigned char>&)>& wkb) {
    Statement st = sql::prepare(store, "SELECT AsBinary(geom) FROM barriers ORDER BY id");
    while (st.step()) wkb(st.blob(0));
}

std::int64_t barriers_length_m(Store& store) {
    return sql::query_int(store, "SELECT CAST(coalesce(sum(GeodesicLength(geom)), 0) AS INTEGER) FROM barriers");
}

void clear_households(Store& store) {
    sql::exec(store, "DELETE FROM households");
}

void insert_households(Store& store, const std::string& source_file, std::int64_t import_id,
                       const std::vector<HouseholdRow>& rows) {
    Statement ins = sql::prepare(store,
                                 "INSERT INTO households(households, source_file, source_feature, import_id, geom) "
                                 "VALUES (?, ?, ?, ?, GeomFromWKB(?, 4490))");
    for (const auto& r : rows) {
        ins.bind(1, r.households).bind(2, source_file).bind(3, r.source_feature).bind(4, import_id);
        ins.bind_blob(5, r.wkb.data(), r.wkb.size());
        ins.run();
    }
}

void clear_barriers(Store& store) {
    sql::exec(store, "DELETE FROM barriers");
}

void insert_barriers(Store& store, const std::string& source_file, std::int64_t import_id,
                     const std::vector<BarrierRow>& rows) {
    Statement ins = sql::prepare(store,
                                 "INSERT INTO barriers(kind, name, source_file, source_feature, import_id, geom) "
                                 "VALUES (?, ?, ?, ?, ?, CastToMultiLineString(GeomFromWKB(?, 4490)))");
    for (const auto& r : rows) {
        ins.bind(1, r.kind).bind(2, r.name).bind(3, source_file).bind(4, r.source_feature).bind(5, import_id);
        ins.bind_blob(6, r.wkb.data(), r.wkb.size());
        ins.run();
    }
}

}  // namespace wangge::repo
