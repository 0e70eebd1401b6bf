// report/map.hpp — the report's map, drawn once against a small painter interface
// that the HTML page implements as inline SVG and the PDF with cairo, so both show
// the same map: village outlines, grids filled by events per 1,000 households (a
// sequential palette with its legend), grids with coverage findings outlined in a
// warning colour and hatched, the findings' locations (gaps and overlaps filled,
// lines and points marked), events in no grid as points, a legend, a scale bar in
// metres and a north arrow. Projection: local equirectangular around the centre of
// the area (x scaled by cos(latitude)), so at a township's size the scale bar is true
// to well under 1%. Page units, y down. Internal to engine/src/report/.
#pragma once

#include "report/common.hpp"
#include "wangge/report.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::report::detail {

struct Rgb {
    unsigned char r = 0, g = 0, b = 0;
    std::string hex() const;  ///< "#rrggbb"
};

struct Style {
    std::optional<Rgb> fill;
    double fill_opacity = 1;
    bool hatch = false;          ///< diagonal lines in the stroke colour over the fill
    std::optional<Rgb> stroke;
    double stroke_width = 1;     ///< page units
    bool dashed = false;
};

enum class Anchor { start, middle, end };

/// What the map needs from a drawing surface. Coordinates in page units, y down.
class Painter {
public:
    virtual ~Painter() = default;
    /// A polygonal path of one or more polygons (rings closed implicitly, even-odd
    /// fill). `kind` and `code` name it for the SVG (class, data-code).
    virtual void polygons(const std::vector<std::vector<std::vector<Pt>>>& polys, const Style& style,
                          std::string_view kind, std::string_view code) = 0;
    virtual void polyline(const std::vector<Pt>& pts, const Style& style) = 0;
    virtual void circle(Pt centre, double radius, const Style& style) = 0;
    /// One line of text, baseline at `at`.
    virtual void text(Pt at, std::string_view text, double size, Rgb colour, Anchor anchor, bool bold) = 0;
};

/// The height of a map `width` wide that fits the area's shape (its legend's height
/// at least), within [min_height, max_height].
double map_height(const Report& r, double width, double min_height, double max_height);

/// Draw the report's map into the box (x, y, width, height) of the painter's page.
void draw_map(const Report& r, Painter& p, double x, double y, double width, double height);

}  // namespace wangge::report::detail
