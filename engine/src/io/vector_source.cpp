#include <cpl_error.h>
#include <fmt/format.h>
#include <proj.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "io/gdal.hpp"
#include "store/runs_repo.hpp"
#include "wangge/error.hpp"
#include "wangge/source.hpp"
#include "wangge/store.hpp"
#include "wangge/text.hpp"

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

/// Letters and digits only, lower case: "D_WGS_1984" -> "dwgs1984".
std::string squeeze(std::string_view s) {
    std::string out;
    for (unsigned char c : s)
        if (std::isalnum(c)) out.push_back(static_cast<char>(std::tolower(c)));
    return out;
}

/// WGS 84 (the ensemble or any realisation) or CGCS2000, by the datum's name as
/// PROJ, EPSG and ESRI .prj files spell it.
bool wgs84_or_cgcs2000(std::string_view datum) {
    const std::string d = squeeze(datum);
    return d.rfind("worldgeodeticsystem1984", 0) == 0 || d == "wgs84" || d == "wgs1984" || d == "dwgs1984" ||
           d == "china2000" || d == "dchina2000" || d == "chinageodeticcoordinatesystem2000" || d == "cgcs2000";
}

struct ProjContext {
    PJ_CONTEXT* ctx = proj_context_create();
    ~ProjContext() { proj_context_destroy(ctx); }
};
struct PjDeleter {
    void operator()(PJ* p) const noexcept { proj_destroy(p); }
};
using Pj = std::unique_ptr<PJ, PjDeleter>;

/// Accuracy in metres as PROJ states it; a conversion (a projection alone) is exact,
/// a chain of steps adds up; -1 when any part is unknown.
double accuracy_of(PJ_CONTEXT* ctx, const PJ* op) {
    const double a = proj_coordoperation_get_accuracy(ctx, op);
    if (a >= 0) return a;
    if (proj_get_type(op) == PJ_TYPE_CONVERSION) return 0;
    if (proj_get_type(op) != PJ_TYPE_CONCATENATED_OPERATION) return -1;
    double sum = 0;
    for (int i = 0; i < proj_concatoperation_get_step_count(ctx, op); ++i) {
        const Pj step(proj_concatoperation_get_step(ctx, op, i));
        const double s = step ? accuracy_of(ctx, step.get()) : -1;
        if (s < 0) return -1;
        sum += s;
    }
    return sum;
}

/// The extent of a layer in its CRS's own geographic lon/lat, when it can be had.
std::optional<std::array<double, 4>> geographic_extent(OGRLayerH layer, OGRSpatialReferenceH srs) {
    OGREnvelope env;
    if (OGR_L_GetExtent(layer, &env, 1) != OGRERR_NONE) return std::nullopt;
    const gdal::SpatialRef geog(OSRCloneGeogCS(srs));
    if (!geog) return std::nullopt;
    OSRSetAxisMappingStrategy(geog.get(), OAMS_TRADITIONAL_GIS_ORDER);
    std::optional<std::array<double, 4>> out;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    if (const gdal::Transform ct(OCTNewCoordinateTransformation(srs, geog.get())); ct) {
        std::array<double, 4> b{};
        if (OCTTransformBounds(ct.get(), env.MinX, env.MinY, env.MaxX, env.MaxY, &b[0], &b[1], &b[2], &b[3], 21) &&
            b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90 && b[0] <= b[2] && b[1] <= b[3])
            out = b;
    }
    CPLPopErrorHandler();
    return out;
}

std::uint32_t big_endian32(const unsigned char* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
std::uint32_t little_endian32(const unsigned char* p) {
    return (std::uint32_t(p[3]) << 24) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[1]) << 8) | p[0];
}

/// The sibling of a Shapefile part with extension `ext` (".shx"), in either case.
std::optional<std::filesystem::path> sibling(const std::filesystem::path& file, const char* ext) {
    for (const bool upper : {false, true}) {
        std::string e = ext;
        if (upper) std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::toupper(c); });
        auto p = file;
        p.replace_extension(e);
        std::error_code ec;
        if (std::filesystem::is_regular_file(p, ec)) return p;
    }
    return std::nullopt;
}

