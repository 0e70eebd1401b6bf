// store/sql.cpp — helpers of the internal SQL API shared by the repositories.
#include "store/sql.hpp"

namespace wangge::sql {

std::map<std::string, std::string> text_by_key(Store& store, std::string_view query,
                                               const std::vector<std::string>& keys) {
    std::map<std::string, std::string> out;
    Statement st = prepare(store, query);
    for (const auto& key : keys) {
        if (out.count(key) != 0) continue;
        st.bind(1, key);
        if (st.step()) out.emplace(key, st.text(0));
        st.reset();
    }
    return out;
}

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

void for_each_box(Statement& st, const std::function<void(const std::array<double, 4>&)>& box) {
    while (st.step()) {
        if (st.is_null(0)) continue;
        box({st.real(0), st.real(1), st.real(2), st.real(3)});
    }
}
}  // namespace wangge::sql
