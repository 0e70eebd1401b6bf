// Reading grids back: lists, a grid's versions and lineage.
#include <fmt/format.h>

#include <map>

#include "store/grids_repo.hpp"
#include "wangge/codes.hpp"
#include "wangge/error.hpp"
#include "wangge/grids.hpp"
#include "wangge/store.hpp"

namespace wangge {

namespace {

// TODO(lead): belongs to jurisdictions_repo (the name of the jurisdiction `code`,
// nullopt when the store has none).
std::optional<std::string> jurisdiction_name(Store& store, const std::string& code) {
    Statement st = store.prepare("SELECT name FROM jurisdictions WHERE code = ?");
    st.bind(1, code);
    if (!st.step()) return std::nullopt;
    return st.text(0);
}

/// Fills the names of the rows' village, township and county: from the
/// jurisdictions, else the code table, else empty. Each code is looked up once.
void fill_names(Store& store, std::vector<GridRow>& rows) {
    std::map<std::string, std::string> names;
    auto name_of = [&](const std::string& code) -> const std::string& {
        auto it = names.find(code);
        if (it != names.end()) return it->second;
        std::string name;
        if (auto j = jurisdiction_name(store, code))
            name = std::move(*j);
        else if (auto c = lookup_code(store, code))
            name = std::move(c->name);
        return names.emplace(code, std::move(name)).first->second;
    };
    for (auto& r : rows) {
        r.village_name = name_of(r.village_code);
        r.township_name = name_of(r.township_code);
        r.county_name = name_of(r.county_code);
    }
}

}  // namespace

void check_code_prefix(const std::string& prefix) {
    if (prefix.find_first_not_of("0123456789") != std::string::npos)
        throw usage_error(fmt::format("'{}' is not a code prefix (digits only)", prefix));
}

std::vector<GridRow> list_grids(Store& store, const std::string& prefix, bool with_geometry) {
    check_code_prefix(prefix);
    auto rows = repo::current_grids(store, prefix, with_geometry);
    fill_names(store, rows);
    return rows;
}

std::vector<GridRow> grid_history(Store& store, const std::string& code) {
    auto rows = repo::grid_versions(store, code);
    fill_names(store, rows);
    return rows;
}

std::vector<CodeChange> grid_lineage(Store& store, const std::string& code) {
    std::vector<CodeChange> out;
    for (const auto& l : repo::lineage_of(store, code)) {
        std::string detail;
        if (l.kind == "retired")
            detail = "retired";
        else if (l.old_code == l.new_code)
            detail = l.kind;
        else if (l.new_code == code)
            detail = l.kind + " from " + l.old_code;
        else
            detail = l.kind + " into " + l.new_code;
        out.push_back({code, l.kind, l.run_started_at + "  " + detail});
    }
    return out;
}

}  // namespace wangge
