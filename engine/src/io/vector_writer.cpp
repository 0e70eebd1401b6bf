// One layer of features to a GIS file with GDAL: see io/vector_writer.hpp.
#include "io/vector_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "io/gdal.hpp"
#include "wangge/error.hpp"
#include "wangge/jurisdictions.hpp"
#include "wangge/source.hpp"
#include "wangge/store.hpp"

namespace wangge {

namespace fs = std::filesystem;

std::string driver_for_path(const fs::path& path) {
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
    throw usage_error(
        fmt::format("{}: cannot tell the format from the extension; give --format "
                    "(e.g. 'ESRI Shapefile', GPKG, GeoJSON, FlatGeobuf)",
                    path.string()));
}

namespace {

OGRFieldType ogr_type(VectorField::Type t) {
    switch (t) {
        case VectorField::Type::int64:
            return OFTInteger64;
        case VectorField::Type::real:
            return OFTReal;
        case VectorField::Type::string:
            break;
    }
    return OFTString;
}

/// Flush a file written by GDAL to the disk before it is renamed into place.
void sync_file(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

/// A folder `tmp` that a killed export to `out` left: only files named after `out`.
bool is_left_temporary(const fs::path& tmp, const fs::path& out) {
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(tmp, ec))) return false;
    const std::string stem = out.stem().string() + ".";
    for (const auto& e : fs::directory_iterator(tmp, ec))
        if (!e.is_regular_file(ec) || e.path().filename().string().rfind(stem, 0) != 0) return false;
    return !ec;
}

}  // namespace

struct VectorWriter::Impl {
    VectorWriterOptions opt;
    GDALDriverH driver = nullptr;
    fs::path tmp_dir;  // OUT.tmp/, holding the data set while it is written
    fs::path tmp_out;  // OUT.tmp/NAME
    // destroyed in reverse order: the data set closes before the folder goes
    gdal::SpatialRef srs;
    gdal::Dataset ds;
    OGRLayerH layer = nullptr;  // owned by ds
    bool transaction = false, finished = false;
    std::int64_t written = 0;
    std::string text;  // one string value, NUL-terminated for GDAL

    /// A message of GDAL's, naming `out` where it names the temporary.
    std::string named(std::string m) const {
        const std::string t = tmp_out.string(), o = opt.out.string();
        for (std::size_t at = 0; (at = m.find(t, at)) != std::string::npos; at += o.size()) m.replace(at, t.size(), o);
        return m;
    }
    /// GDAL's last error message.
    std::string reason() const { return named(CPLGetLastErrorMsg()); }
    void remove_temporary() noexcept {
        ds.reset();
        std::error_code ec;
        if (!tmp_dir.empty()) fs::remove_all(tmp_dir, ec);
    }
    void move_into_place();
};

