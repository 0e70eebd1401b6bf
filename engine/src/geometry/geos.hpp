// wangge/geos.hpp — RAII over the reentrant GEOS C API (geos_c.h).
//
// GEOS's C++ API is not stable between releases, so the engine talks to GEOS only
// through the `_r` functions of its C API. A `geos::Context` owns one context
// handle; it is not thread-safe, so use one per thread (`geos::Context::local()`).
// Errors reported by GEOS's message handler become `wangge::geometry_error`.
#pragma once

#include <geos_c.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::geos {

class Context;

/// A geometry's bounding box.
struct Envelope {
    double minx = 0, miny = 0, maxx = 0, maxy = 0;
};

/// Deleter for owned geometries: GEOSGeom_destroy_r needs the context.
struct GeometryDeleter {
    GEOSContextHandle_t handle = nullptr;
    void operator()(GEOSGeometry* g) const noexcept;
};
using Geometry = std::unique_ptr<GEOSGeometry, GeometryDeleter>;

struct PreparedDeleter {
    GEOSContextHandle_t handle = nullptr;
    void operator()(const GEOSPreparedGeometry* g) const noexcept;
};
using Prepared = std::unique_ptr<const GEOSPreparedGeometry, PreparedDeleter>;

class Context {
public:
    Context();
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    /// The calling thread's context, created on first use.
    static Context& local();

    GEOSContextHandle_t handle() const noexcept { return handle_; }

    /// Take ownership of a GEOS result; throws geometry_error (with GEOS's last
    /// message and `what`) when GEOS returned NULL.
    Geometry own(GEOSGeometry* g, std::string_view what);

    Geometry from_wkb(const unsigned char* data, std::size_t size);
    Geometry from_wkt(std::string_view wkt);
    std::vector<unsigned char> to_wkb(const GEOSGeometry* g);
    std::string to_wkt(const GEOSGeometry* g, int decimals = -1);

    /// Validity with the reason and location GEOS gives ("Self-intersection at
    /// 120.1 30.2"); empty string when valid.
    std::string invalid_reason(const GEOSGeometry* g);
    /// GEOSMakeValid, keeping only polygonal parts (a repaired polygon can carry
    /// stray lines or points); result may be empty.
    Geometry make_valid_polygonal(const GEOSGeometry* g);
    /// Polygonal parts of any geometry, as one MultiPolygon (possibly empty).
    Geometry polygonal_parts(const GEOSGeometry* g);
    /// The bounding box of `g`.
    Envelope envelope(const GEOSGeometry* g);

    double area(const GEOSGeometry* g);
    bool is_empty(const GEOSGeometry* g);
    Geometry difference(const GEOSGeometry* a, const GEOSGeometry* b);
    Geometry intersection(const GEOSGeometry* a, const GEOSGeometry* b);
    Geometry unary_union(const GEOSGeometry* g);
    /// A collection over clones of the given geometries.
    Geometry collect(const std::vector<const GEOSGeometry*>& parts);
    Prepared prepare(const GEOSGeometry* g);

    /// Last message reported by GEOS on this context (for diagnostics).
    const std::string& last_message() const noexcept { return last_message_; }

private:
    static void on_message(const char* message, void* userdata);
    [[noreturn]] void fail(std::string_view what);

    GEOSContextHandle_t handle_ = nullptr;
    std::string last_message_;
};

} // namespace wangge::geos
