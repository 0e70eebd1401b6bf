// The MapLibre style of a tileset (serve/style.hpp): layers only for the tile layers
// the tileset lists, expressions only on the fields they list.
#include "serve/style.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace wangge::tiles::serve {

namespace {

using nlohmann::json;

struct Platform {
    const char* name;   // as in the events' `platform`
    const char* field;  // the grids' count of its events
    const char* colour;
};
constexpr std::array<Platform, 4> platforms = {{{"综治工作", "ev_governance", "#1f78b4"},
                                                {"市场监管", "ev_market", "#33a02c"},
                                                {"综合执法", "ev_enforcement", "#e31a1c"},
                                                {"便民服务", "ev_service", "#ff7f00"}}};
constexpr const char* no_households_colour = "#d9d9d9";
constexpr const char* no_events_colour = "#f0f0f0";

/// Events per 1,000 households: the lower bounds of the classes and their colours.
constexpr std::array<std::pair<double, const char*>, 6> per_1000_classes = {
    {{0, "#ffffcc"}, {5, "#fed976"}, {10, "#feb24c"}, {20, "#fd8d3c"}, {50, "#f03b20"}, {100, "#bd0026"}}};

struct Level {
    const char* layer;     // outlines
    const char* labels;    // their label points
    const char* label_id;  // the style layer of the labels
    const char* name;      // in the legend
    const char* colour;
    double width;       // line width at z12
    int label_maxzoom;  // labels hidden from this zoom (0: never)
    double label_size;
};
constexpr std::array<Level, 3> levels = {
    {{"counties", "county_labels", "county-labels", "县（市、区）界", "#7b3294", 2.5, 12, 16},
     {"townships", "township_labels", "township-labels", "乡镇（街道）界", "#2166ac", 1.6, 15, 14},
     {"villages", "village_labels", "village-labels", "村（社区）界", "#1b7837", 0.9, 0, 12}}};

const VectorLayer* find_layer(const SourceInfo& info, std::string_view id) {
    for (const auto& l : info.tileset.vector_layers)
        if (l.id == id) return &l;
    return nullptr;
}

bool has_field(const VectorLayer& l, const char* field) {
    return l.fields.count(field) > 0;
}

json number_of(const char* field) {
    return json::array({"to-number", json::array({"get", field})});
}

/// A style layer of the source "wangge" on the tile layer `l`, shown from its minzoom.
json layer(const std::string& id, const char* type, const VectorLayer& l, json legend = json::array()) {
    json j = {{"id", id},
              {"type", type},
              {"source", "wangge"},
              {"source-layer", l.id},
              {"metadata", {{"wangge:group", l.id}, {"wangge:legend", std::move(legend)}}}};
    if (l.minzoom > 0) j["minzoom"] = l.minzoom;
    return j;
}

/// Fill colour of a grid by its events per 1,000 households; grey without households.
json per_1000_colour() {
    json step = json::array(
        {"step", json::array({"/", json::array({"*", 1000, number_of("events")}), number_of("households")})});
    step.push_back(per_1000_classes[0].second);
    for (std::size_t i = 1; i < per_1000_classes.size(); ++i) {
        step.push_back(per_1000_classes[i].first);
        step.push_back(per_1000_classes[i].second);
    }
    return json::array({"case", json::array({">", number_of("households"), 0}), step, no_households_colour});
}

json per_1000_legend() {
    json legend = json::array();
    for (std::size_t i = 0; i < per_1000_classes.size(); ++i) {
        const auto lo = static_cast<int>(per_1000_classes[i].first);
        const std::string text =
            i + 1 < per_1000_classes.size()
                ? std::to_string(lo) + "–" + std::to_string(static_cast<int>(per_1000_classes[i + 1].first))
                : "≥ " + std::to_string(lo);
        legend.push_back(json::array({text + " 件/千户", per_1000_classes[i].second}));
    }
    legend.push_back(json::array({"无户数", no_households_colour}));
    return legend;
}

/// Fill colour of a grid by the platform with most events (the first of a tie).
json platform_colour() {
    json sum = json::array({"+"}), max = json::array({"max"});
    for (const auto& p : platforms) {
        sum.push_back(number_of(p.field));
        max.push_back(number_of(p.field));
    }
    json c = json::array({"case", json::array({"==", sum, 0}), no_events_colour});
    for (std::size_t i = 0; i + 1 < platforms.size(); ++i) {
        c.push_back(json::array({"==", number_of(platforms[i].field), max}));
        c.push_back(platforms[i].colour);
    }
    c.push_back(platforms.back().colour);
    return c;
}

json platform_legend(const char* none) {
    json legend = json::array();
    for (const auto& p : platforms) legend.push_back(json::array({p.name, p.colour}));
    if (none) legend.push_back(json::array({none, no_events_colour}));
    return legend;
}

json halo_paint(const char* colour) {
    return {{"text-color", colour}, {"text-halo-color", "#ffffff"}, {"text-halo-width", 1.5}};
}

json label_layout(const std::string& fontstack, const char* field, double size) {
    return {{"text-field", json::array({"to-string", json::array({"get", field})})},
            {"text-font", json::array({fontstack})},
            {"text-size", size}};
}

}  // namespace

