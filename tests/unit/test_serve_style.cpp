// The MapLibre style of `wangge serve` (/styles/{name}.json, serve/style.hpp): valid
// by @maplibre/maplibre-gl-style-spec (npm, installed by tiles/web/setup.sh), a layer
// only for a tile layer the tileset has, and the grids' colours as documented, as
// evaluated by the style spec's own expression engine.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "serve/style.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::tiles;
using namespace wangge::test;
using nlohmann::json;

namespace {

fs::path web_dir() {
    return source_dir() / "tiles" / "web";
}

bool style_spec_available() {
    const bool present =
        fs::exists(web_dir() / "node_modules" / "@maplibre" / "maplibre-gl-style-spec" / "package.json") &&
        run_shell("node --version").exit_code == 0;
    return require_or_skip(present,
                           "@maplibre/maplibre-gl-style-spec (run tiles/web/setup.sh, which needs node and npm)");
}

VectorLayer vl(const std::string& id, int minzoom, std::map<std::string, std::string> fields) {
    VectorLayer l;
    l.id = id;
    l.minzoom = minzoom;
    l.maxzoom = 16;
    l.fields = std::move(fields);
    return l;
}

/// The layers and fields `wangge tiles build` writes from a store with events.
serve::SourceInfo full_info() {
    serve::SourceInfo info;
    info.tileset.name = "huzhou";
    info.minzoom = 0;
    info.maxzoom = 16;
    info.tileset.center = std::array<double, 3>{120.1, 30.9, 8};
    const std::map<std::string, std::string> outline{{"code", "String"}, {"name", "String"}, {"parent", "String"}};
    const std::map<std::string, std::string> label{{"code", "String"}, {"name", "String"}};
    info.tileset.vector_layers = {
        vl("counties", 0, {{"code", "String"}, {"name", "String"}}),
        vl("townships", 6, outline),
        vl("villages", 9, outline),
        vl("grids", 10,
           {{"code", "String"},
            {"type", "String"},
            {"households", "Number"},
            {"village", "String"},
            {"township", "String"},
            {"name", "String"},
            {"ev_governance", "Number"},
            {"ev_market", "Number"},
            {"ev_enforcement", "Number"},
            {"ev_service", "Number"},
            {"events", "Number"}}),
        vl("grid_labels", 12, {{"code", "String"}, {"households", "Number"}}),
        vl("county_labels", 7, label),
        vl("township_labels", 9, label),
        vl("village_labels", 11, label),
        vl("events", 10,
           {{"id", "String"}, {"type", "String"}, {"platform", "String"}, {"grid", "String"}, {"count", "Number"}}),
    };
    return info;
}

/// check-style.mjs on the style and cases: {"errors": [...], "values": [...]}.
json check_style(const TempDir& dir, const json& style, const json& cases = json::array()) {
    write_file(dir / "style.json", style.dump());
    write_file(dir / "cases.json", cases.dump());
    const auto r = run_shell(fmt::format("node '{}' '{}' '{}'", (web_dir() / "test" / "check-style.mjs").string(),
                                         (dir / "style.json").string(), (dir / "cases.json").string()));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

std::set<std::string> layer_ids(const json& style) {
    std::set<std::string> ids;
    for (const auto& l : style["layers"]) ids.insert(l["id"].get<std::string>());
    return ids;
}

}  // namespace

TEST_CASE("style: valid by the MapLibre style spec, every source-layer in the tileset, labels in the font stack given",
          "[serve][style]") {
    const auto info = full_info();
    json style = serve::map_style(info, "/tiles/huzhou.json", "/fonts/{fontstack}/{range}.pbf", "Test Sans");
    CHECK(style["version"] == 8);
    CHECK(style["sources"]["wangge"]["url"] == "/tiles/huzhou.json");
    CHECK(style["glyphs"] == "/fonts/{fontstack}/{range}.pbf");
    CHECK(style["center"] == json::array({120.1, 30.9}));
    std::set<std::string> tile_layers;
    for (const auto& l : info.tileset.vector_layers) tile_layers.insert(l.id);
    std::set<std::string> drawn;
    for (auto& l : style["layers"]) {
        INFO(l.dump());
        CHECK(l["metadata"].contains("wangge:group"));
        if (l["type"] == "background") continue;
        CHECK(l["source"] == "wangge");
        CHECK(tile_layers.count(l["source-layer"].get<std::string>()) == 1);
        drawn.insert(l["source-layer"].get<std::string>());
        if (l["type"] == "symbol") CHECK(l["layout"]["text-font"] == json::array({"Test Sans"}));
    }
    CHECK(drawn == tile_layers);  // every tile layer is drawn
    for (const char* id : {"grids-events", "grids-platform", "grids-line", "villages-line", "village-labels",
                           "grid-labels", "county-labels", "events"})
        CHECK(layer_ids(style).count(id) == 1);
    // no external source of any kind: one vector source on the server's own TileJSON
    CHECK(style["sources"].size() == 1);
    CHECK_FALSE(style.contains("sprite"));

    // the default font stack is the glyphs' one
    json dflt = serve::map_style(info, "/tiles/huzhou.json", "/fonts/{fontstack}/{range}.pbf");
    for (auto& l : dflt["layers"])
        if (l["type"] == "symbol") CHECK(l["layout"]["text-font"] == json::array({"Noto Sans CJK SC Regular"}));

    if (!style_spec_available()) return;
    TempDir dir("serve-style");
    const json r = check_style(dir, style);
    INFO(r.dump());
    CHECK(r["errors"].empty());
    // and a broken style is caught by the same check (the check can fail)
    json broken = style;
    broken["layers"][1]["paint"]["fill-color"] = json::array({"step", "x"});
    CHECK_FALSE(check_style(dir, broken)["errors"].empty());
}

TEST_CASE("style: grids coloured by events per 1,000 households and, in a hidden layer, by their main platform",
          "[serve][style]") {
    json style = serve::map_style(full_info(), "/tiles/huzhou.json", "/fonts/{fontstack}/{range}.pbf");
    for (auto& l : style["layers"]) {
        if (l["id"] == "grids-platform") CHECK(l["layout"]["visibility"] == "none");
        if (l["id"] == "grids-events") {
            INFO(l["metadata"].dump());
            CHECK(l["metadata"]["wangge:legend"].size() == 7);  // six classes and "no households"
        }
    }
    if (!style_spec_available()) return;
    TempDir dir("serve-style-colours");
    auto grid = [](int households, int events) {
        return json{{"layer", "grids-events"},
                    {"property", "fill-color"},
                    {"properties", {{"households", households}, {"events", events}}}};
    };
    auto platform = [](int gov, int market, int enforcement, int service) {
        return json{{"layer", "grids-platform"},
                    {"property", "fill-color"},
                    {"properties",
                     {{"ev_governance", gov},
                      {"ev_market", market},
                      {"ev_enforcement", enforcement},
                      {"ev_service", service}}}};
    };
    const json cases = json::array({
        grid(1000, 0),  // 0 per 1,000
        grid(200, 3),   // 15 per 1,000: class 10-20
        grid(100, 5),   // exactly 50: class 50-100
        grid(10, 30),   // 3,000: top class
        grid(0, 4),     // no households: grey, not a division by zero
        platform(1, 5, 0, 2),
        platform(0, 0, 0, 7),
        platform(0, 0, 0, 0),
        json{{"layer", "events"}, {"property", "circle-radius"}, {"properties", {{"count", 100}}}},
        json{{"layer", "events"}, {"property", "circle-radius"}, {"properties", {{"platform", "综合执法"}}}},
        json{{"layer", "events"}, {"property", "circle-color"}, {"properties", {{"platform", "综合执法"}}}},
    });
    const json r = check_style(dir, style, cases);
    INFO(r.dump());
    REQUIRE(r["values"].size() == cases.size());
    CHECK(r["values"][0] == "#ffffcc");
    CHECK(r["values"][1] == "#feb24c");
    CHECK(r["values"][2] == "#f03b20");
    CHECK(r["values"][3] == "#bd0026");
    CHECK(r["values"][4] == "#d9d9d9");
    CHECK(r["values"][5] == "#33a02c");  // 市场监管
    CHECK(r["values"][6] == "#ff7f00");  // 便民服务
    CHECK(r["values"][7] == "#f0f0f0");  // no events
    CHECK(r["values"][8] == 11);         // an aggregated point of 100 events
    CHECK(r["values"][9] == 3.5);        // a single event
    CHECK(r["values"][10] == "#e31a1c");
}

TEST_CASE("style: a tile layer missing from the tileset gets no style layer, a field missing no expression on it",
          "[serve][style]") {
    serve::SourceInfo info;
    info.tileset.name = "files";
    // a build from files: grids with code and households only, no events, no jurisdictions
    info.tileset.vector_layers = {vl("grids", 10, {{"code", "String"}, {"households", "Number"}}),
                                  vl("grid_labels", 12, {{"code", "String"}})};
    json style = serve::map_style(info, "/tiles/files.json", "/fonts/{fontstack}/{range}.pbf");
    const auto ids = layer_ids(style);
    CHECK(ids == std::set<std::string>{"background", "grids-events", "grids-line", "grid-labels"});
    for (auto& l : style["layers"]) {
        const std::string paint = l.value("paint", json::object()).dump();
        CHECK(paint.find("ev_") == std::string::npos);
        CHECK(paint.find("\"events\"") == std::string::npos);
    }
    CHECK_FALSE(style.contains("center"));  // neither center nor bounds known

    if (!style_spec_available()) return;
    TempDir dir("serve-style-files");
    const json r = check_style(dir, style);
    INFO(r.dump());
    CHECK(r["errors"].empty());
}
