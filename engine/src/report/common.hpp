// report/common.hpp — what the report's writers share: reading the WKB of a Report's
// shapes, writing a file whole, the words for finding kinds and number formats.
// Internal to engine/src/report/.
#pragma once

#include "io/csv_out.hpp"
#include "wangge/report.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::report::detail {

struct Pt {
    double x = 0, y = 0;  ///< lon/lat in a parsed shape; page units once projected
};

/// A parsed ISO WKB geometry (2D; Z and M are read and dropped), as a tree: points
/// and line strings hold `coords`, polygons `rings` (the first the shell), the
/// multi- and collection types `parts`.
struct Shape {
    enum Type { point = 1, line = 2, polygon = 3, multipoint = 4, multiline = 5, multipolygon = 6, collection = 7 };
    Type type = point;
    std::vector<Pt> coords;
    std::vector<std::vector<Pt>> rings;
    std::vector<Shape> parts;
    bool empty() const;
};

/// Parse ISO WKB (either byte order; ISO and EWKB Z/M type codes; an EWKB SRID is
/// skipped). Throws input_error naming `what` on a truncated or unknown geometry.
Shape parse_wkb(const std::vector<unsigned char>& wkb, std::string_view what);

/// All polygons of a shape (each a list of rings), all lines, all points.
void flatten(const Shape& s, std::vector<std::vector<std::vector<Pt>>>& polygons,
             std::vector<std::vector<Pt>>& lines, std::vector<Pt>& points);

/// A point inside (polygons) or on (lines, points) the geometry: where a finding is
/// marked and the "centre" its row gives. nullopt for an empty or absent geometry.
std::optional<Pt> centre(const std::vector<unsigned char>& wkb);

/// Write `bytes` to `out` whole (io/csv_out.hpp).
using io::write_whole;

/// 缝隙, 重叠... in Chinese; "gap", "overlap"... (the words of validate::to_string,
/// spelt here too so that the writers link without the validator).
std::string kind_zh(validate::Kind kind);
std::string kind_en(validate::Kind kind);
std::string severity_en(validate::Severity severity);
std::string severity_zh(validate::Severity severity);
std::string level_zh(std::string_view level);
std::string change_kind_zh(std::string_view kind);

/// Numbers for people: thousands grouped ("12,345"), a fixed number of decimals.
std::string grouped(std::int64_t n);
std::string fixed(double v, int decimals);
std::string percent(double ratio, int decimals = 1);  ///< 0.953 -> "95.3%"
std::string km2(double m2);                              ///< "1.23"

/// "a, b, c" of a list of codes.
std::string joined(const std::vector<std::string>& items, std::string_view sep = ", ");

}  // namespace wangge::report::detail
