// Reading grids back: lists, a grid's versions and lineage.
#include <fmt/format.h>

#include <set>

#include "store/codes_repo.hpp"
#include "store/grids_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "wangge/error.hpp"
#include "wangge/grids.hpp"
#include "wangge/store.hpp"

namespace wangge {

namespace {

/// Fills the names of the rows' village, township and county: from the
/// jurisdictions, else the code table, else empty.
void fill_names(Store& store, std::vector<GridRow>& rows) {
    std::set<std::string> codes;
    for (const auto& r : rows) codes.insert({r.village_code, r.township_code, r.county_code});
    const std::vector<std::string> wanted(codes.begin(), codes.end());
    const auto jurisdictions = repo::jurisdiction_names(store, wanted);
    std::vector<std::string> rest;
    for (const auto& c : wanted)
        if (!jurisdictions.count(c)) rest.push_back(c);
    const auto table = repo::division_code_names(store, rest);
    auto name_of = [&](const std::string& code) {
        if (auto it = jurisdictions.find(code); it != jurisdictions.end()) return it->second;
        if (auto it = table.find(code); it != table.end()) return it->second;
        return std::string();
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

std::string normalise_time_at(const std::string& text) {
    auto digits = [&](std::size_t from, std::size_t n) {
        if (text.size() < from + n) return false;
        for (std::size_t i = from; i < from + n; ++i)
            if (text[i] < '0' || text[i] > '9') return false;
        return true;
    };
    const bool date = digits(0, 4) && text.size() >= 10 && text[4] == '-' && digits(5, 2) && text[7] == '-' && digits(8, 2);
    if (date && text.size() == 10) return text + "T23:59:59Z";
    if (date && text.size() >= 16 && (text[10] == ' ' || text[10] == 'T') && digits(11, 2) && text[13] == ':' &&
        digits(14, 2)) {
        std::string t = text.substr(0, 10) + "T" + text.substr(11, 5);
        std::size_t rest = 16;
        if (text.size() >= 19 && text[16] == ':' && digits(17, 2)) {
            t += text.substr(16, 3);
            rest = 19;
        } else {
            t += ":00";
        }
        const std::string tail = text.substr(rest);
        if (tail.empty() || tail == "Z") return t + "Z";
    }
    throw usage_error(fmt::format("'{}' is not a time: give 2026-12-02 (the end of that day), 2026-12-02 10:00 or "
                                  "2026-12-02T10:00:00Z, in UTC",
                                  text));
}

std::vector<GridRow> list_grids(Store& store, const std::string& prefix, bool with_geometry, const std::string& at) {
    check_code_prefix(prefix);
    auto rows = repo::current_grids(store, prefix, with_geometry, at);
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
