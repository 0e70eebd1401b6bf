// grids/checksum.hpp — the checksum of an exported grid (internal to the engine).
//
// `export grids` writes it beside each grid; `import edits` recomputes it from what
// comes back: the same value means the editor left the feature as it was, so a
// village whose features all match (and none added or removed) is untouched, even when
// the store changed since the export. It covers the outline and the two fields an
// editor may change (type and name). The outline is normalised first (GEOSNormalize:
// ring orientation and start vertex, which a Shapefile writer changes) and its
// coordinates rounded to 1e-9 degrees (0.1 mm), so a round trip through GeoPackage,
// Shapefile or GeoJSON gives the same value; a single polygon and a multipolygon of
// one part are the same.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wangge::geos {
class Context;
}

namespace wangge {

/// 16 lowercase hex digits (FNV-1a 64). Throws geometry_error for WKB GEOS cannot read.
std::string grid_checksum(geos::Context& g, const std::vector<unsigned char>& wkb, std::string_view type,
                          std::string_view name);

}  // namespace wangge
