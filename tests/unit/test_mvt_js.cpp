// Checks of wangge's tiles against implementations no one here wrote, installed from
// npm into tiles/js/node_modules by tiles/js/setup.sh: the @mapbox/mvt-fixtures
// suite of valid and invalid tiles, @mapbox/vector-tile's decoder, and the pmtiles
// package's reader. Without node_modules these tests warn and skip, except on CI
// (CI=true) where they fail.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <wangge/error.hpp>
#include <wangge/tiles/gzip.hpp>
#include <wangge/tiles/mvt.hpp>
#include <wangge/tiles/mvt_reader.hpp>
#include <wangge/tiles/pmtiles.hpp>

#include "support.hpp"

using namespace wangge;
using namespace wangge::tiles;
using namespace wangge::test;
using nlohmann::json;

namespace {

fs::path js_dir() {
    return source_dir() / "tiles" / "js";
}

fs::path fixtures_dir() {
    return js_dir() / "node_modules" / "@mapbox" / "mvt-fixtures";
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

// True when node and the npm packages are there. Otherwise: a failure on CI, a
// warning elsewhere (the caller then returns, skipping the test).
bool js_validators_available() {
    std::string missing;
    for (const char* pkg : {"@mapbox/mvt-fixtures", "@mapbox/vector-tile", "pbf", "pmtiles"})
        if (!fs::exists(js_dir() / "node_modules" / pkg / "package.json")) missing += std::string(" ") + pkg;
    if (missing.empty() && run_shell("node --version").exit_code != 0) missing = " node";
    if (missing.empty()) return true;
    return require_or_skip(
        false, fmt::format("npm validators ({}; run tiles/js/setup.sh, which needs node and npm)", missing.substr(1)));
}

json run_node(const std::string& script, const std::vector<std::string>& args) {
    std::string cmd = "node " + shell_quote((js_dir() / script).string());
    for (const auto& a : args) cmd += " " + shell_quote(a);
    const RunResult r = run_shell(cmd);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out);
}

// Our decoded feature in the shape @mapbox/vector-tile's loadGeometry() gives.
json as_js_geometry(const Feature& f) {
    json g = json::array();
    auto pt = [](const Point& p) { return json::array({p.x, p.y}); };
    switch (f.type) {
        case GeomType::point:
            for (const auto& p : f.points) g.push_back(json::array({pt(p)}));
            break;
        case GeomType::linestring:
            for (const auto& l : f.lines) {
                json line = json::array();
                for (const auto& p : l) line.push_back(pt(p));
                g.push_back(line);
            }
            break;
        case GeomType::polygon:
            for (const auto& poly : f.polygons)
                for (const auto& r : poly) {
                    json ring = json::array();
                    for (const auto& p : r) ring.push_back(pt(p));
                    ring.push_back(pt(r.front()));  // vector-tile closes rings on ClosePath
                    g.push_back(ring);
                }
            break;
        case GeomType::unknown:
            break;
    }
    return g;
}

void check_value(const Value& ours, const json& theirs, const std::string& where) {
    INFO(where);
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) {
                REQUIRE(theirs.is_string());
                CHECK(theirs.get<std::string>() == v);
            } else if constexpr (std::is_same_v<T, bool>) {
                REQUIRE(theirs.is_boolean());
                CHECK(theirs.get<bool>() == v);
            } else {
                REQUIRE(theirs.is_number());
                // JavaScript numbers are doubles: big 64-bit integers round there.
                CHECK(theirs.get<double>() == Approx(static_cast<double>(v)).epsilon(1e-15));
            }
        },
        ours);
}

