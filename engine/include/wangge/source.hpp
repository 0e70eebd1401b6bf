// wangge/source.hpp — reading features from any GDAL vector source.
//
// Every importer (jurisdictions now; households, barriers and events later) reads
// through VectorSource, which settles three things once per file:
//  * CRS: from the file (.prj, embedded), or `s_srs`; a file without one is refused.
//    Geometry is transformed to CGCS2000 lon/lat (EPSG:4490), x = lon, y = lat, by
//    one coordinate operation for the whole file: the first PROJ offers for the
//    file's extent. An operation that is only a ballpark offset (PROJ knows no real
//    datum shift: NAD27, Beijing 1954, Xian 1980... to CGCS2000), or whose accuracy
//    is unknown or worse than 1 m, refuses the file (input_error naming the file,
//    the CRS, the operation and its accuracy) unless `allow_ballpark`, which turns
//    it into a warning. Projections alone (UTM, Gauss-Kruger, Web Mercator) are
//    exact; WGS 84 and CGCS2000 are taken as the same datum by convention (PROJ
//    offers only a zero ballpark offset between them; they agree within about a
//    metre in China), so WGS 84 data passes.
//  * Text encoding: `encoding` if given; else the file's own (.cpg / DBF language
//    id / format rules); a Shapefile with neither is scanned and read as UTF-8 if
//    every value is valid UTF-8, else as GB18030 (GBK). Text is always UTF-8 here.
//  * Field lookup by name, case-insensitively.
//  * A damaged file is refused whole (input_error): a Shapefile whose .shp, .shx
//    and .dbf disagree on how many records they hold is truncated; an error GDAL
//    reports while reading ends the read with its message. No --skip-invalid
//    lets a broken file through.
//  * Size: a feature with more than max_vertices vertices, or more than max_parts
//    parts and rings, has a geometry_error naming the count (an importer rejects
//    it), so one hostile feature cannot make later steps take minutes and GBs.
//  * GDAL's own messages never reach stderr: one handler, installed by the first
//    VectorSource (or install_gdal_message_handler()), keeps them per thread; a
//    source turns the errors into its exceptions and its warnings into
//    warnings(), each message once with how many times it came.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wangge {

class Store;

/// Default limits of one feature's geometry (see SourceOptions).
inline constexpr std::int64_t default_max_vertices = 200000;
inline constexpr std::int64_t default_max_parts = 10000;

/// Install the process's one GDAL message handler (idempotent): GDAL's messages
/// are kept for the calling thread instead of being printed.
void install_gdal_message_handler();
/// GDAL's messages of this thread since the last call: errors ("ERROR" level and
/// worse) and warnings, each as GDAL wrote it. Debug messages are dropped.
struct GdalMessages {
    std::vector<std::string> errors, warnings;
};
GdalMessages take_gdal_messages();

struct SourceOptions {
    std::filesystem::path file;
    std::string layer;      ///< layer name; empty: the first (only) layer
    /// With `layer` empty and several layers in the file: this one, when it is there
    /// (`import edits` reads "grids" from an exported GeoPackage).
    std::string preferred_layer;
    std::string s_srs;      ///< override the source CRS (EPSG:4549, a .prj path, WKT, PROJ string)
    std::string encoding;   ///< override the text encoding (GBK, GB18030, UTF-8, CP936...)
    bool allow_ballpark = false;  ///< accept a ballpark / unknown / worse than 1 m datum transformation, warning
    std::int64_t max_vertices = default_max_vertices;  ///< vertices of one feature's geometry, at most
    std::int64_t max_parts = default_max_parts;        ///< parts and rings of one feature's geometry, at most
};

/// The coordinate operation a source is read with, recorded with each import.
struct CrsOperation {
    std::string description;     ///< PROJ's name, e.g. "Inverse of 3-degree Gauss-Kruger CM 120E"
    double accuracy_m = 0;       ///< as PROJ states it (conversions: 0); -1 when unknown
    bool ballpark = false;       ///< a ballpark offset: no real datum transformation
    bool by_convention = false;  ///< WGS 84 <-> CGCS2000: would be refused, taken as exact
    bool refused() const noexcept { return !by_convention && (ballpark || accuracy_m < 0 || accuracy_m > 1.0); }
    /// "0 m", "0.5 m", "unknown (a ballpark offset)", "exact by convention (WGS 84 = CGCS2000)"
    std::string accuracy_text() const;
};

struct SourceFeature {
    std::int64_t fid = -1;                          ///< GDAL's feature id, as ogrinfo/QGIS show it
    std::vector<std::optional<std::string>> fields; ///< UTF-8 text of each field; nullopt when unset/null
    std::vector<std::string> field_errors;          ///< per field: why its text could not be decoded ("" if fine)
    std::vector<unsigned char> wkb;                 ///< geometry in EPSG:4490 lon/lat; empty when none
    std::string geometry_type;                      ///< OGR name of the source geometry type ("" when none)
    std::string geometry_error;                     ///< why the geometry could not be read or transformed
};

class VectorSource {
public:
    explicit VectorSource(const SourceOptions& options);
    ~VectorSource();
    VectorSource(const VectorSource&) = delete;
    VectorSource& operator=(const VectorSource&) = delete;

    const std::vector<std::string>& field_names() const noexcept { return field_names_; }
    /// Index of a field by case-insensitive name; nullopt when absent.
    std::optional<int> field_index(std::string_view name) const;
    /// Like field_index, but throws input_error naming the file and the fields it has.
    int require_field(std::string_view name, std::string_view option) const;

    std::int64_t feature_count();
    /// The next feature; false at the end.
    bool next(SourceFeature& out);
    void rewind();

    const std::string& file_name() const noexcept { return file_name_; }
    const std::string& driver() const noexcept { return driver_; }
    /// "EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)" or similar.
    const std::string& crs_description() const noexcept { return crs_description_; }
    /// The encoding used for text ("UTF-8", "GB18030 (detected)", "GBK (.cpg)"...).
    const std::string& encoding_description() const noexcept { return encoding_description_; }
    /// How coordinates reach CGCS2000 ("none" when the file is in it already).
    const CrsOperation& crs_operation() const noexcept { return operation_; }
    /// Warnings about the whole file (a ballpark transformation let through), and
    /// GDAL's warnings, each once with its count ("... (12 times)"); complete
    /// after the last next().
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }

private:
    void choose_operation(const SourceOptions& options);
    /// Move GDAL's messages into warnings_; throw input_error with the errors,
    /// prefixed by `where`, if there are any.
    void absorb_gdal_messages(const std::string& where);
    void count_gdal_warning(const std::string& message);

    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::vector<std::string> field_names_;
    std::string file_name_, driver_, crs_description_, encoding_description_;
    CrsOperation operation_;
    std::vector<std::string> warnings_;
    std::int64_t max_vertices_ = default_max_vertices, max_parts_ = default_max_parts;
    std::vector<std::pair<std::string, std::size_t>> gdal_warnings_;  // message, times; index in warnings_ below
    std::vector<std::size_t> gdal_warning_slots_;
};

/// Record on an import run (import_runs row `import_id`) the source CRS and the
/// coordinate operation the file was read with, and its accuracy.
void record_source_crs(Store& store, std::int64_t import_id, const VectorSource& source);

} // namespace wangge