nlohmann::json map_style(const SourceInfo& info, const std::string& tilejson_url, const std::string& glyphs_url,
                         const std::string& fontstack) {
    json layers = json::array();
    layers.push_back({{"id", "background"},
                      {"type", "background"},
                      {"paint", {{"background-color", "#f6f4ee"}}},
                      {"metadata", {{"wangge:group", "background"}, {"wangge:legend", json::array()}}}});

    // fills of the outlines, coarse to fine, under the grids
    for (const auto& lv : levels)
        if (const auto* l = find_layer(info, lv.layer)) {
            json f = layer(std::string(lv.layer) + "-fill", "fill", *l);
            f["paint"] = {{"fill-color", lv.colour}, {"fill-opacity", 0.05}};
            layers.push_back(std::move(f));
        }

    if (const auto* g = find_layer(info, "grids")) {
        json fill = layer("grids-events", "fill", *g);
        if (has_field(*g, "events") && has_field(*g, "households")) {
            fill["metadata"]["wangge:legend"] = per_1000_legend();
            fill["paint"] = {{"fill-color", per_1000_colour()}, {"fill-opacity", 0.6}};
        } else {
            fill["paint"] = {{"fill-color", "#fee8c8"}, {"fill-opacity", 0.5}};
        }
        layers.push_back(std::move(fill));
        bool all_platforms = true;
        for (const auto& p : platforms) all_platforms = all_platforms && has_field(*g, p.field);
        if (all_platforms) {
            json by_platform = layer("grids-platform", "fill", *g, platform_legend("无事件"));
            by_platform["layout"] = {{"visibility", "none"}};
            by_platform["paint"] = {{"fill-color", platform_colour()}, {"fill-opacity", 0.6}};
            layers.push_back(std::move(by_platform));
        }
        json line = layer("grids-line", "line", *g, json::array({json::array({"网格边界", "#8c6d31"})}));
        line["paint"] = {{"line-color", "#8c6d31"},
                         {"line-width", json::array({"interpolate", json::array({"linear"}), json::array({"zoom"}), 10,
                                                     0.2, 16, 1.2})}};
        layers.push_back(std::move(line));
    }

    // outlines, fine to coarse, so that a county's edge is drawn over its villages'
    for (auto it = levels.rbegin(); it != levels.rend(); ++it)
        if (const auto* l = find_layer(info, it->layer)) {
            json line =
                layer(std::string(it->layer) + "-line", "line", *l, json::array({json::array({it->name, it->colour})}));
            line["paint"] = {{"line-color", it->colour},
                             {"line-width", json::array({"interpolate", json::array({"linear"}), json::array({"zoom"}),
                                                         6, it->width * 0.5, 12, it->width, 16, it->width * 1.6})}};
            layers.push_back(std::move(line));
        }

    if (const auto* e = find_layer(info, "events")) {
        json circles = layer("events", "circle", *e);
        json colour = "#555555";
        if (has_field(*e, "platform")) {
            colour = json::array({"match", json::array({"to-string", json::array({"get", "platform"})})});
            for (const auto& p : platforms) {
                colour.push_back(p.name);
                colour.push_back(p.colour);
            }
            colour.push_back("#555555");
            circles["metadata"]["wangge:legend"] = platform_legend(nullptr);
        }
        json radius = 3.5;
        if (has_field(*e, "count"))
            radius =
                json::array({"interpolate", json::array({"linear"}),
                             json::array({"to-number", json::array({"coalesce", json::array({"get", "count"}), 1})}), 1,
                             3.5, 10, 6, 100, 11, 1000, 18});
        circles["paint"] = {{"circle-color", colour},
                            {"circle-radius", radius},
                            {"circle-opacity", 0.8},
                            {"circle-stroke-color", "#ffffff"},
                            {"circle-stroke-width", 0.8}};
        layers.push_back(std::move(circles));
    }

    // labels last: grid codes, then names coarse over fine (MapLibre places later
    // symbol layers first when they collide)
    if (const auto* l = find_layer(info, "grid_labels"); l && has_field(*l, "code")) {
        json s = layer("grid-labels", "symbol", *l);
        s["minzoom"] = std::max(l->minzoom, 13);
        s["layout"] = label_layout(fontstack, "code", 10);
        s["paint"] = halo_paint("#5a4a1a");
        layers.push_back(std::move(s));
    }
    for (auto it = levels.rbegin(); it != levels.rend(); ++it)
        if (const auto* l = find_layer(info, it->labels); l && has_field(*l, "name")) {
            json s = layer(it->label_id, "symbol", *l);
            if (it->label_maxzoom > 0) s["maxzoom"] = it->label_maxzoom;
            s["layout"] = label_layout(fontstack, "name", it->label_size);
            s["paint"] = halo_paint(it->colour);
            layers.push_back(std::move(s));
        }

    json style = {{"version", 8},
                  {"name", info.tileset.name},
                  {"metadata", {{"wangge:tileset", info.tileset.name}, {"wangge:built_at", info.built_at}}},
                  {"glyphs", glyphs_url},
                  {"sources", {{"wangge", {{"type", "vector"}, {"url", tilejson_url}}}}},
                  {"layers", std::move(layers)}};
    if (!info.tileset.attribution.empty()) style["sources"]["wangge"]["attribution"] = info.tileset.attribution;
    if (info.tileset.center) {
        const auto& c = *info.tileset.center;
        style["center"] = {c[0], c[1]};
        style["zoom"] = c[2];
    } else if (info.tileset.bounds) {
        const auto& b = *info.tileset.bounds;
        style["center"] = {(b.min_lon + b.max_lon) / 2, (b.min_lat + b.max_lat) / 2};
        style["zoom"] = info.minzoom;
    }
    return style;
}

}  // namespace wangge::tiles::serve
