// codes_repo — the only SQL on the table division_codes.
#include "store/codes_repo.hpp"

#include "store/sql.hpp"

namespace wangge::repo {

std::optional<DivisionCodeRow> find_division_code(Store& store, std::string_view code) {
    Statement st = sql::prepare(store, "SELECT level, name FROM division_codes WHERE code = ?");
    st.bind(1, code);
    if (!st.step()) return std::nullopt;
    return DivisionCodeRow{std::string(code), st.text(0), st.text(1), std::nullopt};
}

std::map<std::string, std::string> division_code_names(Store& store, const std::vector<std::string>& codes) {
    return sql::text_by_key(store, "SELECT name FROM division_codes WHERE code = ?", codes);
}

std::int64_t count_division_codes(Store& store) {
    return sql::query_int(store, "SELECT count(*) FROM division_codes");
}

void clear_division_codes(Store& store) {
    sql::exec(store, "DELETE FROM division_codes");
}

struct DivisionCodeWriter::Impl {
    Statement ins;
};

DivisionCodeWriter::DivisionCodeWriter(Store& store)
    : impl_(std::make_unique<Impl>(
          Impl{sql::prepare(store, "INSERT INTO division_codes(code, level, name, parent_code) VALUES (?,?,?,?)")})) {}

DivisionCodeWriter::~DivisionCodeWriter() = default;

void DivisionCodeWriter::insert(const DivisionCodeRow& row) {
    Statement& ins = impl_->ins;
    ins.bind(1, row.code).bind(2, row.level).bind(3, row.name);
    sql::bind_optional(ins, 4, row.parent_code);
    ins.run();
}

}  // namespace wangge::repo
