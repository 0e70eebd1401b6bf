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

}  // namespace wangge::sql
