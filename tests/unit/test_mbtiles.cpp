#include <fmt/format.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <wangge/error.hpp>
#include <wangge/tiles/gzip.hpp>
#include <wangge/tiles/mbtiles.hpp>
#include <wangge/tiles/mvt.hpp>
#include <wangge/tiles/mvt_reader.hpp>

#include "support.hpp"

using namespace wangge;
using namespace wangge::tiles;
using namespace wangge::test;

namespace {

// A tile with a polygon layer and a line layer, different for every i.
std::string sample_tile(int i) {
    TileBuilder tb;
    tb.layer("zones").add_polygons(
        {{{{0, 0}, {4096, 0}, {4096, 4096}, {0, 4096}}, {{100, 100}, {100, 200}, {200, 200}}}},
        {{"code", std::string(fmt::format("11010{}", i))}, {"level", std::int64_t{3}}}, i);
    tb.layer("roads").add_lines({{{0, 2048}, {4096, 2048 + i}}}, {{"width", 2.5}});
    return tb.serialize();
}

TilesetInfo sample_info() {
    TilesetInfo info;
    info.name = "zones";
    info.description = "test zones";
    info.vector_layers = {{"zones", "", 8, 10, {{"code", "String"}, {"level", "Number"}}, "Polygon"},
                          {"roads", "", 8, 10, {{"width", "Number"}}, "LineString"}};
    return info;
}

struct SqliteCloser {
    void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
};

std::unique_ptr<sqlite3, SqliteCloser> open_db(const fs::path& p) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    return std::unique_ptr<sqlite3, SqliteCloser>(db);
}

std::int64_t query_int(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const std::int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

std::string query_blob(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW)
        out.assign(static_cast<const char*>(sqlite3_column_blob(st, 0)),
                   static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
    sqlite3_finalize(st);
    return out;
}

}  // namespace

TEST_CASE("tiles: MBTiles written and read back through SQLite, rows flipped to TMS", "[tiles]") {
    TempDir dir("mbtiles");
    const auto path = dir / "z.mbtiles";
    std::map<TileCoord, std::string> tiles;
    for (std::uint32_t x = 0; x < 3; ++x)
        for (std::uint32_t y = 0; y < 2; ++y) tiles[{10, 850 + x, 390 + y}] = sample_tile(static_cast<int>(x * 2 + y));
    tiles[{8, 212, 97}] = sample_tile(0);  // same bytes as 10/850/390: one image
    tiles[{9, 425, 195}] = sample_tile(0);
    {
        MbtilesWriter w(path, sample_info());
        for (const auto& [c, b] : tiles) w.add_tile(c, b);
        w.add_tile({9, 0, 0}, "");
        CHECK(w.tile_count() == 8);
        CHECK(w.image_count() == 6);
        CHECK_THROWS_WITH(w.add_tile({10, 850, 390}, sample_tile(9)), Catch::Contains("10/850/390 added twice"));
        CHECK(!fs::exists(path));
        CHECK(fs::exists(dir / "z.mbtiles.tmp"));
        w.finish();
    }
    CHECK(!fs::exists(dir / "z.mbtiles.tmp"));

    auto db = open_db(path);
    CHECK(query_int(db.get(), "SELECT count(*) FROM tiles") == 8);
    CHECK(query_int(db.get(), "SELECT count(*) FROM images") == 6);
    // TMS: row = 2^z - 1 - y.
    CHECK(query_int(db.get(),
                    "SELECT count(*) FROM tiles WHERE zoom_level = 10 AND tile_column = 850 AND "
                    "tile_row = 1023 - 390") == 1);
    CHECK(query_int(db.get(), "SELECT count(*) FROM tiles WHERE zoom_level = 10 AND tile_row = 390") == 0);
    const std::string stored = query_blob(
        db.get(), "SELECT tile_data FROM tiles WHERE zoom_level = 8 AND tile_column = 212 AND tile_row = 158");
    CHECK(is_gzip(stored));
    CHECK(gzip_decompress(stored) == sample_tile(0));
    CHECK(query_int(db.get(), "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'map_index'") == 1);
    CHECK(query_int(db.get(), "PRAGMA application_id") == 0x4d504258);

    MbtilesReader r(path);
    CHECK(r.tile_count() == 8);
    for (const auto& [c, b] : tiles) {
        INFO(to_string(c));
        const auto t = r.stored_tile(c);
        REQUIRE(t);
        CHECK(gzip_decompress(*t) == b);
    }
    CHECK(!r.stored_tile({9, 0, 0}));
    CHECK(!r.stored_tile({10, 850, 633}));

    const auto meta = r.metadata();
    CHECK(meta.at("name") == "zones");
    CHECK(meta.at("format") == "pbf");
    CHECK(meta.at("minzoom") == "8");
    CHECK(meta.at("maxzoom") == "10");
    CHECK(meta.at("description") == "test zones");
    LonLatBounds b = tile_bounds(tiles.begin()->first);
    for (const auto& [c, bytes] : tiles) b.extend(tile_bounds(c));
    double bounds[4] = {};
    REQUIRE(std::sscanf(meta.at("bounds").c_str(), "%lf,%lf,%lf,%lf", &bounds[0], &bounds[1], &bounds[2], &bounds[3]) ==
            4);
    CHECK(bounds[0] == Approx(b.min_lon).margin(1e-7));
    CHECK(bounds[1] == Approx(b.min_lat).margin(1e-7));
    CHECK(bounds[2] == Approx(b.max_lon).margin(1e-7));
    CHECK(bounds[3] == Approx(b.max_lat).margin(1e-7));
    CHECK(meta.at("center").ends_with(",8"));
    const auto json = nlohmann::json::parse(meta.at("json"));
    const auto layers = vector_layers_from_json(json.at("vector_layers"));
    REQUIRE(layers.size() == 2);
    CHECK(layers[0].id == "zones");
    CHECK(layers[0].fields.at("code") == "String");
    CHECK(json.at("tilestats").at("layers")[1].at("geometry") == "LineString");
}