std::vector<unsigned char> read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::vector<unsigned char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Why a Shapefile is truncated or its parts disagree, or "" when they agree: the
/// .shx lists each record's offset and length in the .shp; the .dbf header gives
/// its record count and size.
std::string shapefile_damage(const std::filesystem::path& shp_or_dbf) {
    const auto shp = sibling(shp_or_dbf, ".shp");
    const auto shx = sibling(shp_or_dbf, ".shx");
    const auto dbf = sibling(shp_or_dbf, ".dbf");
    std::error_code ec;
    std::optional<std::int64_t> shx_records;
    if (shp && shx) {
        const auto shp_size = static_cast<std::int64_t>(std::filesystem::file_size(*shp, ec));
        const auto index = read_bytes(*shx);
        if (shp_size < 100) return fmt::format("truncated: .shp has {} bytes, less than its 100-byte header", shp_size);
        if (index.size() < 100)
            return fmt::format("truncated: .shx has {} bytes, less than its 100-byte header", index.size());
        const std::int64_t shx_declared = std::int64_t(big_endian32(&index[24])) * 2;
        const auto listed = static_cast<std::int64_t>((index.size() - 100) / 8);
        if (static_cast<std::int64_t>(index.size()) < shx_declared)
            return fmt::format("truncated: .shx has {} bytes, its header says {}", index.size(), shx_declared);
        std::int64_t held = 0;
        for (std::int64_t i = 0; i < listed; ++i) {
            const unsigned char* e = &index[static_cast<std::size_t>(100 + i * 8)];
            const std::int64_t offset = std::int64_t(big_endian32(e)) * 2;
            const std::int64_t length = std::int64_t(big_endian32(e + 4)) * 2;
            if (offset + 8 + length <= shp_size) ++held;
        }
        if (held < listed) return fmt::format("truncated: .shx lists {} records, .shp holds {}", listed, held);
        shx_records = listed;
    }
    if (dbf) {
        std::ifstream in(*dbf, std::ios::binary);
        unsigned char h[12] = {};
        const auto size = static_cast<std::int64_t>(std::filesystem::file_size(*dbf, ec));
        if (!in.read(reinterpret_cast<char*>(h), sizeof h))
            return fmt::format("truncated: .dbf has {} bytes, no header", size);
        const std::int64_t records = little_endian32(&h[4]);
        const std::int64_t header = h[8] | (h[9] << 8), length = h[10] | (h[11] << 8);
        const std::int64_t held = length > 0 && size > header ? (size - header) / length : 0;
        if (held < records) return fmt::format("truncated: .dbf lists {} records, holds {}", records, held);
        if (shx_records && *shx_records != records)
            return fmt::format("damaged: .shx lists {} records, .dbf {}", *shx_records, records);
    }
    return {};
}

/// Vertices and parts (rings, lines, points of a collection) of an OGR geometry.
void count_geometry(OGRGeometryH g, std::int64_t& vertices, std::int64_t& parts) {
    const int n = OGR_G_GetGeometryCount(g);
    if (n == 0) {
        vertices += OGR_G_GetPointCount(g);
        ++parts;
        return;
    }
    for (int i = 0; i < n; ++i) count_geometry(OGR_G_GetGeometryRef(g, i), vertices, parts);
}

} // namespace

void VectorSource::count_gdal_warning(const std::string& message) {
    std::size_t k = 0;
    while (k < gdal_warnings_.size() && gdal_warnings_[k].first != message) ++k;
    if (k == gdal_warnings_.size()) {
        gdal_warnings_.emplace_back(message, 0);
        gdal_warning_slots_.push_back(warnings_.size());
        warnings_.emplace_back();
    }
    const auto times = ++gdal_warnings_[k].second;
    warnings_[gdal_warning_slots_[k]] =
        fmt::format("GDAL: {}{}", message, times > 1 ? fmt::format(" ({} times)", times) : std::string());
}

void VectorSource::absorb_gdal_messages(const std::string& where) {
    auto m = take_gdal_messages();
    for (const auto& w : m.warnings) count_gdal_warning(w);
    if (m.errors.empty()) return;
    std::string all = m.errors.front();
    if (m.errors.size() > 1) all += fmt::format(" (and {} more errors)", m.errors.size() - 1);
    throw input_error(fmt::format("{}: {}: {}; the file is damaged", file_name_, where, all));
}

