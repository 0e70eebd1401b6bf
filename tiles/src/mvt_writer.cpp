#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <protozero/pbf_writer.hpp>

#include "mvt_wire.hpp"
#include "wangge/error.hpp"
#include "wangge/text.hpp"
#include "wangge/tiles/mvt.hpp"

namespace wangge::tiles {

namespace {

std::uint32_t command(std::uint32_t id, std::size_t count) {
    if (count > wire::max_command_count)
        throw input_error(
            fmt::format("geometry command with {} points is over the MVT limit of {}", count, wire::max_command_count));
    return (id & 0x7u) | (static_cast<std::uint32_t>(count) << 3);
}

// The cursor of the spec: every coordinate is written as a delta from the previous
// one, starting from (0, 0) for each feature.
class Cursor {
public:
    explicit Cursor(std::vector<std::uint32_t>& out) : out_(out) {}

    void to(Point p) {
        const std::int64_t dx = std::int64_t{p.x} - x_;
        const std::int64_t dy = std::int64_t{p.y} - y_;
        constexpr std::int64_t lo = std::numeric_limits<std::int32_t>::min();
        constexpr std::int64_t hi = std::numeric_limits<std::int32_t>::max();
        if (dx < lo || dx > hi || dy < lo || dy > hi)
            throw input_error(
                fmt::format("tile coordinates ({}, {}) and ({}, {}) are too far apart to encode", x_, y_, p.x, p.y));
        out_.push_back(protozero::encode_zigzag32(static_cast<std::int32_t>(dx)));
        out_.push_back(protozero::encode_zigzag32(static_cast<std::int32_t>(dy)));
        x_ = p.x;
        y_ = p.y;
    }

private:
    std::vector<std::uint32_t>& out_;
    std::int64_t x_ = 0;
    std::int64_t y_ = 0;
};

std::string serialize_value(const Value& v) {
    std::string s;
    protozero::pbf_writer w(s);
    std::visit(
        [&w](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::string>)
                w.add_string(wire::value_string, x);
            else if constexpr (std::is_same_v<T, float>)
                w.add_float(wire::value_float, x);
            else if constexpr (std::is_same_v<T, double>)
                w.add_double(wire::value_double, x);
            else if constexpr (std::is_same_v<T, std::int64_t>)
                w.add_sint64(wire::value_sint, x);
            else if constexpr (std::is_same_v<T, std::uint64_t>)
                w.add_uint64(wire::value_uint, x);
            else
                w.add_bool(wire::value_bool, x);
        },
        v);
    return s;
}

void drop_repeats(std::vector<Point>& pts) {
    pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
}

// Reverse the orientation, keeping the ring's first point first.
void reverse_ring(Ring& r) {
    std::reverse(r.begin() + 1, r.end());
}

}  // namespace

// ---------------------------------------------------------------- cleaning

std::optional<Ring> clean_ring(const Ring& ring) {
    Ring r = ring;
    drop_repeats(r);
    // Closed or not, the ring is stored open: ClosePath implies the closing segment.
    while (r.size() > 1 && r.back() == r.front()) r.pop_back();
    // Zero area with points off one line is a ring crossing itself: make_valid's.
    if (r.size() < 3 || (ring_area2(r) == 0 && collinear(r))) return std::nullopt;
    return r;
}

std::optional<Polygon> clean_polygon(const Polygon& polygon) {
    if (polygon.empty()) return std::nullopt;
    auto exterior = clean_ring(polygon.front());
    if (!exterior) return std::nullopt;
    Polygon out;
    if (ring_area2(*exterior) < 0) reverse_ring(*exterior);
    out.push_back(std::move(*exterior));
    for (std::size_t i = 1; i < polygon.size(); ++i) {
        auto hole = clean_ring(polygon[i]);
        if (!hole) continue;
        if (ring_area2(*hole) > 0) reverse_ring(*hole);
        out.push_back(std::move(*hole));
    }
    return out;
}

std::optional<LineString> clean_line(const LineString& line) {
    LineString l = line;
    drop_repeats(l);
    if (l.size() < 2) return std::nullopt;
    return l;
}

// ---------------------------------------------------------------- commands

std::vector<std::uint32_t> encode_points(const MultiPoint& points) {
    std::vector<std::uint32_t> out;
    if (points.empty()) return out;
    out.reserve(1 + 2 * points.size());
    out.push_back(command(wire::cmd_move_to, points.size()));
    Cursor c(out);
    for (const auto& p : points) c.to(p);
    return out;
}

std::vector<std::uint32_t> encode_lines(const MultiLineString& lines) {
    std::vector<std::uint32_t> out;
    Cursor c(out);
    for (const auto& line : lines) {
        if (line.size() < 2) throw usage_error("encode_lines: a line needs 2 points (clean it first)");
        out.push_back(command(wire::cmd_move_to, 1));
        c.to(line.front());
        out.push_back(command(wire::cmd_line_to, line.size() - 1));
        for (std::size_t i = 1; i < line.size(); ++i) c.to(line[i]);
    }
    return out;
}

std::vector<std::uint32_t> encode_polygons(const MultiPolygon& polygons) {
    std::vector<std::uint32_t> out;
    Cursor c(out);
    for (const auto& polygon : polygons) {
        for (const auto& ring : polygon) {
            if (ring.size() < 3) throw usage_error("encode_polygons: a ring needs 3 points (clean it first)");
            out.push_back(command(wire::cmd_move_to, 1));
            c.to(ring.front());
            out.push_back(command(wire::cmd_line_to, ring.size() - 1));
            for (std::size_t i = 1; i < ring.size(); ++i) c.to(ring[i]);
            out.push_back(command(wire::cmd_close_path, 1));
        }
    }
    return out;
}