// Our decoding of `bytes` against @mapbox/vector-tile's of the same file.
void compare_with_js(const Tile& ours, const json& theirs, const std::string& file) {
    INFO(file);
    REQUIRE(!theirs.contains("error"));
    REQUIRE(theirs["layers"].size() == ours.layers.size());
    for (const auto& jl : theirs["layers"]) {
        const std::string name = jl["name"];
        INFO("layer " << name);
        const Layer* l = ours.layer(name);
        REQUIRE(l != nullptr);
        CHECK(jl["version"].get<std::uint32_t>() == l->version);
        CHECK(jl["extent"].get<std::uint32_t>() == l->extent);
        REQUIRE(jl["features"].size() == l->features.size());
        for (std::size_t i = 0; i < l->features.size(); ++i) {
            const Feature& f = l->features[i];
            const json& jf = jl["features"][i];
            INFO("feature " << i);
            CHECK(jf["type"].get<std::string>() == to_string(f.type));
            if (f.id && *f.id < (std::uint64_t{1} << 53)) CHECK(jf["id"].get<std::uint64_t>() == *f.id);
            if (!f.id) CHECK(jf["id"].is_null());
            // vector-tile keeps the last value of a key given twice: so do we here.
            std::map<std::string, const Value*> props;
            for (const auto& [k, v] : f.properties) props[k] = &v;
            REQUIRE(jf["properties"].size() == props.size());
            for (const auto& [k, v] : props) {
                REQUIRE(jf["properties"].contains(k));
                check_value(*v, jf["properties"][k], "property " + k);
            }
            CHECK(jf["geometry"] == as_js_geometry(f));
        }
    }
}

// Fixture files with the flags of its info.json and the version of its first layer.
struct Fixture {
    std::string id;
    fs::path tile;
    std::string description;
    bool valid = false;
};

std::vector<Fixture> load_fixtures() {
    std::vector<Fixture> out;
    for (const auto& entry : fs::directory_iterator(fixtures_dir() / "fixtures")) {
        const auto info = json::parse(read_file(entry.path() / "info.json"));
        const auto tile_json = json::parse(read_file(entry.path() / "tile.json"));
        Fixture f;
        f.id = entry.path().filename().string();
        f.tile = entry.path() / "tile.mvt";
        f.description = info.value("description", "");
        // The version rules that apply are those of the tile's own layers (fixture 061:
        // valid in version 1, invalid in version 2).
        int version = 2;
        if (tile_json.contains("layers") && !tile_json["layers"].empty() &&
            tile_json["layers"][0].contains("version") && tile_json["layers"][0]["version"].is_number())
            version = tile_json["layers"][0]["version"].get<int>() == 1 ? 1 : 2;
        f.valid = info["validity"][version == 1 ? "v1" : "v2"].get<bool>();
        out.push_back(std::move(f));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

std::uint32_t fnv1a(std::string_view bytes) {
    std::uint32_t h = 0x811c9dc5u;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x01000193u;
    }
    return h;
}

}  // namespace

TEST_CASE("tiles: mvt-fixtures: every valid fixture decodes, every invalid one is rejected", "[tiles][npm]") {
    if (!js_validators_available()) return;
    // Where we deliberately disagree with a fixture's flag, and why.
    // The fixtures' tile.mvt files come from a proto2 encoder that leaves out fields equal
    // to their default, so some files lost what their tile.json says.
    const std::map<std::string, std::string> disagreements = {
        {"016",
         "its tile.mvt is byte for byte fixture 003's (type=UNKNOWN is the default, so it was left out): "
         "no decoder can accept one and reject the other; the spec says a feature MUST contain a type"},
        {"057",
         "its MoveTo claims 536870911 points and carries one: a command count exceeding the data, which we "
         "reject as we reject fixture 058's LineTo (lenient decoders stop at the end of the data)"},
        {"061",
         "its tile.mvt has no version field (version 1 is the default of the 1.0 proto, so it was left "
         "out), exactly like fixture 024, which is invalid for that reason"},
    };
    REQUIRE(read_file(fixtures_dir() / "fixtures" / "016" / "tile.mvt") ==
            read_file(fixtures_dir() / "fixtures" / "003" / "tile.mvt"));
    const auto fixtures = load_fixtures();
    REQUIRE(fixtures.size() >= 70);
    int accepted = 0, rejected = 0;
    for (const auto& f : fixtures) {
        INFO(fmt::format("fixture {}: {}", f.id, f.description));
        const std::string bytes = read_file(f.tile);
        bool expect_valid = f.valid;
        if (const auto d = disagreements.find(f.id); d != disagreements.end()) {
            REQUIRE(f.valid);  // if the fixture is fixed upstream, drop the exception
            expect_valid = false;
        }
        if (expect_valid) {
            CHECK_NOTHROW(decode_tile(bytes));
            ++accepted;
        } else {
            CHECK_THROWS_AS(decode_tile(bytes), input_error);
            ++rejected;
        }
    }
    CHECK(accepted > 40);
    CHECK(rejected > 25);
}

