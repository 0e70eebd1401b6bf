// wangge/tiles/mvt.hpp — encoding Mapbox Vector Tiles (MVT 2.1).
//
// A vector tile is a protobuf message holding named layers; a layer holds features,
// each with an optional id, properties and one geometry in tile coordinates
// (geometry.hpp). Property keys and values are not stored per feature: every layer
// keeps one table of keys and one of values, and a feature refers to them by index
// ("tags"), so the builder deduplicates both tables. Values are typed: a string, a
// float, a double, a signed or unsigned 64-bit integer or a bool; the same number in
// two types is two values, as the spec wants.
//
// Geometry is written as commands (MoveTo, LineTo, ClosePath) with zigzag-encoded
// deltas from a cursor that starts at (0, 0) for every feature. What a renderer or
// GDAL needs from a polygon is not what a data source always gives, so the builder
// cleans geometry on the way in instead of writing a tile other tools reject:
//  - consecutive repeated points are dropped (the spec forbids zero-length LineTo);
//  - a ring with fewer than 3 distinct points or all its points on one line is
//    dropped; a polygon whose exterior ring is dropped is dropped with its holes (a
//    ring of zero area whose lobes cancel, like a symmetric bow-tie, is repaired below);
//  - rings are re-oriented: exterior rings get a positive area (clockwise on screen),
//    holes a negative one, by the spec's surveyor's formula;
//  - a line with fewer than 2 distinct points is dropped;
//  - a polygon feature is written valid (geometry.hpp, make_valid): as given when it
//    is (checked exactly, fast), else repaired on the integer grid. Clipping and
//    rounding leave zero-width bridges and spikes on the buffer edge, holes sharing
//    an edge with their exterior, rings that touch or cross themselves, parts rounded
//    onto each other; the repair drops what has no area and keeps the rest.
// A feature whose geometry vanishes is not written (add_* returns false).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "wangge/tiles/geometry.hpp"

namespace wangge::tiles {

/// A property value. The alternative chosen decides the MVT value type written:
/// string_value, float_value, double_value, sint_value (int64, zigzag: compact for
/// negative numbers too), uint_value, bool_value.
using Value = std::variant<std::string, float, double, std::int64_t, std::uint64_t, bool>;

/// Properties of a feature, in the order given. Keys must be unique per feature.
using Properties = std::vector<std::pair<std::string, Value>>;

inline constexpr std::uint32_t default_extent = 4096;

/// One layer of a tile being built.
class LayerBuilder {
public:
    /// `name` must be non-empty UTF-8; `extent` is the width of the tile in units.
    explicit LayerBuilder(std::string name, std::uint32_t extent = default_extent);

    const std::string& name() const noexcept { return name_; }
    std::uint32_t extent() const noexcept { return extent_; }
    std::size_t feature_count() const noexcept { return feature_count_; }
    std::size_t key_count() const noexcept { return keys_.size(); }
    std::size_t value_count() const noexcept { return values_.size(); }

    /// Add a (multi)point feature. Returns false (and writes nothing) when `points`
    /// is empty. Throws input_error for duplicate or non-UTF-8 keys, non-UTF-8 string
    /// values, or coordinates so far apart that a delta does not fit in 32 bits.
    bool add_points(const MultiPoint& points, const Properties& properties = {},
                    std::optional<std::uint64_t> id = std::nullopt);
    /// Add a (multi)linestring feature, after dropping repeated points and lines
    /// shorter than 2 distinct points. Returns false when nothing is left.
    bool add_lines(const MultiLineString& lines, const Properties& properties = {},
                   std::optional<std::uint64_t> id = std::nullopt);
    /// Add a (multi)polygon feature (each polygon: exterior ring, then holes), cleaned,
    /// oriented and made valid as described at the top of this file. Returns false when
    /// nothing is left.
    bool add_polygons(const MultiPolygon& polygons, const Properties& properties = {},
                      std::optional<std::uint64_t> id = std::nullopt);

    /// The layer message (protobuf `Layer`), as it goes inside a tile.
    std::string serialize() const;

private:
    std::vector<std::uint32_t> tags_for(const Properties& properties);
    void write_feature(std::optional<std::uint64_t> id, const std::vector<std::uint32_t>& tags, GeomType type,
                       const std::vector<std::uint32_t>& geometry);

    std::string name_;
    std::uint32_t extent_;
    std::vector<std::string> keys_;
    std::unordered_map<std::string, std::uint32_t> key_index_;
    // Values are kept as their serialized `Value` messages: equal bytes means equal
    // type and equal bits, which is exactly the dedup rule we want (1 and 1.0 differ).
    std::vector<std::string> values_;
    std::unordered_map<std::string, std::uint32_t> value_index_;
    std::string features_;  // serialized `Feature` fields, appended as features come
    std::size_t feature_count_ = 0;
};

/// A tile being built: layers in the order they were first asked for.
class TileBuilder {
public:
    /// The layer named `name`, created on first use. Layer names are unique in a tile,
    /// so asking again returns the same layer; a different extent then is a usage_error.
    /// The reference stays valid for the builder's lifetime.
    LayerBuilder& layer(const std::string& name, std::uint32_t extent = default_extent);

    /// True when no layer has a feature (such a tile need not be stored).
    bool empty() const noexcept;

    /// The encoded tile (uncompressed protobuf). Layers without features are left out:
    /// the spec allows them but they only cost bytes.
    std::string serialize() const;

private:
    std::deque<LayerBuilder> layers_;  // a deque: references handed out stay valid as layers are added
};

/// Geometry cleaning, exposed for callers that want to know what the encoder will keep
/// (and for tests). Ring: drop the closing point, consecutive repeats; nullopt when
/// fewer than 3 distinct points remain or all lie on one line.
std::optional<Ring> clean_ring(const Ring& ring);
/// Polygon: clean every ring, orient the exterior positive and holes negative; nullopt
/// when the exterior vanished. Not yet valid: add_polygons then calls make_valid.
std::optional<Polygon> clean_polygon(const Polygon& polygon);
/// Line: drop consecutive repeats; nullopt when fewer than 2 points remain.
std::optional<LineString> clean_line(const LineString& line);

/// Geometry commands (the `geometry` field) for a geometry already cleaned; exposed for
/// tests. Throws input_error when a delta does not fit in 32 bits.
std::vector<std::uint32_t> encode_points(const MultiPoint& points);
std::vector<std::uint32_t> encode_lines(const MultiLineString& lines);
std::vector<std::uint32_t> encode_polygons(const MultiPolygon& polygons);

}  // namespace wangge::tiles