// ---------------------------------------------------------------- LayerBuilder

LayerBuilder::LayerBuilder(std::string name, std::uint32_t extent) : name_(std::move(name)), extent_(extent) {
    if (name_.empty()) throw usage_error("a tile layer needs a name");
    if (!text::is_valid_utf8(name_)) throw input_error(fmt::format("layer name '{}' is not UTF-8", name_));
    if (extent_ == 0) throw usage_error(fmt::format("layer '{}': extent must be positive", name_));
}

std::vector<std::uint32_t> LayerBuilder::tags_for(const Properties& properties) {
    std::vector<std::uint32_t> tags;
    tags.reserve(2 * properties.size());
    for (std::size_t i = 0; i < properties.size(); ++i) {
        const auto& [key, value] = properties[i];
        for (std::size_t j = 0; j < i; ++j)
            if (properties[j].first == key)
                throw input_error(fmt::format("layer '{}': property '{}' given twice for one feature", name_, key));
        if (!text::is_valid_utf8(key))
            throw input_error(fmt::format("layer '{}': property key '{}' is not UTF-8", name_, key));
        if (const auto* s = std::get_if<std::string>(&value); s && !text::is_valid_utf8(*s))
            throw input_error(fmt::format("layer '{}': value of property '{}' is not UTF-8", name_, key));

        auto k = key_index_.find(key);
        if (k == key_index_.end()) {
            k = key_index_.emplace(key, static_cast<std::uint32_t>(keys_.size())).first;
            keys_.push_back(key);
        }
        std::string bytes = serialize_value(value);
        auto v = value_index_.find(bytes);
        if (v == value_index_.end()) {
            v = value_index_.emplace(bytes, static_cast<std::uint32_t>(values_.size())).first;
            values_.push_back(std::move(bytes));
        }
        tags.push_back(k->second);
        tags.push_back(v->second);
    }
    return tags;
}

void LayerBuilder::write_feature(std::optional<std::uint64_t> id, const std::vector<std::uint32_t>& tags, GeomType type,
                                 const std::vector<std::uint32_t>& geometry) {
    protozero::pbf_writer layer(features_);
    protozero::pbf_writer f(layer, wire::layer_features);
    if (id) f.add_uint64(wire::feature_id, *id);
    f.add_packed_uint32(wire::feature_tags, tags.begin(), tags.end());
    f.add_enum(wire::feature_type, static_cast<std::int32_t>(type));
    f.add_packed_uint32(wire::feature_geometry, geometry.begin(), geometry.end());
    ++feature_count_;
}

bool LayerBuilder::add_points(const MultiPoint& points, const Properties& properties, std::optional<std::uint64_t> id) {
    if (points.empty()) return false;
    // Commands first: an input_error there must leave the key/value tables untouched.
    const auto geometry = encode_points(points);
    write_feature(id, tags_for(properties), GeomType::point, geometry);
    return true;
}

bool LayerBuilder::add_lines(const MultiLineString& lines, const Properties& properties,
                             std::optional<std::uint64_t> id) {
    MultiLineString kept;
    for (const auto& l : lines)
        if (auto c = clean_line(l)) kept.push_back(std::move(*c));
    if (kept.empty()) return false;
    const auto geometry = encode_lines(kept);
    write_feature(id, tags_for(properties), GeomType::linestring, geometry);
    return true;
}

bool LayerBuilder::add_polygons(const MultiPolygon& polygons, const Properties& properties,
                                std::optional<std::uint64_t> id) {
    MultiPolygon kept;
    for (const auto& p : polygons)
        if (auto c = clean_polygon(p)) kept.push_back(std::move(*c));
    kept = make_valid(kept);
    if (kept.empty()) return false;
    const auto geometry = encode_polygons(kept);
    write_feature(id, tags_for(properties), GeomType::polygon, geometry);
    return true;
}

std::string LayerBuilder::serialize() const {
    std::string out;
    {
        protozero::pbf_writer w(out);
        w.add_uint32(wire::layer_version, 2);
        w.add_string(wire::layer_name, name_);
    }
    out += features_;
    protozero::pbf_writer w(out);
    for (const auto& k : keys_) w.add_string(wire::layer_keys, k);
    for (const auto& v : values_) w.add_message(wire::layer_values, v);
    w.add_uint32(wire::layer_extent, extent_);
    return out;
}

// ---------------------------------------------------------------- TileBuilder

LayerBuilder& TileBuilder::layer(const std::string& name, std::uint32_t extent) {
    for (auto& l : layers_) {
        if (l.name() != name) continue;
        if (l.extent() != extent)
            throw usage_error(fmt::format("tile layer '{}' asked for with extent {} and {}", name, l.extent(), extent));
        return l;
    }
    return layers_.emplace_back(name, extent);
}

bool TileBuilder::empty() const noexcept {
    return std::all_of(layers_.begin(), layers_.end(), [](const auto& l) { return l.feature_count() == 0; });
}

std::string TileBuilder::serialize() const {
    std::string out;
    protozero::pbf_writer w(out);
    for (const auto& l : layers_)
        if (l.feature_count() > 0) w.add_message(wire::tile_layers, l.serialize());
    return out;
}

}  // namespace wangge::tiles