std::string CrsOperation::accuracy_text() const {
    if (by_convention) return "exact by convention (WGS 84 = CGCS2000)";
    std::string s = accuracy_m < 0 ? std::string("unknown") : fmt::format("{:g} m", accuracy_m);
    if (ballpark) s += " (a ballpark offset)";
    return s;
}

struct VectorSource::Impl {
    // destroyed in reverse order: the transformation before its CRSs, the dataset last
    gdal::Dataset ds;
    OGRLayerH layer = nullptr;  // owned by ds
    gdal::SpatialRef src_srs;
    gdal::SpatialRef dst_srs;
    gdal::Transform transform;  // empty when source is already EPSG:4490
    // How text is turned into UTF-8: as is (GDAL recoded it, or it is UTF-8), or by
    // iconv from `iconv_from`.
    std::string iconv_from;
};

VectorSource::VectorSource(const SourceOptions& opt)
    : impl_(std::make_unique<Impl>()), max_vertices_(opt.max_vertices), max_parts_(opt.max_parts) {
    gdal::init();
    file_name_ = opt.file.string();
    if (!std::filesystem::exists(opt.file))
        throw io_error(fmt::format("{}: no such file", file_name_));
    if (opt.max_vertices < 1 || opt.max_parts < 1) throw usage_error("--max-vertices must be at least 1");

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

    take_gdal_messages();  // what earlier work left
    CPLErrorReset();
    impl_->ds.reset(GDALOpenEx(file_name_.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, oo.data(), nullptr));
    if (!impl_->ds) {
        std::string why = CPLGetLastErrorMsg();
        take_gdal_messages();
        throw io_error(fmt::format("{}: cannot open as a vector data set{}", file_name_,
                                   why.empty() ? " (not a format GDAL reads, or a damaged file)" : ": " + why));
    }
    driver_ = GDALGetDriverShortName(GDALGetDatasetDriver(impl_->ds.get()));
    if (driver_ == "ESRI Shapefile") {
        const std::string damage = shapefile_damage(opt.file);
        if (!damage.empty()) {
            take_gdal_messages();
            throw input_error(fmt::format("{} is {} (a broken file is refused whole)", file_name_, damage));
        }
    }
    absorb_gdal_messages("cannot be opened");
    const int nlayers = GDALDatasetGetLayerCount(impl_->ds.get());
    if (nlayers == 0) throw input_error(fmt::format("{}: has no vector layer", file_name_));
    if (!opt.layer.empty()) {
        impl_->layer = GDALDatasetGetLayerByName(impl_->ds.get(), opt.layer.c_str());
        if (!impl_->layer) throw input_error(fmt::format("{}: no layer named '{}'", file_name_, opt.layer));
    } else {
        if (nlayers > 1 && !opt.preferred_layer.empty())
            impl_->layer = GDALDatasetGetLayerByName(impl_->ds.get(), opt.preferred_layer.c_str());
        if (impl_->layer) {
        } else if (nlayers > 1) {
            std::string names;
            for (int i = 0; i < nlayers; ++i)
                names += std::string(i ? ", " : "") + OGR_L_GetName(GDALDatasetGetLayer(impl_->ds.get(), i));
            throw input_error(fmt::format("{}: has {} layers ({}); choose one with --layer", file_name_, nlayers, names));
        } else {
            impl_->layer = GDALDatasetGetLayer(impl_->ds.get(), 0);
        }
    }

    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(impl_->layer);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i)
        field_names_.emplace_back(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));

    // --- CRS
    impl_->dst_srs = gdal::srs_from_epsg(store_srid);
    if (!opt.s_srs.empty()) {
        impl_->src_srs.reset(OSRNewSpatialReference(nullptr));
        if (OSRSetFromUserInput(impl_->src_srs.get(), opt.s_srs.c_str()) != OGRERR_NONE)
            throw usage_error(fmt::format("--s-srs '{}' is not a CRS GDAL/PROJ understands", opt.s_srs));
    } else if (OGRSpatialReferenceH s = OGR_L_GetSpatialRef(impl_->layer)) {
        impl_->src_srs.reset(OSRClone(s));
    } else {
        throw input_error(fmt::format("{}: has no coordinate reference system (no .prj or embedded CRS); "
                                      "give it with --s-srs, e.g. --s-srs EPSG:4490",
                                      file_name_));
    }
    OSRSetAxisMappingStrategy(impl_->src_srs.get(), OAMS_TRADITIONAL_GIS_ORDER);
    const char* auth = OSRGetAuthorityName(impl_->src_srs.get(), nullptr);
    const char* code = OSRGetAuthorityCode(impl_->src_srs.get(), nullptr);
    if (!auth || !code) {
        // Shapefile .prj files rarely carry authority codes; ask PROJ for a match.
        OSRAutoIdentifyEPSG(impl_->src_srs.get());
        auth = OSRGetAuthorityName(impl_->src_srs.get(), nullptr);
        code = OSRGetAuthorityCode(impl_->src_srs.get(), nullptr);
    }
    const char* name = OSRGetName(impl_->src_srs.get());
    crs_description_ = (auth && code) ? fmt::format("{}:{} ({})", auth, code, name ? name : "")
                                      : std::string(name ? name : "unnamed CRS");
    const char* ignore[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", nullptr};
    if (OSRIsSameEx(impl_->src_srs.get(), impl_->dst_srs.get(), ignore)) {
        operation_.description = "none (the file is in CGCS2000 lon/lat)";
    } else {
        choose_operation(opt);
    }

    // What GDAL and PROJ said about the CRS is not about the file's contents.
    {
        auto m = take_gdal_messages();
        for (const auto& e : m.errors) count_gdal_warning(e);
        for (const auto& w : m.warnings) count_gdal_warning(w);
    }

    // --- Encoding scan: all string values valid UTF-8 -> UTF-8, else GB18030.
    if (scan_encoding) {
        bool all_utf8 = true, any_non_ascii = false;
        OGR_L_ResetReading(impl_->layer);
        for (gdal::Feature f; all_utf8 && (f = gdal::Feature(OGR_L_GetNextFeature(impl_->layer)));) {
            for (int i = 0; i < OGR_F_GetFieldCount(f.get()); ++i) {
                if (!OGR_F_IsFieldSetAndNotNull(f.get(), i)) continue;
                if (OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f.get(), i)) != OFTString) continue;
                std::string_view v = OGR_F_GetFieldAsString(f.get(), i);
                if (!text::is_ascii(v)) any_non_ascii = true;
                if (!text::is_valid_utf8(v)) {
                    all_utf8 = false;
                    break;
                }
            }
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
    absorb_gdal_messages("cannot be read");
}

