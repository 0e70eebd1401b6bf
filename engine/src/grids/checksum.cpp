#include "grids/checksum.hpp"

#include "geometry/geos.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace wangge {

namespace {

struct Fnv {
    std::uint64_t h = 1469598103934665603ull;
    void bytes(const void* p, std::size_t n) {
        const auto* c = static_cast<const unsigned char*>(p);
        for (std::size_t i = 0; i < n; ++i) {
            h ^= c[i];
            h *= 1099511628211ull;
        }
    }
    void i64(std::int64_t v) { bytes(&v, sizeof v); }
    void text(std::string_view s) {
        i64(static_cast<std::int64_t>(s.size()));
        bytes(s.data(), s.size());
    }
};

void ring(geos::Context& g, Fnv& f, const GEOSGeometry* r) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(g.handle(), r);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(g.handle(), seq, &n);
    f.i64(n);
    for (unsigned i = 0; i < n; ++i) {
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(g.handle(), seq, i, &x, &y);
        f.i64(std::llround(x * 1e9));
        f.i64(std::llround(y * 1e9));
    }
}

}  // namespace

std::string grid_checksum(geos::Context& g, const std::vector<unsigned char>& wkb, std::string_view type,
                          std::string_view name) {
    Fnv f;
    f.text(type);
    f.text(name);
    auto geom = g.from_wkb(wkb.data(), wkb.size());
    GEOSNormalize_r(g.handle(), geom.get());
    const int parts = GEOSGetNumGeometries_r(g.handle(), geom.get());
    for (int p = 0; p < parts; ++p) {
        const GEOSGeometry* poly = GEOSGetGeometryN_r(g.handle(), geom.get(), p);
        if (GEOSGeomTypeId_r(g.handle(), poly) != GEOS_POLYGON) continue;
        ring(g, f, GEOSGetExteriorRing_r(g.handle(), poly));
        const int holes = GEOSGetNumInteriorRings_r(g.handle(), poly);
        f.i64(holes);
        for (int h = 0; h < holes; ++h) ring(g, f, GEOSGetInteriorRingN_r(g.handle(), poly, h));
    }
    return fmt::format("{:016x}", f.h);
}

}  // namespace wangge
