// Building the tile pyramid of a store. See wangge/tiles/build.hpp.
#include "wangge/tiles/build.hpp"

#include "wangge/tiles/clip.hpp"
#include "wangge/tiles/mbtiles.hpp"
#include "wangge/tiles/mvt.hpp"
#include "wangge/tiles/mvt_reader.hpp"
#include "wangge/tiles/pmtiles.hpp"

#include "file_io.hpp"

#include <wangge/coverage_index.hpp>
#include <wangge/csv.hpp>
#include <wangge/error.hpp>
#include "geometry/geos.hpp"
#include <wangge/grids.hpp>
#include <wangge/source.hpp>
#include <wangge/store.hpp>
#include <wangge/testpoint.hpp>
#include <wangge/topology.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace wangge::tiles {

namespace {

constexpr double world = 2 * M_PI * 6378137.0;
constexpr double origin = world / 2;
constexpr std::uint32_t extent = 4096;
constexpr double buffer_units = 64;

const std::array<std::pair<const char*, const char*>, 4> platform_keys = {{
    {"综治工作", "ev_governance"}, {"市场监管", "ev_market"}, {"综合执法", "ev_enforcement"}, {"便民服务", "ev_service"}}};

/// How a polygon layer was made a clean coverage, for the summary.
std::string describe(const topology::Coverage::Method& m) {
    if (m.name == "clean") return "already a clean coverage";
    if (m.name == "noded") return "noded as a whole (GEOS)";
    std::string out = fmt::format("made clean: {} T-junction or near-equal points fixed", m.fixed);
    if (m.renoded) out += fmt::format(", {} features noded again", m.renoded);
    return out;
}

struct Source {
    std::string name;
    bool polygons = false;
    LayerZooms zooms;
    std::unique_ptr<topology::Coverage> coverage;
    std::vector<topology::XY> points;  // point layers
    std::vector<Properties> props;
    std::vector<std::uint64_t> ids;  // polygons: the numeric code, stable across edits
    std::map<std::string, std::string> fields;
    std::string grid_key;  // events: the grid of each point, for aggregation (parallel to points)
    std::vector<std::string> grid_of;
    // polygons: the group each feature is merged into when a tile stays over the
    // size limit (grids: their village; villages, townships: their parent)
    std::string group_field;                                  // "village", "township", "county"
    std::vector<std::string> group_of;                        // per feature; empty: no groups
    std::map<std::string, std::vector<std::size_t>> members;  // group -> features
};

/// The village of a grid code (docs/codes.md); "" for a code of another form.
std::string village_of(const std::string& grid) {
    const auto gc = parse_grid_code(grid);
    return gc ? gc->village : std::string();
}

/// Give a polygon layer its groups, from its features' properties.
void set_groups(Source& s) {
    const bool grids = s.name == "grids";
    if (!grids && s.name != "villages" && s.name != "townships") return;
    s.group_field = grids ? "village" : s.name == "villages" ? "township" : "county";
    s.group_of.resize(s.props.size());
    for (std::size_t f = 0; f < s.props.size(); ++f) {
        std::string g;
        for (const auto& [k, v] : s.props[f]) {
            const auto* str = std::get_if<std::string>(&v);
            if (!str) continue;
            if (grids && k == "code")
                g = village_of(*str);
            else if (!grids && k == "parent")
                g = *str;
        }
        s.group_of[f] = g;
        if (!g.empty()) s.members[g].push_back(f);
    }
}

std::string where_prefix(const std::string& col, const std::string& prefix) {
    if (prefix.empty()) return "1";
    return fmt::format("({0} LIKE '{1}%' OR '{1}' LIKE {0} || '%')", col, prefix);
}

std::string where_bbox(const std::optional<std::array<double, 4>>& b) {
    if (!b) return "1";
    return fmt::format("MbrIntersects(geom, BuildMbr({:.9f}, {:.9f}, {:.9f}, {:.9f}, 4490))", (*b)[0], (*b)[1], (*b)[2], (*b)[3]);
}

void add_field(Source& s, const std::string& name, const Value& v) {
    s.fields[name] = std::holds_alternative<std::string>(v) ? "String" : std::holds_alternative<bool>(v) ? "Boolean" : "Number";
}

/// A label point inside a polygon: the centre of its largest inscribed circle (a pole
/// of inaccessibility, found to 1/1000 of the polygon's size), or GEOS's point on
/// surface where that centre is not inside (a part thinner than the tolerance).
std::pair<double, double> label_point(geos::Context& g, const GEOSGeometry* polygon) {
    const auto h = g.handle();
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    GEOSGeom_getXMin_r(h, polygon, &x0);
    GEOSGeom_getYMin_r(h, polygon, &y0);
    GEOSGeom_getXMax_r(h, polygon, &x1);
    GEOSGeom_getYMax_r(h, polygon, &y1);
    const double tol = std::max(x1 - x0, y1 - y0) / 1000;
    auto circle = g.own(GEOSMaximumInscribedCircle_r(h, polygon, tol), "inscribed circle");
    auto pt = g.own(GEOSGeomGetStartPoint_r(h, circle.get()), "circle centre");
    if (GEOSContains_r(h, polygon, pt.get()) != 1) pt = g.own(GEOSPointOnSurface_r(h, polygon), "point on surface");
    double x = 0, y = 0;
    GEOSGeomGetX_r(h, pt.get(), &x);
    GEOSGeomGetY_r(h, pt.get(), &y);
    return {x, y};
}

/// Tile x or y range of an envelope (Web Mercator metres) at zoom z, with the buffer.
struct Range {
    std::uint32_t x0, x1, y0, y1;
};
Range tile_range(const std::array<double, 4>& e, int z) {
    const double n = std::ldexp(1.0, z), size = world / n, b = buffer_units / extent;
    auto clampi = [&](double v) { return static_cast<std::uint32_t>(std::clamp(std::floor(v), 0.0, n - 1)); };
    return {clampi((e[0] + origin) / size - b), clampi((e[2] + origin) / size + b), clampi((origin - e[3]) / size - b),
            clampi((origin - e[1]) / size + b)};
}

/// A point in whole tile units of zoom z across the world (0 to 2^z * extent - 1, y
/// down), rounded once: the tile a point goes to and the coordinates written in it
/// both come from this, so rounding cannot move a point out of its tile. Tiles are
/// half-open, [0, extent) in their own units: a point on an edge is in one tile.
struct Units {
    std::int64_t x, y;
    std::uint64_t tile() const { return (std::uint64_t(x / extent) << 32) | std::uint64_t(y / extent); }
};
Units world_units(const topology::XY& p, int z) {
    const double n = std::ldexp(1.0, z), size = world / n;
    const auto last = static_cast<std::int64_t>(n) * extent - 1;
    auto q = [&](double v) { return std::clamp<std::int64_t>(std::llround(v / size * extent), 0, last); };
    return {q(p.x + origin), q(origin - p.y)};
}

struct Entry {
    std::uint64_t tile;  // x << 32 | y
    std::uint32_t layer, feature;
    bool operator<(const Entry& o) const { return std::tie(tile, layer, feature) < std::tie(o.tile, o.layer, o.feature); }
};

MultiPolygon to_tile(const topology::MultiPolygon& mp, int z, std::uint32_t tx, std::uint32_t ty) {
    const double size = world / std::ldexp(1.0, z);
    const double minx = -origin + tx * size, maxy = origin - ty * size;
    const ClipBox box = ClipBox::for_tile(extent, static_cast<std::uint32_t>(buffer_units));
    MultiPolygon out;
    for (const auto& poly : mp) {
        PolygonD pd;
        for (const auto& ring : poly) {
            RingD rd;
            rd.reserve(ring.size());
            for (const auto& p : ring) rd.push_back({(p.x - minx) / size * extent, (maxy - p.y) / size * extent});
            pd.push_back(std::move(rd));
        }
        PolygonD clipped = clip_polygon(pd, box);
        if (clipped.empty() || clipped[0].empty()) continue;
        out.push_back(quantize(clipped));
    }
    return out;
}

} // namespace

