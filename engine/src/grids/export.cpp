// Export of the current grids (with village, township and county names) to any GDAL
// vector format, for QGIS: the grids for editing, with what `import edits` needs to
// know an edit from an untouched grid (version, checksum), and the outlines of their
// villages beside them for snapping and reference.
#include <fmt/format.h>

#include <ctime>

#include "geometry/geos.hpp"
#include "grids/checksum.hpp"
#include "grids/export_style.hpp"
#include "io/vector_writer.hpp"
#include "store/jurisdictions_repo.hpp"
#include "wangge/grids.hpp"
#include "wangge/jurisdictions.hpp"

namespace wangge {

namespace {

/// Now in UTC as GDAL reads a date-time: 2026-12-02T03:04:05Z.
std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace

std::int64_t export_grids(Store& store, const std::filesystem::path& out, const std::string& format,
                          const std::string& prefix, bool overwrite, const std::string& at) {
    check_code_prefix(prefix);
    const std::string driver = format.empty() ? driver_for_path(out) : format;
    // Shapefile field names stop at 10 characters: keep them short everywhere.
    // Widths and precisions that fit every value (a Shapefile's DBF keeps numbers
    // as text of a fixed width): area up to 10^12 m² with 0.01 m², compactness 0..1
    // with 6 decimals. A name gets the DBF's widest text (254 bytes): the checksum
    // covers it, and a Shapefile would cut a longer one.
    using T = VectorField::Type;
    VectorWriterOptions o{out,
                          format,
                          overwrite,
                          {{"code", T::string, 17},
                           {"type", T::string, 10},
                           {"name", T::string, 254},
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
                           {"valid_from", T::string, 20},
                           {"version", T::int64},
                           {"checksum", T::string, 16}},
                          "grid",
                          // a GeoPackage holds both layers; other formats keep their stem's name
                          driver == "GPKG" ? "grids" : "",
                          {}};
    o.more.push_back({"villages", {{"code", T::string, 12}, {"name", T::string, 80}}, "village", true, {}});
    // QGIS's own convention for default styles: the table layer_styles (as QGIS
    // creates it in a GeoPackage), one row per layer with useAsDefault.
    if (driver == "GPKG")
        o.more.push_back({"layer_styles",
                          {{"f_table_catalog", T::string, 256},
                           {"f_table_schema", T::string, 256},
                           {"f_table_name", T::string, 256},
                           {"f_geometry_column", T::string, 256},
                           {"styleName", T::string, 30},
                           {"styleQML", T::string},
                           {"styleSLD", T::string},
                           {"useAsDefault", T::boolean},
                           {"description", T::string},
                           {"owner", T::string, 30},
                           {"ui", T::string, 30},
                           {"update_time", T::datetime}},
                          "style",
                          false,
                          "id"});
    VectorWriter writer(o);

    geos::Context& g = geos::Context::local();
    std::vector<VectorValue> values;
    std::string checksum;
    for (const GridRow& r : list_grids(store, prefix, true, at)) {
        // over the outline as stored and type and name as written here: what an
        // editor leaves alone comes back with the same value
        checksum = grid_checksum(g, r.wkb, r.type, r.name);
        values = {r.code,         r.type,          r.name,          r.households,  r.village_code,
                  r.village_name, r.township_code, r.township_name, r.county_code, r.county_name,
                  r.area_m2,      r.compactness,   r.beidou,        r.valid_from,  r.version,
                  checksum};
        writer.write(values, r.wkb);
    }

    // The villages the grids' codes can be in: a grid code prefix beyond 12 digits
    // is still in its one village.
    repo::JurisdictionFilter villages;
    villages.level = "village";
    villages.prefix = prefix.substr(0, std::min<std::size_t>(prefix.size(), 12));
    repo::for_each_jurisdiction(store, villages, [&](const repo::JurisdictionRow& v) {
        values = {v.code, v.name};
        writer.write(1, values, v.wkb);
    });

    if (writer.has_layer(2)) {
        const std::string now = utc_now();
        auto style = [&](std::string_view layer, std::string_view qml, std::string_view description) {
            values = {std::string_view(), std::string_view(), layer, std::string_view("geom"),
                      std::string_view("wangge"), qml, std::string_view(), std::int64_t{1},
                      description, std::string_view(), std::string_view(), std::string_view(now)};
            writer.write(2, values, {});
        };
        style("grids", grids_style_qml(), "wangge: grids labelled by code, for editing");
        style("villages", villages_style_qml(), "wangge: village outlines, for snapping and reference");
    }
    return writer.finish();
}

}  // namespace wangge
