// runs_repo — import_runs and meta: the only SQL on these two tables.
#include "store/runs_repo.hpp"

#include "store/sql.hpp"

namespace wangge::repo {

std::string now_timestamp(Store& store) {
    return *sql::query_text(store, "SELECT strftime('%Y-%m-%dT%H:%M:%SZ','now')");
}

std::optional<std::string> get_meta(Store& store, std::string_view key) {
    Statement st = sql::prepare(store, "SELECT value FROM meta WHERE key = ?");
    st.bind(1, key);
    if (!st.step() || st.is_null(0)) return std::nullopt;
    return st.text(0);
}

void set_meta(Store& store, std::string_view key, std::string_view value) {
    Statement st = sql::prepare(store, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)");
    st.bind(1, key).bind(2, value).run();
}

std::int64_t begin_import_run(Store& store, std::string_view kind, std::string_view source_file,
                              std::string_view options) {
    Statement st = sql::prepare(store,
                                "INSERT INTO import_runs(kind, source_file, started_at, options) "
                                "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?)");
    st.bind(1, kind).bind(2, source_file).bind(3, options).run();
    return sql::query_int(store, "SELECT last_insert_rowid()");
}

void set_import_run_crs(Store& store, std::int64_t run, std::string_view source_crs, std::string_view crs_operation,
                        std::optional<double> accuracy_m) {
    Statement st = sql::prepare(
        store, "UPDATE import_runs SET source_crs = ?, crs_operation = ?, crs_accuracy_m = ? WHERE id = ?");
    st.bind(1, source_crs).bind(2, crs_operation);
    sql::bind_optional(st, 3, accuracy_m).bind(4, run).run();
}

void finish_import_run(Store& store, std::int64_t run, std::int64_t imported, std::int64_t replaced,
                       std::int64_t rejected) {
    Statement st = sql::prepare(store, "UPDATE import_runs SET imported = ?, replaced = ?, rejected = ? WHERE id = ?");
    st.bind(1, imported).bind(2, replaced).bind(3, rejected).bind(4, run).run();
}

std::int64_t count_import_runs(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM import_runs");
}

}  // namespace wangge::repo
