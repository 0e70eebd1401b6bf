#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <string_view>
#include <utility>
#include <wangge/chinacrs.hpp>
#include <wangge/error.hpp>

using namespace wangge;
using namespace wangge::chinacrs;

namespace {

// Published test points, carried over as facts (values only; the code under test is our own).
//
// googollee/eviltransform, the same table in c/test.c, go/transform_test.go and javascript/test.js
// (wgsLat, wgsLng, gcjLat, gcjLng; reordered to lon/lat here):
struct Pair {
    const char* city;
    LonLat wgs84, gcj02;
};
const Pair eviltransform_points[] = {
    {"shanghai", {121.5272106, 31.1774276}, {121.531541859215, 31.17530398364597}},
    {"shenzhen", {113.912316, 22.543847}, {113.9171764808363, 22.540796131694766}},
    {"beijing", {116.377817, 39.911954}, {116.38404722455657, 39.91334545536069}},
};

// wandergis/coordtransform, README.md ("result" of the example, every call on the input 116.404, 39.915):
//   wgs84togcj02 -> 116.41024449916938, 39.91640428150164   (forward formula)
//   gcj02tobd09  -> 116.41036949371029, 39.92133699351021   (forward formula)
//   bd09togcj02  -> 116.39762729119315, 39.90865673957631   (their one-step approximate inverse)
//   gcj02towgs84 -> 116.39775550083061, 39.91359571849836   (their one-step approximate inverse)
constexpr LonLat wandergis_input{116.404, 39.915};

// The published forward values are full doubles from the same formulas; the slack only absorbs a
// different order of floating-point operations (about 1e-13 degree).
constexpr double forward_eps = 1e-9;

// Ground distance between two nearby points, in metres (local equirectangular on the WGS84 radius:
// plenty for the sub-kilometre distances compared here).
double metres(LonLat a, LonLat b) {
    constexpr double radius = 6378137.0;
    constexpr double rad = 3.14159265358979323846 / 180.0;
    const double dx = (a.lon - b.lon) * rad * std::cos((a.lat + b.lat) / 2.0 * rad);
    const double dy = (a.lat - b.lat) * rad;
    return radius * std::sqrt(dx * dx + dy * dy);
}

// Points inside China's land bounding box (73.5-135.1 E, 3.8-53.6 N; Zengmu Ansha to Mohe), a degree
// or more inside the algorithm's rectangle so every offset image stays inside it too.
template <class F>
void for_random_points_in_china(F f) {
    std::mt19937 gen(20240601);
    std::uniform_real_distribution<double> lon(73.5, 135.1);
    std::uniform_real_distribution<double> lat(3.8, 53.6);
    for (int i = 0; i < 10000; ++i) {
        const double x = lon(gen);
        const double y = lat(gen);
        f(x, y);
    }
}

}  // namespace

TEST_CASE("chinacrs: WGS84 -> GCJ-02 matches eviltransform's published points", "[chinacrs]") {
    for (const auto& p : eviltransform_points) {
        INFO(p.city);
        const LonLat g = wgs84_to_gcj02(p.wgs84.lon, p.wgs84.lat);
        CHECK(g.lon == Approx(p.gcj02.lon).margin(forward_eps));
        CHECK(g.lat == Approx(p.gcj02.lat).margin(forward_eps));
    }
}

TEST_CASE("chinacrs: GCJ-02 -> WGS84 recovers eviltransform's published points to a centimetre", "[chinacrs]") {
    for (const auto& p : eviltransform_points) {
        INFO(p.city);
        const LonLat w = gcj02_to_wgs84(p.gcj02.lon, p.gcj02.lat);
        // The published GCJ-02 values are full-precision forward images, so the exact inverse lands on the WGS84 point.
        CHECK(metres(w, p.wgs84) < 0.01);
        CHECK(to_cgcs2000(Datum::gcj02, p.gcj02.lon, p.gcj02.lat).lon == w.lon);
    }
}

TEST_CASE("chinacrs: forward formulas match coordtransform's published example", "[chinacrs]") {
    const LonLat g = wgs84_to_gcj02(wandergis_input.lon, wandergis_input.lat);
    CHECK(g.lon == Approx(116.41024449916938).margin(forward_eps));
    CHECK(g.lat == Approx(39.91640428150164).margin(forward_eps));

    const LonLat b = gcj02_to_bd09(wandergis_input.lon, wandergis_input.lat);
    CHECK(b.lon == Approx(116.41036949371029).margin(forward_eps));
    CHECK(b.lat == Approx(39.92133699351021).margin(forward_eps));
}

