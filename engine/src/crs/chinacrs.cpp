#include "wangge/chinacrs.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>

#include "wangge/error.hpp"

namespace wangge::chinacrs {

namespace {

constexpr double pi = std::numbers::pi;
constexpr double rad_per_deg = pi / 180.0;

// GCJ-02 converts its metre offsets to degrees on the Krasovsky 1940 ellipsoid (the datum of the old
// Beijing 1954 system), not on WGS84; the constants are part of the published algorithm.
constexpr double krasovsky_a = 6378245.0;
constexpr double krasovsky_ee = 0.00669342162296594323;

// BD-09's modulation frequency: pi * 3000 / 180 per degree.
constexpr double bd_x_pi = pi * 3000.0 / 180.0;

// The iterative inverses stop when the forward image of the estimate is this close to the input, in
// degrees (1e-10 degree is about 0.01 mm). Both forward maps are the identity plus an offset whose
// derivative is far below 1 (GCJ-02: about 0.003; BD-09: about 0.02), so every iteration gains two to
// three digits and 4-5 iterations are typical; the cap only bounds pathological input.
constexpr double inverse_tolerance = 1e-10;
constexpr int max_iterations = 30;

// The GCJ-02 offset of a WGS84 point, in degrees, without the "outside China" test. The two series are
// in metres (east, north) as functions of the distance in degrees from (105 E, 35 N); the sine terms of
// periods 1/3, 1, 2, 6, 24 and 60 degrees are what makes the offset non-linear. The shared
// sin(6 pi x) + sin(2 pi x) term appears in both series.
LonLat gcj_offset(double lon, double lat) noexcept {
    const double x = lon - 105.0;
    const double y = lat - 35.0;
    const double root_x = std::sqrt(std::abs(x));
    const double shared = (20.0 * std::sin(6.0 * pi * x) + 20.0 * std::sin(2.0 * pi * x)) * 2.0 / 3.0;

    const double north = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * root_x + shared +
                         (20.0 * std::sin(pi * y) + 40.0 * std::sin(pi * y / 3.0)) * 2.0 / 3.0 +
                         (160.0 * std::sin(pi * y / 12.0) + 320.0 * std::sin(pi * y / 30.0)) * 2.0 / 3.0;
    const double east = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * root_x + shared +
                        (20.0 * std::sin(pi * x) + 40.0 * std::sin(pi * x / 3.0)) * 2.0 / 3.0 +
                        (150.0 * std::sin(pi * x / 12.0) + 300.0 * std::sin(pi * x / 30.0)) * 2.0 / 3.0;

    // Metres to degrees at the (WGS84) latitude: north through the meridian radius of curvature M,
    // east through the parallel's radius N cos(phi).
    const double phi = lat * rad_per_deg;
    const double sin_phi = std::sin(phi);
    const double w2 = 1.0 - krasovsky_ee * sin_phi * sin_phi;
    const double w = std::sqrt(w2);
    const double meridian_radius = krasovsky_a * (1.0 - krasovsky_ee) / (w2 * w);
    const double parallel_radius = krasovsky_a / w * std::cos(phi);
    return {east / parallel_radius / rad_per_deg, north / meridian_radius / rad_per_deg};
}

LonLat gcj_forward(double lon, double lat) noexcept {
    const LonLat d = gcj_offset(lon, lat);
    return {lon + d.lon, lat + d.lat};
}

// GCJ-02 -> BD-09 without the "outside China" test: scale the radius from (0, 0) by a latitude-modulated
// amount and rotate by a longitude-modulated angle, then shift.
LonLat bd_forward(double lon, double lat) noexcept {
    const double r = std::sqrt(lon * lon + lat * lat) + 0.00002 * std::sin(lat * bd_x_pi);
    const double theta = std::atan2(lat, lon) + 0.000003 * std::cos(lon * bd_x_pi);
    return {r * std::cos(theta) + 0.0065, r * std::sin(theta) + 0.006};
}

// The published one-step BD-09 -> GCJ-02: undo the shift, then the modulations evaluated at the shifted
// point instead of the unknown original. About a metre off; only used as the starting estimate.
LonLat bd_inverse_estimate(double lon, double lat) noexcept {
    const double x = lon - 0.0065;
    const double y = lat - 0.006;
    const double r = std::sqrt(x * x + y * y) - 0.00002 * std::sin(y * bd_x_pi);
    const double theta = std::atan2(y, x) - 0.000003 * std::cos(x * bd_x_pi);
    return {r * std::cos(theta), r * std::sin(theta)};
}

// Solve forward(p) = target by fixed-point iteration p <- p - (forward(p) - target). It converges because
// forward is the identity plus an offset whose derivative is small (see inverse_tolerance), and needs no
// derivative of the offset: the sqrt(|lon - 105|) term of GCJ-02 has none at 105 E.
template <class Forward>
LonLat invert(Forward forward, double lon, double lat, LonLat estimate) noexcept {
    LonLat p = estimate;
    for (int i = 0; i < max_iterations; ++i) {
        const LonLat image = forward(p.lon, p.lat);
        const double dlon = image.lon - lon;
        const double dlat = image.lat - lat;
        if (std::abs(dlon) < inverse_tolerance && std::abs(dlat) < inverse_tolerance) break;
        p.lon -= dlon;
        p.lat -= dlat;
    }
    return p;
}

struct NamedDatum {
    std::string_view name;  // normalized: lower case, no '-', '_' or spaces
    Datum datum;
};

constexpr std::array<NamedDatum, 11> datum_names = {{
    {"wgs84", Datum::wgs84},
    {"epsg:4326", Datum::wgs84},
    {"epsg4326", Datum::wgs84},
    {"4326", Datum::wgs84},
    {"cgcs2000", Datum::cgcs2000},
    {"epsg:4490", Datum::cgcs2000},
    {"epsg4490", Datum::cgcs2000},
    {"4490", Datum::cgcs2000},
    {"gcj02", Datum::gcj02},
    {"bd09", Datum::bd09},
    {"bd09ll", Datum::bd09},
}};

}  // namespace

std::optional<Datum> datum_from_name(std::string_view name) {
    // Normalize into a fixed buffer: names are short, and this may be called per record.
    std::array<char, 16> buffer{};
    std::size_t n = 0;
    for (const char c : name) {
        if (c == '-' || c == '_' || c == ' ') continue;
        if (n == buffer.size()) return std::nullopt;
        buffer[n++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    const std::string_view normalized(buffer.data(), n);
    for (const auto& entry : datum_names) {
        if (entry.name == normalized) return entry.datum;
    }
    return std::nullopt;
}

Datum parse_datum(std::string_view name) {
    if (const auto datum = datum_from_name(name)) return *datum;
    throw usage_error(fmt::format(
        "unknown coordinate datum '{}': expected wgs84 (EPSG:4326), cgcs2000 (EPSG:4490), gcj02 or bd09", name));
}

std::string_view datum_name(Datum datum) {
    switch (datum) {
        case Datum::wgs84:
            return "wgs84";
        case Datum::cgcs2000:
            return "cgcs2000";
        case Datum::gcj02:
            return "gcj02";
        case Datum::bd09:
            return "bd09";
    }
    throw usage_error(fmt::format("invalid datum value {}", static_cast<int>(datum)));
}

bool out_of_china(double lon, double lat) {
    // Written as "not inside" so that NaN counts as outside and passes through unchanged.
    return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
}

LonLat wgs84_to_gcj02(double lon, double lat) {
    if (out_of_china(lon, lat)) return {lon, lat};
    return gcj_forward(lon, lat);
}

LonLat gcj02_to_wgs84(double lon, double lat) {
    if (out_of_china(lon, lat)) return {lon, lat};
    // The test is on the GCJ-02 input; the rectangle's edges are far from any Chinese land, so a
    // solution just across an edge (where the true forward map would be the identity) cannot occur
    // for real data.
    return invert(gcj_forward, lon, lat, LonLat{lon, lat});
}

LonLat gcj02_to_bd09(double lon, double lat) {
    if (out_of_china(lon, lat)) return {lon, lat};
    return bd_forward(lon, lat);
}

LonLat bd09_to_gcj02(double lon, double lat) {
    if (out_of_china(lon, lat)) return {lon, lat};
    return invert(bd_forward, lon, lat, bd_inverse_estimate(lon, lat));
}

LonLat wgs84_to_bd09(double lon, double lat) {
    const LonLat gcj = wgs84_to_gcj02(lon, lat);
    return gcj02_to_bd09(gcj.lon, gcj.lat);
}

LonLat bd09_to_wgs84(double lon, double lat) {
    const LonLat gcj = bd09_to_gcj02(lon, lat);
    return gcj02_to_wgs84(gcj.lon, gcj.lat);
}

LonLat to_cgcs2000(Datum from, double lon, double lat) {
    switch (from) {
        case Datum::wgs84:
        case Datum::cgcs2000:
            return {lon, lat};
        case Datum::gcj02:
            return gcj02_to_wgs84(lon, lat);
        case Datum::bd09:
            return bd09_to_wgs84(lon, lat);
    }
    throw usage_error(fmt::format("invalid datum value {}", static_cast<int>(from)));
}

}  // namespace wangge::chinacrs
