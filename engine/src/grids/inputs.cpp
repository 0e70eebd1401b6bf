// Inputs of partitioning: household points and barrier lines, read through
// VectorSource (CRS, encoding) and written in one transaction, or not at all; and
// the household points of each village, each point in exactly one village.
#include "wangge/grids.hpp"

#include "store/inputs_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"
#include "wangge/coverage_index.hpp"
#include "wangge/error.hpp"
#include "geometry/geos.hpp"
#include "wangge/store.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>

namespace wangge {

namespace {

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
    std::vector<repo::HouseholdRow> rows;
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
        rows.push_back({static_cast<std::int64_t>(v), f.fid, std::move(f.wkb)});
        report.total += static_cast<std::int64_t>(v);
    }
    if (rows.empty() && report.rejects.empty())
        throw input_error(fmt::format("{}: no household points", src.file_name()));
    if (!report.rejects.empty()) return report;  // all or nothing
    const std::int64_t existing = repo::count_household_points(store);
    if (existing > 0 && !opt.replace)
        throw input_error(fmt::format("the store already holds {} household points; --replace replaces them",
                                      existing));
    Store::Transaction tx(store);
    if (opt.replace) repo::clear_households(store);
    const auto run = repo::begin_import_run(store, "households", report.file, "count_field=" + opt.count_field);
    record_source_crs(store, run, src);
    repo::insert_households(store, report.file, run, rows);
    report.imported = static_cast<std::int64_t>(rows.size());
    repo::finish_import_run(store, run, report.imported, 0, 0);
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
    std::vector<repo::BarrierRow> rows;
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
    const std::int64_t existing = repo::count_barriers(store);
    if (existing > 0 && !opt.replace)
        throw input_error(fmt::format("the store already holds {} barrier lines; --replace replaces them", existing));
    Store::Transaction tx(store);
    if (opt.replace) repo::clear_barriers(store);
    const auto run = repo::begin_import_run(store, "barriers", report.file, "kind_field=" + opt.kind_field);
    record_source_crs(store, run, src);
    repo::insert_barriers(store, report.file, run, rows);
    report.imported = static_cast<std::int64_t>(rows.size());
    report.total = repo::barriers_length_m(store);
    repo::finish_import_run(store, run, report.imported, 0, 0);
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
        repo::JurisdictionFilter near;
        near.level = "village";
        near.bbox = std::array<double, 4>{minx, miny, maxx, maxy};
        repo::for_each_jurisdiction(store, near, [&](const repo::JurisdictionRow& r) {
            all.push_back({r.code, r.wkb});
        });
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
    repo::for_each_household_in(store, {minx, miny, maxx, maxy}, [&](const HouseholdPoint& p) {
        const int at = index.locate(p.lon, p.lat);
        if (at < 0) {
            ++out.outside_points;
            out.outside_households += p.households;
            return;
        }
        const auto it = wanted.find(index.code(at));
        if (it == wanted.end()) return;  // another village's, outside this run
        out.points[it->second].push_back(p);
        // inside two or more villages: an overlap, settled by the lowest code
        hits.clear();
        boxes.query(bgi::intersects(BPoint(p.lon, p.lat)), std::back_inserter(hits));
        if (hits.size() < 2) return;
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
    });
    return out;
}

} // namespace wangge
