#include "wangge/tiles/mvt_reader.hpp"

#include <fmt/format.h>

#include <protozero/exception.hpp>
#include <protozero/pbf_reader.hpp>
#include <set>

#include "mvt_wire.hpp"
#include "wangge/error.hpp"
#include "wangge/tiles/gzip.hpp"
#include "wangge/tiles/tileset.hpp"

namespace wangge::tiles {

namespace {

using protozero::pbf_reader;
using WireType = protozero::pbf_wire_type;

// Geometry errors are thrown without a location; decode_feature adds it.
[[noreturn]] void bad_geometry(std::string_view reason) {
    throw input_error(std::string(reason));
}

[[noreturn]] void fail(const std::string& where, std::string_view reason) {
    throw input_error(fmt::format("vector tile: {}: {}", where, reason));
}

const char* wire_name(WireType t) {
    switch (t) {
        case WireType::varint:
            return "varint";
        case WireType::fixed64:
            return "fixed64";
        case WireType::length_delimited:
            return "length-delimited";
        case WireType::fixed32:
            return "fixed32";
        default:
            break;
    }
    return "unknown";
}

void expect_wire(const pbf_reader& r, WireType t, const std::string& where, std::string_view field) {
    if (r.wire_type() != t)
        fail(where,
             fmt::format("field '{}' is encoded as {} instead of {}", field, wire_name(r.wire_type()), wire_name(t)));
}

void once(bool& seen, const std::string& where, std::string_view field) {
    if (seen) fail(where, fmt::format("field '{}' appears twice", field));
    seen = true;
}

bool in_extension_range(std::uint32_t tag) {
    return tag >= wire::extensions_first && tag <= wire::extensions_last;
}

Value decode_value(std::string_view data, const std::string& where) {
    pbf_reader r(data);
    std::optional<Value> v;
    int fields = 0;
    while (r.next()) {
        ++fields;
        switch (r.tag()) {
            case wire::value_string:
                expect_wire(r, WireType::length_delimited, where, "string_value");
                v = r.get_string();
                break;
            case wire::value_float:
                expect_wire(r, WireType::fixed32, where, "float_value");
                v = r.get_float();
                break;
            case wire::value_double:
                expect_wire(r, WireType::fixed64, where, "double_value");
                v = r.get_double();
                break;
            case wire::value_int:
                expect_wire(r, WireType::varint, where, "int_value");
                v = r.get_int64();
                break;
            case wire::value_uint:
                expect_wire(r, WireType::varint, where, "uint_value");
                v = r.get_uint64();
                break;
            case wire::value_sint:
                expect_wire(r, WireType::varint, where, "sint_value");
                v = r.get_sint64();
                break;
            case wire::value_bool:
                expect_wire(r, WireType::varint, where, "bool_value");
                // not get_bool(): protozero's reads the varint's first byte before checking
                // that there is one (a bool field at the end of the data read past it; found
                // by fuzzing, tests/fuzz/regressions/mvt/)
                v = r.get_uint64() != 0;
                break;
            default:
                fail(where, fmt::format("value has an unknown field {}", r.tag()));
        }
    }
    if (fields != 1 || !v)
        fail(where, fmt::format("a value must have exactly one typed field, this one has {}", fields));
    return *v;
}

// Reads the command stream with bounds checks; coordinates wrap at 32 bits.
class CommandReader {
public:
    explicit CommandReader(const std::vector<std::uint32_t>& c) : c_(c) {}

    bool done() const noexcept { return i_ == c_.size(); }

    // The next command integer, split into id and count.
    std::pair<std::uint32_t, std::uint32_t> command() {
        if (done()) bad_geometry("geometry ends where a command was expected");
        const std::uint32_t v = c_[i_++];
        const std::uint32_t id = v & 0x7u;
        if (id != wire::cmd_move_to && id != wire::cmd_line_to && id != wire::cmd_close_path)
            bad_geometry(fmt::format("unknown geometry command id {}", id));
        return {id, v >> 3};
    }

