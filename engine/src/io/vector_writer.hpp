// io/vector_writer.hpp — writing layers of features to a GIS file with GDAL
// (internal to the engine): the one output set-up of `export` (jurisdictions and grids).
//
//  * Driver: `format` (a GDAL driver short name) or, when empty, driver_for_path(out).
//  * Output file rule (docs/cli.md, "Output files"): an existing `out` is refused
//    (io_error "OUT: exists already (--overwrite replaces it)") unless `overwrite`.
//    The data set is written in a temporary folder beside it, `OUT.tmp/` (the files keep
//    their own names there, so every driver writes what it writes for `out`), synced,
//    and moved into place by finish(): the old file stays whole until the new one is
//    complete, and a failed or abandoned write leaves neither a half file nor the
//    temporary folder. A temporary folder a killed run left is removed first.
//  * Layer: named `layer` (empty: after `out`'s stem), MultiPolygon, CGCS2000 lon/lat
//    (EPSG:4490, x = lon); a Shapefile is written with ENCODING=UTF-8 (a .cpg) and a .prj.
//  * More layers (`more`): in the same data set where the driver holds several
//    (GeoPackage); else each in a sibling data set `<stem>_<name><ext>` beside `out`
//    (Shapefile, GeoJSON, FlatGeobuf), under the same output rule: refused when it
//    exists without `overwrite`, written in the same temporary folder and moved into
//    place with `out` by finish(), so a failed write leaves none of the files. A layer
//    without geometry (a table, e.g. GeoPackage's layer_styles) only goes in the same
//    data set: for a one-layer driver it is left out (writes to it are ignored).
//  * Fields with their widths and precisions; features in one transaction where the
//    driver has them.
//  * Errors are io_error naming `out` (never the temporary), with GDAL's reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wangge {

struct VectorField {
    enum class Type { string, int64, real, boolean, datetime };  ///< datetime: a text GDAL parses
    std::string name;  ///< at most 10 characters for a Shapefile's DBF
    Type type = Type::string;
    int width = 0;      ///< 0: the driver's default
    int precision = 0;  ///< decimals of a real; 0: the driver's default
};

/// One field's value: unset, text (UTF-8), an integer or a real.
using VectorValue = std::variant<std::monostate, std::string_view, std::int64_t, double>;

/// A layer after the first (see `more` above).
struct VectorLayerSpec {
    std::string name;  ///< layer name; for a one-layer driver the sibling file's suffix
    std::vector<VectorField> fields;
    std::string item = "feature";
    bool geometry = true;  ///< false: a table without geometry
    std::string fid;       ///< name of the FID column where the driver has one (GeoPackage); empty: its default
};

struct VectorWriterOptions {
    std::filesystem::path out;
    std::string format;  ///< GDAL driver short name; empty: from the extension (driver_for_path)
    bool overwrite = false;
    std::vector<VectorField> fields;
    std::string item = "feature";  ///< what one feature is, in messages: "OUT: cannot write grid 12: ..."
    std::string layer{};           ///< the first layer's name; empty: `out`'s stem
    std::vector<VectorLayerSpec> more{};  ///< layers 1, 2...
};

class VectorWriter {
public:
    /// Checks the driver and the output rule, creates the data set (under the
    /// temporary name), its layer and fields. Throws usage_error for an unknown
    /// driver, io_error otherwise.
    explicit VectorWriter(const VectorWriterOptions& options);
    /// Without finish(): the temporary is removed and `out` is as it was.
    ~VectorWriter();
    VectorWriter(const VectorWriter&) = delete;
    VectorWriter& operator=(const VectorWriter&) = delete;

    /// Write one feature to the first layer: values by field (as many as fields, in
    /// their order) and its geometry as WKB (EPSG:4490; empty or not WKB: no geometry).
    void write(const std::vector<VectorValue>& values, const std::vector<unsigned char>& wkb);
    /// The same to layer `layer` (0: the first, 1: more[0]...).
    void write(std::size_t layer, const std::vector<VectorValue>& values, const std::vector<unsigned char>& wkb);
    /// Whether layer `layer` is written (false: a table a one-layer driver cannot hold).
    bool has_layer(std::size_t layer) const;
    /// Where layer `layer` ends up: `out`, or its sibling file.
    std::filesystem::path path_of(std::size_t layer) const;
    /// Commit, close and move the file(s) into place. Returns the number of features
    /// of the first layer.
    std::int64_t finish();
    /// Features written to layer `layer`.
    std::int64_t written(std::size_t layer) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wangge
