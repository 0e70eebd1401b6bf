// store/sql.hpp — the SQL API of the store, internal to the engine (never
// installed): only store.cpp, migrations.cpp, info.cpp, sql.cpp and the
// repositories (*_repo.cpp) include it (scripts/check-store-sql.sh checks this).
// Everything else reaches the store's data through repository functions, whose
// signatures hold plain C++ values, so that a second backend can implement them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wangge/store.hpp"

namespace wangge::sql {

using wangge::Statement;

/// Prepare one statement on the store.
inline Statement prepare(Store& store, std::string_view sql) {
    return store.prepare(sql);
}
/// Execute one or more statements without results.
inline void exec(Store& store, std::string_view sql) {
    store.exec(sql);
}
/// The single value of a one-row query (NULL becomes nullopt).
inline std::optional<std::string> query_text(Store& store, std::string_view sql) {
    return store.query_text(sql);
}
/// The single integer of a one-row query.
inline std::int64_t query_int(Store& store, std::string_view sql) {
    return store.query_int(sql);
}

/// Bind `value` to `index`, NULL when it is empty.
inline Statement& bind_optional(Statement& st, int index, const std::optional<std::string>& value) {
    return value ? st.bind(index, *value) : st.bind_null(index);
}
inline Statement& bind_optional(Statement& st, int index, std::optional<double> value) {
    return value ? st.bind(index, *value) : st.bind_null(index);
}

/// For each of `keys` (once each), bind it to ?1 of `query` and keep the text of
/// the first column of the first row, if there is one: key -> text.
std::map<std::string, std::string> text_by_key(Store& store, std::string_view query,
                                               const std::vector<std::string>& keys);

}  // namespace wangge::sql
