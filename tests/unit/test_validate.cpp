// The coverage validator: crafted cases with findings computed by hand
// (tests/data/coverage/*.geojson and *.expected.csv), a synthetic township of
// villages and grids, and the real Zhejiang county outlines against an
// independent GEOS overlay written here.
#include <fmt/format.h>
#include <gdal.h>
#include <ogr_api.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <wangge/validate.hpp>

#include "geometry/geos.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::validate;
namespace fs = std::filesystem;

namespace {

struct Layer {
    std::optional<Item> parent;
    std::vector<Item> children;
    std::vector<std::string> names;  // per child: the feature's name property, if any
};

/// A GeoJSON layer (properties code and role parent|child; a feature with a null
/// code is skipped) read with GDAL as WKB.
Layer read_layer(const fs::path& file) {
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(file.string().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (!ds) throw std::runtime_error("cannot open " + file.string());
    OGRLayerH layer = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    const int code_at = OGR_FD_GetFieldIndex(defn, "code"), role_at = OGR_FD_GetFieldIndex(defn, "role"), name_at = OGR_FD_GetFieldIndex(defn, "name");
    Layer out;
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
        OGRGeometryH geom = OGR_F_GetGeometryRef(f);
        if (code_at >= 0 && OGR_F_IsFieldSetAndNotNull(f, code_at) && geom) {
            Item item;
            item.code = OGR_F_GetFieldAsString(f, code_at);
            item.wkb.resize(static_cast<std::size_t>(OGR_G_WkbSize(geom)));
            OGR_G_ExportToIsoWkb(geom, wkbNDR, item.wkb.data());
            const std::string role = role_at >= 0 && OGR_F_IsFieldSetAndNotNull(f, role_at) ? OGR_F_GetFieldAsString(f, role_at) : "child";
            if (role == "parent") {
                out.parent = std::move(item);
            } else {
                out.children.push_back(std::move(item));
                out.names.push_back(name_at >= 0 ? OGR_F_GetFieldAsString(f, name_at) : "");
            }
        }
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return out;
}

struct Expected {
    Kind kind;
    std::string codes;  // space-separated
    std::optional<double> min_area, max_area, min_width, max_width;
    std::string line;
};

std::vector<Expected> read_expected(const fs::path& file) {
    std::vector<Expected> out;
    std::ifstream in(file);
    std::string line;
    auto num = [](const std::string& s) { return s == "-" ? std::nullopt : std::optional<double>(std::stod(s)); };
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
        REQUIRE(f.size() == 6);
        const auto kind = kind_from_string(f[0]);
        REQUIRE(kind);
        out.push_back({*kind, f[1], num(f[2]), num(f[3]), num(f[4]), num(f[5]), line});
    }
    return out;
}

std::string joined(const std::vector<std::string>& codes) {
    std::string s;
    for (const auto& c : codes) s += (s.empty() ? "" : " ") + c;
    return s;
}

std::string describe(const Result& r) {
    std::string s;
    for (const auto& f : r.findings)
        s += fmt::format("  {},{}: area {:.3f} width {:.3f} length {:.1f}: {}\n", to_string(f.kind), joined(f.codes), f.area_m2, f.width_m, f.length_m, f.detail);
    return s;
}

bool in_range(double v, const std::optional<double>& lo, const std::optional<double>& hi) {
    return (!lo || v >= *lo) && (!hi || v <= *hi);
}

// --- an independent overlay of the same polygons, with GEOS directly --------

constexpr double metres_per_degree = 6371007.2 * M_PI / 180.0;

double piece_m2(geos::Context& g, const GEOSGeometry* poly) {
    double miny = 0, maxy = 0;
    GEOSGeom_getYMin_r(g.handle(), poly, &miny);
    GEOSGeom_getYMax_r(g.handle(), poly, &maxy);
    return g.area(poly) * metres_per_degree * metres_per_degree * std::cos((miny + maxy) / 2 * M_PI / 180);
}

/// Sum of the polygons of `geom` of at least `ignore` m² each.
double pieces_m2(geos::Context& g, const GEOSGeometry* geom, double ignore) {
    auto parts = g.polygonal_parts(geom);
    double a = 0;
    for (int i = 0; i < GEOSGetNumGeometries_r(g.handle(), parts.get()); ++i) {
        const double p = piece_m2(g, GEOSGetGeometryN_r(g.handle(), parts.get(), i));
        if (p >= ignore) a += p;
    }
    return a;
}

/// MakeValid as the validator repairs (the "structure" method), for valid input
/// just the polygons.
geos::Geometry repaired(const std::vector<unsigned char>& wkb) {
    auto& g = geos::Context::local();
    auto raw = g.from_wkb(wkb.data(), wkb.size());
    if (g.invalid_reason(raw.get()).empty()) return g.polygonal_parts(raw.get());
    GEOSMakeValidParams* params = GEOSMakeValidParams_create_r(g.handle());
    GEOSMakeValidParams_setMethod_r(g.handle(), params, GEOS_MAKE_VALID_STRUCTURE);
    auto fixed = g.own(GEOSMakeValidWithParams_r(g.handle(), raw.get(), params), "MakeValid");
    GEOSMakeValidParams_destroy_r(g.handle(), params);
    return g.polygonal_parts(fixed.get());
}

std::vector<unsigned char> rect_wkb(double x0, double y0, double x1, double y1) {
    auto& g = geos::Context::local();
    return g.to_wkb(g.from_wkt(fmt::format("POLYGON(({0:.10f} {1:.10f},{2:.10f} {1:.10f},{2:.10f} {3:.10f},{0:.10f} {3:.10f},{0:.10f} {1:.10f}))", x0, y0, x1, y1)).get());
}

} // namespace

