// Layers of features to a GIS file (and its siblings) with GDAL: see io/vector_writer.hpp.
#include "io/vector_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "io/gdal.hpp"
#include "wangge/error.hpp"
#include "wangge/jurisdictions.hpp"
#include "wangge/source.hpp"
#include "wangge/store.hpp"
#include "wangge/testpoint.hpp"

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
        case VectorField::Type::boolean:
            return OFTInteger;
        case VectorField::Type::datetime:
            return OFTDateTime;
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

/// A folder `tmp` that a killed export to `out` left: only files named after `out`
/// (`<stem>.*`) or its siblings (`<stem>_*`).
bool is_left_temporary(const fs::path& tmp, const fs::path& out) {
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(tmp, ec))) return false;
    const std::string own = out.stem().string() + ".", sibling = out.stem().string() + "_";
    for (const auto& e : fs::directory_iterator(tmp, ec)) {
        const std::string name = e.path().filename().string();
        if (!e.is_regular_file(ec) || (name.rfind(own, 0) != 0 && name.rfind(sibling, 0) != 0)) return false;
    }
    return !ec;
}

}  // namespace

struct VectorWriter::Impl {
    /// One data set: `out` itself or a sibling of it.
    struct Set {
        fs::path out;  // where it ends up
        fs::path tmp;  // OUT.tmp/NAME, while it is written
        gdal::Dataset ds;
        bool transaction = false;
    };
    /// One layer: in which data set (none: not written), its fields, its count.
    struct Layer {
        VectorLayerSpec spec;
        std::optional<std::size_t> set;
        OGRLayerH handle = nullptr;  // owned by its data set
        std::int64_t written = 0;
    };

    VectorWriterOptions opt;
    std::string driver_name;
    GDALDriverH driver = nullptr;
    fs::path tmp_dir;  // OUT.tmp/, holding the data sets while they are written
    // destroyed in reverse order: the data sets close before the folder goes
    gdal::SpatialRef srs;
    std::vector<Set> sets;
    std::vector<Layer> layers;
    bool finished = false;
    std::string text;  // one string value, NUL-terminated for GDAL

    /// A message of GDAL's, naming the final files where it names the temporary ones.
    std::string named(std::string m) const {
        if (tmp_dir.empty()) return m;
        const std::string t = (tmp_dir / "").string();
        const std::string o = opt.out.parent_path().empty() ? std::string() : (opt.out.parent_path() / "").string();
        for (std::size_t at = 0; (at = m.find(t, at)) != std::string::npos; at += o.size()) m.replace(at, t.size(), o);
        return m;
    }
    /// GDAL's last error message.
    std::string reason() const { return named(CPLGetLastErrorMsg()); }
    void remove_temporary() noexcept {
        for (auto& l : layers) l.handle = nullptr;
        for (auto& s : sets) s.ds.reset();
        std::error_code ec;
        if (!tmp_dir.empty()) fs::remove_all(tmp_dir, ec);
    }
    /// Create a data set at `final` (its temporary beside the others); returns its index.
    std::size_t create_set(const fs::path& final);
    /// Create `spec` as a layer of data set `set`.
    OGRLayerH create_layer(std::size_t set, const VectorLayerSpec& spec, const std::string& name);
    void move_into_place();
};

