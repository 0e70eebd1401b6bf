// Staff lists: reading a CSV or GDAL table of the people who serve each grid,
// checking it whole, and writing it all or nothing with history kept.
#include "wangge/staff.hpp"

#include <cpl_conv.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "store/grids_repo.hpp"
#include "store/runs_repo.hpp"
#include "store/staff_repo.hpp"
#include "wangge/csv.hpp"
#include "wangge/error.hpp"
#include "wangge/source.hpp"
#include "wangge/store.hpp"
#include "wangge/text.hpp"

namespace wangge {

namespace {

using text::trim;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

/// One row of a staff list as read (trimmed UTF-8 text).
struct Row {
    std::int64_t line = 0;
    std::string grid, role, name, staff_id, phone, employment;
    std::string text_error;  ///< why a value could not be decoded
    bool blank() const {
        return grid.empty() && role.empty() && name.empty() && staff_id.empty() && phone.empty() && employment.empty();
    }
};

/// A column of a staff list: the name given (an option) or the usual names.
struct Wanted {
    const char* what;
    const std::string& given;
    std::vector<std::string_view> names;
    const char* option;
    bool required;
};

/// The index of each wanted column in `names` (a header, or a source's fields), in
/// the order of `want`; nullopt for an optional column that is absent.
std::vector<std::optional<std::size_t>> choose_columns(const std::vector<std::string>& names,
                                                       const std::vector<Wanted>& want, const std::string& file) {
    std::vector<std::optional<std::size_t>> out;
    for (const auto& w : want) {
        if (!w.given.empty()) {
            const auto i = find_column(names, w.given);
            if (!i)
                throw input_error(fmt::format("{}: no column {} ({} {}); its columns are: {}", file,
                                              text::quote_for_message(w.given), w.option, w.given,
                                              describe_columns(names)));
            out.push_back(i);
            continue;
        }
        const auto i = first_column_of(names, w.names);
        if (!i && w.required) {
            std::string looked;
            for (const auto n : w.names) looked += (looked.empty() ? "" : ", ") + std::string(n);
            throw input_error(fmt::format("{}: no {} column (looked for {}; name it with {}); its columns are: {}", file,
                                          w.what, looked, w.option, describe_columns(names)));
        }
        out.push_back(i);
    }
    return out;
}

/// Sets GDAL configuration options for this thread while it lives: a staff table
/// always has a header row, and its ids and codes are text (a spreadsheet's
/// guessing would read "0012" as 12, and an all-text first row as data).
class SpreadsheetReading {
public:
    SpreadsheetReading() {
        for (const char* key : keys) {
            const char* was = CPLGetThreadLocalConfigOption(key, nullptr);
            previous_.emplace_back(was ? std::optional<std::string>(was) : std::nullopt);
        }
        CPLSetThreadLocalConfigOption("OGR_XLSX_HEADERS", "FORCE");
        CPLSetThreadLocalConfigOption("OGR_ODS_HEADERS", "FORCE");
        CPLSetThreadLocalConfigOption("OGR_XLSX_FIELD_TYPES", "STRING");
        CPLSetThreadLocalConfigOption("OGR_ODS_FIELD_TYPES", "STRING");
    }
    ~SpreadsheetReading() {
        for (std::size_t i = 0; i < keys.size(); ++i)
            CPLSetThreadLocalConfigOption(keys[i], previous_[i] ? previous_[i]->c_str() : nullptr);
    }
    SpreadsheetReading(const SpreadsheetReading&) = delete;
    SpreadsheetReading& operator=(const SpreadsheetReading&) = delete;

private:
    static constexpr std::array<const char*, 4> keys = {"OGR_XLSX_HEADERS", "OGR_ODS_HEADERS", "OGR_XLSX_FIELD_TYPES",
                                                        "OGR_ODS_FIELD_TYPES"};
    std::vector<std::optional<std::string>> previous_;
};

/// Every row of the file, and its format and encoding into `rep`.
std::vector<Row> read_rows(const StaffImportOptions& opt, StaffImportReport& rep) {
    std::vector<Wanted> want{
        {"grid code", opt.grid_field, {"grid_code", "grid", "网格编码", "网格代码"}, "--grid-field", true},
        {"role", opt.role_field, {"role", "岗位", "角色"}, "--role-field", true},
        {"name", opt.name_field, {"name", "姓名"}, "--name-field", true},
        {"staff id", opt.staff_id_field, {"staff_id", "id", "工号", "人员编号"}, "--staff-id-field", true},
        {"phone", opt.phone_field, {"phone", "电话", "手机"}, "--phone-field", false},
        {"employment", opt.employment_field, {"employment", "专兼职"}, "--employment-field", false},
    };
    std::vector<Row> rows;
    auto fill = [](Row& r, std::size_t k, std::string v) {
        std::string* slot[] = {&r.grid, &r.role, &r.name, &r.staff_id, &r.phone, &r.employment};
        *slot[k] = trim(v);
    };
    const std::string ext = lower(opt.file.extension().string());
    if (ext == ".csv" || ext == ".txt" || ext == ".tsv") {
        rep.format = "CSV";
        CsvReader csv(opt.file, opt.delimiter);
        const std::string enc = opt.encoding.empty() ? std::string() : text::canonical_encoding(opt.encoding);
        if (!enc.empty()) text::to_utf8("", enc);  // an unknown name: usage_error
        bool converted = false;
        // the header is in the file's encoding too (a GBK file names its columns in GBK)
        std::vector<std::string> h;
        for (const auto& raw : csv.header()) {
            std::optional<std::string> v =
                !enc.empty() ? text::to_utf8(raw, enc)
                : text::is_valid_utf8(raw) ? std::optional<std::string>(raw) : text::to_utf8(raw, "GB18030");
            converted = converted || (enc.empty() && !text::is_valid_utf8(raw) && v);
            h.push_back(v ? *v : raw);
        }
        const auto cols = choose_columns(h, want, rep.file);
        std::vector<std::string> f;
        std::int64_t line = 0;
        std::string bad_record;
        while (csv.next(f, line, bad_record)) {
            Row r;
            r.line = line;
            r.text_error = bad_record;
            for (std::size_t k = 0; k < cols.size(); ++k) {
                if (!cols[k] || *cols[k] >= f.size()) continue;
                const std::string& raw = f[*cols[k]];
                std::optional<std::string> v;
                if (!enc.empty()) {
                    v = text::to_utf8(raw, enc);
                } else if (text::is_valid_utf8(raw)) {
                    v = raw;
                } else {
                    v = text::to_utf8(raw, "GB18030");
                    converted = converted || v.has_value();
                }
                if (!v) {
                    if (r.text_error.empty())
                        r.text_error = fmt::format("column {} is not valid {} text", text::quote_for_message(h[*cols[k]]),
                                                   enc.empty() ? "UTF-8 or GB18030" : enc);
                    continue;
                }
                fill(r, k, *v);
            }
            rows.push_back(std::move(r));
        }
        rep.encoding = !enc.empty() ? enc : converted ? "GB18030 (detected)" : "UTF-8";
        return rows;
    }
    const SpreadsheetReading spreadsheet;
    SourceOptions so;
    so.file = opt.file;
    so.layer = opt.layer;
    so.encoding = opt.encoding;
    // a staff table has no geometry, so no CRS to read it by; any geometry it has is
    // ignored, and a CRS is named only so that VectorSource does not refuse the table
    so.s_srs = "EPSG:4490";
    VectorSource src(so);
    rep.format = src.driver();
    rep.encoding = src.encoding_description();
    const auto cols = choose_columns(src.field_names(), want, rep.file);
    SourceFeature feat;
    while (src.next(feat)) {
        Row r;
        r.line = feat.fid;
        for (std::size_t k = 0; k < cols.size(); ++k) {
            if (!cols[k]) continue;
            const auto i = *cols[k];
            if (!feat.field_errors[i].empty() && r.text_error.empty()) r.text_error = feat.field_errors[i];
            if (feat.fields[i]) fill(r, k, *feat.fields[i]);
        }
        rows.push_back(std::move(r));
    }
    return rows;
}

}  // namespace

std::string normalise_employment(std::string_view text) {
    const std::string t = lower(trim(text));
    if (t == "full" || t == "专职" || t == "full-time" || t == "full_time") return "full";
    if (t == "part" || t == "兼职" || t == "part-time" || t == "part_time") return "part";
    return {};
}

std::string normalise_staff_role(std::string_view text, std::string& employment) {
    const std::string t = lower(trim(text));
    employment.clear();
    if (t == "leader" || t == "网格长") return "leader";
    if (t == "instructor" || t == "网格指导员") return "instructor";
    if (t == "worker" || t == "网格员") return "worker";
    if (t == "专职网格员") {
        employment = "full";
        return "worker";
    }
    if (t == "兼职网格员") {
        employment = "part";
        return "worker";
    }
    return {};
}

StaffImportReport import_staff(Store& store, const StaffImportOptions& opt) {
    StaffImportReport rep;
    rep.file = opt.file.string();
    if (!std::filesystem::exists(opt.file)) throw io_error(fmt::format("{}: no such file", rep.file));
    std::vector<Row> rows = read_rows(opt, rep);
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [](const Row& r) { return r.text_error.empty() && r.blank(); }),
               rows.end());
    rep.read = static_cast<std::int64_t>(rows.size());
    if (rows.empty()) throw input_error(fmt::format("{}: no staff rows", rep.file));

    // The grids are read inside the write transaction: a partition cannot retire a
    // grid between the check and the commit.
    Store::Transaction tx(store);
    std::set<std::string> current;
    for (auto& g : repo::current_grids(store, "", false)) current.insert(std::move(g.code));

    const char* const where = rep.format == "CSV" ? "line" : "feature";
    std::map<std::string, std::int64_t> leader_line;                         // grid -> line
    std::map<std::pair<std::string, std::string>, std::int64_t> id_line;     // (grid, staff id) -> line
    std::map<std::string, std::vector<repo::StaffRow>> by_grid;
    for (const auto& r : rows) {
        auto reject = [&](std::string why) { rep.rejects.push_back({r.line, r.grid, r.staff_id, std::move(why)}); };
        if (!r.text_error.empty()) {
            reject(r.text_error);
            continue;
        }
        if (r.grid.empty()) {
            reject("no grid code");
            continue;
        }
        if (!current.count(r.grid)) {
            reject(fmt::format("grid code {} is not a current grid of the store", text::quote_for_message(r.grid, 30)));
            continue;
        }
        if (r.role.empty()) {
            reject("no role");
            continue;
        }
        std::string implied;
        const std::string role = normalise_staff_role(r.role, implied);
        if (role.empty()) {
            reject(fmt::format("unknown role {} (网格长, 网格员, 专职网格员, 兼职网格员, 网格指导员, or leader, "
                               "worker, instructor)",
                               text::quote_for_message(r.role, 30)));
            continue;
        }
        std::string employment = implied;
        if (!r.employment.empty()) {
            employment = normalise_employment(r.employment);
            if (employment.empty()) {
                reject(fmt::format("unknown employment {} (专职, 兼职, full, part)",
                                   text::quote_for_message(r.employment, 30)));
                continue;
            }
            if (!implied.empty() && implied != employment) {
                reject(fmt::format("role {} is {}-time but employment {} says {}-time", text::quote_for_message(r.role),
                                   implied, text::quote_for_message(r.employment), employment));
                continue;
            }
        }
        if (r.name.empty()) {
            reject("no name");
            continue;
        }
        if (r.staff_id.empty()) {
            reject("no staff id");
            continue;
        }
        if (role == "leader") {
            if (const auto [it, fresh] = leader_line.emplace(r.grid, r.line); !fresh) {
                reject(fmt::format("a second leader (网格长) for grid {}: {} {} is its leader", r.grid, where,
                                   it->second));
                continue;
            }
        }
        if (const auto [it, fresh] = id_line.emplace(std::make_pair(r.grid, r.staff_id), r.line); !fresh) {
            reject(fmt::format("staff id {} twice in grid {}: {} {} has it too", text::quote_for_message(r.staff_id, 30),
                               r.grid, where, it->second));
            continue;
        }
        repo::StaffRow s;
        s.grid_code = r.grid;
        s.role = role;
        s.name = r.name;
        s.staff_id = r.staff_id;
        s.phone = r.phone;
        s.employment = employment;
        by_grid[r.grid].push_back(std::move(s));
    }
    if (!opt.rejects_file.empty() && !rep.rejects.empty()) {
        std::ofstream out(opt.rejects_file, std::ios::binary | std::ios::trunc);
        if (!out) throw io_error(fmt::format("{}: cannot write the rejects file", opt.rejects_file.string()));
        out << "file,line,grid_code,staff_id,reason\n";
        for (const auto& x : rep.rejects)
            out << csv_quote(rep.file) << ',' << x.line << ',' << csv_quote(x.grid_code) << ',' << csv_quote(x.staff_id)
                << ',' << csv_quote(x.reason) << '\n';
    }
    rep.grids = static_cast<std::int64_t>(by_grid.size());
    if (!rep.rejects.empty()) return rep;  // all or nothing: the transaction rolls back

    rep.import_id = repo::begin_import_run(store, "staff", rep.file, fmt::format("format={}", rep.format));
    const std::string now = repo::now_timestamp(store);
    repo::StaffWriter writer(store);
    for (auto& [grid, want] : by_grid) {
        // a person whose row is the same as before stays open; every other current
        // row of the grid is closed, and the new rows start now (closed first: the
        // store holds one current leader and a staff id once per grid)
        std::vector<bool> same(want.size(), false);
        for (const auto& old : repo::current_staff(store, grid)) {
            if (old.grid_code != grid) continue;
            const auto it = std::find_if(want.begin(), want.end(), [&](const repo::StaffRow& w) {
                return w.staff_id == old.staff_id && w.role == old.role && w.name == old.name && w.phone == old.phone &&
                       w.employment == old.employment;
            });
            if (it != want.end()) {
                same[static_cast<std::size_t>(it - want.begin())] = true;
                ++rep.kept;
            } else {
                writer.close(old.row_id, now);
                ++rep.closed;
            }
        }
        for (std::size_t i = 0; i < want.size(); ++i) {
            ++rep.by_role[want[i].role];
            if (same[i]) continue;
            want[i].valid_from = now;
            writer.insert(want[i], rep.import_id);
            ++rep.inserted;
        }
    }
    repo::finish_import_run(store, rep.import_id, rep.inserted, rep.closed, 0);
    tx.commit();
    rep.committed = true;
    return rep;
}

namespace {

StaffMember member(const repo::StaffRow& r) {
    return {r.grid_code, r.role, r.name, r.staff_id, r.employment, r.valid_from, r.valid_to};
}

}  // namespace

std::vector<StaffMember> current_staff(Store& store, const std::string& prefix) {
    std::vector<StaffMember> out;
    for (const auto& r : repo::current_staff(store, prefix)) out.push_back(member(r));
    return out;
}

std::vector<StaffMember> staff_history(Store& store, const std::string& grid_code) {
    std::vector<StaffMember> out;
    for (const auto& r : repo::staff_history(store, grid_code)) out.push_back(member(r));
    return out;
}

}  // namespace wangge