TEST_CASE("validate: kinds and severities by name", "[validate]") {
    for (Kind k : {Kind::gap, Kind::overlap, Kind::outside, Kind::near_miss, Kind::multipart, Kind::hole, Kind::sliver, Kind::invalid})
        CHECK(kind_from_string(to_string(k)) == k);
    CHECK_FALSE(kind_from_string("gaps"));
    CHECK(to_string(Severity::error) == "error");
    CHECK(to_string(Severity::warning) == "warning");
}

TEST_CASE("validate: every crafted case in tests/data/coverage finds what was computed by hand", "[validate]") {
    const fs::path dir = test::data_dir() / "coverage";
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".geojson") cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    REQUIRE(cases.size() >= 12);
    for (const auto& file : cases) {
        const std::string name = file.stem().string();
        const fs::path expected_file = dir / (name + ".expected.csv");
        INFO("case " << name);
        REQUIRE(fs::exists(expected_file));
        const Layer layer = read_layer(file);
        const auto expected = read_expected(expected_file);
        const Result r = validate_coverage(layer.parent, layer.children);
        INFO("found:\n" << describe(r));
        CHECK(r.findings.size() == expected.size());
        std::vector<char> used(r.findings.size(), 0);
        for (const auto& e : expected) {
            bool matched = false;
            for (std::size_t k = 0; k < r.findings.size() && !matched; ++k) {
                const Finding& f = r.findings[k];
                if (used[k] || f.kind != e.kind || joined(f.codes) != e.codes) continue;
                if (!in_range(f.area_m2, e.min_area, e.max_area) || !in_range(f.width_m, e.min_width, e.max_width)) continue;
                used[k] = 1;
                matched = true;
            }
            INFO("expected " << e.line);
            CHECK(matched);
        }
        // the rules every finding follows
        for (std::size_t k = 0; k < r.findings.size(); ++k) {
            const Finding& f = r.findings[k];
            const bool error = f.kind == Kind::gap || f.kind == Kind::overlap || f.kind == Kind::outside || f.kind == Kind::invalid;
            CHECK(f.severity == (error ? Severity::error : Severity::warning));
            CHECK(std::is_sorted(f.codes.begin(), f.codes.end()));
            CHECK_FALSE(f.detail.empty());
            if (f.kind != Kind::invalid) CHECK_FALSE(f.where.empty());
            if (k > 0) CHECK(std::tie(r.findings[k - 1].kind, r.findings[k - 1].codes) <= std::tie(f.kind, f.codes));
        }
        // the figures, against GEOS directly: the areas, and the parent's area
        // inside the union of the children
        auto& g = geos::Context::local();
        std::vector<geos::Geometry> kids;
        std::vector<const GEOSGeometry*> parts;
        double children = 0;
        for (const auto& c : layer.children) {
            kids.push_back(repaired(c.wkb));
            parts.push_back(kids.back().get());
            children += pieces_m2(g, kids.back().get(), 0);
        }
        CHECK(r.children_area_m2 == Approx(children).epsilon(1e-4));  // areas scaled per piece here, per child there
        auto all = g.unary_union(g.collect(parts).get());
        if (layer.parent) {
            auto p = repaired(layer.parent->wkb);
            CHECK(r.parent_area_m2 == Approx(pieces_m2(g, p.get(), 0)).epsilon(1e-6));
            CHECK(r.covered_m2 == Approx(pieces_m2(g, g.intersection(all.get(), p.get()).get(), 0)).epsilon(1e-4));
        } else {
            CHECK(r.parent_area_m2 == 0);
            CHECK(r.covered_m2 == Approx(pieces_m2(g, all.get(), 0)).epsilon(1e-4));
        }
    }
}

