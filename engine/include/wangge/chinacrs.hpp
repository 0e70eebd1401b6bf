// wangge/chinacrs.hpp — the Chinese web-map datums GCJ-02 and BD-09, and their way back to CGCS2000.
//
// Points reported from phones are rarely in CGCS2000. AMap, Tencent and WeChat map functions (and the
// Baidu location SDK) report GCJ-02 ("Mars coordinates"), the Baidu map SDK reports BD-09, and only raw
// GNSS / wx.getLocation reports WGS84. Both GCJ-02 and BD-09 are deliberate, non-linear offsets of
// WGS84 of a few hundred metres — several household blocks — so every imported point must have its
// datum named and be converted before it is placed in a grid.
//
//   WGS84  --GCJ-02 offset-->  GCJ-02  --BD-09 offset-->  BD-09
//
// GCJ-02: the public reconstruction of the offset (the formulas used by eviltransform, coordtransform
// and many others): two sums of polynomial and sine terms in (lon - 105, lat - 35) give an offset in
// metres, which is turned into degrees on the Krasovsky ellipsoid (a = 6378245, e^2 = 0.00669342...).
// It is defined only in the forward direction; the inverse is computed here by fixed-point iteration
// and is exact to about 1e-10 degree (sub-millimetre), not the usual one-step approximation (1-2 m).
//
// BD-09: Baidu's extra offset on top of GCJ-02: a shift of (0.0065, 0.006) degrees after a small
// sine-modulated scaling and rotation about lon/lat (0, 0). The forward formula (GCJ-02 -> BD-09) is
// the published one; its inverse starts from the published one-step inverse (about 1 m off) and is
// refined by the same fixed-point iteration.
//
// "Outside China" is the public algorithm's plain rectangle lon 72.004..137.8347, lat 0.8293..55.8271
// (it includes some neighbouring countries and sea, which is what the map providers do too). Outside
// it no Chinese datum shift applies: every conversion here returns the point unchanged, for BD-09 as
// well (the raw coordtransform formulas would shift BD-09 everywhere; we keep all datums consistent).
// NaN and infinite coordinates also count as outside and pass through unchanged.
//
// At grid scale CGCS2000 and WGS84 coincide (cm to dm), so "to CGCS2000" means "to WGS84".
//
// Everything here is allocation- and exception-free on valid input: it runs per event on imports of
// millions of points.
#pragma once

#include <optional>
#include <string_view>

namespace wangge::chinacrs {

enum class Datum { wgs84, cgcs2000, gcj02, bd09 };

/// Datum from a user-supplied name, case-insensitive, ignoring '-', '_' and spaces: "wgs84",
/// "EPSG:4326", "4326", "cgcs2000", "EPSG:4490", "4490", "gcj02", "GCJ-02", "bd09", "BD-09", "bd09ll".
/// Anything else (including Baidu's Mercator "bd09mc", which is not lon/lat) gives nullopt.
std::optional<Datum> datum_from_name(std::string_view name);

/// Like datum_from_name, but throws wangge::usage_error naming the accepted spellings. For options.
Datum parse_datum(std::string_view name);

/// Canonical lower-case name: "wgs84", "cgcs2000", "gcj02", "bd09".
std::string_view datum_name(Datum datum);

/// The public algorithm's "outside China" rectangle test; true also for NaN or infinite coordinates.
bool out_of_china(double lon, double lat);

struct LonLat {
    double lon, lat;
};

/// WGS84 -> GCJ-02 (the published forward formula). Identity outside China.
LonLat wgs84_to_gcj02(double lon, double lat);
/// GCJ-02 -> WGS84 by iteration: the forward image of the result is within 1e-10 degree of the input
/// (at most 30 iterations, typically 4). Identity outside China.
LonLat gcj02_to_wgs84(double lon, double lat);
/// GCJ-02 -> BD-09 (the published forward formula). Identity outside China.
LonLat gcj02_to_bd09(double lon, double lat);
/// BD-09 -> GCJ-02 by iteration on gcj02_to_bd09, same tolerance as gcj02_to_wgs84. Identity outside China.
LonLat bd09_to_gcj02(double lon, double lat);
/// WGS84 -> GCJ-02 -> BD-09.
LonLat wgs84_to_bd09(double lon, double lat);
/// BD-09 -> GCJ-02 -> WGS84.
LonLat bd09_to_wgs84(double lon, double lat);

/// Convert from `from` to CGCS2000/WGS84 lon/lat (identity for wgs84/cgcs2000).
LonLat to_cgcs2000(Datum from, double lon, double lat);

}  // namespace wangge::chinacrs
