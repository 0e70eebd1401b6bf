// io/gdal.hpp — GDAL/OGR handles with one owner each (internal to the engine).
//
// Every GDAL object the engine makes is held by one of these move-only types, which
// free it with GDAL's own function when they go: no GDALClose, OGR_F_Destroy or
// OSRRelease by hand, and no handle leaks on an exception. get() lends the handle to
// GDAL calls; release() hands it to GDAL when GDAL takes ownership (e.g.
// OGR_F_SetGeometryDirectly). gdal::init() registers the drivers and installs the one
// message handler (wangge/source.hpp), once per process; call it before any GDAL work.
#pragma once

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <cstddef>
#include <utility>

namespace wangge::gdal {

/// GDALAllRegister and install_gdal_message_handler(), once per process (thread-safe).
void init();

/// A handle `H` owned alone, freed by GDAL's function `Free` (never given null).
template <class H, auto Free>
class Owned {
public:
    using handle = H;

    Owned() noexcept = default;
    explicit Owned(handle h) noexcept : h_(h) {}
    Owned(Owned&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    Owned& operator=(Owned&& other) noexcept {
        if (this != &other) reset(std::exchange(other.h_, nullptr));
        return *this;
    }
    Owned(const Owned&) = delete;
    Owned& operator=(const Owned&) = delete;
    ~Owned() { reset(); }

    handle get() const noexcept { return h_; }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    /// Give up ownership (GDAL takes it): the caller no longer frees the handle.
    [[nodiscard]] handle release() noexcept { return std::exchange(h_, nullptr); }
    /// Free the handle held (if any) and hold `h`.
    void reset(handle h = nullptr) noexcept {
        if (h_) Free(h_);
        h_ = h;
    }

private:
    handle h_ = nullptr;
};

// GDAL's handles are all void*: the freeing function makes each its own type.
using Dataset = Owned<GDALDatasetH, &GDALClose>;
using Feature = Owned<OGRFeatureH, &OGR_F_Destroy>;
using Geometry = Owned<OGRGeometryH, &OGR_G_DestroyGeometry>;
using FieldDefn = Owned<OGRFieldDefnH, &OGR_Fld_Destroy>;
using SpatialRef = Owned<OGRSpatialReferenceH, &OSRRelease>;
using Transform = Owned<OGRCoordinateTransformationH, &OCTDestroyCoordinateTransformation>;
using TransformOptions = Owned<OGRCoordinateTransformationOptionsH, &OCTDestroyCoordinateTransformationOptions>;
using CplString = Owned<char*, &VSIFree>;  ///< text GDAL allocated (CPLFree)

/// The CRS `epsg` (e.g. store_srid, 4490) with x = lon / easting, y = lat / northing
/// (traditional GIS axis order).
SpatialRef srs_from_epsg(int epsg);

/// A geometry from WKB (ISO or extended); empty when the bytes are not WKB.
Geometry geometry_from_wkb(const unsigned char* wkb, std::size_t size);

}  // namespace wangge::gdal