    // Check before reading: a huge count must fail here, not allocate.
    void need_points(std::uint32_t count) const {
        if (std::uint64_t{count} * 2 > c_.size() - i_)
            bad_geometry(fmt::format("command count {} exceeds the {} parameters left", count, c_.size() - i_));
    }

    // Next point; `delta_zero` tells whether dX and dY were both 0.
    Point point(bool& delta_zero) {
        const std::int32_t dx = protozero::decode_zigzag32(c_[i_++]);
        const std::int32_t dy = protozero::decode_zigzag32(c_[i_++]);
        delta_zero = dx == 0 && dy == 0;
        // Unsigned arithmetic: wraps instead of overflowing (fixtures 049 and 050).
        x_ = static_cast<std::int32_t>(static_cast<std::uint32_t>(x_) + static_cast<std::uint32_t>(dx));
        y_ = static_cast<std::int32_t>(static_cast<std::uint32_t>(y_) + static_cast<std::uint32_t>(dy));
        return {x_, y_};
    }

    // Peek at the next command id without consuming it (0 at the end).
    std::uint32_t peek_id() const noexcept { return done() ? 0 : (c_[i_] & 0x7u); }

private:
    const std::vector<std::uint32_t>& c_;
    std::size_t i_ = 0;
    std::int32_t x_ = 0;
    std::int32_t y_ = 0;
};

// MoveTo with count 1, then one point: how lines and rings start.
Point start(CommandReader& r, const char* what) {
    const auto [id, count] = r.command();
    if (id != wire::cmd_move_to) bad_geometry(fmt::format("{} must start with MoveTo", what));
    if (count != 1) bad_geometry(fmt::format("{} starts with MoveTo of count {} instead of 1", what, count));
    r.need_points(1);
    bool zero = false;
    return r.point(zero);
}

// LineTo with at least `min_count` points, appended to `pts`.
void line_to(CommandReader& r, std::vector<Point>& pts, std::uint32_t min_count, const char* what) {
    const auto [id, count] = r.command();
    if (id != wire::cmd_line_to) bad_geometry(fmt::format("{} needs LineTo after its MoveTo", what));
    if (count < min_count)
        bad_geometry(fmt::format("{} has LineTo of count {} (at least {} needed)", what, count, min_count));
    r.need_points(count);
    for (std::uint32_t k = 0; k < count; ++k) {
        bool zero = false;
        pts.push_back(r.point(zero));
        if (zero) bad_geometry(fmt::format("{} has a LineTo with zero delta (repeated point)", what));
    }
}

// What decoding takes in memory is counted against a budget: a tile of 2-byte tags
// may refer to long keys and values again and again, tiny features cost a Feature each.
void charge(std::size_t& budget, std::size_t cost, const std::string& where) {
    if (cost > budget) fail(where, fmt::format("the tile decodes to more than {} MiB", max_decoded_tile_bytes >> 20));
    budget -= cost;
}

std::size_t property_cost(const std::string& key, const Value& v) {
    const auto* s = std::get_if<std::string>(&v);
    return sizeof(std::pair<std::string, Value>) + key.size() + (s ? s->size() : 0);
}

Feature decode_feature(std::string_view data, const Layer& layer, const std::string& where, std::size_t& budget) {
    // the Feature, its raw commands and decoded points (8 bytes a point, at most one
    // per byte of the feature)
    charge(budget, sizeof(Feature) + 12 * data.size(), where);
    Feature f;
    pbf_reader r(data);
    bool has_id = false, has_tags = false, has_type = false, has_geometry = false;
    std::vector<std::uint32_t> tags;
    while (r.next()) {
        switch (r.tag()) {
            case wire::feature_id:
                once(has_id, where, "id");
                expect_wire(r, WireType::varint, where, "id");
                f.id = r.get_uint64();
                break;
            case wire::feature_tags: {
                once(has_tags, where, "tags");
                expect_wire(r, WireType::length_delimited, where, "tags");
                const auto range = r.get_packed_uint32();
                tags.assign(range.begin(), range.end());
                break;
            }
            case wire::feature_type: {
                once(has_type, where, "type");
                expect_wire(r, WireType::varint, where, "type");
                const std::int32_t t = r.get_enum();
                if (t < 0 || t > 3) fail(where, fmt::format("unknown geometry type {}", t));
                f.type = static_cast<GeomType>(t);
                break;
            }
            case wire::feature_geometry: {
                once(has_geometry, where, "geometry");
                expect_wire(r, WireType::length_delimited, where, "geometry");
                const auto range = r.get_packed_uint32();
                f.geometry.assign(range.begin(), range.end());
                break;
            }
            default:
                fail(where, fmt::format("feature has an unknown field {}", r.tag()));
        }
    }
    if (!has_type) fail(where, "feature has no geometry type");
    if (!has_geometry) fail(where, "feature has no geometry");
    if (tags.size() % 2 != 0) fail(where, fmt::format("feature has an odd number of tags ({})", tags.size()));
    f.properties.reserve(tags.size() / 2);
    for (std::size_t i = 0; i < tags.size(); i += 2) {
        if (tags[i] >= layer.keys.size())
            fail(where, fmt::format("tag refers to key {} of {}", tags[i], layer.keys.size()));
        if (tags[i + 1] >= layer.values.size())
            fail(where, fmt::format("tag refers to value {} of {}", tags[i + 1], layer.values.size()));
        charge(budget, property_cost(layer.keys[tags[i]], layer.values[tags[i + 1]]), where);
        f.properties.emplace_back(layer.keys[tags[i]], layer.values[tags[i + 1]]);
    }
    try {
        decode_geometry(f.type, f.geometry, layer.version, f);
    } catch (const input_error& e) {
        fail(where, e.what());
    }
    return f;
}

Layer decode_layer(std::string_view data, std::size_t index, std::size_t& budget) {
    Layer layer;
    std::string where = fmt::format("layer {}", index);
    pbf_reader r(data);
    bool has_name = false, has_version = false, has_extent = false;
    std::vector<std::string_view> features;
    while (r.next()) {
        switch (r.tag()) {
            case wire::layer_version:
                once(has_version, where, "version");
                expect_wire(r, WireType::varint, where, "version");
                layer.version = r.get_uint32();
                break;
            case wire::layer_name:
                once(has_name, where, "name");
                expect_wire(r, WireType::length_delimited, where, "name");
                layer.name = r.get_string();
                where = fmt::format("layer '{}'", layer.name);
                break;
            case wire::layer_features:
                expect_wire(r, WireType::length_delimited, where, "features");
                features.push_back(r.get_view());
                break;
            case wire::layer_keys:
                expect_wire(r, WireType::length_delimited, where, "keys");
                layer.keys.push_back(r.get_string());
                break;
            case wire::layer_values:
                expect_wire(r, WireType::length_delimited, where, "values");
                layer.values.push_back(
                    decode_value(r.get_view(), fmt::format("{} value {}", where, layer.values.size())));
                break;
            case wire::layer_extent:
                once(has_extent, where, "extent");
                expect_wire(r, WireType::varint, where, "extent");
                layer.extent = r.get_uint32();
                break;
            default:
                if (!in_extension_range(r.tag())) fail(where, fmt::format("layer has an unknown field {}", r.tag()));
                r.skip();
        }
    }
    if (!has_name || layer.name.empty()) fail(where, "layer has no name");
    if (!has_version) fail(where, "layer has no version");
    if (layer.version != 1 && layer.version != 2)
        fail(where, fmt::format("layer version {} is not 1 or 2", layer.version));
    if (layer.extent == 0) fail(where, "layer extent is 0");
    // Features last: their tags refer to keys and values that may come after them.
    layer.features.reserve(features.size());
    for (std::size_t i = 0; i < features.size(); ++i)
        layer.features.push_back(decode_feature(features[i], layer, fmt::format("{} feature {}", where, i), budget));
    return layer;
}

}  // namespace

void decode_geometry(GeomType type, const std::vector<std::uint32_t>& commands, std::uint32_t layer_version,
                     Feature& out) {
    CommandReader r(commands);
    switch (type) {
        case GeomType::unknown:
            return;  // valid, and meaningless: keep the raw commands only
        case GeomType::point: {
            const auto [id, count] = r.command();
            if (id != wire::cmd_move_to) bad_geometry("point geometry must be one MoveTo");
            if (count == 0) bad_geometry("point geometry has MoveTo of count 0");
            r.need_points(count);
            out.points.reserve(count);
            for (std::uint32_t k = 0; k < count; ++k) {
                bool zero = false;
                out.points.push_back(r.point(zero));
            }
            if (!r.done()) bad_geometry("point geometry has commands after its MoveTo");
            return;
        }
        case GeomType::linestring: {
            if (r.done()) bad_geometry("empty linestring geometry");
            while (!r.done()) {
                LineString line{start(r, "line")};
                line_to(r, line, 1, "line");
                if (r.peek_id() == wire::cmd_close_path) {
                    // Version 1 tiles from old encoders close lines this way; 2.x forbids it.
                    if (layer_version >= 2) bad_geometry("ClosePath in a linestring");
                    const auto [id, count] = r.command();
                    if (count != 1) bad_geometry(fmt::format("ClosePath of count {} instead of 1", count));
                    line.push_back(line.front());
                }
                out.lines.push_back(std::move(line));
            }
            return;
        }
        case GeomType::polygon: {
            if (r.done()) bad_geometry("empty polygon geometry");
            std::int64_t exterior_sign = 0;  // version 1: the first ring's orientation is "exterior"
            while (!r.done()) {
                Ring ring{start(r, "ring")};
                line_to(r, ring, 2, "ring");
                const auto [id, count] = r.command();
                if (id != wire::cmd_close_path) bad_geometry("ring does not end with ClosePath");
                if (count != 1) bad_geometry(fmt::format("ClosePath of count {} instead of 1", count));
                const std::int64_t area = ring_area2(ring);
                if (area == 0) {
                    if (layer_version >= 2) bad_geometry("ring with zero area");
                    continue;
                }
                const std::int64_t sign = area > 0 ? 1 : -1;
                if (layer_version < 2 && exterior_sign == 0) exterior_sign = sign;
                const bool exterior = layer_version >= 2 ? sign > 0 : sign == exterior_sign;
                if (exterior) {
                    out.polygons.push_back(Polygon{std::move(ring)});
                } else {
                    if (out.polygons.empty()) bad_geometry("polygon starts with an interior ring (wrong winding)");
                    out.polygons.back().push_back(std::move(ring));
                }
            }
            return;
        }
    }
}

const Value* Feature::property(std::string_view key) const {
    for (const auto& [k, v] : properties)
        if (k == key) return &v;
    return nullptr;
}

const Layer* Tile::layer(std::string_view name) const {
    for (const auto& l : layers)
        if (l.name == name) return &l;
    return nullptr;
}

Tile decode_tile(std::string_view data) {
    std::string inflated;
    if (is_gzip(data)) {
        inflated = gzip_decompress(data, max_inflated_tile_bytes);
        data = inflated;
    }
    Tile tile;
    std::set<std::string, std::less<>> names;
    std::size_t budget = max_decoded_tile_bytes;
    try {
        pbf_reader r(data);
        while (r.next()) {
            if (r.tag() == wire::tile_layers) {
                expect_wire(r, WireType::length_delimited, "tile", "layers");
                Layer layer = decode_layer(r.get_view(), tile.layers.size(), budget);
                if (!names.insert(layer.name).second)
                    fail("tile", fmt::format("two layers are named '{}'", layer.name));
                tile.layers.push_back(std::move(layer));
            } else if (in_extension_range(r.tag())) {
                r.skip();
            } else {
                fail("tile", fmt::format("unknown field {}", r.tag()));
            }
        }
    } catch (const protozero::exception& e) {
        throw input_error(fmt::format("vector tile: not a valid protobuf message: {}", e.what()));
    }
    return tile;
}

std::string to_string(const Value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::string>)
                return fmt::format("\"{}\"", x);
            else if constexpr (std::is_same_v<T, bool>)
                return x ? "true" : "false";
            else
                return fmt::format("{}", x);
        },
        v);
}

}  // namespace wangge::tiles