TEST_CASE("tiles: MBTiles appear only when finished", "[tiles]") {
    TempDir dir("mbtiles-atomic");
    const auto path = dir / "a.mbtiles";
    write_file(path, "old");
    {
        MbtilesWriter w(path);
        w.add_tile({0, 0, 0}, sample_tile(1));
    }
    CHECK(read_file(path) == "old");
    CHECK(!fs::exists(dir / "a.mbtiles.tmp"));
    CHECK_THROWS_AS(MbtilesReader(dir / "none.mbtiles"), io_error);
    CHECK_THROWS_AS(MbtilesReader(path), io_error);
    {
        MbtilesWriter w(path);
        w.add_tile({0, 0, 0}, sample_tile(1));
        w.finish();
        CHECK_THROWS_AS(w.finish(), usage_error);
    }
    MbtilesReader r(path);
    CHECK(r.tile_count() == 1);
    CHECK(r.metadata().at("name") == "a");  // default: the file name
}

TEST_CASE("tiles: GDAL's MVT driver (ogrinfo) lists the layers of an MBTiles written here", "[tiles]") {
    if (!require_or_skip(run_shell("ogrinfo --version").exit_code == 0, "ogrinfo (gdal-bin)")) return;
    TempDir dir("mbtiles-gdal");
    const auto path = dir / "g.mbtiles";
    {
        MbtilesWriter w(path, sample_info());
        for (std::uint32_t x = 0; x < 2; ++x)
            for (std::uint32_t z = 8; z <= 10; ++z)
                w.add_tile({static_cast<std::uint8_t>(z), (850u >> (10 - z)) + x, 390u >> (10 - z)},
                           sample_tile(static_cast<int>(x)));
        w.finish();
    }
    const RunResult r = run_shell("ogrinfo -ro -so '" + path.string() + "'");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("using driver `MBTiles'"));
    CHECK_THAT(r.out, Catch::Contains("zones (Multi Polygon)"));
    CHECK_THAT(r.out, Catch::Contains("roads (Multi Line String)"));

    // And it reads the features with their attributes.
    const RunResult f = run_shell("ogrinfo -ro -al -q '" + path.string() + "' zones");
    INFO(f.out << f.err);
    REQUIRE(f.exit_code == 0);
    CHECK_THAT(f.out, Catch::Contains("code (String) = 110100"));
    CHECK_THAT(f.out, Catch::Contains("level (Real) = 3"));
}
