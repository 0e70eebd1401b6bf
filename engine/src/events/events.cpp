// Event classification, event import and assignment.
#include "wangge/events.hpp"

#include "text/civil_date.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "geometry/geos.hpp"
#include "store/events_repo.hpp"
#include "store/grids_repo.hpp"
#include "store/runs_repo.hpp"
#include "wangge/csv.hpp"
#include "wangge/error.hpp"
#include "wangge/source.hpp"
#include "wangge/store.hpp"
#include "wangge/testpoint.hpp"
#include "wangge/text.hpp"

namespace wangge {

namespace {

const char* const default_types_csv =
#include "event_types_default.inc"
    ;

const std::array<std::pair<const char*, const char*>, 4> platforms = {{
    {"01", "综治工作"}, {"02", "市场监管"}, {"03", "综合执法"}, {"04", "便民服务"}}};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

using text::trim;

int replace_types(Store& store, CsvReader& csv, const std::string& origin, const std::string& version) {
    const std::vector<std::string> want{"code", "name", "major_code", "major_name", "platform_code", "platform",
                                        "township_closable"};
    std::vector<int> idx;
    for (const auto& w : want) {
        const auto i = find_column(csv.header(), w);
        if (!i)
            throw input_error(
                fmt::format("{}: no column '{}' (needed: code, name, major_code, major_name, "
                            "platform_code, platform, township_closable); its columns are: {}",
                            origin, w, describe_columns(csv.header())));
        idx.push_back(static_cast<int>(*i));
    }
    std::vector<EventType> types;
    std::set<std::string> seen;
    std::vector<std::string> f;
    std::int64_t n = 1;
    std::string bad_record;
    while (csv.next(f, n, bad_record)) {
        if (!bad_record.empty()) throw input_error(fmt::format("{}: line {}: {}", origin, n, bad_record));
        if (std::all_of(f.begin(), f.end(), [](const std::string& x) { return trim(x).empty(); })) continue;
        auto col = [&](int i) { return static_cast<std::size_t>(idx[static_cast<std::size_t>(i)]) < f.size() ? trim(f[static_cast<std::size_t>(idx[static_cast<std::size_t>(i)])]) : std::string(); };
        EventType t{col(0), col(1), col(2), col(3), col(4), col(5), col(6) == "1"};
        auto bad = [&](const std::string& why) { return input_error(fmt::format("{}: line {}: {}", origin, n, why)); };
        if (t.code.size() != 6 || t.code.find_first_not_of("0123456789") != std::string::npos)
            throw bad(fmt::format("type code {} is not 6 digits (platform 2 + major 2 + minor 2)",
                                  text::quote_for_message(t.code)));
        if (t.major_code != t.code.substr(0, 4))
            throw bad(fmt::format("major class {} is not the first 4 digits of {}",
                                  text::quote_for_message(t.major_code), t.code));
        if (t.platform_code != t.code.substr(0, 2))
            throw bad(fmt::format("platform code {} is not the first 2 digits of {}",
                                  text::quote_for_message(t.platform_code), t.code));
        auto p = std::find_if(platforms.begin(), platforms.end(), [&](const auto& pl) { return t.platform_code == pl.first; });
        if (p == platforms.end() || t.platform != p->second)
            throw bad(fmt::format("platform {} {} is not one of 01 综治工作, 02 市场监管, 03 综合执法, 04 便民服务",
                                  t.platform_code, text::quote_for_message(t.platform)));
        if (col(6) != "0" && col(6) != "1")
            throw bad(fmt::format("township_closable {} is not 0 or 1", text::quote_for_message(col(6))));
        if (t.name.empty() || t.major_name.empty()) throw bad("a name is empty");
        if (!seen.insert(t.code).second) throw bad(fmt::format("type code {} appears twice", t.code));
        types.push_back(std::move(t));
    }
    if (types.empty()) throw input_error(fmt::format("{}: no event types", origin));
    repo::replace_event_types(store, types);
    repo::set_meta(store, "event_types_version", version);
    return static_cast<int>(types.size());
}

int days_in_month(int y, int m) {
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}

using civil::civil_from_days;
using civil::days_from_civil;

} // namespace

std::optional<std::string> parse_iso8601(std::string_view text, std::string_view assume_zone, std::string& why) {
    const std::string s = trim(text);
    auto num = [&](std::size_t pos, std::size_t len, int& out) {
        if (pos + len > s.size()) return false;
        out = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, sec = 0;
    if (s.empty()) {
        why = "no reported time";
        return std::nullopt;
    }
    if (!num(0, 4, y) || s.size() < 16 || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) ||
        (s[10] != 'T' && s[10] != ' ') || !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi)) {
        why =
            fmt::format("time {} is not ISO 8601 (YYYY-MM-DDTHH:MM[:SS][.fff]±HH:MM)", text::quote_for_message(s, 40));
        return std::nullopt;
    }
    std::size_t pos = 16;
    if (pos < s.size() && s[pos] == ':') {
        if (!num(pos + 1, 2, sec)) {
            why = fmt::format("time {} has bad seconds", text::quote_for_message(s, 40));
            return std::nullopt;
        }
        pos += 3;
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60) {
        why = fmt::format("time {} is not a real date and time", text::quote_for_message(s, 40));
        return std::nullopt;
    }
    std::string zone = s.substr(pos);
    if (zone.empty()) {
        if (assume_zone.empty()) {
            why = fmt::format("time {} has no zone (give one, e.g. +08:00, or --assume-zone)",
                              text::quote_for_message(s, 40));
            return std::nullopt;
        }
        zone = std::string(assume_zone);
    }
    int offset_min = 0;
    if (zone == "Z" || zone == "z") {
        offset_min = 0;
    } else {
        int zh = 0, zm = 0;
        const std::string z = zone;
        auto znum = [&](std::size_t p2, int& out) {
            if (p2 + 2 > z.size() || !std::isdigit(static_cast<unsigned char>(z[p2])) ||
                !std::isdigit(static_cast<unsigned char>(z[p2 + 1])))
                return false;
            out = (z[p2] - '0') * 10 + (z[p2 + 1] - '0');
            return true;
        };
        const bool sign_ok = !z.empty() && (z[0] == '+' || z[0] == '-');
        const bool form_ok = sign_ok && ((z.size() == 6 && z[3] == ':' && znum(1, zh) && znum(4, zm)) ||
                                         (z.size() == 5 && znum(1, zh) && znum(3, zm)) || (z.size() == 3 && znum(1, zh)));
        if (!form_ok || zh > 14 || zm > 59) {
            why = fmt::format("time {} has a bad zone {}", text::quote_for_message(s, 40),
                              text::quote_for_message(z, 20));
            return std::nullopt;
        }
        offset_min = (z[0] == '-' ? -1 : 1) * (zh * 60 + zm);
    }
    std::int64_t t = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
                     mi * 60 + std::min(sec, 59) - offset_min * 60;
    int yy, mm, dd;
    civil_from_days(t >= 0 ? t / 86400 : (t - 86399) / 86400, yy, mm, dd);
    const std::int64_t rem = ((t % 86400) + 86400) % 86400;
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", yy, mm, dd, rem / 3600, (rem / 60) % 60, rem % 60);
}