void VectorSource::choose_operation(const SourceOptions& opt) {
    // The operation PROJ ranks first for the file's extent, used for every
    // coordinate of the file (so what is recorded is what was done).
    ProjContext pc;
    const char* wkt_options[] = {"FORMAT=WKT2_2019", nullptr};
    Pj src;
    {
        char* text = nullptr;
        const OGRErr err = OSRExportToWktEx(impl_->src_srs.get(), &text, wkt_options);
        const gdal::CplString wkt(text);
        if (err == OGRERR_NONE && wkt) src.reset(proj_create(pc.ctx, wkt.get()));
    }
    const Pj dst(proj_create(pc.ctx, fmt::format("EPSG:{}", store_srid).c_str()));
    Pj op;
    if (src && dst) {
        PJ_OPERATION_FACTORY_CONTEXT* fc = proj_create_operation_factory_context(pc.ctx, nullptr);
        proj_operation_factory_context_set_spatial_criterion(pc.ctx, fc, PROJ_SPATIAL_CRITERION_PARTIAL_INTERSECTION);
        proj_operation_factory_context_set_grid_availability_use(
            pc.ctx, fc, PROJ_GRID_AVAILABILITY_DISCARD_OPERATION_IF_MISSING_GRID);
        if (const auto e = geographic_extent(impl_->layer, impl_->src_srs.get()))
            proj_operation_factory_context_set_area_of_interest(pc.ctx, fc, (*e)[0], (*e)[1], (*e)[2], (*e)[3]);
        if (PJ_OBJ_LIST* ops = proj_create_operations(pc.ctx, src.get(), dst.get(), fc)) {
            if (proj_list_get_count(ops) > 0) op.reset(proj_list_get(pc.ctx, ops, 0));
            proj_list_destroy(ops);
        }
        proj_operation_factory_context_destroy(fc);
    }
    // owned here: the refusal below throws before the transformation is made
    const gdal::TransformOptions ct_options(OCTNewCoordinateTransformationOptions());
    if (op) {
        operation_.description = proj_get_name(op.get()) ? proj_get_name(op.get()) : "unnamed operation";
        operation_.accuracy_m = accuracy_of(pc.ctx, op.get());
        operation_.ballpark = proj_coordoperation_has_ballpark_transformation(pc.ctx, op.get()) == 1;
        const Pj geodetic(proj_crs_get_geodetic_crs(pc.ctx, src.get()));
        const Pj datum(geodetic ? proj_crs_get_datum_forced(pc.ctx, geodetic.get()) : nullptr);
        const char* datum_name = datum ? proj_get_name(datum.get()) : nullptr;
        operation_.by_convention = operation_.refused() && datum_name && wgs84_or_cgcs2000(datum_name);
        if (const char* def = proj_as_proj_string(pc.ctx, op.get(), PJ_PROJ_5, nullptr))
            OCTCoordinateTransformationOptionsSetOperation(ct_options.get(), def, FALSE);
    } else {
        operation_.description = "chosen by GDAL (PROJ offered none for this CRS)";
        operation_.accuracy_m = -1;
    }
    if (operation_.refused()) {
        const std::string what = fmt::format("{} reaches CGCS2000 (EPSG:4490) only by '{}', accuracy {}",
                                             crs_description_, operation_.description, operation_.accuracy_text());
        if (!opt.allow_ballpark)
            throw input_error(fmt::format(
                "{}: {}: PROJ knows no datum transformation here good to 1 m, so coordinates may be tens of metres "
                "off. Reproject the file to CGCS2000 or WGS 84 with a real transformation first, or give "
                "--allow-ballpark to import it anyway",
                file_name_, what));
        warnings_.push_back(what + "; imported as asked (--allow-ballpark): coordinates may be tens of metres off");
    }
    impl_->transform.reset(
        OCTNewCoordinateTransformationEx(impl_->src_srs.get(), impl_->dst_srs.get(), ct_options.get()));
    if (!impl_->transform)
        throw input_error(fmt::format("{}: no transformation from {} to EPSG:4490: {}", file_name_, crs_description_,
                                      CPLGetLastErrorMsg()));
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
    const std::int64_t previous = out.fid;
    const gdal::Feature feature(OGR_L_GetNextFeature(impl_->layer));
    if (!feature) {
        // the end, unless GDAL stopped on an error
        absorb_gdal_messages(previous < 0 ? std::string("cannot read its first feature")
                                          : fmt::format("cannot read past feature {}", previous));
        return false;
    }
    OGRFeatureH f = feature.get();
    out.fid = OGR_F_GetFID(f);
    absorb_gdal_messages(fmt::format("feature {} cannot be read", out.fid));
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
        std::int64_t vertices = 0, parts = 0;
        count_geometry(g, vertices, parts);
        if (vertices > max_vertices_ || parts > max_parts_) {
            out.geometry_error =
                vertices > max_vertices_
                    ? fmt::format("{} vertices, more than the limit of {} per feature (--max-vertices N raises it)",
                                  vertices, max_vertices_)
                    : fmt::format("{} parts and rings, more than the limit of {} per feature", parts, max_parts_);
            return true;
        }
        if (impl_->transform && OGR_G_Transform(g, impl_->transform.get()) != OGRERR_NONE) {
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

void record_source_crs(Store& store, std::int64_t import_id, const VectorSource& source) {
    const CrsOperation& op = source.crs_operation();
    const std::optional<double> accuracy =
        op.by_convention ? std::optional<double>(0.0) : op.accuracy_m < 0 ? std::nullopt : std::optional<double>(op.accuracy_m);
    repo::set_import_run_crs(store, import_id, source.crs_description(),
                             op.by_convention ? op.description + " (WGS 84 = CGCS2000 by convention)" : op.description,
                             accuracy);
}

} // namespace wangge