std::size_t VectorWriter::Impl::create_set(const fs::path& final) {
    std::error_code ec;
    if (fs::exists(final, ec) && !opt.overwrite)
        throw io_error(fmt::format("{}: exists already (--overwrite replaces it)", final.string()));
    Set s;
    s.out = final;
    s.tmp = tmp_dir / final.filename();
    s.ds.reset(GDALCreate(driver, s.tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!s.ds) throw io_error(fmt::format("{}: cannot create: {}", final.string(), reason()));
    sets.push_back(std::move(s));
    return sets.size() - 1;
}

OGRLayerH VectorWriter::Impl::create_layer(std::size_t set, const VectorLayerSpec& spec, const std::string& name) {
    const fs::path& final = sets[set].out;
    std::vector<std::string> options;
    if (driver_name == "ESRI Shapefile") options.push_back("ENCODING=UTF-8");
    if (!spec.fid.empty() && driver_name == "GPKG") options.push_back("FID=" + spec.fid);
    std::vector<char*> lco;
    for (auto& o : options) lco.push_back(o.data());
    lco.push_back(nullptr);
    OGRLayerH layer = GDALDatasetCreateLayer(sets[set].ds.get(), name.c_str(), spec.geometry ? srs.get() : nullptr,
                                             spec.geometry ? wkbMultiPolygon : wkbNone, lco.data());
    if (!layer) throw io_error(fmt::format("{}: cannot create layer {}: {}", final.string(), name, reason()));
    for (const auto& f : spec.fields) {
        const gdal::FieldDefn fd(OGR_Fld_Create(f.name.c_str(), ogr_type(f.type)));
        if (f.type == VectorField::Type::boolean) OGR_Fld_SetSubType(fd.get(), OFSTBoolean);
        if (f.width) OGR_Fld_SetWidth(fd.get(), f.width);
        if (f.precision) OGR_Fld_SetPrecision(fd.get(), f.precision);
        if (OGR_L_CreateField(layer, fd.get(), 1) != OGRERR_NONE)
            throw io_error(fmt::format("{}: cannot create field {}", final.string(), f.name));
    }
    return layer;
}

VectorWriter::VectorWriter(const VectorWriterOptions& options) : impl_(std::make_unique<Impl>()) {
    Impl& w = *impl_;
    w.opt = options;
    const fs::path& out = w.opt.out;
    gdal::init();
    w.driver_name = w.opt.format.empty() ? driver_for_path(out) : w.opt.format;
    w.driver = GDALGetDriverByName(w.driver_name.c_str());
    if (!w.driver) throw usage_error(fmt::format("GDAL has no vector driver '{}'", w.driver_name));
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

    try {
        w.srs = gdal::srs_from_epsg(store_srid);
        const std::size_t main = w.create_set(out);
        Impl::Layer first;
        first.spec = {w.opt.layer.empty() ? out.stem().string() : w.opt.layer, w.opt.fields, w.opt.item, true, {}};
        first.set = main;
        first.handle = w.create_layer(main, first.spec, first.spec.name);
        w.layers.push_back(std::move(first));
        for (const auto& spec : w.opt.more) {
            Impl::Layer l;
            l.spec = spec;
            // a Shapefile data set made from a .shp name says it takes more layers, but
            // puts them beside it named after the layer alone: a sibling of ours instead
            const bool several = w.driver_name != "ESRI Shapefile" &&
                                 GDALDatasetTestCapability(w.sets[main].ds.get(), ODsCCreateLayer);
            if (several) {
                l.set = main;
            } else if (spec.geometry) {
                // a one-layer driver: the layer is a data set of its own beside `out`
                l.set = w.create_set(out.parent_path() / (out.stem().string() + "_" + spec.name + out.extension().string()));
            }
            if (l.set) l.handle = w.create_layer(*l.set, spec, spec.name);
            w.layers.push_back(std::move(l));
        }
        for (auto& s : w.sets) s.transaction = GDALDatasetStartTransaction(s.ds.get(), 0) == OGRERR_NONE;
    } catch (...) {
        w.remove_temporary();
        throw;
    }
}

VectorWriter::~VectorWriter() {
    if (!impl_->finished) impl_->remove_temporary();
}

void VectorWriter::write(const std::vector<VectorValue>& values, const std::vector<unsigned char>& wkb) {
    write(0, values, wkb);
}

bool VectorWriter::has_layer(std::size_t layer) const {
    return layer < impl_->layers.size() && impl_->layers[layer].set.has_value();
}

fs::path VectorWriter::path_of(std::size_t layer) const {
    const auto& l = impl_->layers.at(layer);
    return l.set ? impl_->sets[*l.set].out : fs::path();
}

std::int64_t VectorWriter::written(std::size_t layer) const { return impl_->layers.at(layer).written; }

void VectorWriter::write(std::size_t layer, const std::vector<VectorValue>& values,
                         const std::vector<unsigned char>& wkb) {
    Impl& w = *impl_;
    Impl::Layer& l = w.layers.at(layer);
    if (!l.handle) return;  // a table the driver cannot hold
    const gdal::Feature f(OGR_F_Create(OGR_L_GetLayerDefn(l.handle)));
    const int n = static_cast<int>(std::min(values.size(), l.spec.fields.size()));
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
    if (l.spec.geometry) {
        if (gdal::Geometry g = gdal::geometry_from_wkb(wkb.data(), wkb.size())) {
            OGR_G_AssignSpatialReference(g.get(), w.srs.get());
            OGR_F_SetGeometryDirectly(f.get(), g.release());
        }
    }
    if (OGR_L_CreateFeature(l.handle, f.get()) != OGRERR_NONE)
        throw io_error(fmt::format("{}: cannot write {} {}: {}", w.sets[*l.set].out.string(), l.spec.item, l.written,
                                   w.reason()));
    ++l.written;
}

void VectorWriter::Impl::move_into_place() {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(tmp_dir)) files.push_back(e.path());
    for (const auto& f : files) sync_file(f);
    const fs::path folder = opt.out.parent_path().empty() ? fs::path(".") : opt.out.parent_path();
    // A data set of one file replaces the old one at once; one of several files (a
    // Shapefile) replaces the old one's files, all of them, by GDAL's own list.
    for (const auto& s : sets) {
        std::size_t own = 0;
        for (const auto& f : files) own += f.stem() == s.out.stem();
        const bool one_file = own == 1 && fs::exists(s.tmp, ec);
        if (!one_file && fs::exists(s.out, ec) && GDALDeleteDataset(driver, s.out.c_str()) != CE_None)
            fs::remove(s.out, ec);
    }
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
        for (auto& s : w.sets)
            if (s.transaction && GDALDatasetCommitTransaction(s.ds.get()) != OGRERR_NONE)
                throw io_error(fmt::format("{}: cannot write: {}", s.out.string(), w.reason()));
        for (auto& l : w.layers) l.handle = nullptr;
        for (auto& s : w.sets) s.ds.reset();  // flushes and closes
        const auto m = take_gdal_messages();
        if (!m.errors.empty())
            throw io_error(fmt::format("{}: cannot write: {}", w.opt.out.string(), w.named(m.errors.front())));
        pause_point("export:written");  // tests: killed here, no file of the export may show
        w.move_into_place();
    } catch (...) {
        w.remove_temporary();
        throw;
    }
    w.finished = true;
    return w.layers.front().written;
}

}  // namespace wangge
