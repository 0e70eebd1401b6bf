#include "wangge/source.hpp"

#include "wangge/error.hpp"
#include "wangge/store.hpp"
#include "wangge/text.hpp"

#include <cpl_conv.h>
#include <fmt/format.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

namespace wangge {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

/// Language driver id byte of a DBF file (offset 29); 0 means "not set".
int dbf_language_id(const std::filesystem::path& shp) {
    for (const char* ext : {".dbf", ".DBF"}) {
        auto dbf = shp;
        dbf.replace_extension(ext);
        std::ifstream in(dbf, std::ios::binary);
        if (!in) continue;
        char header[32] = {};
        if (!in.read(header, sizeof header)) return 0;
        return static_cast<unsigned char>(header[29]);
    }
    return 0;
}

bool has_cpg(const std::filesystem::path& shp) {
    for (const char* ext : {".cpg", ".CPG"}) {
        auto p = shp;
        p.replace_extension(ext);
        if (std::filesystem::exists(p)) return true;
    }
    return false;
}

} // namespace

struct VectorSource::Impl {
    GDALDatasetH ds = nullptr;
    OGRLayerH layer = nullptr;
    OGRSpatialReferenceH src_srs = nullptr;
    OGRSpatialReferenceH dst_srs = nullptr;
    OGRCoordinateTransformationH transform = nullptr;  // null when source is already EPSG:4490
    // How text is turned into UTF-8: as is (GDAL recoded it, or it is UTF-8), or by
    // iconv from `iconv_from`.
    std::string iconv_from;

    ~Impl() {
        if (transform) OCTDestroyCoordinateTransformation(transform);
        if (src_srs) OSRRelease(src_srs);
        if (dst_srs) OSRRelease(dst_srs);
        if (ds) GDALClose(ds);
    }
};

