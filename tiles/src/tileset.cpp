#include "wangge/tiles/tileset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "wangge/error.hpp"

namespace wangge::tiles {

std::string to_string(const TileCoord& c) {
    return fmt::format("{}/{}/{}", c.z, c.x, c.y);
}

void check_tile(const TileCoord& c) {
    if (c.z > max_zoom) throw usage_error(fmt::format("tile {}: zoom above {}", to_string(c), max_zoom));
    const std::uint64_t n = std::uint64_t{1} << c.z;
    if (c.x >= n || c.y >= n) throw usage_error(fmt::format("tile {}: x and y must be below 2^{}", to_string(c), c.z));
}

void LonLatBounds::extend(const LonLatBounds& o) {
    min_lon = std::min(min_lon, o.min_lon);
    min_lat = std::min(min_lat, o.min_lat);
    max_lon = std::max(max_lon, o.max_lon);
    max_lat = std::max(max_lat, o.max_lat);
}

namespace {
double lon_of(double x, double n) {
    return x / n * 360.0 - 180.0;
}
double lat_of(double y, double n) {
    // Inverse Web Mercator: lat = atan(sinh(pi * (1 - 2y/n))).
    return std::atan(std::sinh(std::numbers::pi * (1.0 - 2.0 * y / n))) * 180.0 / std::numbers::pi;
}
}  // namespace

LonLatBounds tile_bounds(const TileCoord& c) {
    check_tile(c);
    const double n = std::ldexp(1.0, c.z);
    return {lon_of(c.x, n), lat_of(c.y + 1.0, n), lon_of(c.x + 1.0, n), lat_of(c.y, n)};
}

nlohmann::json to_json(const VectorLayer& l) {
    nlohmann::json j = {
        {"id", l.id}, {"fields", nlohmann::json::object()}, {"minzoom", l.minzoom}, {"maxzoom", l.maxzoom}};
    if (!l.description.empty()) j["description"] = l.description;
    for (const auto& [k, v] : l.fields) j["fields"][k] = v;
    return j;
}

nlohmann::json to_json(const std::vector<VectorLayer>& layers) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& l : layers) j.push_back(to_json(l));
    return j;
}

nlohmann::json metadata_json(const std::vector<VectorLayer>& layers) {
    nlohmann::json stats = nlohmann::json::array();
    for (const auto& l : layers) {
        nlohmann::json attributes = nlohmann::json::array();
        for (const auto& [name, type] : l.fields) {
            std::string t = type == "Number" ? "number" : type == "Boolean" ? "boolean" : "string";
            attributes.push_back({{"attribute", name}, {"type", t}});
        }
        nlohmann::json s = {{"layer", l.id}, {"attributeCount", attributes.size()}, {"attributes", attributes}};
        if (!l.geometry.empty()) s["geometry"] = l.geometry;
        stats.push_back(std::move(s));
    }
    return {{"vector_layers", to_json(layers)}, {"tilestats", {{"layerCount", layers.size()}, {"layers", stats}}}};
}

