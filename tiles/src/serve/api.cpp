// The server's JSON API on a store (serve/api.hpp): a grid's details, locating a
// point, searching codes and names. Everything is answered from one reading of the
// store in memory, replaced whole when the store changes.
#include "serve/api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>
#include <wangge/beidou.hpp>
#include <wangge/chinacrs.hpp>
#include <wangge/codes.hpp>
#include <wangge/coverage_index.hpp>
#include <wangge/csv.hpp>
#include <wangge/grids.hpp>
#include <wangge/map_data.hpp>
#include <wangge/store.hpp>
#include <wangge/text.hpp>

#include "serve/store_source.hpp"

namespace wangge::tiles::serve {

namespace {

using nlohmann::json;
using Box = std::array<double, 4>;  // lon/lat

constexpr const char* levels[] = {"county", "township", "village"};

/// A county, township or village.
struct Place {
    std::string level, code, name, parent;
    std::optional<Box> bbox;
};

/// One reading of the store.
struct Reading {
    std::vector<GridRow> grids;  // in code order, without geometry
    std::vector<std::optional<Box>> grid_bbox;
    std::map<std::string, std::size_t> grid_at;
    std::map<std::string, std::map<std::string, std::int64_t>> events;  // grid -> platform -> count
    std::optional<CoverageIndex> grid_index;                            // its polygons: `grids`
    std::vector<Place> places;                                          // counties, townships, villages
    std::map<std::string, std::size_t> place_at;
    std::optional<CoverageIndex> village_index;  // its polygons: places[village_place[i]]
    std::vector<std::size_t> village_place;
};

std::shared_ptr<const Reading> read_store(Store& store) {
    auto r = std::make_shared<Reading>();
    std::vector<CoverageIndex::Polygon> polys;
    r->grids = list_grids(store, "", true);
    for (std::size_t i = 0; i < r->grids.size(); ++i) {
        auto& g = r->grids[i];
        r->grid_bbox.push_back(wkb_bounds(g.wkb));
        r->grid_at[g.code] = i;
        polys.push_back({g.code, std::move(g.wkb)});
        g.wkb = {};
    }
    r->grid_index.emplace(polys);  // as grid_index() builds it: the rule of `wangge locate`
    r->events = event_counts_per_grid(store);
    polys.clear();
    for (const char* level : levels)
        for_each_jurisdiction(store, level, {}, [&](const JurisdictionFeature& j) {
            r->place_at[j.code] = r->places.size();
            if (std::string_view(level) == "village") {
                r->village_place.push_back(r->places.size());
                polys.push_back({j.code, j.wkb});
            }
            r->places.push_back({level, j.code, j.name, j.parent, wkb_bounds(j.wkb)});
        });
    r->village_index.emplace(polys);
    return r;
}

JsonReply reply(int status, const json& body) {
    return {status, body.dump()};
}

JsonReply error(int status, const std::string& message, json more = json::object()) {
    more["error"] = message;
    return reply(status, more);
}

json ref(const std::string& code, const std::string& name) {
    if (code.empty()) return nullptr;
    return {{"code", code}, {"name", name}};
}

json parent_json(const char* kind, json r) {
    r["kind"] = kind;
    return r;
}

json box_json(const std::optional<Box>& b) {
    if (!b) return nullptr;
    return {(*b)[0], (*b)[1], (*b)[2], (*b)[3]};
}

json center_of(const std::optional<Box>& b) {
    if (!b) return nullptr;
    return {((*b)[0] + (*b)[2]) / 2, ((*b)[1] + (*b)[3]) / 2};
}

json name_json(const std::string& name) {
    return name.empty() ? json(nullptr) : json(name);
}

/// A place and its parents up to the county: village, township, county (null when not stored).
json place_chain(const Reading& r, const Place* p) {
    json out = {{"village", nullptr}, {"township", nullptr}, {"county", nullptr}};
    for (int guard = 0; p && guard < 3; ++guard) {
        out[p->level] = ref(p->code, p->name);
        const auto it = r.place_at.find(p->parent);
        p = it == r.place_at.end() ? nullptr : &r.places[it->second];
    }
    return out;
}

json grid_json(const Reading& r, std::size_t i) {
    const auto& g = r.grids[i];
    json events = json::object();
    std::int64_t total = 0;
    if (const auto it = r.events.find(g.code); it != r.events.end())
        for (const auto& [platform, n] : it->second) {
            events[platform.empty() ? "(no platform)" : platform] = n;
            total += n;
        }
    return {{"code", g.code},
            {"type", g.type},
            {"name", name_json(g.name)},
            {"households", g.households},
            {"village", ref(g.village_code, g.village_name)},
            {"township", ref(g.township_code, g.township_name)},
            {"county", ref(g.county_code, g.county_name)},
            {"beidou", g.beidou},
            {"events", events},
            {"events_total", total},
            {"area_m2", g.area_m2},
            {"label", {{"lon", g.label_lon}, {"lat", g.label_lat}}},
            {"bbox", box_json(r.grid_bbox[i])},
            {"valid_from", g.valid_from}};
}

/// The kinds in the order of search results: county first.
int level_rank(std::string_view kind) {
    if (kind == "county") return 0;
    if (kind == "township") return 1;
    if (kind == "village") return 2;
    return 3;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// How well a code or name matches the query: 0 exact code, 1 code prefix, 2 name
/// equal, 3 name prefix, 4 name contains; nullopt no match.
std::optional<int> match(std::string_view q, bool digits, const std::string& code, const std::string& name) {
    if (digits) {
        if (code == q) return 0;
        if (code.starts_with(q)) return 1;
    }
    if (name.empty()) return std::nullopt;
    if (name == q) return 2;
    if (name.starts_with(q)) return 3;
    if (name.find(q) != std::string::npos) return 4;
    return std::nullopt;
}

}  // namespace

struct DataApi::Impl {
    mutable std::mutex mu;
    std::shared_ptr<const Reading> reading;
    std::unique_ptr<StoreWatcher> watcher;  // last: stopped first