VectorSource::VectorSource(const SourceOptions& opt) : impl_(std::make_unique<Impl>()) {
    GDALAllRegister();
    file_name_ = opt.file.string();
    if (!std::filesystem::exists(opt.file))
        throw io_error(fmt::format("{}: no such file", file_name_));

    const bool is_shp = lower(opt.file.extension().string()) == ".shp" || lower(opt.file.extension().string()) == ".dbf";
    // Shapefiles: decide the encoding ourselves unless the file says (.cpg, LDID).
    bool scan_encoding = false;
    std::vector<std::string> open_options;
    if (!opt.encoding.empty()) {
        const std::string enc = text::canonical_encoding(opt.encoding);
        text::to_utf8("", enc);  // throws usage_error for an unknown encoding name
        if (is_shp) open_options.push_back("ENCODING=");  // raw bytes; we decode
        impl_->iconv_from = enc;
        encoding_description_ = enc + " (--encoding)";
    } else if (is_shp && !has_cpg(opt.file) && dbf_language_id(opt.file) == 0) {
        open_options.push_back("ENCODING=");
        scan_encoding = true;
    } else if (is_shp) {
        encoding_description_ = has_cpg(opt.file) ? "from .cpg" : "from DBF language id";
    } else {
        encoding_description_ = "UTF-8";
    }
    std::vector<const char*> oo;
    for (const auto& o : open_options) oo.push_back(o.c_str());
    oo.push_back(nullptr);

    CPLErrorReset();
    impl_->ds = GDALOpenEx(file_name_.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, oo.data(), nullptr);
    if (!impl_->ds) {
        std::string why = CPLGetLastErrorMsg();
        throw io_error(fmt::format("{}: cannot open as a vector data set{}", file_name_,
                                   why.empty() ? " (not a format GDAL reads, or a damaged file)" : ": " + why));
    }
    driver_ = GDALGetDriverShortName(GDALGetDatasetDriver(impl_->ds));
    const int nlayers = GDALDatasetGetLayerCount(impl_->ds);
    if (nlayers == 0) throw input_error(fmt::format("{}: has no vector layer", file_name_));
    if (!opt.layer.empty()) {
        impl_->layer = GDALDatasetGetLayerByName(impl_->ds, opt.layer.c_str());
        if (!impl_->layer) throw input_error(fmt::format("{}: no layer named '{}'", file_name_, opt.layer));
    } else {
        if (nlayers > 1) {
            std::string names;
            for (int i = 0; i < nlayers; ++i)
                names += std::string(i ? ", " : "") + OGR_L_GetName(GDALDatasetGetLayer(impl_->ds, i));
            throw input_error(fmt::format("{}: has {} layers ({}); choose one with --layer", file_name_, nlayers, names));
        }
        impl_->layer = GDALDatasetGetLayer(impl_->ds, 0);
    }

    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(impl_->layer);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i)
        field_names_.emplace_back(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));

    // --- CRS
    impl_->dst_srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(impl_->dst_srs, store_srid);
    OSRSetAxisMappingStrategy(impl_->dst_srs, OAMS_TRADITIONAL_GIS_ORDER);
    if (!opt.s_srs.empty()) {
        impl_->src_srs = OSRNewSpatialReference(nullptr);
        if (OSRSetFromUserInput(impl_->src_srs, opt.s_srs.c_str()) != OGRERR_NONE)
            throw usage_error(fmt::format("--s-srs '{}' is not a CRS GDAL/PROJ understands", opt.s_srs));
    } else if (OGRSpatialReferenceH s = OGR_L_GetSpatialRef(impl_->layer)) {
        impl_->src_srs = OSRClone(s);
    } else {
        throw input_error(fmt::format("{}: has no coordinate reference system (no .prj or embedded CRS); "
                                      "give it with --s-srs, e.g. --s-srs EPSG:4490",
                                      file_name_));
    }
    OSRSetAxisMappingStrategy(impl_->src_srs, OAMS_TRADITIONAL_GIS_ORDER);
    const char* auth = OSRGetAuthorityName(impl_->src_srs, nullptr);
    const char* code = OSRGetAuthorityCode(impl_->src_srs, nullptr);
    if (!auth || !code) {
        // Shapefile .prj files rarely carry authority codes; ask PROJ for a match.
        OSRAutoIdentifyEPSG(impl_->src_srs);
        auth = OSRGetAuthorityName(impl_->src_srs, nullptr);
        code = OSRGetAuthorityCode(impl_->src_srs, nullptr);
    }
    const char* name = OSRGetName(impl_->src_srs);
    crs_description_ = (auth && code) ? fmt::format("{}:{} ({})", auth, code, name ? name : "")
                                      : std::string(name ? name : "unnamed CRS");
    const char* ignore[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", nullptr};
    if (!OSRIsSameEx(impl_->src_srs, impl_->dst_srs, ignore)) {
        impl_->transform = OCTNewCoordinateTransformation(impl_->src_srs, impl_->dst_srs);
        if (!impl_->transform)
            throw input_error(fmt::format("{}: no transformation from {} to EPSG:4490: {}", file_name_,
                                          crs_description_, CPLGetLastErrorMsg()));
    }

    // --- Encoding scan: all string values valid UTF-8 -> UTF-8, else GB18030.
    if (scan_encoding) {
        bool all_utf8 = true, any_non_ascii = false;
        OGRFeatureH f;
        OGR_L_ResetReading(impl_->layer);
        while (all_utf8 && (f = OGR_L_GetNextFeature(impl_->layer)) != nullptr) {
            for (int i = 0; i < OGR_F_GetFieldCount(f); ++i) {
                if (!OGR_F_IsFieldSetAndNotNull(f, i)) continue;
                if (OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, i)) != OFTString) continue;
                std::string_view v = OGR_F_GetFieldAsString(f, i);
                if (!text::is_ascii(v)) any_non_ascii = true;
                if (!text::is_valid_utf8(v)) {
                    all_utf8 = false;
                    break;
                }
            }
            OGR_F_Destroy(f);
        }
        OGR_L_ResetReading(impl_->layer);
        if (all_utf8) {
            impl_->iconv_from = "UTF-8";
            encoding_description_ = any_non_ascii ? "UTF-8 (detected, no .cpg)" : "ASCII";
        } else {
            impl_->iconv_from = "GB18030";
            encoding_description_ = "GB18030/GBK (detected, no .cpg)";
        }
    }
}

VectorSource::~VectorSource() = default;

std::optional<int> VectorSource::field_index(std::string_view name) const {
    const std::string want = lower(name);
    for (std::size_t i = 0; i < field_names_.size(); ++i)
        if (lower(field_names_[i]) == want) return static_cast<int>(i);
    return std::nullopt;
}

int VectorSource::require_field(std::string_view name, std::string_view option) const {
    if (auto i = field_index(name)) return *i;
    std::string names;
    for (const auto& f : field_names_) names += (names.empty() ? "" : ", ") + f;
    throw input_error(fmt::format("{}: no field '{}' ({}); its fields are: {}", file_name_, name, option,
                                  names.empty() ? "(none)" : names));
}