std::map<std::string, LayerZooms> default_layer_zooms() {
    return {{"counties", {0, 16}},        {"townships", {6, 16}},       {"villages", {9, 16}},
            {"grids", {10, 16}},          {"grid_labels", {12, 16}},    {"county_labels", {7, 16}},
            {"township_labels", {9, 16}}, {"village_labels", {11, 16}}, {"events", {10, 16}}};
}

BuildReport build_tiles(Store& store, const BuildOptions& opt, const ProgressFn& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (opt.minzoom < 0 || opt.maxzoom > 22 || opt.minzoom > opt.maxzoom)
        throw usage_error(fmt::format("zoom range {}-{} is not within 0-22", opt.minzoom, opt.maxzoom));
    if (!opt.prefix.empty() && opt.prefix.find_first_not_of("0123456789") != std::string::npos)
        throw usage_error(fmt::format("'{}' is not a code prefix", opt.prefix));
    const auto ext = opt.out.extension().string();
    if (ext != ".pmtiles" && ext != ".mbtiles")
        throw usage_error(fmt::format("{}: the archive must end in .pmtiles or .mbtiles", opt.out.string()));
    // temporaries of an earlier killed run removed; ours removed on failure and on SIGINT/SIGTERM
    const detail::TempFiles temps(opt.out);
    const std::vector<std::string> all = {"counties",      "townships",       "villages",       "grids", "grid_labels",
                                          "county_labels", "township_labels", "village_labels", "events"};
    for (const auto& l : opt.layers)
        if (std::find(all.begin(), all.end(), l) == all.end())
            throw usage_error(fmt::format("unknown layer '{}': layers are {}", l, fmt::join(all, ", ")));
    auto wanted = [&](const std::string& l) { return opt.layers.empty() || std::count(opt.layers.begin(), opt.layers.end(), l); };
    auto zooms_of = [&](const std::string& l) {
        auto it = opt.zooms.find(l);
        return it == opt.zooms.end() ? LayerZooms{} : it->second;
    };

    BuildReport rep;
    const std::string built_at = *store.query_text("SELECT strftime('%Y-%m-%dT%H:%M:%SZ','now')");
    // --- update: the archive being updated, its build time, what changed since
    std::unique_ptr<PmtilesReader> old_pm;
    std::unique_ptr<MbtilesReader> old_mb;
    std::vector<std::array<double, 4>> dirty;  // Web Mercator envelopes
    if (!opt.update_from.empty()) {
        std::string since;
        if (opt.update_from.extension() == ".pmtiles") {
            old_pm = std::make_unique<PmtilesReader>(opt.update_from);
            const auto meta = old_pm->metadata();
            since = metadata_string(meta, "wangge:built_at", opt.update_from);
        } else {
            old_mb = std::make_unique<MbtilesReader>(opt.update_from);
            const auto meta = old_mb->metadata();
            if (auto it = meta.find("wangge:built_at"); it != meta.end()) since = it->second;
        }
        if (since.empty())
            throw input_error(fmt::format("{}: not built by 'wangge tiles build' (no wangge:built_at): build it anew",
                                          opt.update_from.string()));
        // it goes into SQL below: only a timestamp as wangge writes it is accepted
        if (since.size() != 20 || since.find_first_not_of("0123456789-:TZ") != std::string::npos)
            throw input_error(fmt::format("{}: wangge:built_at '{}' is not a timestamp: build the archive anew",
                                          opt.update_from.string(), since));
        rep.since = since;
        // changed features, and every feature of the same layer touching one (the
        // topology step may cut their shared arcs anew); for changed events, the
        // current grid holding them (its event counts changed)
        const std::string q = "'" + since + "'";
        Statement st = store.prepare(
            "WITH cg AS (SELECT geom FROM grids WHERE valid_from >= " + q + " OR (valid_to IS NOT NULL AND valid_to >= " + q +
            ")), cj AS (SELECT level, geom FROM jurisdictions WHERE imported_at >= " + q +
            "), env(geom) AS (SELECT geom FROM cg "
            "UNION ALL SELECT g.geom FROM grids g, cg WHERE g.valid_to IS NULL AND MbrIntersects(g.geom, cg.geom) "
            "UNION ALL SELECT geom FROM cj "
            "UNION ALL SELECT j.geom FROM jurisdictions j, cj WHERE j.level = cj.level AND MbrIntersects(j.geom, cj.geom) "
            "UNION ALL SELECT geom FROM events WHERE assigned_at >= " + q +
            " UNION ALL SELECT g.geom FROM events e JOIN grids g ON g.code = e.grid_code AND g.valid_to IS NULL "
            "WHERE e.assigned_at >= " + q + ") "
            "SELECT MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom) FROM env");
        while (st.step()) {
            if (st.is_null(0)) continue;
            const auto a = topology::to_mercator(st.real(0), st.real(1));
            const auto b = topology::to_mercator(st.real(2), st.real(3));
            dirty.push_back({a.x, a.y, b.x, b.y});
        }
    }

    // --- sources
    std::vector<Source> sources;
    auto polygon_layer = [&](const std::string& name, const std::string& sql, auto&& make_props) {
        if (!wanted(name)) return;
        Source s;
        s.name = name;
        s.polygons = true;
        s.zooms = zooms_of(name);
        std::vector<std::vector<unsigned char>> wkbs;
        Statement st = store.prepare(sql);
        while (st.step()) {
            wkbs.push_back(st.blob(0));
            s.ids.push_back(std::stoull(st.text(1)));
            Properties p = make_props(st);
            for (const auto& [k, v] : p) add_field(s, k, v);
            s.props.push_back(std::move(p));
        }
        rep.features_per_layer[name] = static_cast<std::int64_t>(wkbs.size());
        if (wkbs.empty()) return;
        s.coverage = std::make_unique<topology::Coverage>(wkbs);
        rep.coverage_per_layer[name] = describe(s.coverage->method());
        sources.push_back(std::move(s));
    };
    const std::string filter = " AND " + where_bbox(opt.bbox);
    auto jurisdictions_sql = [&](const std::string& level) {
        return "SELECT AsBinary(geom), code, name, coalesce(parent_code, '') FROM jurisdictions WHERE level = '" +
               level + "' AND " + where_prefix("code", opt.prefix) + filter + " ORDER BY code";
    };
    for (const auto& [name, level] : std::vector<std::pair<std::string, std::string>>{
             {"counties", "county"}, {"townships", "township"}, {"villages", "village"}})
        polygon_layer(name, jurisdictions_sql(level), [](const Statement& st) {
            Properties p{{"code", st.text(1)}, {"name", st.text(2)}};
            if (!st.text(3).empty()) p.emplace_back("parent", st.text(3));
            return p;
        });
    // event counts per grid and platform
    std::map<std::string, std::map<std::string, std::int64_t>> counts;
    {
        Statement st = store.prepare(
            "SELECT e.grid_code, coalesce(t.platform, ''), count(*) FROM events e LEFT JOIN event_types t ON "
            "t.code = e.type_code WHERE e.grid_code IS NOT NULL GROUP BY 1, 2");
        while (st.step()) counts[st.text(0)][st.text(1)] = st.int64(2);
    }
    const bool have_events = store.query_int("SELECT count(*) FROM events") > 0;
    auto grid_props = [&](const Statement& st) {
        Properties p{{"code", st.text(1)}, {"type", st.text(2)}, {"households", st.int64(3)},
                     {"village", st.text(4)}, {"township", st.text(4).substr(0, 9)}};
        if (!st.text(5).empty()) p.emplace_back("name", st.text(5));
        if (have_events) {
            std::int64_t total = 0;
            const auto it = counts.find(st.text(1));
            for (const auto& [platform, key] : platform_keys) {
                std::int64_t n = 0;
                if (it != counts.end())
                    if (auto j = it->second.find(platform); j != it->second.end()) n = j->second;
                p.emplace_back(key, n);
                total += n;
            }
            p.emplace_back("events", total);
        }
        return p;
    };
    const std::string grid_sql = "SELECT AsBinary(geom), code, type, households, village_code, coalesce(name, ''), "
                                 "label_lon, label_lat FROM grids WHERE valid_to IS NULL AND " +
                                 where_prefix("code", opt.prefix) + filter + " ORDER BY code";
    std::map<std::string, std::pair<topology::XY, std::string>> label_of;  // grid -> label point
    std::unique_ptr<CoverageIndex> file_index;
    if (!opt.grids_file.empty()) {
        // grids (and their labels) from a file
        SourceOptions so;
        so.file = opt.grids_file;
        VectorSource src(so);
        const int ci = src.require_field(opt.grids_code_field, "--code-field");
        const auto hi = src.field_index("households");
        auto& g = geos::Context::local();
        Source grid, labels;
        grid.name = "grids";
        grid.polygons = true;
        grid.zooms = zooms_of("grids");
        labels.name = "grid_labels";
        labels.zooms = zooms_of("grid_labels");
        std::vector<std::vector<unsigned char>> wkbs;
        std::vector<CoverageIndex::Polygon> polys;
        SourceFeature f;
        while (src.next(f)) {
            if (f.wkb.empty() || !f.geometry_error.empty()) continue;
            const std::string code = f.fields[static_cast<std::size_t>(ci)].value_or("");
            Properties p{{"code", code}};
            if (hi && f.fields[static_cast<std::size_t>(*hi)]) p.emplace_back("households", std::stoll(*f.fields[static_cast<std::size_t>(*hi)]));
            for (const auto& [k, v] : p) add_field(grid, k, v);
            auto geom = g.from_wkb(f.wkb.data(), f.wkb.size());
            auto pt = g.own(GEOSPointOnSurface_r(g.handle(), geom.get()), "label");
            double x, y;
            GEOSGeomGetX_r(g.handle(), pt.get(), &x);
            GEOSGeomGetY_r(g.handle(), pt.get(), &y);
            label_of[code] = {topology::to_mercator(x, y), ""};
            labels.points.push_back(topology::to_mercator(x, y));
            labels.props.push_back({{"code", code}});
            labels.fields["code"] = "String";
            std::uint64_t id = 0;
            for (char ch : code) id = ch >= '0' && ch <= '9' ? id * 10 + std::uint64_t(ch - '0') : id * 31 + std::uint64_t(ch);
            grid.ids.push_back(id);
            grid.props.push_back(std::move(p));
            polys.push_back({code, f.wkb});
            wkbs.push_back(std::move(f.wkb));
        }
        if (wkbs.empty()) throw input_error(fmt::format("{}: no grid polygons", opt.grids_file.string()));
        rep.features_per_layer["grids"] = static_cast<std::int64_t>(wkbs.size());
        grid.coverage = std::make_unique<topology::Coverage>(wkbs);
        rep.coverage_per_layer["grids"] = describe(grid.coverage->method());
        if (!opt.events_file.empty()) file_index = std::make_unique<CoverageIndex>(polys);
        if (wanted("grids")) sources.push_back(std::move(grid));
        if (wanted("grid_labels")) {
            rep.features_per_layer["grid_labels"] = static_cast<std::int64_t>(labels.points.size());
            sources.push_back(std::move(labels));
        }
    } else {
        polygon_layer("grids", grid_sql, grid_props);
    }
    if (!opt.events_file.empty()) {
        if (!file_index) throw usage_error("--events-file needs --grids-file (events are counted per grid)");
        CsvReader csv(opt.events_file);
        std::optional<std::size_t> cx, cy, ct;
        for (std::size_t i = 0; i < csv.header().size(); ++i) {
            const auto& h = csv.header()[i];
            if (h == "lon" || h == "lng" || h == "longitude" || h == "x") cx = i;
            if (h == "lat" || h == "latitude" || h == "y") cy = i;
            if (h == "type_code" || h == "type") ct = i;
        }
        if (!cx || !cy) throw input_error(fmt::format("{}: no lon/lat columns", opt.events_file.string()));
        Source s;
        s.name = "events";
        s.zooms = zooms_of("events");
        std::vector<std::string> fields;
        std::int64_t line;
        while (csv.next(fields, line)) {
            if (fields.size() <= std::max(*cx, *cy)) continue;
            char* end = nullptr;
            const double x = std::strtod(fields[*cx].c_str(), &end), y = std::strtod(fields[*cy].c_str(), &end);
            if (!(x >= -180 && x <= 180 && y >= -85 && y <= 85)) continue;
            const int gi = file_index->locate(x, y);
            s.points.push_back(topology::to_mercator(x, y));
            Properties p;
            if (ct && *ct < fields.size()) p.emplace_back("type", fields[*ct]);
            p.emplace_back("grid", gi >= 0 ? file_index->code(gi) : std::string());
            s.grid_of.push_back(gi >= 0 ? file_index->code(gi) : std::string());
            for (const auto& [k, v] : p) add_field(s, k, v);
            s.props.push_back(std::move(p));
        }
        s.fields["count"] = "Number";
        rep.features_per_layer["events"] = static_cast<std::int64_t>(s.points.size());
        if (wanted("events") && !s.points.empty()) sources.push_back(std::move(s));
    }
    if (opt.grids_file.empty() && wanted("grid_labels")) {
        Source s;
        s.name = "grid_labels";
        s.zooms = zooms_of("grid_labels");
        Statement st = store.prepare(grid_sql);
        while (st.step()) {
            s.points.push_back(topology::to_mercator(st.real(6), st.real(7)));
            Properties p{{"code", st.text(1)}, {"households", st.int64(3)}};
            for (const auto& [k, v] : p) add_field(s, k, v);
            s.props.push_back(std::move(p));
        }
        rep.features_per_layer["grid_labels"] = static_cast<std::int64_t>(s.points.size());
        if (!s.points.empty()) sources.push_back(std::move(s));
    }
    // label points of the jurisdictions, one per feature, inside it
    for (const auto& [name, level] : std::vector<std::pair<std::string, std::string>>{
             {"county_labels", "county"}, {"township_labels", "township"}, {"village_labels", "village"}}) {
        if (!wanted(name)) continue;
        Source s;
        s.name = name;
        s.zooms = zooms_of(name);
        s.fields = {{"code", "String"}, {"name", "String"}};
        auto& g = geos::Context::local();
        Statement st = store.prepare(jurisdictions_sql(level));
        while (st.step()) {
            const auto wkb = st.blob(0);
            const auto [lon, lat] = label_point(g, g.from_wkb(wkb.data(), wkb.size()).get());
            s.points.push_back(topology::to_mercator(lon, lat));
            s.props.push_back({{"code", st.text(1)}, {"name", st.text(2)}});
        }
        rep.features_per_layer[name] = static_cast<std::int64_t>(s.points.size());
        if (!s.points.empty()) sources.push_back(std::move(s));
    }
    // events: points (from events_point_zoom), aggregated per grid label below it
    if (opt.events_file.empty() && wanted("events") && have_events) {
        Source s;
        s.name = "events";
        s.zooms = zooms_of("events");
        Statement st = store.prepare(
            "SELECT X(e.geom), Y(e.geom), e.event_id, e.type_code, coalesce(t.platform, ''), coalesce(e.grid_code, ''), "
            "e.uncovered FROM events e LEFT JOIN event_types t ON t.code = e.type_code WHERE " +
            where_prefix("coalesce(e.grid_code, '')", opt.prefix) + " AND " + where_bbox(opt.bbox) +
            " ORDER BY e.event_id");
        while (st.step()) {
            s.points.push_back(topology::to_mercator(st.real(0), st.real(1)));
            Properties p{{"id", st.text(2)}, {"type", st.text(3)}, {"platform", st.text(4)}, {"grid", st.text(5)}};
            if (st.int64(6)) p.emplace_back("uncovered", true);
            for (const auto& [k, v] : p) add_field(s, k, v);
            s.fields["count"] = "Number";
            s.props.push_back(std::move(p));
            s.grid_of.push_back(st.text(5));
        }
        rep.features_per_layer["events"] = static_cast<std::int64_t>(s.points.size());
        Statement lab = store.prepare("SELECT code, label_lon, label_lat FROM grids WHERE valid_to IS NULL");
        while (lab.step()) label_of[lab.text(0)] = {topology::to_mercator(lab.real(1), lab.real(2)), ""};
        if (!s.points.empty()) sources.push_back(std::move(s));
    }
    if (sources.empty()) throw input_error("nothing to tile: the store has no jurisdictions, grids or events in scope");

    // --- the vector_layers description
    int lo = 99, hi = -1;
    for (const auto& s : sources) {
        const int mn = std::max(s.zooms.minzoom, opt.minzoom), mx = std::min(s.zooms.maxzoom, opt.maxzoom);
        if (mn > mx) continue;
        VectorLayer vl;
        vl.id = s.name;
        vl.minzoom = mn;
        vl.maxzoom = mx;
        vl.fields = s.fields;
        vl.geometry = s.polygons ? "Polygon" : "Point";
        rep.layers.push_back(vl);
        lo = std::min(lo, mn);
        hi = std::max(hi, mx);
    }
    TilesetInfo info;
    // bounds and centre of what is written, not of the tiles (z0's tile is the world):
    // every feature of every layer built (with --bbox, whole features that touch it),
    // events where they are drawn (as points from the points zoom, at their grid's
    // label below it)
    {
        constexpr double inf = std::numeric_limits<double>::infinity();
        std::array<double, 4> m{inf, inf, -inf, -inf};  // Web Mercator
        auto extend = [&](const std::array<double, 4>& e) {
            m = {std::min(m[0], e[0]), std::min(m[1], e[1]), std::max(m[2], e[2]), std::max(m[3], e[3])};
        };
        auto extend_point = [&](const topology::XY& p) { extend({p.x, p.y, p.x, p.y}); };
        for (const auto& s : sources) {
            const int mn = std::max(s.zooms.minzoom, opt.minzoom), mx = std::min(s.zooms.maxzoom, opt.maxzoom);
            if (mn > mx) continue;
            const bool events = s.name == "events";
            if (s.polygons)
                for (std::size_t f = 0; f < s.coverage->size(); ++f) extend(s.coverage->envelope(f));
            for (std::size_t f = 0; f < s.points.size(); ++f) {
                if (!events || mx >= opt.events_point_zoom) extend_point(s.points[f]);
                if (events && mn < opt.events_point_zoom) {
                    const auto label = label_of.find(s.grid_of[f]);
                    extend_point(label != label_of.end() ? label->second.first : s.points[f]);
                }
            }
        }
        if (m[0] <= m[2]) {
            const auto [x0, y0] = topology::from_mercator({m[0], m[1]});
            const auto [x1, y1] = topology::from_mercator({m[2], m[3]});
            info.bounds = LonLatBounds{x0, y0, x1, y1};
            const double zoom = std::clamp(10, opt.minzoom, opt.maxzoom);
            info.center = std::array<double, 3>{(x0 + x1) / 2, (y0 + y1) / 2, zoom};
        }
    }
    info.extra["wangge:built_at"] = built_at;
    {
        nlohmann::json b;
        b["minzoom"] = opt.minzoom;
        b["maxzoom"] = opt.maxzoom;
        b["layers"] = opt.layers;
        b["prefix"] = opt.prefix;
        if (opt.bbox) b["bbox"] = *opt.bbox;
        b["max_tile_bytes"] = opt.max_tile_bytes;
        b["simplify_units"] = opt.simplify_units;
        b["events_point_zoom"] = opt.events_point_zoom;
        info.extra["wangge:build"] = b.dump();
    }
    info.name = "wangge";
    info.description = "Jurisdictions, full-function grids and events (wangge)";
    info.attribution = "wangge; codes: NBS 统计用区划代码";
    info.vector_layers = rep.layers;
    std::unique_ptr<PmtilesWriter> pm;
    std::unique_ptr<MbtilesWriter> mb;
    if (ext == ".pmtiles") pm = std::make_unique<PmtilesWriter>(opt.out, info);
    else mb = std::make_unique<MbtilesWriter>(opt.out, info);
    pause_point("tiles:writing");  // tests: the temporary file exists
    std::mutex write_mu;
    auto write = [&](const TileCoord& c, const std::string& data, std::size_t raw) {
        std::lock_guard lock(write_mu);
        if (pm) pm->add_tile(c, data);
        else mb->add_tile(c, data);
        ++rep.tiles;
        ++rep.per_zoom[c.z];
        rep.bytes += static_cast<std::int64_t>(data.size());
        if (static_cast<std::int64_t>(raw) > rep.largest) {
            rep.largest = static_cast<std::int64_t>(raw);
            rep.largest_tile = to_string(c);
        }
    };

    for (auto& s : sources)
        if (s.polygons) set_groups(s);
    // event counts per grid, for aggregated tiles; and the label of each village (its
    // lowest grid's), for tiles whose grids are merged per village
    std::map<std::string, std::int64_t> grid_events;
    std::map<std::string, topology::XY> village_label;
    for (const auto& s : sources)
        if (s.name == "events")
            for (const auto& g : s.grid_of)
                if (!g.empty()) ++grid_events[g];
    for (const auto& [g, label] : label_of)
        if (const auto v = village_of(g); !v.empty()) village_label.emplace(v, label.first);

    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = std::clamp(opt.threads > 0 ? opt.threads : hw, 1, 64);
    rep.threads = threads;
    std::set<TileCoord> regenerate;  // update: the tiles built anew (written or now empty)
    for (int z = std::max(lo, opt.minzoom); z <= std::min(hi, opt.maxzoom); ++z) {
        const double unit_m = world / std::ldexp(1.0, z) / extent;
        const double tol = opt.simplify_units * unit_m;
        // features of this zoom, simplified once per layer
        std::vector<std::vector<topology::MultiPolygon>> geoms(sources.size());
        std::vector<Entry> entries;
        for (std::uint32_t li = 0; li < sources.size(); ++li) {
            auto& s = sources[li];
            if (z < s.zooms.minzoom || z > s.zooms.maxzoom) continue;
            if (s.polygons) {
                s.coverage->prepare(tol);
                geoms[li].resize(s.coverage->size());
                for (std::uint32_t f = 0; f < s.coverage->size(); ++f) {
                    geoms[li][f] = s.coverage->feature(f, tol);
                    if (geoms[li][f].empty()) continue;
                    const Range r = tile_range(s.coverage->envelope(f), z);
                    for (std::uint32_t x = r.x0; x <= r.x1; ++x)
                        for (std::uint32_t y = r.y0; y <= r.y1; ++y)
                            entries.push_back({(std::uint64_t(x) << 32) | y, li, f});
                }
            } else if (s.name == "events" && z < opt.events_point_zoom) {
                // one point per grid with its count, at the grid's label (in that
                // label's tile); an event in no current grid on its own
                std::set<std::string> seen;
                for (std::uint32_t f = 0; f < s.points.size(); ++f) {
                    const auto it = label_of.find(s.grid_of[f]);
                    if (it == label_of.end())
                        entries.push_back({world_units(s.points[f], z).tile(), li, f});
                    else if (seen.insert(it->first).second)
                        entries.push_back({world_units(it->second.first, z).tile(), li, f});
                }
            } else {
                for (std::uint32_t f = 0; f < s.points.size(); ++f)
                    entries.push_back({world_units(s.points[f], z).tile(), li, f});
            }
        }
        if (!opt.update_from.empty()) {
            std::set<std::uint64_t> dirty_tiles;
            for (const auto& e : dirty) {
                const Range r = tile_range(e, z);
                for (std::uint32_t x = r.x0; x <= r.x1; ++x)
                    for (std::uint32_t y = r.y0; y <= r.y1; ++y) dirty_tiles.insert((std::uint64_t(x) << 32) | y);
            }
            std::erase_if(entries, [&](const Entry& e) { return !dirty_tiles.count(e.tile); });
            for (auto t : dirty_tiles) regenerate.insert({static_cast<std::uint8_t>(z), static_cast<std::uint32_t>(t >> 32),
                                                          static_cast<std::uint32_t>(t & 0xffffffffu)});
        }
        std::sort(entries.begin(), entries.end());
        std::vector<std::size_t> starts;
        for (std::size_t i = 0; i < entries.size(); ++i)
            if (i == 0 || entries[i].tile != entries[i - 1].tile) starts.push_back(i);
        starts.push_back(entries.size());
        const std::size_t ntiles = starts.size() - 1;

        std::atomic<std::size_t> next{0}, done{0};
        std::mutex note_mu;
        std::map<std::uint32_t, std::int64_t> points_shown;  // per layer: points (events counted) in this zoom's tiles
        std::exception_ptr error;
        auto work = [&](bool report) {
            try {
                for (std::size_t t; (t = next.fetch_add(1)) < ntiles;) {
                    const std::uint64_t key = entries[starts[t]].tile;
                    const TileCoord c{static_cast<std::uint8_t>(z), static_cast<std::uint32_t>(key >> 32),
                                      static_cast<std::uint32_t>(key & 0xffffffffu)};
                    std::size_t kept = 0;  // polygon features written by the last encode
                    std::size_t merged_from = 0, merged_into = 0;
                    // per layer: points shown by the last encode, and in `data`
                    std::map<std::uint32_t, std::int64_t> points, data_points;
                    auto encode = [&](double tol_factor, bool aggregate, bool merge = false) {
                        TileBuilder tb;
                        kept = merged_from = merged_into = 0;
                        points.clear();
                        std::set<std::pair<std::uint32_t, std::string>> groups_done;
                        // a point in this tile's units, if it is in this tile
                        auto add_point = [&](std::uint32_t layer, const topology::XY& p, const Properties& props,
                                             std::int64_t n) {
                            const Units u = world_units(p, z);
                            if (u.tile() != key) return;
                            const Point q{static_cast<std::int32_t>(u.x - std::int64_t(c.x) * extent),
                                          static_cast<std::int32_t>(u.y - std::int64_t(c.y) * extent)};
                            tb.layer(sources[layer].name).add_points({q}, props);
                            points[layer] += n;
                        };
                        // aggregated events: (field, grid or village) -> count, and where
                        // the first of them is in this tile (when the label is not)
                        struct Count {
                            std::uint32_t layer;
                            topology::XY first;
                            std::int64_t n = 0;
                        };
                        std::map<std::pair<std::string, std::string>, Count> counted;
                        for (std::size_t i = starts[t]; i < starts[t + 1]; ++i) {
                            const Entry& e = entries[i];
                            auto& s = sources[e.layer];
                            if (s.polygons && merge && !s.group_of.empty() && !s.group_of[e.feature].empty()) {
                                // the whole group as one polygon, from the same arcs
                                const std::string& g = s.group_of[e.feature];
                                ++merged_from;
                                if (!groups_done.emplace(e.layer, g).second) continue;
                                const auto& fs = s.members.at(g);
                                const MultiPolygon tp = to_tile(s.coverage->merged(fs, tol * tol_factor), z, c.x, c.y);
                                Properties props{{s.group_field, g}, {s.name, static_cast<std::int64_t>(fs.size())}};
                                if (!tp.empty() && tb.layer(s.name).add_polygons(tp, props, std::stoull(g))) ++merged_into;
                            } else if (s.polygons) {
                                const auto& mp = tol_factor == 1.0 ? geoms[e.layer][e.feature]
                                                                   : s.coverage->feature(e.feature, tol * tol_factor);
                                const MultiPolygon tp = to_tile(mp, z, c.x, c.y);
                                if (!tp.empty() && tb.layer(s.name).add_polygons(tp, s.props[e.feature], s.ids[e.feature])) ++kept;
                            } else {
                                const bool below = s.name == "events" && z < opt.events_point_zoom;
                                const auto label = below || (s.name == "events" && aggregate)
                                                       ? label_of.find(s.grid_of[e.feature])
                                                       : label_of.end();
                                if (label == label_of.end()) {
                                    // a point as it is (below the points zoom: an event in no
                                    // current grid, counted on its own)
                                    Properties props = s.props[e.feature];
                                    if (below) props.emplace_back("count", std::int64_t{1});
                                    add_point(e.layer, s.points[e.feature], props, 1);
                                    continue;
                                }
                                // counted per grid (below the points zoom, this entry stands
                                // for all of its grid's events), or per village when merged
                                std::pair<std::string, std::string> group{"grid", label->first};
                                if (const auto v = village_of(label->first); merge && village_label.count(v))
                                    group = {"village", v};
                                auto& n = counted
                                              .try_emplace(group, Count{e.layer, below ? label->second.first
                                                                                       : s.points[e.feature]})
                                              .first->second;
                                n.n += below ? grid_events.at(label->first) : 1;
                            }
                        }
                        // each count at its grid's or village's label when that is in this
                        // tile, else where the first of its events here is
                        for (const auto& [group, n] : counted) {
                            const auto& label = group.first == "village" ? village_label.at(group.second)
                                                                         : label_of.at(group.second).first;
                            add_point(n.layer, world_units(label, z).tile() == key ? label : n.first,
                                      {{group.first, group.second}, {"count", n.n}}, n.n);
                        }
                        return tb.empty() ? std::string() : tb.serialize();
                    };
                    std::string data = encode(1.0, false);
                    data_points = points;
                    // over the limit: simplify further, then aggregate events; say so.
                    // Never so far that a polygon vanishes: then the tile stays as it
                    // was at the last step that kept every polygon, over the limit.
                    std::string action;
                    const std::size_t base_kept = kept;
                    bool has_events = false;
                    for (std::size_t i = starts[t]; i < starts[t + 1] && !has_events; ++i) has_events = sources[entries[i].layer].name == "events";
                    for (double f = 4.0; data.size() > opt.max_tile_bytes && f <= 256.0; f *= 4.0) {
                        const bool aggregated = f >= 16.0;
                        std::string next_data = encode(f, aggregated);
                        if (kept < base_kept) {
                            action += fmt::format("{}stopped before {}x: {} polygon(s) would vanish",
                                                  action.empty() ? "" : "; ", f, base_kept - kept);
                            break;
                        }
                        data = std::move(next_data);
                        data_points = points;
                        action = fmt::format("simplified {}x{}", f, aggregated && has_events ? ", events aggregated per grid" : "");
                    }
                    // still over: each group (the grids of a village) as one polygon
                    // (at the least simplification that fits: merged, far fewer vertices)
                    if (data.size() > opt.max_tile_bytes) {
                        std::string next_data;
                        double f = 1.0;
                        for (; f <= 256.0; f *= 4.0) {
                            next_data = encode(f, true, true);
                            if (next_data.size() <= opt.max_tile_bytes || merged_into == 0) break;
                        }
                        if (merged_into > 0 && next_data.size() < data.size()) {
                            data = std::move(next_data);
                            data_points = points;
                            std::set<std::string> per;
                            for (std::size_t i = starts[t]; i < starts[t + 1]; ++i) {
                                const auto& src = sources[entries[i].layer];
                                if (!src.group_of.empty()) per.insert(src.name + " per " + src.group_field);
                            }
                            if (has_events) per.insert("events per village");
                            action += fmt::format("; {} polygon(s) merged into {} ({}){}", merged_from, merged_into,
                                                  fmt::join(per, ", "), f > 1.0 ? fmt::format(", simplified {}x", std::min(f, 256.0)) : "");
                        }
                    }
                    if (!action.empty()) {
                        std::lock_guard lock(note_mu);
                        rep.size_actions.push_back(fmt::format("{}: over {} KB: {}; now {} KB{}", to_string(c),
                                                               opt.max_tile_bytes / 1024, action, data.size() / 1024,
                                                               data.size() > opt.max_tile_bytes ? " (still over)" : ""));
                    }
                    if (!data.empty()) write(c, data, data.size());
                    {
                        std::lock_guard lock(note_mu);
                        for (const auto& [layer, n] : data_points) points_shown[layer] += n;
                    }
                    const auto d = done.fetch_add(1) + 1;
                    if (report && progress && d % 64 == 0)
                        progress(static_cast<std::int64_t>(d), static_cast<std::int64_t>(ntiles), fmt::format("z{}", z));
                }
            } catch (...) {
                std::lock_guard lock(note_mu);
                if (!error) error = std::current_exception();
            }
        };
        {
            std::vector<std::jthread> pool;
            for (int i = 1; i < threads; ++i) pool.emplace_back(work, false);
            work(true);
        }
        if (error) std::rethrow_exception(error);
        if (progress) progress(static_cast<std::int64_t>(ntiles), static_cast<std::int64_t>(ntiles), fmt::format("z{}", z));
        // every point in one tile at this zoom, as counted in the tiles written (an
        // update builds only some tiles)
        for (std::uint32_t li = 0; li < sources.size() && opt.update_from.empty(); ++li) {
            const auto& s = sources[li];
            if (s.polygons || z < s.zooms.minzoom || z > s.zooms.maxzoom) continue;
            if (const auto want = static_cast<std::int64_t>(s.points.size()); points_shown[li] != want)
                rep.points_missing.push_back(
                    fmt::format("{} z{}: {} of {} points in tiles", s.name, z, points_shown[li], want));
        }
    }
    if (!opt.update_from.empty()) {
        rep.regenerated = rep.tiles;
        std::string checked;  // the last tile decoded (runs of one content come in a row)
        auto copy = [&](const TileCoord& c, const std::string& stored) {
            if (regenerate.count(c)) return;
            // a tile kept is decoded first, strictly: a corrupt one is not carried over
            if (stored != checked) {
                try {
                    (void)decode_tile(stored);
                } catch (const input_error& e) {
                    throw input_error(
                        fmt::format("{}: tile {} is corrupt ({}); the archive was left as it was: build it "
                                    "anew with 'wangge tiles build'",
                                    opt.update_from.string(), to_string(c), e.what()));
                }
                checked = stored;
            }
            write(c, stored, 0);
            ++rep.copied;
        };
        if (old_pm) old_pm->for_each_tile(copy);
        else old_mb->for_each_tile(copy);
    }
    if (pm) pm->finish();
    else mb->finish();
    std::error_code ec;
    rep.bytes = static_cast<std::int64_t>(std::filesystem::file_size(opt.out, ec));
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

BuildOptions update_options(const std::filesystem::path& archive) {
    std::string build;
    if (archive.extension() == ".pmtiles") {
        const auto meta = PmtilesReader(archive).metadata();
        build = metadata_string(meta, "wangge:build", archive);
    } else if (archive.extension() == ".mbtiles") {
        const auto meta = MbtilesReader(archive).metadata();
        if (auto it = meta.find("wangge:build"); it != meta.end()) build = it->second;
    } else {
        throw usage_error(fmt::format("{}: not a .pmtiles or .mbtiles archive", archive.string()));
    }
    if (build.empty())
        throw input_error(fmt::format("{}: not built by 'wangge tiles build' (no wangge:build): build it anew",
                                      archive.string()));
    const MetadataObject j(build, archive, "wangge:build");
    BuildOptions o;
    o.out = archive;
    o.update_from = archive;
    o.minzoom = j.integer("minzoom");
    o.maxzoom = j.integer("maxzoom");
    o.layers = j.strings("layers");
    o.prefix = j.string("prefix");
    if (j.has("bbox")) o.bbox = j.numbers4("bbox");
    o.max_tile_bytes = j.count("max_tile_bytes");
    o.simplify_units = j.number("simplify_units");
    o.events_point_zoom = j.integer("events_point_zoom");
    return o;
}

} // namespace wangge::tiles