TEST_CASE("chinacrs: the exact inverses agree with coordtransform's one-step ones to their accuracy", "[chinacrs]") {
    // coordtransform's inverses evaluate the offset at the wrong point (accurate to 1-2 m in general,
    // about 5-6 cm at this point); ours are exact, so we only expect to agree within that error...
    const LonLat g = bd09_to_gcj02(wandergis_input.lon, wandergis_input.lat);
    CHECK(metres(g, {116.39762729119315, 39.90865673957631}) < 0.5);
    const LonLat w = gcj02_to_wgs84(wandergis_input.lon, wandergis_input.lat);
    CHECK(metres(w, {116.39775550083061, 39.91359571849836}) < 0.5);

    // ...while our results map forward onto the input exactly.
    const LonLat gb = gcj02_to_bd09(g.lon, g.lat);
    CHECK(gb.lon == Approx(wandergis_input.lon).margin(1e-9));
    CHECK(gb.lat == Approx(wandergis_input.lat).margin(1e-9));
    const LonLat wg = wgs84_to_gcj02(w.lon, w.lat);
    CHECK(wg.lon == Approx(wandergis_input.lon).margin(1e-9));
    CHECK(wg.lat == Approx(wandergis_input.lat).margin(1e-9));
}

TEST_CASE("chinacrs: GCJ-02 round trips over 10,000 random points in China stay within a centimetre", "[chinacrs]") {
    double worst_wgs = 0;       // WGS84 -> GCJ-02 -> WGS84, metres
    double worst_residual = 0;  // GCJ-02 -> WGS84 -> GCJ-02, degrees
    for_random_points_in_china([&](double lon, double lat) {
        const LonLat g = wgs84_to_gcj02(lon, lat);
        const LonLat w = gcj02_to_wgs84(g.lon, g.lat);
        worst_wgs = std::max(worst_wgs, metres(w, {lon, lat}));

        const LonLat w2 = gcj02_to_wgs84(lon, lat);
        const LonLat g2 = wgs84_to_gcj02(w2.lon, w2.lat);
        worst_residual = std::max({worst_residual, std::abs(g2.lon - lon), std::abs(g2.lat - lat)});
    });
    CHECK(worst_wgs < 0.01);
    CHECK(worst_residual < 1e-9);
}

TEST_CASE("chinacrs: BD-09 round trips over 10,000 random points in China stay within a centimetre", "[chinacrs]") {
    double worst_gcj = 0;  // GCJ-02 -> BD-09 -> GCJ-02, metres
    double worst_wgs = 0;  // WGS84 -> BD-09 -> WGS84, metres
    for_random_points_in_china([&](double lon, double lat) {
        const LonLat b = gcj02_to_bd09(lon, lat);
        const LonLat g = bd09_to_gcj02(b.lon, b.lat);
        worst_gcj = std::max(worst_gcj, metres(g, {lon, lat}));

        const LonLat b2 = wgs84_to_bd09(lon, lat);
        const LonLat w = bd09_to_wgs84(b2.lon, b2.lat);
        worst_wgs = std::max(worst_wgs, metres(w, {lon, lat}));
    });
    CHECK(worst_gcj < 0.01);
    CHECK(worst_wgs < 0.01);
}

TEST_CASE("chinacrs: round trips across the sqrt cusp at 105 E and at the published points", "[chinacrs]") {
    // The GCJ-02 offset has a sqrt(|lon - 105|) term with no derivative at 105 E; the fixed-point
    // iteration does not need one.
    const LonLat points[] = {{105.0, 35.0}, {105.0 + 1e-12, 30.0}, {105.0 - 1e-9, 25.0}, {104.9999, 45.0}};
    for (const auto& p : points) {
        INFO(p.lon << ", " << p.lat);
        const LonLat g = wgs84_to_gcj02(p.lon, p.lat);
        CHECK(metres(gcj02_to_wgs84(g.lon, g.lat), p) < 0.01);
        const LonLat b = wgs84_to_bd09(p.lon, p.lat);
        CHECK(metres(bd09_to_wgs84(b.lon, b.lat), p) < 0.01);
    }
    for (const auto& p : eviltransform_points) {
        INFO(p.city);
        const LonLat b = wgs84_to_bd09(p.wgs84.lon, p.wgs84.lat);
        CHECK(metres(to_cgcs2000(Datum::bd09, b.lon, b.lat), p.wgs84) < 0.01);
    }
}