TEST_CASE("tiles: real-world tiles of mvt-fixtures decode as @mapbox/vector-tile decodes them", "[tiles][npm]") {
    if (!js_validators_available()) return;
    std::vector<fs::path> all;
    for (const auto& e : fs::recursive_directory_iterator(fixtures_dir() / "real-world"))
        if (e.is_regular_file() && e.path().extension() == ".mvt") all.push_back(e.path());
    std::sort(all.begin(), all.end());
    REQUIRE(all.size() > 100);

    // Every one decodes; a sample (the first two of each place) is compared in full.
    std::vector<std::string> sample;
    std::map<fs::path, int> per_dir;
    std::map<std::string, Tile> ours;
    for (const auto& p : all) {
        INFO(p.string());
        Tile t;
        REQUIRE_NOTHROW(t = decode_tile(read_file(p)));
        if (per_dir[p.parent_path()]++ < 2) {
            sample.push_back(p.string());
            ours[p.string()] = std::move(t);
        }
    }
    const json theirs = run_node("decode-mvt.mjs", sample);
    REQUIRE(theirs.size() == sample.size());
    for (const auto& jt : theirs) compare_with_js(ours.at(jt["file"]), jt, jt["file"]);
}

TEST_CASE("tiles: @mapbox/vector-tile reads wangge's tiles as written", "[tiles][npm]") {
    if (!js_validators_available()) return;
    TempDir dir("mvt-js");
    TileBuilder tb;
    auto& p = tb.layer("places");
    p.add_points({{100, 200}}, {{"name", std::string("北京")}, {"rank", std::int64_t{-3}}, {"capital", true}}, 1);
    p.add_points({{10, 20}, {30, 40}}, {{"name", std::string("pair")}, {"pop", std::uint64_t{21893095}}}, 2);
    auto& r = tb.layer("roads", 8192);
    r.add_lines({{{0, 0}, {100, 0}, {100, 100}}, {{-50, 8000}, {8200, 8100}}}, {{"width", 3.5}, {"lanes", 2.0f}});
    auto& z = tb.layer("zones");
    z.add_polygons({{{{0, 0}, {0, 500}, {500, 500}, {500, 0}}, {{100, 100}, {200, 100}, {200, 200}, {100, 200}}},
                    {{{1000, 1000}, {2000, 1000}, {2000, 2000}}}},
                   {{"code", std::string("110101")}}, 110101);
    const std::string bytes = tb.serialize();
    write_file(dir / "raw.mvt", bytes);
    write_file(dir / "gz.mvt", gzip_compress(bytes));

    const Tile t = decode_tile(bytes);
    const json theirs = run_node("decode-mvt.mjs", {(dir / "raw.mvt").string(), (dir / "gz.mvt").string()});
    REQUIRE(theirs.size() == 2);
    compare_with_js(t, theirs[0], "raw.mvt");
    compare_with_js(t, theirs[1], "gz.mvt");
    // And what it sees is what we wrote, not only what we read back.
    const json& zones = theirs[0]["layers"][2];
    CHECK(zones["name"] == "zones");
    CHECK(zones["features"][0]["geometry"][0] == json::parse("[[0,0],[500,0],[500,500],[0,500],[0,0]]"));
    CHECK(theirs[0]["layers"][0]["features"][0]["properties"]["name"] == "北京");
}