TEST_CASE("validate: an invalid child is named with GEOS's reason and location", "[validate]") {
    const Layer layer = read_layer(test::data_dir() / "coverage" / "invalid_bowtie.geojson");
    const Result r = validate_coverage(layer.parent, layer.children);
    const auto it = std::find_if(r.findings.begin(), r.findings.end(), [](const Finding& f) { return f.kind == Kind::invalid; });
    REQUIRE(it != r.findings.end());
    CHECK_THAT(it->detail, Catch::Contains("Self-intersection"));
    auto& g = geos::Context::local();
    auto at = g.from_wkb(it->where.data(), it->where.size());
    double x = 0, y = 0;
    REQUIRE(GEOSGeomGetX_r(g.handle(), at.get(), &x) == 1);
    GEOSGeomGetY_r(g.handle(), at.get(), &y);
    CHECK(x == Approx(120.0005).margin(1e-9));
    CHECK(y == Approx(30.001).margin(1e-9));
}

TEST_CASE("validate: tolerances move the line between a near miss and none, and drop tiny pieces", "[validate]") {
    const Layer layer = read_layer(test::data_dir() / "coverage" / "near_miss.geojson");
    Tolerances t;
    t.near_miss_m = 0.2;  // the vertex is 0.289 m off
    auto count = [](const Result& r, Kind k) { return std::count_if(r.findings.begin(), r.findings.end(), [&](const Finding& f) { return f.kind == k; }); };
    CHECK(count(validate_coverage(layer.parent, layer.children, t), Kind::near_miss) == 0);
    t.near_miss_m = 0.5;
    CHECK(count(validate_coverage(layer.parent, layer.children, t), Kind::near_miss) == 1);
    t.ignore_area_m2 = 40;  // the gap is 32 m²
    CHECK(count(validate_coverage(layer.parent, layer.children, t), Kind::gap) == 0);
}

TEST_CASE("validate: a synthetic township of 30 villages of 10 grids is clean, then one grid moved", "[validate]") {
    // a township of 6 x 5 villages of 0.01 degree, each 5 x 2 grids
    const double x0 = 120.1, y0 = 30.1, v = 0.01;
    Item township{"T", rect_wkb(x0, y0, x0 + 6 * v, y0 + 5 * v)};
    std::vector<Item> villages;
    std::vector<std::vector<Item>> grids;
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 5; ++j) {
            const double vx = x0 + i * v, vy = y0 + j * v;
            villages.push_back({fmt::format("V{}{}", i, j), rect_wkb(vx, vy, vx + v, vy + v)});
            grids.emplace_back();
            for (int a = 0; a < 5; ++a)
                for (int b = 0; b < 2; ++b)
                    grids.back().push_back({fmt::format("V{}{}G{}{}", i, j, a, b), rect_wkb(vx + a * v / 5, vy + b * v / 2, vx + (a + 1) * v / 5, vy + (b + 1) * v / 2)});
        }
    const auto start = std::chrono::steady_clock::now();
    const Result t = validate_coverage(township, villages);
    CHECK(t.findings.empty());
    CHECK(t.covered_m2 == Approx(t.parent_area_m2).epsilon(1e-12));
    CHECK(t.children_area_m2 == Approx(t.parent_area_m2).epsilon(1e-6));
    for (std::size_t k = 0; k < villages.size(); ++k) {
        const Result r = validate_coverage(villages[k], grids[k]);
        INFO(villages[k].code << ":\n" << describe(r));
        CHECK(r.findings.empty());
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    WARN(fmt::format("township and its 30 villages validated in {:.1f} ms", ms));
    CHECK(ms < 2000);  // milliseconds in an optimised build; generous for Debug/ASan

    // one grid 2 m too wide: an overlap with its neighbour, and outside its village
    auto moved = grids[7];
    const double vx = x0 + 1 * v, vy = y0 + 2 * v;  // village V12
    moved[0] = {moved[0].code, rect_wkb(vx, vy, vx + v / 5 + 2 / 96297.0, vy + v / 2)};
    const Result r = validate_coverage(villages[7], moved);
    INFO(describe(r));
    REQUIRE(r.findings.size() == 1);
    CHECK(r.findings[0].kind == Kind::overlap);
    CHECK(r.findings[0].codes == std::vector<std::string>{"V12G00", "V12G10"});
    CHECK(r.findings[0].width_m == Approx(2.0).epsilon(0.02));
}

