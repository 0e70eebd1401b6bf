// The QGIS styles of an exported grids GeoPackage: see grids/export_style.hpp.
//
// Minimal QGIS 3 style documents: a single-symbol renderer with one simple fill
// (symbol layer properties both as the Option map QGIS 3 writes and as the older
// prop list it still reads) and, for the grids, simple labelling by the field `code`.
// Colours are "R,G,B,A".
#include "grids/export_style.hpp"

namespace wangge {

std::string_view grids_style_qml() {
    return R"qml(<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology|Labeling" labelsEnabled="1">
  <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">
    <symbols>
      <symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option type="QString" name="color" value="255,170,60,80"/>
            <Option type="QString" name="style" value="solid"/>
            <Option type="QString" name="outline_color" value="200,80,0,255"/>
            <Option type="QString" name="outline_style" value="solid"/>
            <Option type="QString" name="outline_width" value="0.4"/>
            <Option type="QString" name="outline_width_unit" value="MM"/>
            <Option type="QString" name="joinstyle" value="bevel"/>
          </Option>
          <prop k="color" v="255,170,60,80"/>
          <prop k="style" v="solid"/>
          <prop k="outline_color" v="200,80,0,255"/>
          <prop k="outline_style" v="solid"/>
          <prop k="outline_width" v="0.4"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="joinstyle" v="bevel"/>
        </layer>
      </symbol>
    </symbols>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <labeling type="simple">
    <settings calloutType="simple">
      <text-style fieldName="code" isExpression="0" fontFamily="Sans Serif" namedStyle="Regular" fontSize="8"
                  fontSizeUnit="Point" fontWeight="50" fontItalic="0" textColor="60,30,0,255" textOpacity="1"
                  multilineHeight="1" allowHtml="0">
        <text-buffer bufferDraw="1" bufferSize="0.8" bufferSizeUnits="MM" bufferColor="255,255,255,255"
                     bufferOpacity="0.8" bufferJoinStyle="128" bufferNoFill="1"/>
      </text-style>
      <text-format wrapChar="" multilineAlign="1" plussign="0" reverseDirectionSymbol="0" placeDirectionSymbol="0"
                   formatNumbers="0" decimals="3" addDirectionSymbol="0"/>
      <placement placement="1" centroidWhole="0" centroidInside="1" fitInPolygonOnly="0" priority="5" dist="0"
                 distUnits="MM" offsetType="0" quadOffset="4" xOffset="0" yOffset="0" offsetUnits="MM"/>
      <rendering obstacle="1" obstacleType="1" obstacleFactor="1" displayAll="0" upsidedownLabels="0"
                 labelPerPart="0" mergeLines="0" scaleVisibility="0" fontMinPixelSize="3" fontLimitPixelSize="0"
                 limitNumLabels="0" maxNumLabels="2000" zIndex="0" drawLabels="1"/>
    </settings>
  </labeling>
  <layerGeometryType>2</layerGeometryType>
</qgis>
)qml";
}

std::string_view villages_style_qml() {
    return R"qml(<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology|Labeling" labelsEnabled="0">
  <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">
    <symbols>
      <symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option type="QString" name="color" value="0,0,0,0"/>
            <Option type="QString" name="style" value="no"/>
            <Option type="QString" name="outline_color" value="40,40,160,255"/>
            <Option type="QString" name="outline_style" value="dash"/>
            <Option type="QString" name="outline_width" value="0.9"/>
            <Option type="QString" name="outline_width_unit" value="MM"/>
            <Option type="QString" name="joinstyle" value="bevel"/>
          </Option>
          <prop k="color" v="0,0,0,0"/>
          <prop k="style" v="no"/>
          <prop k="outline_color" v="40,40,160,255"/>
          <prop k="outline_style" v="dash"/>
          <prop k="outline_width" v="0.9"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="joinstyle" v="bevel"/>
        </layer>
      </symbol>
    </symbols>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <layerGeometryType>2</layerGeometryType>
</qgis>
)qml";
}

}  // namespace wangge
