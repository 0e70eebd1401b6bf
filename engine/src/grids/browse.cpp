// Reading grids back: lists, a grid's versions and lineage, export for QGIS.
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

namespace {

// Current or historic grid rows with the names of their village, township, county
// (from the jurisdictions, else the code table).
constexpr const char* grid_select = R"sql(
    SELECT g.code, g.village_code,
           coalesce(v.name, dv.name, ''), substr(g.village_code, 1, 9), coalesce(t.name, dt.name, ''),
           substr(g.village_code, 1, 6), coalesce(c.name, dc.name, ''),
           g.serial, g.type, coalesce(g.name, ''), g.households, g.area_m2, g.compactness, g.label_lon, g.label_lat,
           coalesce(g.beidou, ''), g.lineage, g.valid_from, coalesce(g.valid_to, '')
    FROM grids g
    LEFT JOIN jurisdictions v ON v.code = g.village_code
    LEFT JOIN division_codes dv ON dv.code = g.village_code
    LEFT JOIN jurisdictions t ON t.code = substr(g.village_code, 1, 9)
    LEFT JOIN division_codes dt ON dt.code = substr(g.village_code, 1, 9)
    LEFT JOIN jurisdictions c ON c.code = substr(g.village_code, 1, 6)
    LEFT JOIN division_codes dc ON dc.code = substr(g.village_code, 1, 6)
)sql";

GridRow row_of(const Statement& st) {
    GridRow r;
    r.code = st.text(0);
    r.village_code = st.text(1);
    r.village_name = st.text(2);
    r.township_code = st.text(3);
    r.township_name = st.text(4);
    r.county_code = st.text(5);
    r.county_name = st.text(6);
    r.serial = static_cast<int>(st.int64(7));
    r.type = st.text(8);
    r.name = st.text(9);
    r.households = st.int64(10);
    r.area_m2 = st.real(11);
    r.compactness = st.real(12);
    r.label_lon = st.real(13);
    r.label_lat = st.real(14);
    r.beidou = st.text(15);
    r.lineage = st.text(16);
    r.valid_from = st.text(17);
    r.valid_to = st.text(18);
    return r;
}

void check_prefix(const std::string& prefix) {
    if (prefix.find_first_not_of("0123456789") != std::string::npos)
        throw usage_error(fmt::format("'{}' is not a code prefix (digits only)", prefix));
}

} // namespace

std::vector<GridRow> list_grids(Store& store, const std::string& prefix) {
    check_prefix(prefix);
    Statement st = store.prepare(std::string(grid_select) +
                                 " WHERE g.valid_to IS NULL AND g.code LIKE ? || '%' ORDER BY g.code");
    st.bind(1, prefix);
    std::vector<GridRow> out;
    while (st.step()) out.push_back(row_of(st));
    return out;
}

std::vector<GridRow> grid_history(Store& store, const std::string& code) {
    Statement st = store.prepare(std::string(grid_select) +
                                 " WHERE g.code = ? ORDER BY (g.valid_to IS NULL) DESC, g.valid_from DESC, g.id DESC");
    st.bind(1, code);
    std::vector<GridRow> out;
    while (st.step()) out.push_back(row_of(st));
    return out;
}

std::vector<CodeChange> grid_lineage(Store& store, const std::string& code) {
    Statement st = store.prepare(
        "SELECT r.started_at, coalesce(l.old_code, ''), coalesce(l.new_code, ''), l.kind FROM grid_lineage l "
        "JOIN partition_runs r ON r.id = l.run_id WHERE l.old_code = ?1 OR l.new_code = ?1 ORDER BY l.run_id, l.rowid");
    st.bind(1, code);
    std::vector<CodeChange> out;
    while (st.step()) {
        const std::string at = st.text(0), from = st.text(1), to = st.text(2), kind = st.text(3);
        std::string detail;
        if (kind == "retired") detail = "retired";
        else if (from == to) detail = kind;
        else if (to == code) detail = kind + " from " + from;
        else detail = kind + " into " + to;
        out.push_back({code, kind, at + "  " + detail});
    }
    return out;
}

std::int64_t export_grids(Store& store, const std::filesystem::path& out, const std::string& format,
                          const std::string& prefix, bool overwrite) {
    check_prefix(prefix);
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
