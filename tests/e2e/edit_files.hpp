// Test helpers: grid files exported for editing and changed the way a QGIS user
// changes them (shared by the end-to-end tests of `wangge import edits`).
#pragma once

#include <gdal.h>
#include <ogr_api.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "geometry/geos.hpp"
#include "support.hpp"

namespace wangge::test {

/// One feature of an exported grid file.
struct Feat {
    std::string code, village, type = "base", name, checksum;
    std::int64_t version = 0;
    geos::Geometry geom;
};

geos::Context& gx();

/// A new GeoPackage `file` (replacing one there) with one layer `name` in EPSG:4490
/// (lon/lat order) and the given text fields; GDALClose the dataset when done.
std::pair<GDALDatasetH, OGRLayerH> new_gpkg_layer(const fs::path& file, const char* name, OGRwkbGeometryType type,
                                                  const std::vector<std::string>& text_fields);
/// The features of the layer "grids" (else the only layer) of `file`.
std::vector<Feat> read_grids(const fs::path& file);
/// What a QGIS user hands back: a GeoPackage with the grid fields (blank ones for a
/// new grid), written anew.
void write_grids(const fs::path& file, const std::vector<Feat>& feats);
/// `wangge export grids SCOPE_OPTION SCOPE --out OUT`, read back.
std::vector<Feat> export_grids(const std::string& db, const fs::path& out, const std::string& scope_option,
                               const std::string& scope);

geos::Geometry box_at(double x, double y, double half_deg);
std::pair<double, double> inside_point(const GEOSGeometry* g);
geos::Geometry unite(const GEOSGeometry* a, const GEOSGeometry* b);
/// Length (degrees) of the boundary two grids share.
double shared_edge(const GEOSGeometry* a, const GEOSGeometry* b);
Feat* by_code(std::vector<Feat>& v, const std::string& code);
/// Two grids of `village` (any village when empty) that share an edge, other than `not_these`.
std::pair<std::string, std::string> neighbours(std::vector<Feat>& v, const std::string& village,
                                               const std::set<std::string>& not_these = {});
/// Move the shared boundary of a and b: a takes a 40 m square of b's side.
void move_boundary(std::vector<Feat>& feats, const std::string& a, const std::string& b);

}  // namespace wangge::test
