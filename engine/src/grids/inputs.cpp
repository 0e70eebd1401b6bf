// Inputs of partitioning: household points and barrier lines, read through
// VectorSource (CRS, encoding) and written in one transaction, or not at all; and
// the household points of each village, each point in exactly one village.
#include "wangge/grids.hpp"

#include "wangge/coverage_index.hpp"
#include "wangge/error.hpp"
#include "geometry/geos.hpp"
#include "wangge/store.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

namespace wangge {

namespace {

std::int64_t start_run(Store& store, const char* kind, const std::string& file, const std::string& options) {
    Statement run = store.prepare(
        "INSERT INTO import_runs(kind, source_file, started_at, options) "
        "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?)");
    run.bind(1, std::string_view(kind)).bind(2, file).bind(3, options).run();
    return store.query_int("SELECT last_insert_rowid()");
}

void finish_run(Store& store, std::int64_t id, std::int64_t imported, std::int64_t rejected) {
    Statement upd = store.prepare("UPDATE import_runs SET imported = ?, rejected = ? WHERE id = ?");
    upd.bind(1, imported).bind(2, rejected).bind(3, id).run();
}

std::string opt_text(const SourceFeature& f, std::optional<int> idx) {
    if (!idx) return {};
    const auto& v = f.fields[static_cast<std::size_t>(*idx)];
    return v ? *v : std::string();
}

} // namespace

InputImportReport import_households(Store& store, const HouseholdImportOptions& opt) {
    auto& g = geos::Context::local();
    VectorSource src(opt.source);
    InputImportReport report;
    report.file = src.file_name();
    report.crs = src.crs_description();
    report.encoding = src.encoding_description();
    report.crs_operation = src.crs_operation().description + ", accuracy " + src.crs_operation().accuracy_text();
    report.warnings = src.warnings();
    const int count_idx = src.require_field(opt.count_field, "--count-field");
    struct Row {
        std::int64_t fid, n;
        std::vector<unsigned char> wkb;
    };
    std::vector<Row> rows;
    SourceFeature f;
    while (src.next(f)) {
        ++report.read;
        auto reject = [&](const std::string& why) { report.rejects.push_back(fmt::format("feature {}: {}", f.fid, why)); };
        if (!f.geometry_error.empty()) {
            reject(f.geometry_error);
            continue;
        }
        if (f.wkb.empty()) {
            reject("no geometry");
            continue;
        }
        auto geom = g.from_wkb(f.wkb.data(), f.wkb.size());
        if (GEOSGeomTypeId_r(g.handle(), geom.get()) != GEOS_POINT) {
            if (report.read == 1 && report.rejects.empty())
                throw input_error(fmt::format("{}: holds {} geometry; household data must be points (one per "
                                              "building, with a household count)",
                                              src.file_name(), f.geometry_type));
            reject(fmt::format("geometry is a {}, not a point", f.geometry_type));
            continue;
        }
        const std::string raw = opt_text(f, count_idx);
        char* end = nullptr;
        const double v = std::strtod(raw.c_str(), &end);
        if (raw.empty() || end == raw.c_str() || *end != '\0' || !(v >= 0) || v != std::floor(v) || v > 1e6) {
            reject(fmt::format("household count '{}' in field '{}' is not a whole number >= 0", raw, opt.count_field));
            continue;
        }
        rows.push_back({f.fid, static_cast<std::int64_t>(v), std::move(f.wkb)});
        report.total += static_cast<std::int64_t>(v);
    }
    if (rows.empty() && report.rejects.empty())
        throw input_error(fmt::format("{}: no household points", src.file_name()));
    if (!report.rejects.empty()) return report;  // all or nothing
    const std::int64_t existing = store.query_int("SELECT count(*) FROM households");
    if (existing > 0 && !opt.replace)
        throw input_error(fmt::format("the store already holds {} household points; --replace replaces them",
                                      existing));
    Store::Transaction tx(store);
    if (opt.replace) store.exec("DELETE FROM households");
    const auto run = start_run(store, "households", report.file, "count_field=" + opt.count_field);
    record_source_crs(store, run, src);
    Statement ins = store.prepare(
        "INSERT INTO households(households, source_file, source_feature, import_id, geom) "
        "VALUES (?, ?, ?, ?, GeomFromWKB(?, 4490))");
    for (const auto& r : rows) {
        ins.bind(1, r.n).bind(2, report.file).bind(3, r.fid).bind(4, run).bind_blob(5, r.wkb.data(), r.wkb.size());
        ins.run();
    }
    report.imported = static_cast<std::int64_t>(rows.size());
    finish_run(store, run, report.imported, 0);
    tx.commit();
    return report;
}

InputImportReport import_barriers(Store& store, const BarrierImportOptions& opt) {
    auto& g = geos::Context::local();
    VectorSource src(opt.source);
    InputImportReport report;
    report.file = src.file_name();
    report.crs = src.crs_description();
    report.encoding = src.encoding_description();
    report.crs_operation = src.crs_operation().description + ", accuracy " + src.crs_operation().accuracy_text();
    report.warnings = src.warnings();
    const auto kind_idx = src.field_index(opt.kind_field);
    const auto name_idx = src.field_index(opt.name_field);
    struct Row {
        std::int64_t fid;
        std::string kind, name;
        std::vector<unsigned char> wkb;
    };
    std::vector<Row> rows;
    SourceFeature f;
    while (src.next(f)) {
        ++report.read;
        auto reject = [&](const std::string& why) { report.rejects.push_back(fmt::format("feature {}: {}", f.fid, why)); };
        if (!f.geometry_error.empty()) {
            reject(f.geometry_error);
            continue;
        }
        if (f.wkb.empty()) {
            reject("no geometry");
            continue;
        }
        auto geom = g.from_wkb(f.wkb.data(), f.wkb.size());
        const int type = GEOSGeomTypeId_r(g.handle(), geom.get());
        if (type != GEOS_LINESTRING && type != GEOS_MULTILINESTRING) {
            if (report.read == 1 && report.rejects.empty())
                throw input_error(fmt::format("{}: holds {} geometry; barriers (roads, rivers, railways) must be lines",
                                              src.file_name(), f.geometry_type));
            reject(fmt::format("geometry is a {}, not a line", f.geometry_type));
            continue;
        }
        std::string kind = opt_text(f, kind_idx);
        if (kind.empty()) kind = "barrier";
        rows.push_back({f.fid, kind, opt_text(f, name_idx), std::move(f.wkb)});
    }
    if (rows.empty() && report.rejects.empty()) throw input_error(fmt::format("{}: no barrier lines", src.file_name()));
    if (!report.rejects.empty()) return report;
    const std::int64_t existing = store.query_int("SELECT count(*) FROM barriers");
    if (existing > 0 && !opt.replace)
        throw input_error(fmt::format("the store already holds {} barrier lines; --replace replaces them", existing));
    Store::Transaction tx(store);
    if (opt.replace) store.exec("DELETE FROM barriers");
    const auto run = start_run(store, "barriers", report.file, "kind_field=" + opt.kind_field);
    record_source_crs(store, run, src);
    Statement ins = store.prepare(
        "INSERT INTO barriers(kind, name, source_file, source_feature, import_id, geom) "
        "VALUES (?, ?, ?, ?, ?, CastToMultiLineString(GeomFromWKB(?, 4490)))");
    for (const auto& r : rows) {
        ins.bind(1, r.kind).bind(2, r.name).bind(3, report.file).bind(4, r.fid).bind(5, run);
        ins.bind_blob(6, r.wkb.data(), r.wkb.size());
        ins.run();
    }
    report.imported = static_cast<std::int64_t>(rows.size());
    report.total = static_cast<std::int64_t>(
        std::llround(store.query_int("SELECT CAST(coalesce(sum(GeodesicLength(geom)), 0) AS INTEGER) FROM barriers")));
    finish_run(store, run, report.imported, 0);
    tx.commit();
    return report;
}

VillageHouseholds households_by_village(Store& store, const std::vector<CoverageIndex::Polygon>& villages) {
    namespace bg = boost::geometry;
    namespace bgi = boost::geometry::index;
    using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
    using Box = bg::model::box<BPoint>;
    auto& g = geos::Context::local();
    VillageHouseholds out;
    out.points.resize(villages.size());
    if (villages.empty()) return out;
    auto envelope = [&](const std::vector<unsigned char>& wkb) {
        auto geom = g.from_wkb(wkb.data(), wkb.size());
        double x0, y0, x1, y1;
        GEOSGeom_getXMin_r(g.handle(), geom.get(), &x0);
        GEOSGeom_getYMin_r(g.handle(), geom.get(), &y0);
        GEOSGeom_getXMax_r(g.handle(), geom.get(), &x1);
        GEOSGeom_getYMax_r(g.handle(), geom.get(), &y1);
        return Box(BPoint(x0, y0), BPoint(x1, y1));
    };
    Box extent = envelope(villages.front().wkb);
    std::map<std::string, std::size_t> wanted;
    for (std::size_t i = 0; i < villages.size(); ++i) {
        bg::expand(extent, envelope(villages[i].wkb));
        wanted.emplace(villages[i].code, i);
    }
    const double minx = extent.min_corner().get<0>(), miny = extent.min_corner().get<1>();
    const double maxx = extent.max_corner().get<0>(), maxy = extent.max_corner().get<1>();
    // Every village of the store near the ones asked for, in code order: a point
    // where a village of the run overlaps one outside it goes by the same rule.
    std::vector<CoverageIndex::Polygon> all;
    {
        Statement st = store.prepare(
            "SELECT code, AsBinary(geom) FROM jurisdictions WHERE level = 'village' AND "
            "MbrIntersects(geom, BuildMbr(?, ?, ?, ?, 4490)) ORDER BY code");
        st.bind(1, minx).bind(2, miny).bind(3, maxx).bind(4, maxy);
        while (st.step()) all.push_back({st.text(0), st.blob(1)});
    }
    for (const auto& v : villages)  // villages not (yet) in the store still count
        if (std::none_of(all.begin(), all.end(), [&](const CoverageIndex::Polygon& p) { return p.code == v.code; }))
            all.push_back(v);
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.code < b.code; });
    const CoverageIndex index(all);
    bgi::rtree<std::pair<Box, std::uint32_t>, bgi::rstar<16>> boxes;
    std::vector<geos::Prepared> prepared(all.size());
    std::vector<geos::Geometry> geoms;
    for (std::uint32_t i = 0; i < all.size(); ++i) {
        boxes.insert({envelope(all[i].wkb), i});
        geoms.push_back(g.from_wkb(all[i].wkb.data(), all[i].wkb.size()));
    }
    std::vector<std::pair<Box, std::uint32_t>> hits;
    Statement st = store.prepare(
        "SELECT X(geom), Y(geom), households FROM households WHERE X(geom) BETWEEN ? AND ? AND Y(geom) BETWEEN ? AND ? "
        "ORDER BY id");
    st.bind(1, minx).bind(2, maxx).bind(3, miny).bind(4, maxy);
    while (st.step()) {
        const HouseholdPoint p{st.real(0), st.real(1), st.int64(2)};
        const int at = index.locate(p.lon, p.lat);
        if (at < 0) {
            ++out.outside_points;
            out.outside_households += p.households;
            continue;
        }
        const auto it = wanted.find(index.code(at));
        if (it == wanted.end()) continue;  // another village's, outside this run
        out.points[it->second].push_back(p);
        // inside two or more villages: an overlap, settled by the lowest code
        hits.clear();
        boxes.query(bgi::intersects(BPoint(p.lon, p.lat)), std::back_inserter(hits));
        if (hits.size() < 2) continue;
        auto pt = g.own(GEOSGeom_createPointFromXY_r(g.handle(), p.lon, p.lat), "point");
        int holders = 0;
        for (const auto& [box, i] : hits) {
            if (!prepared[i]) prepared[i] = g.prepare(geoms[i].get());
            holders += GEOSPreparedContains_r(g.handle(), prepared[i].get(), pt.get()) == 1;
        }
        if (holders >= 2) {
            ++out.overlap_points;
            out.overlap_households += p.households;
        }
    }
    return out;
}

} // namespace wangge
