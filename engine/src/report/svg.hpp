// report/svg.hpp — the report's map as one inline SVG element (the painter of
// report/map.hpp drawing SVG paths), and the escaping of text for HTML and SVG.
// Internal to engine/src/report/.
#pragma once

#include "wangge/report.hpp"

#include <string>
#include <string_view>

namespace wangge::report::detail {

/// `&`, `<`, `>`, `"` and `'` as entities: safe in text and in quoted attributes.
std::string escape_html(std::string_view text);

/// `<svg ...>...</svg>` of the map, `width` x `height` user units (viewBox; it
/// scales with the page). Grids are `<path class="grid" data-code="...">`, one each.
std::string map_svg(const Report& r, double width, double height);

}  // namespace wangge::report::detail