TEST_CASE("validate: the Zhejiang county outlines against an independent overlay", "[validate]") {
    test::TempDir tmp("validate-zhejiang");
    const fs::path file = test::real_data("zhejiang_counties.geojson", tmp.path());
    // the four counties merged or renamed since have no code: skipped (their land
    // then shows as gaps between the others, which the overlay below sees too)
    const Layer layer = read_layer(file);
    REQUIRE(layer.children.size() == 85);
    const double ignore = Tolerances{}.ignore_area_m2;

    const auto start = std::chrono::steady_clock::now();
    const Result r = validate_coverage(std::nullopt, layer.children);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN(fmt::format("85 counties validated in {:.3f} s, {} findings", secs, r.findings.size()));

    auto& g = geos::Context::local();
    std::vector<geos::Geometry> geoms;
    std::map<std::string, std::size_t> index;
    for (const auto& c : layer.children) {
        geoms.push_back(repaired(c.wkb));
        index[c.code] = geoms.size() - 1;
    }
    // overlaps: every pair's intersection; gaps: the holes of the union, folded
    // one county at a time (not the validator's cascaded union)
    double overlap = 0;
    for (std::size_t i = 0; i < geoms.size(); ++i)
        for (std::size_t j = i + 1; j < geoms.size(); ++j) {
            auto shared = g.intersection(geoms[i].get(), geoms[j].get());
            overlap += pieces_m2(g, shared.get(), ignore);
        }
    geos::Geometry all = g.polygonal_parts(geoms[0].get());
    for (std::size_t i = 1; i < geoms.size(); ++i) all = g.own(GEOSUnion_r(g.handle(), all.get(), geoms[i].get()), "union");
    all = g.polygonal_parts(all.get());
    // the holes of the union: the faces its boundary (noded: islands touching at
    // a point enclose a bay) encloses that are not in it; the interior rings of
    // its polygons miss a bay closed by parts that touch at points
    double gap = 0;
    auto boundary = g.unary_union(g.own(GEOSBoundary_r(g.handle(), all.get()), "boundary").get());
    const GEOSGeometry* lines[] = {boundary.get()};
    auto faces = g.own(GEOSPolygonize_r(g.handle(), lines, 1), "polygonize");
    auto in_union = g.prepare(all.get());
    for (int p = 0; p < GEOSGetNumGeometries_r(g.handle(), faces.get()); ++p) {
        const GEOSGeometry* face = GEOSGetGeometryN_r(g.handle(), faces.get(), p);
        auto inside = g.own(GEOSPointOnSurface_r(g.handle(), face), "point");
        const double a = piece_m2(g, face);
        if (a >= ignore && GEOSPreparedIntersects_r(g.handle(), in_union.get(), inside.get()) == 0) gap += a;
    }

    double found_overlap = 0, found_gap = 0;
    std::size_t overlaps = 0, gaps = 0;
    for (const auto& f : r.findings) {
        if (f.kind == Kind::overlap) {
            found_overlap += f.area_m2, ++overlaps;
            // the pair are real neighbours: their outlines share area
            REQUIRE(f.codes.size() == 2);
            REQUIRE(index.count(f.codes[0]));
            REQUIRE(index.count(f.codes[1]));
            const auto &a = geoms[index[f.codes[0]]], &b = geoms[index[f.codes[1]]];
            CHECK(GEOSIntersects_r(g.handle(), a.get(), b.get()) == 1);
            CHECK(pieces_m2(g, g.intersection(a.get(), b.get()).get(), ignore) == Approx(f.area_m2).epsilon(1e-4));
        }
        if (f.kind == Kind::gap) {
            found_gap += f.area_m2, ++gaps;
            CHECK(f.codes.size() >= 1);
        }
    }
    WARN(fmt::format("overlaps {} ({:.0f} m², overlay {:.0f}), gaps {} ({:.0f} m², overlay {:.0f})", overlaps, found_overlap, overlap, gaps, found_gap, gap));
    CHECK(overlaps > 0);
    CHECK(gaps > 0);
    CHECK(found_overlap == Approx(overlap).epsilon(1e-4));
    CHECK(found_gap == Approx(gap).epsilon(1e-4));
    CHECK(r.children_area_m2 > 0.9e11);  // Zhejiang: about 105,500 km², less the four skipped
    CHECK(r.children_area_m2 < 1.2e11);
}
