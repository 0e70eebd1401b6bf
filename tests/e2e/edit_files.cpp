// Test helpers: grid files exported for editing and changed as in QGIS (edit_files.hpp).
#include "edit_files.hpp"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace wangge::test {

geos::Context& gx() { return geos::Context::local(); }

std::vector<Feat> read_grids(const fs::path& file) {
    std::vector<Feat> out;
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(file.string().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    REQUIRE(ds);
    OGRLayerH layer = GDALDatasetGetLayerByName(ds, "grids");
    if (!layer) layer = GDALDatasetGetLayer(ds, 0);
    REQUIRE(layer);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    auto idx = [&](const char* n) { return OGR_FD_GetFieldIndex(defn, n); };
    const int ic = idx("code"), iv = idx("village"), iver = idx("version"), ick = idx("checksum"), it = idx("type"),
              in = idx("name");
    REQUIRE(ic >= 0);
    REQUIRE(iver >= 0);
    REQUIRE(ick >= 0);
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
        Feat x;
        x.code = OGR_F_GetFieldAsString(f, ic);
        x.village = OGR_F_GetFieldAsString(f, iv);
        x.version = OGR_F_GetFieldAsInteger64(f, iver);
        x.checksum = OGR_F_GetFieldAsString(f, ick);
        x.type = OGR_F_GetFieldAsString(f, it);
        x.name = OGR_F_IsFieldSetAndNotNull(f, in) ? OGR_F_GetFieldAsString(f, in) : "";
        OGRGeometryH geom = OGR_F_GetGeometryRef(f);
        std::vector<unsigned char> wkb(static_cast<std::size_t>(OGR_G_WkbSize(geom)));
        OGR_G_ExportToIsoWkb(geom, wkbNDR, wkb.data());
        x.geom = gx().from_wkb(wkb.data(), wkb.size());
        out.push_back(std::move(x));
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return out;
}

std::pair<GDALDatasetH, OGRLayerH> new_gpkg_layer(const fs::path& file, const char* name, OGRwkbGeometryType type,
                                                  const std::vector<std::string>& text_fields) {
    fs::remove(file);
    GDALAllRegister();
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), file.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    REQUIRE(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, 4490);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRLayerH layer = GDALDatasetCreateLayer(ds, name, srs, type, nullptr);
    OSRDestroySpatialReference(srs);
    REQUIRE(layer);
    for (const auto& n : text_fields) {
        OGRFieldDefnH fd = OGR_Fld_Create(n.c_str(), OFTString);
        OGR_L_CreateField(layer, fd, 1);
        OGR_Fld_Destroy(fd);
    }
    return {ds, layer};
}

void write_grids(const fs::path& file, const std::vector<Feat>& feats) {
    const auto [ds, layer] = new_gpkg_layer(file, "grids", wkbMultiPolygon, {"code", "village", "checksum", "type", "name"});
    OGRFieldDefnH fd = OGR_Fld_Create("version", OFTInteger64);
    OGR_L_CreateField(layer, fd, 1);
    OGR_Fld_Destroy(fd);
    for (const auto& x : feats) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        auto set = [&](const char* n, const std::string& v) {
            if (!v.empty()) OGR_F_SetFieldString(f, OGR_F_GetFieldIndex(f, n), v.c_str());
        };
        set("code", x.code);
        set("village", x.village);
        set("checksum", x.checksum);
        set("type", x.type);
        set("name", x.name);
        if (x.version) OGR_F_SetFieldInteger64(f, OGR_F_GetFieldIndex(f, "version"), x.version);
        const auto wkb = gx().to_wkb(x.geom.get());
        OGRGeometryH geom = nullptr;
        REQUIRE(OGR_G_CreateFromWkb(wkb.data(), nullptr, &geom, static_cast<int>(wkb.size())) == OGRERR_NONE);
        OGR_F_SetGeometryDirectly(f, OGR_G_ForceToMultiPolygon(geom));
        REQUIRE(OGR_L_CreateFeature(layer, f) == OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
}

std::vector<Feat> export_grids(const std::string& db, const fs::path& out, const std::string& scope_option,
                               const std::string& scope) {
    const auto r = run_wangge({"--db", db, "export", "grids", scope_option, scope, "--out", out.string(), "--overwrite"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return read_grids(out);
}

geos::Geometry box_at(double x, double y, double half_deg) {
    return gx().from_wkt(fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", x - half_deg, y - half_deg,
                                     x + half_deg, y + half_deg));
}

std::pair<double, double> inside_point(const GEOSGeometry* g) {
    auto p = gx().own(GEOSPointOnSurface_r(gx().handle(), g), "point");
    double x = 0, y = 0;
    GEOSGeomGetX_r(gx().handle(), p.get(), &x);
    GEOSGeomGetY_r(gx().handle(), p.get(), &y);
    return {x, y};
}

geos::Geometry unite(const GEOSGeometry* a, const GEOSGeometry* b) {
    return gx().own(GEOSUnion_r(gx().handle(), a, b), "union");
}

double shared_edge(const GEOSGeometry* a, const GEOSGeometry* b) {
    auto i = gx().intersection(a, b);
    double len = 0;
    GEOSLength_r(gx().handle(), i.get(), &len);
    return len;
}

Feat* by_code(std::vector<Feat>& v, const std::string& code) {
    for (auto& f : v)
        if (f.code == code) return &f;
    return nullptr;
}

std::pair<std::string, std::string> neighbours(std::vector<Feat>& v, const std::string& village,
                                               const std::set<std::string>& not_these) {
    for (auto& a : v)
        for (auto& b : v)
            if (a.code < b.code && a.village == b.village && (village.empty() || a.village == village) &&
                !not_these.count(a.code) && !not_these.count(b.code) &&
                shared_edge(a.geom.get(), b.geom.get()) > 0.001)
                return {a.code, b.code};
    FAIL("no neighbours left");
    return {};
}

void move_boundary(std::vector<Feat>& feats, const std::string& a, const std::string& b) {
    Feat& fa = *by_code(feats, a);
    Feat& fb = *by_code(feats, b);
    auto edge = gx().intersection(fa.geom.get(), fb.geom.get());
    const auto [x, y] = inside_point(edge.get());
    auto box = box_at(x, y, 0.0002);
    auto taken = gx().intersection(fb.geom.get(), box.get());
    fa.geom = unite(fa.geom.get(), taken.get());
    fb.geom = gx().difference(fb.geom.get(), box.get());
}

}  // namespace wangge::test
