// grids/export_style.hpp — the QGIS default styles `export grids` puts in a
// GeoPackage (internal to the engine).
//
// QGIS keeps a layer's styles in the data set's table `layer_styles` (one row per
// style: f_table_name names the layer, styleQML the QGIS style document, useAsDefault
// the one QGIS applies on opening). The grids open with a semi-transparent fill, a
// visible outline and labelled by `code`; the villages as a reference outline: no
// fill, a thicker dashed line, so grid edges can be snapped to them.
#pragma once

#include <string_view>

namespace wangge {

/// QGIS 3 style document (QML) of the grids layer.
std::string_view grids_style_qml();
/// QGIS 3 style document (QML) of the villages layer.
std::string_view villages_style_qml();

}  // namespace wangge