namespace {

/// The word of `table` whose spellings hold `text` (trimmed; ASCII case-insensitive).
std::optional<std::string> normalise(std::string_view text,
                                     std::initializer_list<std::pair<const char*, std::initializer_list<const char*>>> table) {
    const std::string t = lower(trim(text));
    for (const auto& [word, spellings] : table) {
        if (t == word) return std::string(word);
        for (const char* sp : spellings)
            if (t == sp) return std::string(word);
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> normalise_event_status(std::string_view text) {
    // the words v5 normalised the stored statuses by (migrations.cpp), and
    // "in progress"; 待受理 (awaiting acceptance) is a reported event
    return normalise(text, {{"reported", {"已上报", "上报", "待受理"}},
                            {"dispatched", {"已派遣", "派遣", "已分派"}},
                            {"in_progress", {"in progress", "处置中", "办理中", "处理中"}},
                            {"closed", {"已办结", "办结", "已结案", "结案", "已关闭"}},
                            {"returned", {"退回", "已退回"}}});
}

std::optional<std::string> normalise_closing_level(std::string_view text) {
    return normalise(text, {{"grid", {"网格"}},
                            {"village", {"村", "社区"}},
                            {"township", {"乡镇", "街道"}},
                            {"county", {"县", "区", "市"}},
                            {"department", {"部门"}}});
}

void for_each_event_fact(Store& store, const std::string& prefix, const std::string& from, const std::string& to,
                         const std::function<void(const EventFact&)>& fn) {
    repo::for_each_event_fact(store, prefix, from, to, fn);
}

int load_event_types(Store& store, const std::filesystem::path& csv, const std::string& version) {
    refuse_non_csv(csv, "the event classification is read from a CSV");
    CsvReader in(csv, ',');
    Store::Transaction tx(store);
    const int n = replace_types(store, in, csv.string(), version.empty() ? csv.filename().string() : version);
    tx.commit();
    return n;
}

int load_default_event_types(Store& store) {
    CsvReader in(CsvText{default_types_csv, "default event types"}, ',');
    return replace_types(store, in, "default event types", "wangge default 1");
}

std::vector<EventType> list_event_types(Store& store) {
    return repo::event_types(store);
}

std::string event_types_version(Store& store) {
    return repo::get_meta(store, "event_types_version").value_or("");
}

CoverageIndex grid_index(Store& store) {
    std::vector<CoverageIndex::Polygon> polys;
    for (auto& g : repo::current_grids(store, "", true)) polys.push_back({std::move(g.code), std::move(g.wkb)});
    return CoverageIndex(polys);
}

namespace {

/// Short kind of a reject reason, for the summary.
std::string reason_kind(const std::string& r) {
    if (r.find("(the limit for a CSV") != std::string::npos) return "past a CSV limit";
    for (const char* k : {"quoted field", "duplicate id", "no id", "no coordinates", "not a number", "out of range",
                          "unknown status", "unknown closing level", "closed time", "time", "unknown type code",
                          "no type code", "text"})
        if (r.find(k) != std::string::npos)
            return k == std::string("time") ? "bad time" : k == std::string("quoted field") ? "unclosed quote" : k;
    return "other";
}

/// Where a point (CGCS2000) falls: its grid, or in no grid with the nearest one.
repo::EventPlacement place(const CoverageIndex& index, double lon, double lat) {
    repo::EventPlacement p;
    const int g = index.locate(lon, lat);
    p.uncovered = g < 0;
    if (g >= 0) {
        p.grid_code = index.code(g);
    } else if (const auto [n, d] = index.nearest(lon, lat); n >= 0) {
        p.nearest_grid = index.code(n);
        p.nearest_m = d;
    }
    return p;
}

struct Row {
    std::int64_t line = 0;
    std::string id, type, time_raw, status, source;
    std::string closed_raw, level, department, handler;
    std::string lon_raw, lat_raw;
    bool has_xy = false;  // from a GDAL geometry
    double lon = 0, lat = 0;
    std::string text_error;
};

/// The default names of the handling columns, tried in order when no name is given.
const std::vector<std::string_view> closed_at_names{"closed_at", "closed_time", "办结时间"};
const std::vector<std::string_view> closed_level_names{"closed_level", "level", "办结层级"};
const std::vector<std::string_view> department_names{"department", "部门", "承办部门"};
const std::vector<std::string_view> handler_names{"handler", "staff_id", "处置人", "网格员工号"};

/// Where each optional handling column is in a header (CSV) or a source's fields.
struct HandlingColumns {
    std::optional<std::size_t> closed_at, level, department, handler;
};

HandlingColumns handling_columns(const std::vector<std::string>& names, const EventImportOptions& opt,
                                 const std::string& file) {
    auto pick = [&](const std::string& given, const std::vector<std::string_view>& defaults, const char* option) {
        if (given.empty()) return first_column_of(names, defaults);
        const auto i = find_column(names, given);
        if (!i)
            throw input_error(fmt::format("{}: no column {} ({}); its columns are: {}", file,
                                          text::quote_for_message(given), option, describe_columns(names)));
        return i;
    };
    HandlingColumns c;
    c.closed_at = pick(opt.closed_at_field, closed_at_names, "--closed-at-field");
    c.level = pick(opt.closed_level_field, closed_level_names, "--closed-level-field");
    c.department = pick(opt.department_field, department_names, "--department-field");
    c.handler = pick(opt.handler_field, handler_names, "--handler-field");
    return c;
}

/// How a row says its event was handled, checked: "" and `out` filled, or why the
/// row is rejected. A closed time or closing level with no status means closed (an
/// export that fills 办结时间 has closed the event); with another status it is a
/// contradiction and rejected.
std::string check_handling(const Row& r, const std::string& reported_at, std::string_view assume_zone,
                           repo::EventRecord& out) {
    out.status.clear();
    out.closed_at.clear();
    out.closed_level.clear();
    if (!r.status.empty()) {
        const auto st = normalise_event_status(r.status);
        if (!st)
            return fmt::format("unknown status {} (reported, dispatched, in_progress, closed, returned, or "
                               "已上报, 已派遣, 处置中, 已办结, 已退回...)",
                               text::quote_for_message(r.status, 30));
        out.status = *st;
    }
    if (!r.level.empty()) {
        const auto lv = normalise_closing_level(r.level);
        if (!lv)
            return fmt::format("unknown closing level {} (grid, village, township, county, department, or "
                               "网格, 村, 社区, 乡镇, 街道, 县, 区, 市, 部门)",
                               text::quote_for_message(r.level, 30));
        out.closed_level = *lv;
    }
    if (!r.closed_raw.empty()) {
        std::string why;
        const auto t = parse_iso8601(r.closed_raw, assume_zone, why);
        if (!t) return "closed time: " + why;
        if (*t < reported_at)
            return fmt::format("closed time {} is before the reported time {}", *t, reported_at);
        out.closed_at = *t;
    }
    if ((!out.closed_at.empty() || !out.closed_level.empty()) && out.status != "closed") {
        if (!out.status.empty())
            return fmt::format("closed time or closing level given, but the status is {} (not closed)", out.status);
        out.status = "closed";
    }
    out.department = r.department;
    out.handler = r.handler;
    return {};
}

} // namespace

EventImportReport import_events(Store& store, const EventImportOptions& opt, const ProgressFn& progress) {
    EventImportReport rep;
    rep.file = opt.file.string();
    if (!std::filesystem::exists(opt.file)) throw io_error(fmt::format("{}: no such file", rep.file));
    std::ofstream rejects;
    if (!opt.rejects_file.empty()) {
        rejects.open(opt.rejects_file, std::ios::binary | std::ios::trunc);
        if (!rejects) throw io_error(fmt::format("{}: cannot write the rejects file", opt.rejects_file.string()));
        rejects << "file,line,id,reason\n";
    }
    // Everything the import depends on (types, grids, the ids already stored) is read
    // inside its write transaction: no other writer can change it before the commit.
    Store::Transaction tx(store);
    std::map<std::string, std::string> platform_of;
    for (const auto& t : list_event_types(store)) platform_of[t.code] = t.platform;
    if (platform_of.empty() && !opt.allow_unknown_types)
        throw input_error("the event classification is empty: load one with 'wangge events types load FILE'");
    const CoverageIndex index = grid_index(store);
    pause_point("events-import:grids-read");
    if (index.size() == 0) throw input_error("the store has no grids: run 'wangge partition' before importing events");
    rep.import_id =
        repo::begin_import_run(store, "events", rep.file, fmt::format("crs={}", chinacrs::datum_name(opt.crs)));
    const std::string now = repo::now_timestamp(store);
    repo::EventImportWriter events(store);
    repo::EventRecord e;

    auto reject = [&](const Row& r, const std::string& why) {
        ++rep.rejected;
        ++rep.rejects_by_reason[reason_kind(why)];
        if (rep.first_rejects.size() < 50) rep.first_rejects.push_back({r.line, r.id, why});
        if (rejects) rejects << csv_quote(rep.file) << ',' << r.line << ',' << csv_quote(r.id) << ',' << csv_quote(why) << '\n';
    };
    auto handle = [&](Row& r) {
        ++rep.read;
        if (!r.text_error.empty()) return reject(r, r.text_error);
        if (r.id.empty()) return reject(r, "no id");
        if (r.type.empty()) return reject(r, "no type code");
        if (!opt.allow_unknown_types && !platform_of.count(r.type))
            return reject(r, fmt::format("unknown type code {} (not in the event classification; "
                                         "--allow-unknown-types imports it anyway)",
                                         text::quote_for_message(r.type, 30)));
        if (!r.has_xy) {
            if (trim(r.lon_raw).empty() || trim(r.lat_raw).empty()) return reject(r, "no coordinates");
            if (auto why = parse_coordinate(r.lon_raw, false, r.lon); !why.empty()) return reject(r, why);
            if (auto why = parse_coordinate(r.lat_raw, true, r.lat); !why.empty()) return reject(r, why);
        } else if (auto why = lon_lat_problem(r.lon, r.lat); !why.empty()) {
            return reject(r, why);
        }
        std::string why;
        const auto t = parse_iso8601(r.time_raw, opt.assume_zone, why);
        if (!t) return reject(r, why);
        if (auto bad = check_handling(r, *t, opt.assume_zone, e); !bad.empty()) return reject(r, bad);
        if (const auto earlier = events.first_line(r.id))
            return reject(r, fmt::format("duplicate id: {} {} has the same id (that row is kept)",
                                         rep.format == "CSV" ? "line" : "feature", *earlier));
        events.mark_line(r.id, r.line);
        const auto ll = chinacrs::to_cgcs2000(opt.crs, r.lon, r.lat);
        const bool existed = events.exists(r.id);
        e.event_id = r.id;
        e.type_code = r.type;
        e.reported_at = *t;
        e.source = r.source;
        e.crs = chinacrs::datum_name(opt.crs);
        e.lon_reported = r.lon;
        e.lat_reported = r.lat;
        e.lon = ll.lon;
        e.lat = ll.lat;
        e.placement = place(index, ll.lon, ll.lat);
        ++(e.placement.uncovered ? rep.uncovered : rep.assigned);
        e.import_id = rep.import_id;
        e.assigned_at = now;
        events.upsert(e);
        ++rep.imported;
        ++(existed ? rep.updated : rep.inserted);
        const auto p = platform_of.find(r.type);
        ++rep.by_platform[p == platform_of.end() ? std::string("(unknown type)") : p->second];
    };

    std::string ext = lower(opt.file.extension().string());
    if (ext == ".csv" || ext == ".txt" || ext == ".tsv") {
        rep.format = "CSV";
        CsvReader csv(opt.file, opt.delimiter);
        const std::string enc = opt.encoding.empty() ? std::string() : text::canonical_encoding(opt.encoding);
        if (!enc.empty()) text::to_utf8("", enc);  // unknown name -> usage_error
        // column names are matched in UTF-8: a GBK file names its columns (经度, 办结时间) in GBK
        std::vector<std::string> h;
        for (const auto& raw : csv.header()) {
            std::optional<std::string> v = !enc.empty()                ? text::to_utf8(raw, enc)
                                           : text::is_valid_utf8(raw) ? std::optional<std::string>(raw)
                                                                      : text::to_utf8(raw, "GB18030");
            h.push_back(v ? *v : raw);
        }
        InputColumnRequest want;
        want.x_field = opt.x_field;
        want.y_field = opt.y_field;
        want.id_field = opt.id_field;
        want.type_field = opt.type_field;
        want.time_field = opt.time_field;
        want.need_id = want.need_type = want.need_time = true;
        const InputColumns columns = choose_input_columns(h, want, rep.file);
        const std::size_t ci = *columns.id, ct = *columns.type, cm = *columns.time, cx = columns.x, cy = columns.y;
        const auto cs = find_column(h, opt.status_field);
        const auto cr = find_column(h, opt.source_field);
        const HandlingColumns hc = handling_columns(h, opt, rep.file);
        std::vector<std::string> f;
        std::int64_t line = 0;
        std::string bad_record;
        Row r;
        while (csv.next(f, line, bad_record)) {
            r = Row{};
            r.line = line;
            r.text_error = bad_record;
            auto get = [&](std::optional<std::size_t> i) -> std::string {
                if (!i || *i >= f.size()) return {};
                const std::string& raw = f[*i];
                std::optional<std::string> v;
                if (enc.empty()) v = text::is_valid_utf8(raw) ? std::optional<std::string>(raw) : text::to_utf8(raw, "GB18030");
                else v = text::to_utf8(raw, enc);
                if (!v) {
                    if (r.text_error.empty())
                        r.text_error = fmt::format("column {} is not valid {} text", text::quote_for_message(h[*i]),
                                                   enc.empty() ? "UTF-8 or GB18030" : enc);
                    return {};
                }
                return trim(*v);
            };
            r.id = get(ci);
            r.type = get(ct);
            r.time_raw = get(cm);
            r.status = get(cs);
            r.source = get(cr);
            r.closed_raw = get(hc.closed_at);
            r.level = get(hc.level);
            r.department = get(hc.department);
            r.handler = get(hc.handler);
            r.lon_raw = cx < f.size() ? f[cx] : std::string();
            r.lat_raw = cy < f.size() ? f[cy] : std::string();
            handle(r);
            if (progress && rep.read % 50000 == 0)
                progress(static_cast<std::int64_t>(csv.position()), static_cast<std::int64_t>(csv.size()), "importing");
        }
    } else {
        SourceOptions so;
        so.file = opt.file;
        so.layer = opt.layer;
        so.encoding = opt.encoding;
        so.allow_ballpark = opt.allow_ballpark;
        VectorSource src(so);
        rep.format = src.driver();
        const int ci = src.require_field(opt.id_field, "--id-field");
        const int ct = src.require_field(opt.type_field, "--type-field");
        const int cm = src.require_field(opt.time_field, "--time-field");
        const auto cs = src.field_index(opt.status_field);
        const auto cr = src.field_index(opt.source_field);
        const HandlingColumns hc = handling_columns(src.field_names(), opt, rep.file);
        auto as_int = [](std::optional<std::size_t> i) {
            return i ? std::optional<int>(static_cast<int>(*i)) : std::nullopt;
        };
        auto& g = geos::Context::local();
        SourceFeature f;
        const auto total = src.feature_count();
        while (src.next(f)) {
            Row r;
            r.line = f.fid;
            auto get = [&](std::optional<int> i) -> std::string {
                if (!i) return {};
                if (!f.field_errors[static_cast<std::size_t>(*i)].empty()) r.text_error = f.field_errors[static_cast<std::size_t>(*i)];
                const auto& v = f.fields[static_cast<std::size_t>(*i)];
                return v ? trim(*v) : std::string();
            };
            r.id = get(ci);
            r.type = get(ct);
            r.time_raw = get(cm);
            r.status = get(cs);
            r.source = get(cr);
            r.closed_raw = get(as_int(hc.closed_at));
            r.level = get(as_int(hc.level));
            r.department = get(as_int(hc.department));
            r.handler = get(as_int(hc.handler));
            if (!f.geometry_error.empty()) {
                ++rep.read;
                reject(r, f.geometry_error);
                continue;
            }
            if (!f.wkb.empty()) {
                auto geom = g.from_wkb(f.wkb.data(), f.wkb.size());
                if (GEOSGeomTypeId_r(g.handle(), geom.get()) == GEOS_POINT && !g.is_empty(geom.get())) {
                    GEOSGeomGetX_r(g.handle(), geom.get(), &r.lon);
                    GEOSGeomGetY_r(g.handle(), geom.get(), &r.lat);
                    r.has_xy = true;
                } else {
                    ++rep.read;
                    reject(r, fmt::format("geometry is a {}, not a point (no coordinates)", f.geometry_type));
                    continue;
                }
            }
            handle(r);
            if (progress && rep.read % 50000 == 0) progress(rep.read, total, "importing");
        }
    }
    repo::finish_import_run(store, rep.import_id, rep.imported, rep.updated, rep.rejected);
    if (rep.imported > 0) tx.commit();  // nothing imported: the store stays as it was
    return rep;
}

namespace {

ReassignReport reassign(Store& store, const std::vector<std::vector<unsigned char>>* areas) {
    ReassignReport rep;
    if (repo::count_events(store) == 0) return rep;
    const CoverageIndex index = grid_index(store);
    auto& g = geos::Context::local();
    std::optional<repo::Frame> frame;
    if (areas) {
        if (areas->empty()) return rep;
        std::vector<geos::Geometry> parts;
        std::vector<const GEOSGeometry*> raw;
        for (const auto& w : *areas) {
            parts.push_back(g.from_wkb(w.data(), w.size()));
            raw.push_back(parts.back().get());
        }
        // events in the areas' envelope are checked again (locate gives the others
        // the grid they already have); so is any event whose grid is no longer
        // current, wherever it is, and every event in no grid: its nearest grid may
        // be one that changed (they are few)
        auto area = g.collect(raw);
        repo::Frame f;
        GEOSGeom_getXMin_r(g.handle(), area.get(), &f.x0);
        GEOSGeom_getYMin_r(g.handle(), area.get(), &f.y0);
        GEOSGeom_getXMax_r(g.handle(), area.get(), &f.x1);
        GEOSGeom_getYMax_r(g.handle(), area.get(), &f.y1);
        frame = f;
    }
    const std::string now = repo::now_timestamp(store);
    repo::EventPlacementWriter writer(store);
    std::vector<std::string> current;
    if (frame) {
        current.reserve(index.size());
        for (std::size_t i = 0; i < index.size(); ++i) current.push_back(index.code(static_cast<int>(i)));
    }
    repo::for_each_event_to_place(store, frame, current, [&](const repo::StoredPlacement& e) {
        ++rep.checked;
        const repo::EventPlacement p = place(index, e.lon, e.lat);
        ++(p.uncovered ? rep.uncovered : rep.assigned);
        const auto& was = e.placement;
        if (!p.uncovered && p.grid_code == was.grid_code && !was.uncovered) return;
        // still in no grid: the nearest grid and its distance are checked too
        if (p.uncovered && was.uncovered && p.nearest_grid == was.nearest_grid && p.nearest_m && was.nearest_m &&
            std::abs(*was.nearest_m - *p.nearest_m) < 1e-3)
            return;
        ++rep.changed;
        writer.update(e.rowid, p, now);
    });
    return rep;
}

} // namespace

ReassignReport reassign_events(Store& store, const std::vector<unsigned char>* area_wkb) {
    Store::Transaction tx(store);
    ReassignReport rep;
    if (area_wkb) {
        const std::vector<std::vector<unsigned char>> areas{*area_wkb};
        rep = reassign(store, &areas);
    } else {
        rep = reassign(store, nullptr);
    }
    tx.commit();
    return rep;
}

ReassignReport reassign_events_within(Store& store, const std::vector<std::vector<unsigned char>>& areas) {
    return reassign(store, &areas);
}

EventCounts event_counts(Store& store, const std::string& prefix) {
    EventCounts c;
    for (const auto& p : repo::event_counts_by_platform(store, prefix)) {
        c.by_platform[p.platform] = p.events;
        c.events += p.events;
        c.uncovered += p.uncovered;
    }
    c.assigned = c.events - c.uncovered;
    return c;
}

} // namespace wangge
