// End-to-end: one tile made on its own (wangge/tiles/tile.hpp, what `tiles update` and
// a tile server call) is the tile of a full build; and a comparison of two archives
// tile by tile, decoded (every layer, feature, geometry and property), used to prove a
// change of the builder kept the sample's tiles.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <wangge/store.hpp>
#include <wangge/tiles/build.hpp>
#include <wangge/tiles/mbtiles.hpp>
#include <wangge/tiles/mvt_reader.hpp>
#include <wangge/tiles/pmtiles.hpp>
#include <wangge/tiles/tile.hpp>

#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

/// A feature as text: id, type, geometry commands, properties with their types.
std::string describe(const tiles::Feature& f) {
    std::string s = fmt::format("id={} type={} geom=", f.id ? std::to_string(*f.id) : "-", static_cast<int>(f.type));
    for (auto c : f.geometry) s += std::to_string(c) + ",";
    for (const auto& [k, v] : f.properties) s += fmt::format(" {}:{}={}", k, v.index(), tiles::to_string(v));
    return s;
}

/// The differences between two decoded tiles ("" when the same), layer by layer.
std::string tile_difference(const tiles::Tile& a, const tiles::Tile& b) {
    if (a.layers.size() != b.layers.size()) return fmt::format("{} vs {} layers", a.layers.size(), b.layers.size());
    for (std::size_t l = 0; l < a.layers.size(); ++l) {
        const auto &la = a.layers[l], &lb = b.layers[l];
        if (la.name != lb.name || la.extent != lb.extent || la.version != lb.version)
            return fmt::format("layer {}: {} vs {}", l, la.name, lb.name);
        if (la.features.size() != lb.features.size())
            return fmt::format("{}: {} vs {} features", la.name, la.features.size(), lb.features.size());
        for (std::size_t f = 0; f < la.features.size(); ++f)
            if (const auto da = describe(la.features[f]), db = describe(lb.features[f]); da != db)
                return fmt::format("{} feature {}: {} vs {}", la.name, f, da.substr(0, 200), db.substr(0, 200));
    }
    return {};
}

std::map<tiles::TileCoord, std::string> tiles_of(const fs::path& archive) {
    std::map<tiles::TileCoord, std::string> out;
    auto keep = [&](const tiles::TileCoord& c, const std::string& s) { out[c] = s; };
    if (archive.extension() == ".mbtiles")
        tiles::MbtilesReader(archive).for_each_tile(keep);
    else
        tiles::PmtilesReader(archive).for_each_tile(keep);
    return out;
}

}  // namespace

TEST_CASE("tiles: one tile made on its own equals that tile of a full build, every tile", "[e2e][tiles][slow]") {
    TempDir dir("tiles-one");
    const auto out = dir / "t.pmtiles";
    const auto r = run_wangge({"--db", partitioned_sample_store(), "tiles", "build", "--out", out.string(), "--county",
                               "330502", "--maxzoom", "15", "--max-tile-kb", "60"});
    REQUIRE(r.exit_code == 0);
    REQUIRE(r.err.find("size: ") != std::string::npos);  // the size rules are exercised too
    Store store(partitioned_sample_store(), Store::Mode::read_only);
    tiles::BuildOptions opt;
    opt.prefix = "330502";
    opt.maxzoom = 15;
    opt.max_tile_bytes = 60 * 1024;
    const tiles::MapLayers layers(store, opt);
    const auto built = tiles_of(out);
    REQUIRE(built.size() > 500);
    std::size_t same = 0, over = 0;
    for (const auto& [c, stored] : built) {
        const auto t = tiles::make_tile(layers, c);
        INFO(tiles::to_string(c));
        REQUIRE(!t.data.empty());
        CHECK(tile_difference(tiles::decode_tile(t.data), tiles::decode_tile(stored)) == "");
        same += tile_difference(tiles::decode_tile(t.data), tiles::decode_tile(stored)).empty();
        over += !t.size_action.empty();
    }
    CHECK(same == built.size());
    CHECK(over > 0);
    // a tile the build did not write is empty on its own too
    CHECK(tiles::make_tile(layers, {15, 0, 0}).data.empty());
}

// Not run by default: WANGGE_COMPARE_A and WANGGE_COMPARE_B name two archives (.pmtiles, .mbtiles)
// (e.g. the sample's, built by two versions of wangge); every tile is decoded and
// compared, and the differences are listed per zoom and layer.
TEST_CASE("tiles: two archives hold the same tiles, decoded", "[.compare]") {
    const char* a = std::getenv("WANGGE_COMPARE_A");
    const char* b = std::getenv("WANGGE_COMPARE_B");
    REQUIRE(a);
    REQUIRE(b);
    const auto ta = tiles_of(a), tb = tiles_of(b);
    std::size_t bytes_same = 0, decoded_same = 0, only_one = 0, features = 0;
    std::vector<std::string> diffs;
    for (const auto& [c, sa] : ta) {
        const auto it = tb.find(c);
        if (it == tb.end()) {
            ++only_one;
            diffs.push_back(tiles::to_string(c) + ": only in A");
            continue;
        }
        bytes_same += sa == it->second;
        const auto da = tiles::decode_tile(sa), db = tiles::decode_tile(it->second);
        for (const auto& l : da.layers) features += l.features.size();
        const auto d = tile_difference(da, db);
        if (d.empty())
            ++decoded_same;
        else
            diffs.push_back(tiles::to_string(c) + ": " + d);
    }
    for (const auto& [c, sb] : tb)
        if (!ta.count(c)) {
            ++only_one;
            diffs.push_back(tiles::to_string(c) + ": only in B");
        }
    fmt::print("A {} tiles, B {} tiles; {} decoded the same ({} features), {} byte-identical, {} in one only\n",
               ta.size(), tb.size(), decoded_same, features, bytes_same, only_one);
    for (std::size_t i = 0; i < diffs.size() && i < 40; ++i) fmt::print("  {}\n", diffs[i]);
    CHECK(diffs.empty());
}
