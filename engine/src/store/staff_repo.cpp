// staff_repo: all SQL on staff.
#include "store/staff_repo.hpp"

#include "store/sql.hpp"

namespace wangge::repo {

namespace {

constexpr const char* columns =
    "SELECT id, grid_code, role, name, staff_id, coalesce(phone, ''), coalesce(employment, ''), valid_from, "
    "coalesce(valid_to, '') FROM staff ";
constexpr const char* role_order = "CASE role WHEN 'leader' THEN 0 WHEN 'worker' THEN 1 ELSE 2 END";

std::vector<StaffRow> read_rows(Statement& st) {
    std::vector<StaffRow> out;
    while (st.step())
        out.push_back({st.int64(0), st.text(1), st.text(2), st.text(3), st.text(4), st.text(5), st.text(6), st.text(7),
                       st.text(8)});
    return out;
}

}  // namespace

std::string staff_stamp(Store& store, const std::string& prefix) {
    Statement st = sql::prepare(store,
                                "SELECT count(*), count(valid_to), coalesce(max(id), 0) FROM staff "
                                "WHERE substr(grid_code, 1, length(?1)) = ?1");
    st.bind(1, prefix);
    st.step();
    return st.text(0) + "/" + st.text(1) + "/" + st.text(2);
}

std::int64_t count_current_staff(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM staff WHERE valid_to IS NULL");
}

std::vector<StaffRow> current_staff(Store& store, const std::string& prefix) {
    // the codes that start with the prefix are those in [prefix, prefix with its last
    // byte raised): a range the index staff_grid reads directly (an import asks once
    // per grid, so a scan of the table each time would grow with its square)
    std::string upper = prefix;
    while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) upper.pop_back();
    if (!upper.empty()) upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
    const std::string range = upper.empty() ? "grid_code >= ?1" : "grid_code >= ?1 AND grid_code < ?2";
    Statement st = sql::prepare(store, std::string(columns) + "WHERE " + range +
                                           " AND valid_to IS NULL ORDER BY grid_code, " + role_order + ", staff_id");
    st.bind(1, prefix);
    if (!upper.empty()) st.bind(2, upper);
    return read_rows(st);
}

std::vector<StaffRow> staff_history(Store& store, const std::string& grid_code) {
    Statement st = sql::prepare(store, std::string(columns) + "WHERE grid_code = ?1 ORDER BY valid_from, " +
                                           role_order + ", staff_id, id");
    st.bind(1, grid_code);
    return read_rows(st);
}

struct StaffWriter::Impl {
    Statement close, insert;
};

StaffWriter::StaffWriter(Store& store)
    : impl_(new Impl{sql::prepare(store, "UPDATE staff SET valid_to = ?2 WHERE id = ?1"),
                     sql::prepare(store,
                                  "INSERT INTO staff(grid_code, role, name, staff_id, phone, employment, valid_from, "
                                  "valid_to, import_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)")}) {}

StaffWriter::~StaffWriter() = default;

void StaffWriter::close(std::int64_t row_id, const std::string& valid_to) {
    impl_->close.bind(1, row_id).bind(2, valid_to).run();
}

void StaffWriter::insert(const StaffRow& r, std::int64_t import_id) {
    auto& st = impl_->insert;
    st.bind(1, r.grid_code).bind(2, r.role).bind(3, r.name).bind(4, r.staff_id);
    if (r.phone.empty())
        st.bind_null(5);
    else
        st.bind(5, r.phone);
    if (r.employment.empty())
        st.bind_null(6);
    else
        st.bind(6, r.employment);
    st.bind(7, r.valid_from).bind(8, import_id).run();
}

}  // namespace wangge::repo