std::int64_t VectorSource::feature_count() {
    return OGR_L_GetFeatureCount(impl_->layer, 1);
}

void VectorSource::rewind() {
    OGR_L_ResetReading(impl_->layer);
}

bool VectorSource::next(SourceFeature& out) {
    OGRFeatureH f = OGR_L_GetNextFeature(impl_->layer);
    if (!f) return false;
    std::unique_ptr<void, void (*)(OGRFeatureH)> guard(f, OGR_F_Destroy);
    out.fid = OGR_F_GetFID(f);
    const int n = OGR_F_GetFieldCount(f);
    out.fields.assign(static_cast<std::size_t>(n), std::nullopt);
    out.field_errors.assign(static_cast<std::size_t>(n), std::string());
    for (int i = 0; i < n; ++i) {
        if (!OGR_F_IsFieldSetAndNotNull(f, i)) continue;
        // Date-times as ISO 8601 with their zone (GDAL's own text is "2024/09/19
        // 06:19:33+08"); a zone GDAL does not know is left out.
        const OGRFieldType ftype = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, i));
        if (ftype == OFTDateTime || ftype == OFTDate) {
            int y, mo, d, h, mi, tz;
            float sec;
            if (OGR_F_GetFieldAsDateTimeEx(f, i, &y, &mo, &d, &h, &mi, &sec, &tz)) {
                std::string iso = ftype == OFTDate ? fmt::format("{:04d}-{:02d}-{:02d}", y, mo, d)
                                                   : fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", y, mo, d, h,
                                                                 mi, static_cast<int>(sec));
                if (ftype == OFTDateTime && tz == 100) iso += "Z";
                else if (ftype == OFTDateTime && tz > 1) {
                    const int off = (tz - 100) * 15;
                    iso += fmt::format("{}{:02d}:{:02d}", off < 0 ? '-' : '+', std::abs(off) / 60, std::abs(off) % 60);
                }
                out.fields[static_cast<std::size_t>(i)] = std::move(iso);
                continue;
            }
        }
        std::string_view raw = OGR_F_GetFieldAsString(f, i);
        std::optional<std::string> value;
        if (impl_->iconv_from.empty()) {
            if (text::is_valid_utf8(raw)) value = std::string(raw);
        } else {
            value = text::to_utf8(raw, impl_->iconv_from);
        }
        if (value) {
            out.fields[static_cast<std::size_t>(i)] = std::move(value);
        } else {
            out.field_errors[static_cast<std::size_t>(i)] =
                fmt::format("field '{}' is not valid {} text; give the file's encoding with --encoding",
                            field_names_[static_cast<std::size_t>(i)],
                            impl_->iconv_from.empty() ? "UTF-8" : impl_->iconv_from);
        }
    }
    out.wkb.clear();
    out.geometry_type.clear();
    out.geometry_error.clear();
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (g && !OGR_G_IsEmpty(g)) {
        out.geometry_type = OGR_G_GetGeometryName(g);
        // Curves are linearised; the store holds linear geometry only.
        if (OGR_G_HasCurveGeometry(g, 0)) {
            OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0, nullptr);
            OGR_F_SetGeometryDirectly(f, lin);
            g = OGR_F_GetGeometryRef(f);
        }
        if (OGR_G_Is3D(g) || OGR_G_IsMeasured(g)) OGR_G_FlattenTo2D(g);
        if (impl_->transform && OGR_G_Transform(g, impl_->transform) != OGRERR_NONE) {
            out.geometry_error = fmt::format("coordinates cannot be transformed from {} to EPSG:4490",
                                             crs_description_);
            return true;
        }
        OGREnvelope env;
        OGR_G_GetEnvelope(g, &env);
        if (env.MinX < -180.0 || env.MaxX > 180.0 || env.MinY < -90.0 || env.MaxY > 90.0) {
            out.geometry_error = fmt::format(
                "coordinates ({:.3f} {:.3f}) are not lon/lat after reading as {}: is the CRS right? "
                "(override it with --s-srs)",
                env.MinX, env.MinY, crs_description_);
            return true;
        }
        out.wkb.resize(static_cast<std::size_t>(OGR_G_WkbSize(g)));
        OGR_G_ExportToIsoWkb(g, wkbNDR, out.wkb.data());
    }
    return true;
}

} // namespace wangge