std::vector<VectorLayer> vector_layers_from_json(const nlohmann::json& j) {
    if (!j.is_array()) throw input_error("vector_layers is not an array");
    std::vector<VectorLayer> out;
    for (const auto& e : j) {
        if (!e.is_object() || !e.contains("id") || !e["id"].is_string())
            throw input_error("vector_layers: an entry without a string id");
        VectorLayer l;
        l.id = e["id"].get<std::string>();
        if (e.contains("description") && e["description"].is_string()) l.description = e["description"];
        if (e.contains("minzoom") && e["minzoom"].is_number()) l.minzoom = e["minzoom"].get<int>();
        if (e.contains("maxzoom") && e["maxzoom"].is_number()) l.maxzoom = e["maxzoom"].get<int>();
        if (e.contains("fields") && e["fields"].is_object())
            for (const auto& [k, v] : e["fields"].items())
                l.fields[k] = v.is_string() ? v.get<std::string>() : v.dump();
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace wangge::tiles

namespace wangge::tiles {

std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

namespace {

// "an object", "a string", or a number as written: what a value is, for messages.
std::string what_is(const nlohmann::json& v) {
    if (v.is_number()) return v.dump();
    if (v.is_null()) return "null";
    const std::string t = v.type_name();
    return (t == "object" || t == "array" ? "an " : "a ") + t;
}

}  // namespace

MetadataObject::MetadataObject(std::string_view text, const std::filesystem::path& file, std::string entry)
    : j_(nlohmann::json::parse(text, nullptr, false)),
      where_(fmt::format("{}: corrupt archive metadata: {}", file.string(), entry)) {
    if (j_.is_discarded() || !j_.is_object()) throw archive_error(where_ + " is not a JSON object");
}

bool MetadataObject::has(std::string_view key) const {
    return j_.contains(key);
}

const nlohmann::json& MetadataObject::at(std::string_view key) const {
    const auto it = j_.find(key);
    if (it == j_.end()) fail(key, "is missing");
    return *it;
}

void MetadataObject::fail(std::string_view key, const std::string& what) const {
    throw archive_error(fmt::format("{}: '{}' {}", where_, key, what));
}

int MetadataObject::integer(std::string_view key) const {
    const auto& v = at(key);
    if (v.is_number_integer()) {
        const auto i = v.get<std::int64_t>();
        if (v.is_number_unsigned() ? v.get<std::uint64_t>() <= std::numeric_limits<int>::max()
                                   : (i >= std::numeric_limits<int>::min() && i <= std::numeric_limits<int>::max()))
            return static_cast<int>(i);
    }
    fail(key, fmt::format("is {}, not an integer", what_is(v)));
}

std::size_t MetadataObject::count(std::string_view key) const {
    const auto& v = at(key);
    if (v.is_number_unsigned()) return static_cast<std::size_t>(v.get<std::uint64_t>());
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::size_t>(v.get<std::int64_t>());
    fail(key, fmt::format("is {}, not a count", what_is(v)));
}

double MetadataObject::number(std::string_view key) const {
    const auto& v = at(key);
    if (v.is_number() && std::isfinite(v.get<double>())) return v.get<double>();
    fail(key, fmt::format("is {}, not a number", what_is(v)));
}

std::string MetadataObject::string(std::string_view key) const {
    const auto& v = at(key);
    if (v.is_string()) return v.get<std::string>();
    fail(key, fmt::format("is {}, not a string", what_is(v)));
}

std::vector<std::string> MetadataObject::strings(std::string_view key) const {
    const auto& v = at(key);
    std::vector<std::string> out;
    if (v.is_array())
        for (const auto& e : v) {
            if (!e.is_string()) break;
            out.push_back(e.get<std::string>());
        }
    if (!v.is_array() || out.size() != v.size()) fail(key, "is not an array of strings");
    return out;
}

std::array<double, 4> MetadataObject::numbers4(std::string_view key) const {
    const auto& v = at(key);
    std::array<double, 4> out{};
    bool ok = v.is_array() && v.size() == 4;
    for (std::size_t i = 0; ok && i < 4; ++i) {
        ok = v[i].is_number() && std::isfinite(v[i].get<double>());
        if (ok) out[i] = v[i].get<double>();
    }
    if (!ok) fail(key, "is not an array of 4 numbers");
    return out;
}

std::string metadata_string(const nlohmann::json& meta, std::string_view key, const std::filesystem::path& file) {
    const auto it = meta.find(key);
    if (it == meta.end()) return {};
    if (!it->is_string())
        throw archive_error(
            fmt::format("{}: corrupt archive metadata: {} is {}, not a string", file.string(), key, what_is(*it)));
    return it->get<std::string>();
}

}  // namespace wangge::tiles
