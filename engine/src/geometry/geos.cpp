#include "geometry/geos.hpp"

#include "wangge/error.hpp"

#include <fmt/format.h>

namespace wangge::geos {

void GeometryDeleter::operator()(GEOSGeometry* g) const noexcept {
    if (g) GEOSGeom_destroy_r(handle, g);
}

void PreparedDeleter::operator()(const GEOSPreparedGeometry* g) const noexcept {
    if (g) GEOSPreparedGeom_destroy_r(handle, g);
}

Context::Context() : handle_(GEOS_init_r()) {
    if (!handle_) throw geometry_error("GEOS: cannot create a context");
    GEOSContext_setErrorMessageHandler_r(handle_, &Context::on_message, this);
    // Notices (e.g. "Ring Self-intersection") are not errors; they are reported
    // through GEOSisValidReason when we ask for them.
}

Context::~Context() {
    GEOS_finish_r(handle_);
}

Context& Context::local() {
    thread_local Context ctx;
    return ctx;
}

void Context::on_message(const char* message, void* userdata) {
    static_cast<Context*>(userdata)->last_message_ = message ? message : "";
}

void Context::fail(std::string_view what) {
    std::string msg = fmt::format("GEOS {} failed", what);
    if (!last_message_.empty()) msg += ": " + last_message_;
    last_message_.clear();
    throw geometry_error(msg);
}

Geometry Context::own(GEOSGeometry* g, std::string_view what) {
    if (!g) fail(what);
    return Geometry(g, GeometryDeleter{handle_});
}

Geometry Context::from_wkb(const unsigned char* data, std::size_t size) {
    return own(GEOSGeomFromWKB_buf_r(handle_, data, size), "WKB reading");
}

Geometry Context::from_wkt(std::string_view wkt) {
    std::string s(wkt);
    return own(GEOSGeomFromWKT_r(handle_, s.c_str()), "WKT reading");
}

std::vector<unsigned char> Context::to_wkb(const GEOSGeometry* g) {
    GEOSWKBWriter* w = GEOSWKBWriter_create_r(handle_);
    std::size_t size = 0;
    unsigned char* buf = GEOSWKBWriter_write_r(handle_, w, g, &size);
    GEOSWKBWriter_destroy_r(handle_, w);
    if (!buf) fail("WKB writing");
    std::vector<unsigned char> out(buf, buf + size);
    GEOSFree_r(handle_, buf);
    return out;
}

std::string Context::to_wkt(const GEOSGeometry* g, int decimals) {
    GEOSWKTWriter* w = GEOSWKTWriter_create_r(handle_);
    if (decimals >= 0) {
        GEOSWKTWriter_setRoundingPrecision_r(handle_, w, decimals);
        GEOSWKTWriter_setTrim_r(handle_, w, 1);
    }
    char* s = GEOSWKTWriter_write_r(handle_, w, g);
    GEOSWKTWriter_destroy_r(handle_, w);
    if (!s) fail("WKT writing");
    std::string out(s);
    GEOSFree_r(handle_, s);
    return out;
}

std::string Context::invalid_reason(const GEOSGeometry* g) {
    char* reason = nullptr;
    GEOSGeometry* location = nullptr;
    const char valid = GEOSisValidDetail_r(handle_, g, 0, &reason, &location);
    if (valid == 2) fail("validity check");
    std::string out;
    if (valid == 0) {
        out = reason ? reason : "invalid geometry";
        if (location) {
            double x = 0, y = 0;
            if (GEOSGeomGetX_r(handle_, location, &x) == 1 && GEOSGeomGetY_r(handle_, location, &y) == 1)
                out += fmt::format(" at {:.7f} {:.7f}", x, y);
        }
    }
    if (reason) GEOSFree_r(handle_, reason);
    if (location) GEOSGeom_destroy_r(handle_, location);
    return out;
}

namespace {

void gather_polygons(GEOSContextHandle_t h, const GEOSGeometry* g, std::vector<GEOSGeometry*>& out) {
    const int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON) {
        if (!GEOSisEmpty_r(h, g)) out.push_back(GEOSGeom_clone_r(h, g));
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; ++i) gather_polygons(h, GEOSGetGeometryN_r(h, g, i), out);
    }
}

} // namespace

Geometry Context::polygonal_parts(const GEOSGeometry* g) {
    std::vector<GEOSGeometry*> polys;
    gather_polygons(handle_, g, polys);
    return own(GEOSGeom_createCollection_r(handle_, GEOS_MULTIPOLYGON, polys.data(),
                                           static_cast<unsigned>(polys.size())),
               "collecting polygons");
}

Geometry Context::make_valid_polygonal(const GEOSGeometry* g) {
    Geometry fixed = own(GEOSMakeValid_r(handle_, g), "MakeValid");
    return polygonal_parts(fixed.get());
}

double Context::area(const GEOSGeometry* g) {
    double a = 0;
    if (GEOSArea_r(handle_, g, &a) != 1) fail("area");
    return a;
}

bool Context::is_empty(const GEOSGeometry* g) {
    const char e = GEOSisEmpty_r(handle_, g);
    if (e == 2) fail("isEmpty");
    return e == 1;
}

Geometry Context::difference(const GEOSGeometry* a, const GEOSGeometry* b) {
    return own(GEOSDifference_r(handle_, a, b), "difference");
}

Geometry Context::intersection(const GEOSGeometry* a, const GEOSGeometry* b) {
    return own(GEOSIntersection_r(handle_, a, b), "intersection");
}

Geometry Context::unary_union(const GEOSGeometry* g) {
    return own(GEOSUnaryUnion_r(handle_, g), "union");
}

Geometry Context::collect(const std::vector<const GEOSGeometry*>& parts) {
    std::vector<GEOSGeometry*> clones;
    clones.reserve(parts.size());
    for (const auto* p : parts) clones.push_back(GEOSGeom_clone_r(handle_, p));
    return own(GEOSGeom_createCollection_r(handle_, GEOS_GEOMETRYCOLLECTION, clones.data(),
                                           static_cast<unsigned>(clones.size())),
               "collecting geometries");
}

Prepared Context::prepare(const GEOSGeometry* g) {
    const GEOSPreparedGeometry* p = GEOSPrepare_r(handle_, g);
    if (!p) fail("prepare");
    return Prepared(p, PreparedDeleter{handle_});
}

Envelope Context::envelope(const GEOSGeometry* geom) {
    Envelope e;
    GEOSGeom_getXMin_r(handle_, geom, &e.minx);
    GEOSGeom_getYMin_r(handle_, geom, &e.miny);
    GEOSGeom_getXMax_r(handle_, geom, &e.maxx);
    GEOSGeom_getYMax_r(handle_, geom, &e.maxy);
    return e;
}

} // namespace wangge::geos
