// store/sql.hpp — the SQL API of the store, internal to the engine (never
// installed): only store.cpp, migrations.cpp, info.cpp, sql.cpp and the
// repositories (*_repo.cpp) include it (scripts/check-store-sql.sh checks
// this). Everything else reaches the store's data through repository functions,
// whose signatures hold plain C++ values, so that a second backend can
// implement them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wangge/map_data.hpp"
#include "wangge/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace wangge {

/// A prepared statement. Bind indexes start at 1 (SQLite), column indexes at 0.
class Statement {
public:
  Statement(Store &store, std::string_view sql);
  Statement(Statement &&) noexcept;
  Statement &operator=(Statement &&) noexcept;
  ~Statement();

  Statement &bind(int index, std::int64_t value);
  Statement &bind(int index, double value);
  Statement &bind(int index, std::string_view text);
  Statement &bind_blob(int index, const void *data, std::size_t size);
  Statement &bind_null(int index);

  /// Advance; true while a row is available, false when done. Throws on error.
  bool step();
  /// Run to completion (for statements without results).
  void run();
  void reset();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::vector<unsigned char> blob(int col) const;

private:
  Store *store_ = nullptr;
  sqlite3_stmt *stmt_ = nullptr;
};

} // namespace wangge

namespace wangge::sql {

using wangge::Statement;

/// Prepare one statement on the store.
Statement prepare(Store &store, std::string_view sql);
/// Execute one or more statements without results.
void exec(Store &store, std::string_view sql);
/// The single value of a one-row query (NULL becomes nullopt).
std::optional<std::string> query_text(Store &store, std::string_view sql);
/// The single integer of a one-row query (0 without a row).
std::int64_t query_int(Store &store, std::string_view sql);
/// The SQLite connection of the store (for store.cpp and Statement).
sqlite3 *connection(const Store &store);
/// Throw the store_error of a failed `sql` (Store::fail): `code` is SQLite's
/// result code; without it, the connection's last one.
[[noreturn]] void fail(const Store &store, std::string_view sql, int code);
[[noreturn]] void fail(const Store &store, std::string_view sql);

/// Bind `value` to `index`, NULL when it is empty.
inline Statement &bind_optional(Statement &st, int index,
                                const std::optional<std::string> &value) {
  return value ? st.bind(index, *value) : st.bind_null(index);
}
inline Statement &bind_optional(Statement &st, int index,
                                std::optional<double> value) {
  return value ? st.bind(index, *value) : st.bind_null(index);
}

/// For each of `keys` (once each), bind it to ?1 of `query` and keep the text
/// of the first column of the first row, if there is one: key -> text.
std::map<std::string, std::string>
text_by_key(Store &store, std::string_view query,
            const std::vector<std::string> &keys);


/// A map area as SQL conditions on a code column and on `geom`, values bound from ?1
/// (the prefix) and ?2-?5 (the box) by bind_area: "(code under the prefix or above
/// it) AND (bounding boxes meet)"; "1" for what is not restricted.
std::string area_condition(const AreaFilter& area, const std::string& code_column);
void bind_area(Statement& st, const AreaFilter& area);
/// Step `st` to its end, giving each row's first four columns as a box (min x, min y,
/// max x, max y); rows with a NULL first column are skipped.
void for_each_box(Statement& st, const std::function<void(const std::array<double, 4>&)>& box);
} // namespace wangge::sql
