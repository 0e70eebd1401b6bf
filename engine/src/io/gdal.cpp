// GDAL set-up done once per process, GDAL's messages kept per thread, and the small
// constructors of io/gdal.hpp.
#include "io/gdal.hpp"

#include <cpl_error.h>

#include <climits>
#include <mutex>

#include "wangge/source.hpp"

namespace wangge {

namespace {

// GDAL's messages, kept per thread (at most this many of each kind)
constexpr std::size_t kept_messages = 200;
thread_local GdalMessages gdal_messages;

void CPL_STDCALL keep_gdal_message(CPLErr level, CPLErrorNum, const char* message) {
    if (level < CE_Warning) return;
    auto& list = level == CE_Warning ? gdal_messages.warnings : gdal_messages.errors;
    if (list.size() < kept_messages) list.emplace_back(message ? message : "");
}

}  // namespace

void install_gdal_message_handler() {
    static std::once_flag once;
    std::call_once(once, [] { CPLSetErrorHandler(keep_gdal_message); });
}

GdalMessages take_gdal_messages() {
    GdalMessages out;
    std::swap(out, gdal_messages);
    return out;
}

namespace gdal {

void init() {
    install_gdal_message_handler();  // GDAL's messages are kept, never printed
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

SpatialRef srs_from_epsg(int epsg) {
    SpatialRef srs(OSRNewSpatialReference(nullptr));
    OSRImportFromEPSG(srs.get(), epsg);
    OSRSetAxisMappingStrategy(srs.get(), OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

Geometry geometry_from_wkb(const unsigned char* wkb, std::size_t size) {
    OGRGeometryH g = nullptr;
    if (size == 0 || size > static_cast<std::size_t>(INT_MAX)) return Geometry();
    if (OGR_G_CreateFromWkb(wkb, nullptr, &g, static_cast<int>(size)) != OGRERR_NONE) {
        if (g) OGR_G_DestroyGeometry(g);
        return Geometry();
    }
    return Geometry(g);
}

}  // namespace gdal

}  // namespace wangge
