// Export of store layers to any GDAL vector format.
#include <fmt/format.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cctype>

#include "wangge/error.hpp"
#include "wangge/jurisdictions.hpp"
#include "wangge/source.hpp"
#include "wangge/store.hpp"

namespace wangge {

std::string driver_for_path(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".shp") return "ESRI Shapefile";
    if (ext == ".gpkg") return "GPKG";
    if (ext == ".geojson" || ext == ".json") return "GeoJSON";
    if (ext == ".fgb") return "FlatGeobuf";
    if (ext == ".csv") return "CSV";
    if (ext == ".kml") return "KML";
    if (ext == ".gml") return "GML";
    if (ext == ".sqlite") return "SQLite";
    throw usage_error(fmt::format("{}: cannot tell the format from the extension; give --format "
                                  "(e.g. 'ESRI Shapefile', GPKG, GeoJSON, FlatGeobuf)",
                                  path.string()));
}

std::int64_t export_layer(Store& store, const ExportOptions& opt) {
    install_gdal_message_handler();  // GDAL's messages are kept, never printed
    GDALAllRegister();
    std::string level_filter;
    if (opt.layer == "counties") level_filter = "county";
    else if (opt.layer == "townships") level_filter = "township";
    else if (opt.layer == "villages") level_filter = "village";
    else if (opt.layer != "jurisdictions")
        throw usage_error(fmt::format("unknown layer '{}': expected jurisdictions, counties, townships or villages",
                                      opt.layer));
    if (!opt.prefix.empty() && opt.prefix.find_first_not_of("0123456789") != std::string::npos)
        throw usage_error(fmt::format("--prefix '{}' is not a code prefix (digits only)", opt.prefix));

    const std::string driver_name = opt.format.empty() ? driver_for_path(opt.out) : opt.format;
    GDALDriverH driver = GDALGetDriverByName(driver_name.c_str());
    if (!driver) throw usage_error(fmt::format("GDAL has no vector driver '{}'", driver_name));
    std::error_code ec;
    if (std::filesystem::exists(opt.out, ec)) {
        if (!opt.overwrite)
            throw io_error(fmt::format("{}: exists already (--overwrite replaces it)", opt.out.string()));
        if (GDALDeleteDataset(driver, opt.out.string().c_str()) != CE_None) std::filesystem::remove(opt.out, ec);
    }
    GDALDatasetH ds = GDALCreate(driver, opt.out.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (!ds) throw io_error(fmt::format("{}: cannot create: {}", opt.out.string(), CPLGetLastErrorMsg()));
    std::unique_ptr<void, void (*)(GDALDatasetH)> ds_guard(ds, [](GDALDatasetH h) { GDALClose(h); });

    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, store_srid);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<void, void (*)(OGRSpatialReferenceH)> srs_guard(srs, [](OGRSpatialReferenceH s) { OSRRelease(s); });
    const char* lco_shp[] = {"ENCODING=UTF-8", nullptr};
    char** lco = driver_name == "ESRI Shapefile" ? const_cast<char**>(lco_shp) : nullptr;
    const std::string layer_name = opt.out.stem().string();
    OGRLayerH layer = GDALDatasetCreateLayer(ds, layer_name.c_str(), srs, wkbMultiPolygon, lco);
    if (!layer) throw io_error(fmt::format("{}: cannot create layer: {}", opt.out.string(), CPLGetLastErrorMsg()));

    struct FieldSpec {
        const char* name;
        int width;
    };
    const FieldSpec fields[] = {{"code", 12}, {"name", 80}, {"level", 10}, {"parent", 12}, {"src_file", 254},
                                {"imported", 20}};
    for (const auto& fs : fields) {
        OGRFieldDefnH fd = OGR_Fld_Create(fs.name, OFTString);
        OGR_Fld_SetWidth(fd, fs.width);
        const OGRErr err = OGR_L_CreateField(layer, fd, 1);
        OGR_Fld_Destroy(fd);
        if (err != OGRERR_NONE) throw io_error(fmt::format("{}: cannot create field {}", opt.out.string(), fs.name));
    }

    Statement st = store.prepare(
        "SELECT code, name, level, parent_code, source_file, imported_at, AsBinary(geom) FROM jurisdictions "
        "WHERE (?1 = '' OR level = ?1) AND (?2 = '' OR code LIKE ?2 || '%') "
        "ORDER BY CASE level WHEN 'county' THEN 0 WHEN 'township' THEN 1 ELSE 2 END, code");
    st.bind(1, level_filter).bind(2, opt.prefix);
    const bool tx = GDALDatasetStartTransaction(ds, 0) == OGRERR_NONE;
    std::int64_t n = 0;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    while (st.step()) {
        OGRFeatureH f = OGR_F_Create(defn);
        for (int i = 0; i < 6; ++i) {
            if (st.is_null(i)) continue;
            OGR_F_SetFieldString(f, i, st.text(i).c_str());
        }
        auto wkb = st.blob(6);
        OGRGeometryH g = nullptr;
        if (!wkb.empty() && OGR_G_CreateFromWkb(wkb.data(), nullptr, &g, static_cast<int>(wkb.size())) == OGRERR_NONE) {
            OGR_G_AssignSpatialReference(g, srs);
            OGR_F_SetGeometryDirectly(f, g);
        }
        const OGRErr err = OGR_L_CreateFeature(layer, f);
        OGR_F_Destroy(f);
        if (err != OGRERR_NONE)
            throw io_error(fmt::format("{}: cannot write feature {}: {}", opt.out.string(), n, CPLGetLastErrorMsg()));
        ++n;
    }
    if (tx) GDALDatasetCommitTransaction(ds);
    return n;
}

} // namespace wangge