VectorWriter::VectorWriter(const VectorWriterOptions& options) : impl_(std::make_unique<Impl>()) {
    Impl& w = *impl_;
    w.opt = options;
    const fs::path& out = w.opt.out;
    gdal::init();
    const std::string driver_name = w.opt.format.empty() ? driver_for_path(out) : w.opt.format;
    w.driver = GDALGetDriverByName(driver_name.c_str());
    if (!w.driver) throw usage_error(fmt::format("GDAL has no vector driver '{}'", driver_name));
    std::error_code ec;
    if (fs::exists(out, ec) && !w.opt.overwrite)
        throw io_error(fmt::format("{}: exists already (--overwrite replaces it)", out.string()));

    const fs::path tmp_dir = out.string() + ".tmp";
    if (fs::exists(fs::symlink_status(tmp_dir, ec))) {
        if (!is_left_temporary(tmp_dir, out))
            throw io_error(
                fmt::format("{}: cannot write: {} is in the way (an export writes there first); "
                            "remove or rename it",
                            out.string(), tmp_dir.string()));
        fs::remove_all(tmp_dir, ec);
    }
    if (!fs::create_directory(tmp_dir, ec))
        throw io_error(fmt::format("{}: cannot create: {}", out.string(), ec.message()));
    w.tmp_dir = tmp_dir;
    w.tmp_out = tmp_dir / out.filename();

    w.ds.reset(GDALCreate(w.driver, w.tmp_out.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!w.ds) {
        const std::string why = w.reason();
        w.remove_temporary();
        throw io_error(fmt::format("{}: cannot create: {}", out.string(), why));
    }
    try {
        w.srs = gdal::srs_from_epsg(store_srid);
        const char* lco_shp[] = {"ENCODING=UTF-8", nullptr};
        char** lco = driver_name == "ESRI Shapefile" ? const_cast<char**>(lco_shp) : nullptr;
        w.layer = GDALDatasetCreateLayer(w.ds.get(), out.stem().string().c_str(), w.srs.get(), wkbMultiPolygon, lco);
        if (!w.layer) throw io_error(fmt::format("{}: cannot create layer: {}", out.string(), w.reason()));
        for (const auto& f : w.opt.fields) {
            const gdal::FieldDefn fd(OGR_Fld_Create(f.name.c_str(), ogr_type(f.type)));
            if (f.width) OGR_Fld_SetWidth(fd.get(), f.width);
            if (f.precision) OGR_Fld_SetPrecision(fd.get(), f.precision);
            if (OGR_L_CreateField(w.layer, fd.get(), 1) != OGRERR_NONE)
                throw io_error(fmt::format("{}: cannot create field {}", out.string(), f.name));
        }
        w.transaction = GDALDatasetStartTransaction(w.ds.get(), 0) == OGRERR_NONE;
    } catch (...) {
        w.remove_temporary();
        throw;
    }
}

VectorWriter::~VectorWriter() {
    if (!impl_->finished) impl_->remove_temporary();
}

void VectorWriter::write(const std::vector<VectorValue>& values, const std::vector<unsigned char>& wkb) {
    Impl& w = *impl_;
    const gdal::Feature f(OGR_F_Create(OGR_L_GetLayerDefn(w.layer)));
    const int n = static_cast<int>(std::min(values.size(), w.opt.fields.size()));
    for (int i = 0; i < n; ++i) {
        const VectorValue& v = values[static_cast<std::size_t>(i)];
        if (const auto* s = std::get_if<std::string_view>(&v)) {
            w.text.assign(*s);
            OGR_F_SetFieldString(f.get(), i, w.text.c_str());
        } else if (const auto* k = std::get_if<std::int64_t>(&v)) {
            OGR_F_SetFieldInteger64(f.get(), i, *k);
        } else if (const auto* d = std::get_if<double>(&v)) {
            OGR_F_SetFieldDouble(f.get(), i, *d);
        }
    }
    if (gdal::Geometry g = gdal::geometry_from_wkb(wkb.data(), wkb.size())) {
        OGR_G_AssignSpatialReference(g.get(), w.srs.get());
        OGR_F_SetGeometryDirectly(f.get(), g.release());
    }
    if (OGR_L_CreateFeature(w.layer, f.get()) != OGRERR_NONE)
        throw io_error(
            fmt::format("{}: cannot write {} {}: {}", w.opt.out.string(), w.opt.item, w.written, w.reason()));
    ++w.written;
}

void VectorWriter::Impl::move_into_place() {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(tmp_dir)) files.push_back(e.path());
    for (const auto& f : files) sync_file(f);
    const fs::path folder = opt.out.parent_path().empty() ? fs::path(".") : opt.out.parent_path();
    // One file replaces the old one at once; a data set of several files (a
    // Shapefile) replaces the old one's files, all of them, by GDAL's own list.
    const bool one_file = files.size() == 1 && files.front().filename() == opt.out.filename();
    if (!one_file && fs::exists(opt.out, ec) && GDALDeleteDataset(driver, opt.out.c_str()) != CE_None)
        fs::remove(opt.out, ec);
    for (const auto& f : files) {
        fs::rename(f, folder / f.filename(), ec);
        if (ec) throw io_error(fmt::format("{}: cannot write: {}", opt.out.string(), ec.message()));
    }
    fs::remove(tmp_dir, ec);
}

std::int64_t VectorWriter::finish() {
    Impl& w = *impl_;
    try {
        take_gdal_messages();  // what writing left; errors while committing and closing fail the export
        if (w.transaction && GDALDatasetCommitTransaction(w.ds.get()) != OGRERR_NONE)
            throw io_error(fmt::format("{}: cannot write: {}", w.opt.out.string(), w.reason()));
        w.layer = nullptr;
        w.ds.reset();  // flushes and closes
        const auto m = take_gdal_messages();
        if (!m.errors.empty())
            throw io_error(fmt::format("{}: cannot write: {}", w.opt.out.string(), w.named(m.errors.front())));
        w.move_into_place();
    } catch (...) {
        w.remove_temporary();
        throw;
    }
    w.finished = true;
    return w.written;
}

}  // namespace wangge
