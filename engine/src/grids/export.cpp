// Export of the current grids (with village, township and county names) to any GDAL
// vector format, for QGIS.
#include "io/vector_writer.hpp"
#include "wangge/grids.hpp"

namespace wangge {

std::int64_t export_grids(Store& store, const std::filesystem::path& out, const std::string& format,
                          const std::string& prefix, bool overwrite) {
    check_code_prefix(prefix);
    // Shapefile field names stop at 10 characters: keep them short everywhere.
    // Widths and precisions that fit every value (a Shapefile's DBF keeps numbers
    // as text of a fixed width): area up to 10^12 m² with 0.01 m², compactness 0..1
    // with 6 decimals.
    using T = VectorField::Type;
    VectorWriter writer({out,
                         format,
                         overwrite,
                         {{"code", T::string, 17},
                          {"type", T::string, 10},
                          {"name", T::string, 80},
                          {"households", T::int64},
                          {"village", T::string, 12},
                          {"vill_name", T::string, 80},
                          {"township", T::string, 9},
                          {"town_name", T::string, 80},
                          {"county", T::string, 6},
                          {"cnty_name", T::string, 80},
                          {"area_m2", T::real, 16, 2},
                          {"compact", T::real, 8, 6},
                          {"beidou", T::string, 20},
                          {"valid_from", T::string, 20}},
                         "grid"});
    std::vector<VectorValue> values;
    for (const GridRow& g : list_grids(store, prefix, true)) {
        values = {g.code,         g.type,          g.name,          g.households,  g.village_code,
                  g.village_name, g.township_code, g.township_name, g.county_code, g.county_name,
                  g.area_m2,      g.compactness,   g.beidou,        g.valid_from};
        writer.write(values, g.wkb);
    }
    return writer.finish();
}

}  // namespace wangge