TEST_CASE("tiles: the pmtiles package reads wangge's PMTiles archives", "[tiles][npm][slow]") {
    if (!js_validators_available()) return;
    TempDir dir("pmtiles-js");
    // Distinct tiles enough to need leaf directories, a run of identical ones, and a
    // duplicate far away: the three ways entries point at data.
    auto tile_for = [](int i) {
        TileBuilder tb;
        tb.layer("cells").add_points({{i % 4096, (i / 4096) % 4096}}, {{"i", std::int64_t{i}}},
                                     static_cast<std::uint64_t>(i));
        return tb.serialize();
    };
    TilesetInfo info;
    info.name = "js check";
    info.vector_layers = {{"cells", "grid cells", 0, 12, {{"i", "Number"}}, "Point"}};
    std::map<TileCoord, std::string> written;
    {
        PmtilesWriter w(dir / "a.pmtiles", info);
        const std::string same = tile_for(-1);
        for (std::uint32_t x = 0; x < 8; ++x) written[{3, x, 0}] = same;
        written[{2, 1, 1}] = same;
        int i = 0;
        for (std::uint32_t y = 0; y < 200 && i < 20000; ++y)
            for (std::uint32_t x = 0; x < 100; ++x) written[{10, 300 + x, 400 + y}] = tile_for(i++);
        written[{0, 0, 0}] = tile_for(123456);
        for (const auto& [c, b] : written) w.add_tile(c, b);
        w.finish();
    }
    PmtilesReader ours(dir / "a.pmtiles");
    REQUIRE(ours.leaf_directory_count() > 0);

    std::string list;
    for (const auto& [c, b] : written) list += to_string(c) + "\n";
    list += "10/0/0\n5/1/1\n";  // absent tiles
    write_file(dir / "list.txt", list);
    const json theirs =
        run_node("read-pmtiles.mjs", {(dir / "a.pmtiles").string(), "--tiles", (dir / "list.txt").string()});
    REQUIRE(!theirs.contains("error"));

    const json& h = theirs["header"];
    const PmtilesHeader& oh = ours.header();
    CHECK(h["specVersion"] == 3);
    CHECK(h["rootDirectoryOffset"] == oh.root_directory_offset);
    CHECK(h["rootDirectoryLength"] == oh.root_directory_length);
    CHECK(h["jsonMetadataOffset"] == oh.metadata_offset);
    CHECK(h["leafDirectoryLength"] == oh.leaf_directories_length);
    CHECK(h["tileDataOffset"] == oh.tile_data_offset);
    CHECK(h["numAddressedTiles"] == written.size());
    CHECK(h["numTileEntries"] == oh.tile_entries);
    CHECK(h["numTileContents"] == written.size() - 8);  // 9 copies of one tile stored once
    CHECK(h["clustered"] == true);
    CHECK(h["internalCompression"] == 2);
    CHECK(h["tileCompression"] == 2);
    CHECK(h["tileType"] == 1);
    CHECK(h["minZoom"] == 0);
    CHECK(h["maxZoom"] == 10);
    CHECK(h["minLon"].get<double>() == Approx(-180));
    CHECK(h["maxLat"].get<double>() == Approx(85.0511287));

    const json& m = theirs["metadata"];
    CHECK(m["name"] == "js check");
    CHECK(m["vector_layers"][0]["id"] == "cells");
    CHECK(m["vector_layers"][0]["fields"]["i"] == "Number");

    const json& tiles = theirs["tiles"];
    REQUIRE(tiles.size() == written.size() + 2);
    std::size_t k = 0;
    for (const auto& [c, b] : written) {
        const json& jt = tiles[k++];
        INFO(to_string(c));
        REQUIRE(!jt.contains("missing"));
        CHECK(jt["size"] == b.size());
        CHECK(jt["fnv1a"] == fmt::format("{:08x}", fnv1a(b)));
    }
    CHECK(tiles[k]["missing"] == true);
    CHECK(tiles[k + 1]["missing"] == true);
}