TEST_CASE("chinacrs: the offsets are hundreds of metres (Huzhou)", "[chinacrs]") {
    const LonLat huzhou{120.1, 30.9};
    const double gcj = metres(wgs84_to_gcj02(huzhou.lon, huzhou.lat), huzhou);
    CHECK(gcj > 100.0);
    CHECK(gcj < 1000.0);
    // BD-09 adds roughly another 0.0065 / 0.006 degrees on top.
    const double bd = metres(wgs84_to_bd09(huzhou.lon, huzhou.lat), huzhou);
    CHECK(bd > gcj);
    CHECK(bd < 2000.0);
}

TEST_CASE("chinacrs: points outside China pass unchanged", "[chinacrs]") {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    const LonLat outside[] = {{139.7, 35.7}, {0.0, 0.0}, {-74.0, 40.7}, {72.0, 40.0}, {110.0, 0.8}, {110.0, 56.0}};
    for (const auto& p : outside) {
        INFO(p.lon << ", " << p.lat);
        CHECK(out_of_china(p.lon, p.lat));
        for (const LonLat q : {wgs84_to_gcj02(p.lon, p.lat), gcj02_to_wgs84(p.lon, p.lat), gcj02_to_bd09(p.lon, p.lat),
                               bd09_to_gcj02(p.lon, p.lat), wgs84_to_bd09(p.lon, p.lat), bd09_to_wgs84(p.lon, p.lat),
                               to_cgcs2000(Datum::gcj02, p.lon, p.lat), to_cgcs2000(Datum::bd09, p.lon, p.lat)}) {
            CHECK(q.lon == p.lon);
            CHECK(q.lat == p.lat);
        }
    }
    CHECK_FALSE(out_of_china(120.1, 30.9));
    CHECK_FALSE(out_of_china(72.004, 0.8293));  // the rectangle is closed
    CHECK(out_of_china(nan, 30.0));
    CHECK(std::isnan(gcj02_to_wgs84(nan, 30.0).lon));
    CHECK(std::isnan(bd09_to_wgs84(120.0, nan).lat));
}

TEST_CASE("chinacrs: WGS84 and CGCS2000 are the identity inside China", "[chinacrs]") {
    for (const Datum d : {Datum::wgs84, Datum::cgcs2000}) {
        const LonLat p = to_cgcs2000(d, 120.1, 30.9);
        CHECK(p.lon == 120.1);
        CHECK(p.lat == 30.9);
    }
}

TEST_CASE("chinacrs: datum names", "[chinacrs]") {
    const std::pair<std::string_view, Datum> names[] = {
        {"wgs84", Datum::wgs84},       {"WGS84", Datum::wgs84},       {"WGS-84", Datum::wgs84},
        {"EPSG:4326", Datum::wgs84},   {"epsg:4326", Datum::wgs84},   {"4326", Datum::wgs84},
        {"cgcs2000", Datum::cgcs2000}, {"CGCS2000", Datum::cgcs2000}, {"EPSG:4490", Datum::cgcs2000},
        {"4490", Datum::cgcs2000},     {"gcj02", Datum::gcj02},       {"gcj-02", Datum::gcj02},
        {"GCJ02", Datum::gcj02},       {"GCJ_02", Datum::gcj02},      {"bd09", Datum::bd09},
        {"bd-09", Datum::bd09},        {"BD09", Datum::bd09},         {"bd09ll", Datum::bd09},
    };
    for (const auto& [name, datum] : names) {
        INFO(name);
        const auto parsed = datum_from_name(name);
        REQUIRE(parsed.has_value());
        CHECK(*parsed == datum);
        CHECK(parse_datum(name) == datum);
    }
    for (const Datum d : {Datum::wgs84, Datum::cgcs2000, Datum::gcj02, Datum::bd09}) {
        CHECK(datum_from_name(datum_name(d)) == d);
    }
    CHECK(datum_name(Datum::gcj02) == "gcj02");

    // Baidu Mercator (bd09mc) and web Mercator are projected, not lon/lat: not accepted here.
    for (const std::string_view unknown :
         {"", "wgs", "gcj", "gcj03", "bd09mc", "EPSG:3857", "mars", "4327", "a-very-long-name-that-does-not-fit"}) {
        INFO(unknown);
        CHECK_FALSE(datum_from_name(unknown).has_value());
        CHECK_THROWS_AS(parse_datum(unknown), usage_error);
    }
}