    std::shared_ptr<const Reading> current() const {
        std::lock_guard lock(mu);
        return reading;
    }
};

DataApi::DataApi(const std::filesystem::path& store, std::chrono::milliseconds poll) : impl_(std::make_unique<Impl>()) {
    impl_->watcher = std::make_unique<StoreWatcher>(store, poll, [m = impl_.get()](Store& s) {
        auto next = read_store(s);
        std::lock_guard lock(m->mu);
        m->reading = std::move(next);
    });
}

DataApi::~DataApi() = default;

JsonReply DataApi::grid(std::string_view code) {
    if (!parse_grid_code(code))
        return error(400, fmt::format("'{}' is not a grid code (15 digits: village code and serial)",
                                      text::escape_for_message(code)));
    const auto r = impl_->current();
    const auto it = r->grid_at.find(std::string(code));
    if (it == r->grid_at.end()) return error(404, fmt::format("grid {} is not in the store", code));
    return reply(200, grid_json(*r, it->second));
}

JsonReply DataApi::locate(std::string_view lon, std::string_view lat, std::string_view crs) {
    const auto datum = chinacrs::datum_from_name(crs.empty() ? "wgs84" : crs);
    if (!datum)
        return error(
            400, fmt::format("unknown crs '{}': give wgs84, cgcs2000, gcj02 or bd09", text::escape_for_message(crs)));
    double x = 0, y = 0;
    for (const auto& why : {parse_coordinate(lon, false, x), parse_coordinate(lat, true, y)})
        if (!why.empty()) return error(400, "locate: " + why);
    const auto p = chinacrs::to_cgcs2000(*datum, x, y);
    const auto r = impl_->current();
    json out = {{"crs", chinacrs::datum_name(*datum)},
                {"input", {{"lon", x}, {"lat", y}}},
                {"point", {{"lon", p.lon}, {"lat", p.lat}}},
                {"beidou", std::abs(p.lat) <= 88 ? json(beidou::encode(p.lon, p.lat)) : json(nullptr)}};
    const int g = r->grid_index->locate(p.lon, p.lat);
    if (g >= 0) {
        const auto& row = r->grids[r->grid_at.at(r->grid_index->code(g))];
        out["grid"] = {
            {"code", row.code}, {"type", row.type}, {"name", name_json(row.name)}, {"households", row.households}};
        out["village"] = ref(row.village_code, row.village_name);
        out["township"] = ref(row.township_code, row.township_name);
        out["county"] = ref(row.county_code, row.county_name);
        return reply(200, out);
    }
    out["grid"] = nullptr;
    const int v = r->village_index->locate(p.lon, p.lat);
    out.update(place_chain(*r, v >= 0 ? &r->places[r->village_place[static_cast<std::size_t>(v)]] : nullptr));
    if (const auto [n, d] = r->grid_index->nearest(p.lon, p.lat); n >= 0)
        out["nearest"] = {{"code", r->grid_index->code(n)}, {"distance_m", std::round(d * 10) / 10}};
    return error(404, "the point is in no grid", out);
}

JsonReply DataApi::search(std::string_view q_in, std::string_view limit_in) {
    const std::string_view q = trim(q_in);
    if (q.empty()) return error(400, "search: give q, a code prefix or part of a name");
    if (!text::is_valid_utf8(q)) return error(400, "search: q is not UTF-8");
    int limit = 10;
    if (!limit_in.empty()) {
        const auto [end, ec] = std::from_chars(limit_in.data(), limit_in.data() + limit_in.size(), limit);
        if (ec != std::errc() || end != limit_in.data() + limit_in.size() || limit < 1)
            return error(400, fmt::format("search: limit '{}' is not a whole number from 1 to 50",
                                          text::escape_for_message(limit_in)));
        limit = std::min(limit, 50);
    }
    const bool digits = q.find_first_not_of("0123456789") == std::string_view::npos;
    const auto r = impl_->current();
    struct Hit {
        int rank, level;
        const std::string* code;
        const Place* place;  // else grids[grid]
        std::size_t grid;
    };
    std::vector<Hit> hits;
    for (const auto& p : r->places)
        if (const auto m = match(q, digits, p.code, p.name)) hits.push_back({*m, level_rank(p.level), &p.code, &p, 0});
    for (std::size_t i = 0; i < r->grids.size(); ++i)
        if (const auto m = match(q, digits, r->grids[i].code, r->grids[i].name))
            hits.push_back({*m, 3, &r->grids[i].code, nullptr, i});
    const auto n = std::min(hits.size(), static_cast<std::size_t>(limit));
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end(),
                      [](const Hit& a, const Hit& b) {
                          return std::tie(a.rank, a.level, *a.code) < std::tie(b.rank, b.level, *b.code);
                      });
    json results = json::array();
    for (std::size_t i = 0; i < n; ++i) {
        const Hit& h = hits[i];
        json item;
        if (h.place) {
            const auto& p = *h.place;
            const auto parent = r->place_at.find(p.parent);
            json chain = place_chain(*r, parent == r->place_at.end() ? nullptr : &r->places[parent->second]);
            item = {{"kind", p.level}, {"code", p.code}, {"name", name_json(p.name)}};
            item["parents"] = json::array();
            for (const char* level : levels)
                if (!chain[level].is_null()) item["parents"].push_back(parent_json(level, chain[level]));
            item["bbox"] = box_json(p.bbox);
            item["center"] = center_of(p.bbox);
        } else {
            const auto& g = r->grids[h.grid];
            item = {{"kind", "grid"}, {"code", g.code}, {"name", name_json(g.name)}};
            item["parents"] = json::array();
            for (const auto& [level, c, nm] : {std::tuple{"county", g.county_code, g.county_name},
                                               {"township", g.township_code, g.township_name},
                                               {"village", g.village_code, g.village_name}})
                if (!c.empty()) item["parents"].push_back(parent_json(level, ref(c, nm)));
            item["bbox"] = box_json(r->grid_bbox[h.grid]);
            item["center"] = {g.label_lon, g.label_lat};
        }
        results.push_back(std::move(item));
    }
    return reply(200, {{"q", q}, {"total", hits.size()}, {"results", results}});
}

}  // namespace wangge::tiles::serve
