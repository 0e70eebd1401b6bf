// Export of the current grids (with village, township and county names) to any GDAL
// vector format, for QGIS.
#include <fmt/format.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "wangge/error.hpp"
#include "wangge/grids.hpp"
#include "wangge/jurisdictions.hpp"
#include "wangge/source.hpp"
#include "wangge/store.hpp"

namespace wangge {

std::int64_t export_grids(Store& store, const std::filesystem::path& out, const std::string& format,
                          const std::string& prefix, bool overwrite) {
    check_code_prefix(prefix);
    install_gdal_message_handler();  // GDAL's messages are kept, never printed
    GDALAllRegister();
    const std::string driver_name = format.empty() ? driver_for_path(out) : format;
    GDALDriverH driver = GDALGetDriverByName(driver_name.c_str());
    if (!driver) throw usage_error(fmt::format("GDAL has no vector driver '{}'", driver_name));
    std::error_code ec;
    if (std::filesystem::exists(out, ec)) {
        if (!overwrite) throw io_error(fmt::format("{}: exists already (--overwrite replaces it)", out.string()));
        if (GDALDeleteDataset(driver, out.string().c_str()) != CE_None) std::filesystem::remove(out, ec);
    }
    GDALDatasetH ds = GDALCreate(driver, out.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (!ds) throw io_error(fmt::format("{}: cannot create: {}", out.string(), CPLGetLastErrorMsg()));
    std::unique_ptr<void, void (*)(GDALDatasetH)> ds_guard(ds, [](GDALDatasetH h) { GDALClose(h); });
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, store_srid);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<void, void (*)(OGRSpatialReferenceH)> srs_guard(srs, [](OGRSpatialReferenceH s) { OSRRelease(s); });
    const char* lco_shp[] = {"ENCODING=UTF-8", nullptr};
    OGRLayerH layer = GDALDatasetCreateLayer(ds, out.stem().string().c_str(), srs, wkbMultiPolygon,
                                             driver_name == "ESRI Shapefile" ? const_cast<char**>(lco_shp) : nullptr);
    if (!layer) throw io_error(fmt::format("{}: cannot create layer: {}", out.string(), CPLGetLastErrorMsg()));
    // Shapefile field names stop at 10 characters: keep them short everywhere.
    // Widths and precisions that fit every value (a Shapefile's DBF keeps numbers
    // as text of a fixed width): area up to 10^12 m² with 0.01 m², compactness 0..1
    // with 6 decimals.
    struct F {
        const char* name;
        OGRFieldType type;
        int width;
        int precision = 0;
    };
    const F fields[] = {{"code", OFTString, 17},         {"type", OFTString, 10},      {"name", OFTString, 80},
                        {"households", OFTInteger64, 0}, {"village", OFTString, 12},   {"vill_name", OFTString, 80},
                        {"township", OFTString, 9},      {"town_name", OFTString, 80}, {"county", OFTString, 6},
                        {"cnty_name", OFTString, 80},    {"area_m2", OFTReal, 16, 2},  {"compact", OFTReal, 8, 6},
                        {"beidou", OFTString, 20},       {"valid_from", OFTString, 20}};
    for (const auto& f : fields) {
        OGRFieldDefnH fd = OGR_Fld_Create(f.name, f.type);
        if (f.width) OGR_Fld_SetWidth(fd, f.width);
        if (f.precision) OGR_Fld_SetPrecision(fd, f.precision);
        OGR_L_CreateField(layer, fd, 1);
        OGR_Fld_Destroy(fd);
    }
    Statement st = store.prepare(
        "SELECT g.code, g.type, coalesce(g.name,''), g.households, g.village_code, coalesce(v.name, dv.name, ''), "
        "substr(g.village_code,1,9), coalesce(t.name, dt.name, ''), substr(g.village_code,1,6), "
        "coalesce(c.name, dc.name, ''), g.area_m2, g.compactness, coalesce(g.beidou,''), g.valid_from, AsBinary(g.geom) "
        "FROM grids g "
        "LEFT JOIN jurisdictions v ON v.code = g.village_code LEFT JOIN division_codes dv ON dv.code = g.village_code "
        "LEFT JOIN jurisdictions t ON t.code = substr(g.village_code,1,9) "
        "LEFT JOIN division_codes dt ON dt.code = substr(g.village_code,1,9) "
        "LEFT JOIN jurisdictions c ON c.code = substr(g.village_code,1,6) "
        "LEFT JOIN division_codes dc ON dc.code = substr(g.village_code,1,6) "
        "WHERE g.valid_to IS NULL AND g.code LIKE ? || '%' ORDER BY g.code");
    st.bind(1, prefix);
    const bool tx = GDALDatasetStartTransaction(ds, 0) == OGRERR_NONE;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    std::int64_t n = 0;
    while (st.step()) {
        OGRFeatureH f = OGR_F_Create(defn);
        for (int i = 0; i < 14; ++i) {
            if (fields[i].type == OFTString) OGR_F_SetFieldString(f, i, st.text(i).c_str());
            else if (fields[i].type == OFTInteger64) OGR_F_SetFieldInteger64(f, i, st.int64(i));
            else OGR_F_SetFieldDouble(f, i, st.real(i));
        }
        auto wkb = st.blob(14);
        OGRGeometryH geom = nullptr;
        if (OGR_G_CreateFromWkb(wkb.data(), nullptr, &geom, static_cast<int>(wkb.size())) == OGRERR_NONE) {
            OGR_G_AssignSpatialReference(geom, srs);
            OGR_F_SetGeometryDirectly(f, geom);
        }
        const OGRErr err = OGR_L_CreateFeature(layer, f);
        OGR_F_Destroy(f);
        if (err != OGRERR_NONE) throw io_error(fmt::format("{}: cannot write grid {}", out.string(), n));
        ++n;
    }
    if (tx) GDALDatasetCommitTransaction(ds);
    return n;
}

} // namespace wangge
