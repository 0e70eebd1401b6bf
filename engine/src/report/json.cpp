// write_json: every field of a Report, for scripts. Names as in report.hpp, numbers
// as numbers (areas in m², shares 0..1, hours), absent figures as null, shapes as
// GeoJSON geometry objects (lon/lat, CGCS2000 ≈ WGS-84 at the metre). "schema"
// names the layout: a reader checks it; a change that removes or renames a field
// gets a new number, added fields do not.
#include "report/common.hpp"

#include <nlohmann/json.hpp>

namespace wangge::report {

using namespace detail;
using Json = nlohmann::ordered_json;

namespace {

constexpr const char* schema = "wangge-report/1";

Json position(const Pt& p) {
    return Json::array({p.x, p.y});
}

Json positions(const std::vector<Pt>& pts) {
    Json a = Json::array();
    for (const Pt& p : pts) a.push_back(position(p));
    return a;
}

Json rings(const std::vector<std::vector<Pt>>& rs) {
    Json a = Json::array();
    for (const auto& r : rs) a.push_back(positions(r));
    return a;
}

Json geojson(const Shape& s) {
    switch (s.type) {
    case Shape::point:
        return {{"type", "Point"}, {"coordinates", s.coords.empty() ? Json::array() : position(s.coords[0])}};
    case Shape::line: return {{"type", "LineString"}, {"coordinates", positions(s.coords)}};
    case Shape::polygon: return {{"type", "Polygon"}, {"coordinates", rings(s.rings)}};
    case Shape::multipoint: {
        Json c = Json::array();
        for (const auto& p : s.parts)
            if (!p.coords.empty()) c.push_back(position(p.coords[0]));
        return {{"type", "MultiPoint"}, {"coordinates", c}};
    }
    case Shape::multiline: {
        Json c = Json::array();
        for (const auto& p : s.parts) c.push_back(positions(p.coords));
        return {{"type", "MultiLineString"}, {"coordinates", c}};
    }
    case Shape::multipolygon: {
        Json c = Json::array();
        for (const auto& p : s.parts) c.push_back(rings(p.rings));
        return {{"type", "MultiPolygon"}, {"coordinates", c}};
    }
    case Shape::collection: {
        Json g = Json::array();
        for (const auto& p : s.parts) g.push_back(geojson(p));
        return {{"type", "GeometryCollection"}, {"geometries", g}};
    }
    }
    return nullptr;
}

Json geometry(const std::vector<unsigned char>& wkb, std::string_view what) {
    if (wkb.empty()) return nullptr;
    return geojson(parse_wkb(wkb, what));
}

Json optional_number(const std::optional<double>& v) {
    return v ? Json(*v) : Json(nullptr);
}

Json finding(const validate::Finding& f) {
    Json j{{"kind", kind_en(f.kind)},
           {"severity", severity_en(f.severity)},
           {"codes", f.codes},
           {"area_m2", f.area_m2},
           {"length_m", f.length_m},
           {"width_m", f.width_m},
           {"detail", f.detail}};
    const auto c = centre(f.where);
    j["centre"] = c ? position(*c) : Json(nullptr);
    j["where"] = geometry(f.where, "finding location");
    return j;
}

Json handler(const Handler& h) {
    return {{"key", h.key}, {"name", h.name}, {"assigned", h.assigned}, {"closed", h.closed}, {"overdue", h.overdue}};
}

Json counts(const std::vector<Count>& cs) {
    Json a = Json::array();
    for (const auto& c : cs) a.push_back({{"key", c.key}, {"name", c.name}, {"events", c.events}});
    return a;
}

}  // namespace

void write_json(const Report& r, const std::filesystem::path& out) {
    Json j;
    j["schema"] = schema;
    j["level"] = r.level;
    j["code"] = r.code;
    j["name"] = r.name;
    j["county_name"] = r.county_name;
    j["township_name"] = r.township_name;
    j["generated_at"] = r.generated_at;
    j["from"] = r.from;
    j["to"] = r.to;
    j["as_of"] = r.as_of;
    j["changes_since"] = r.changes_since;
    j["wangge_version"] = r.wangge_version;
    j["with_names"] = r.with_names;
    const Summary& s = r.summary;
    j["summary"] = {{"townships", s.townships},
                    {"villages", s.villages},
                    {"grids", s.grids},
                    {"households", s.households},
                    {"area_m2", s.area_m2},
                    {"covered_m2", s.covered_m2},
                    {"coverage_ratio", s.coverage_ratio},
                    {"villages_without_grids", s.villages_without_grids}};
    j["villages"] = Json::array();
    for (const auto& v : r.villages)
        j["villages"].push_back({{"code", v.code},
                                 {"name", v.name},
                                 {"urban", v.urban},
                                 {"grids", v.grids},
                                 {"households", v.households},
                                 {"area_m2", v.area_m2},
                                 {"covered_m2", v.covered_m2},
                                 {"geometry", geometry(v.wkb, "village " + v.code)}});
    j["grids"] = Json::array();
    for (const auto& g : r.grids) {
        Json o{{"code", g.code},
               {"name", g.name},
               {"village_code", g.village_code},
               {"type", g.type},
               {"households", g.households},
               {"area_m2", g.area_m2},
               {"band_min", g.band_min},
               {"band_max", g.band_max},
               {"by_area", g.by_area},
               {"in_band", g.in_band},
               {"leaders", g.leaders},
               {"workers", g.workers},
               {"instructors", g.instructors}};
        // names only when the report was built with them (the builder leaves them
        // empty otherwise; the field is left out so no script expects it)
        if (r.with_names) o["leader_names"] = g.leader_names;
        o["events"] = g.events;
        o["events_per_1000"] = g.events_per_1000;
        o["findings"] = g.findings;
        o["geometry"] = geometry(g.wkb, "grid " + g.code);
        j["grids"].push_back(std::move(o));
    }
    j["findings"] = Json::array();
    for (const auto& f : r.findings) j["findings"].push_back(finding(f));
    j["band_min"] = r.band_min;
    j["band_max"] = r.band_max;
    j["oversized"] = r.oversized;
    j["undersized"] = r.undersized;
    const Staffing& st = r.staffing;
    j["staffing"] = {{"leaders", st.leaders},
                     {"workers", st.workers},
                     {"instructors", st.instructors},
                     {"without_leader", st.without_leader},
                     {"without_worker", st.without_worker},
                     {"two_leaders", st.two_leaders},
                     {"workers_per_1000", st.workers_per_1000}};
    const EventFigures& e = r.events;
    Json uncovered = Json::array();
    for (const auto& u : e.uncovered_events)
        uncovered.push_back({{"event_id", u.event_id},
                             {"type_code", u.type_code},
                             {"reported_at", u.reported_at},
                             {"lon", u.lon},
                             {"lat", u.lat},
                             {"nearest_grid", u.nearest_grid},
                             {"nearest_m", u.nearest_m}});
    Json hot = Json::array();
    for (const auto& h : e.hot_spots)
        hot.push_back({{"grid_code", h.grid_code}, {"events", h.events}, {"events_per_1000", h.events_per_1000}});
    j["events"] = {{"total", e.total},
                   {"assigned", e.assigned},
                   {"uncovered", e.uncovered},
                   {"by_platform", counts(e.by_platform)},
                   {"by_type", counts(e.by_type)},
                   {"uncovered_events", uncovered},
                   {"hot_spots", hot}};
    const Assessment& a = r.assessment;
    Json overdue = Json::array();
    for (const auto& o : a.overdue_events)
        overdue.push_back({{"event_id", o.event_id},
                           {"type_code", o.type_code},
                           {"grid_code", o.grid_code},
                           {"reported_at", o.reported_at},
                           {"status", o.status},
                           {"department", o.department},
                           {"staff_id", o.staff_id},
                           {"days_open", o.days_open}});
    Json departments = Json::array(), workers = Json::array();
    for (const auto& h : a.departments) departments.push_back(handler(h));
    for (const auto& h : a.workers) workers.push_back(handler(h));
    j["assessment"] = {{"events", a.events},
                       {"closed", a.closed},
                       {"open", a.open},
                       {"overdue", a.overdue},
                       {"closed_in_grid", a.closed_in_grid},
                       {"closed_in_township", a.closed_in_township},
                       {"passed_up", a.passed_up},
                       {"share_in_grid", a.share_in_grid},
                       {"share_in_township", a.share_in_township},
                       {"share_passed_up", a.share_passed_up},
                       {"median_hours", optional_number(a.median_hours)},
                       {"p90_hours", optional_number(a.p90_hours)},
                       {"overdue_events", overdue},
                       {"departments", departments},
                       {"workers", workers}};
    j["changes"] = Json::array();
    for (const auto& c : r.changes)
        j["changes"].push_back({{"date", c.date}, {"code", c.code}, {"kind", c.kind}, {"detail", c.detail}});
    j["outline"] = geometry(r.outline, "area " + r.code);
    // dump: UTF-8 as is (Chinese readable in the file); a name with bytes that are not
    // UTF-8 (an old GBK file slipped through) becomes U+FFFD instead of failing
    write_whole(out, j.dump(1, ' ', false, Json::error_handler_t::replace) + "\n");
}

}  // namespace wangge::report
