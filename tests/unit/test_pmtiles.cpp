#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <map>
#include <wangge/error.hpp>
#include <wangge/tiles/gzip.hpp>
#include <wangge/tiles/mvt.hpp>
#include <wangge/tiles/mvt_reader.hpp>
#include <wangge/tiles/pmtiles.hpp>

#include "support.hpp"

using namespace wangge;
using namespace wangge::tiles;
using namespace wangge::test;

namespace {

// A small tile, different for every i.
std::string distinct_tile(int i) {
    TileBuilder tb;
    tb.layer("cells").add_points({{i % 4096, (i / 4096) % 4096}}, {{"i", std::int64_t{i}}});
    return tb.serialize();
}

bool has_temp_files(const fs::path& dir) {
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".tmp") return true;
    return false;
}

}  // namespace

TEST_CASE("tiles: Hilbert tile ids follow the PMTiles spec and round-trip", "[tiles]") {
    CHECK(zxy_to_tile_id({0, 0, 0}) == 0);
    CHECK(zxy_to_tile_id({1, 0, 0}) == 1);
    CHECK(zxy_to_tile_id({1, 0, 1}) == 2);
    CHECK(zxy_to_tile_id({1, 1, 1}) == 3);
    CHECK(zxy_to_tile_id({1, 1, 0}) == 4);
    CHECK(zxy_to_tile_id({2, 0, 0}) == 5);
    CHECK(zxy_to_tile_id({12, 3423, 1763}) == 19078479);  // the spec's example
    CHECK(tile_id_to_zxy(19078479) == TileCoord{12, 3423, 1763});

    // z0-8: every id from 0 to the last of zoom 8 is hit exactly once, and back.
    std::uint64_t expected_next = 0;
    std::vector<bool> seen;
    for (int z = 0; z <= 8; ++z) {
        const std::uint64_t first = expected_next;
        const std::uint32_t n = 1u << z;
        seen.assign(std::size_t{n} * n, false);
        for (std::uint32_t x = 0; x < n; ++x) {
            for (std::uint32_t y = 0; y < n; ++y) {
                const TileCoord c{static_cast<std::uint8_t>(z), x, y};
                const std::uint64_t id = zxy_to_tile_id(c);
                REQUIRE(id >= first);
                REQUIRE(id < first + std::uint64_t{n} * n);
                REQUIRE(!seen[id - first]);
                seen[id - first] = true;
                REQUIRE(tile_id_to_zxy(id) == c);
            }
        }
        expected_next = first + std::uint64_t{n} * n;
    }
    // Hilbert order: consecutive ids are neighbouring tiles.
    for (std::uint64_t id = zxy_to_tile_id({8, 0, 0}); id + 1 < expected_next; ++id) {
        const TileCoord a = tile_id_to_zxy(id), b = tile_id_to_zxy(id + 1);
        const auto dx = static_cast<std::int64_t>(a.x) - b.x, dy = static_cast<std::int64_t>(a.y) - b.y;
        REQUIRE(std::abs(dx) + std::abs(dy) == 1);
    }
    // The far end of the range.
    const TileCoord far{31, (1u << 31) - 1, 12345};
    CHECK(tile_id_to_zxy(zxy_to_tile_id(far)) == far);
    CHECK_THROWS_AS(zxy_to_tile_id({3, 8, 0}), usage_error);
    CHECK_THROWS_AS(zxy_to_tile_id({32, 0, 0}), usage_error);
    CHECK_THROWS_AS(tile_id_to_zxy(~std::uint64_t{0}), usage_error);
}

TEST_CASE("tiles: PMTiles header is 127 bytes and directories round-trip", "[tiles]") {
    PmtilesHeader h;
    h.root_directory_offset = 127;
    h.root_directory_length = 300;
    h.tile_data_length = 1ull << 40;
    h.addressed_tiles = 123456789;
    h.clustered = true;
    h.min_zoom = 3;
    h.max_zoom = 14;
    h.min_lon_e7 = -1800000000;
    h.max_lat_e7 = 850511287;
    h.center_zoom = 7;
    h.center_lat_e7 = -123;
    const std::string bytes = h.serialize();
    CHECK(bytes.size() == 127);
    CHECK(bytes.substr(0, 7) == "PMTiles");
    CHECK(bytes[7] == 3);
    const PmtilesHeader back = PmtilesHeader::parse(bytes);
    CHECK(back.serialize() == bytes);
    CHECK(back.tile_data_length == 1ull << 40);
    CHECK(back.min_lon_e7 == -1800000000);
    CHECK(back.center_lat_e7 == -123);
    CHECK_THROWS_AS(PmtilesHeader::parse(bytes.substr(0, 100)), input_error);
    std::string v2 = bytes;
    v2[7] = 2;
    CHECK_THROWS_WITH(PmtilesHeader::parse(v2), Catch::Contains("version 2"));

    const std::vector<DirectoryEntry> entries = {
        {5, 0, 100, 1}, {6, 100, 50, 3}, {10, 0, 100, 1}, {1000000, 150, 7, 0}};
    const std::string dir = serialize_directory(entries);
    CHECK(parse_directory(dir) == entries);
    // Offsets: the first as offset + 1, one right after the previous entry's data as 0.
    CHECK(serialize_directory({{5, 0, 100, 1}, {6, 100, 50, 3}}) ==
          std::string("\x02\x05\x01\x01\x03\x64\x32\x01\x00", 9));
    CHECK_THROWS_AS(parse_directory(dir.substr(0, dir.size() - 1)), input_error);
    CHECK_THROWS_AS(parse_directory(std::string("\xff\xff\xff\x0f", 4)), input_error);
}

TEST_CASE("tiles: PMTiles written and read back", "[tiles]") {
    TempDir dir("pmtiles");
    const auto path = dir / "t.pmtiles";
    TilesetInfo info;
    info.name = "test";
    info.attribution = "wangge";
    info.vector_layers = {{"cells", "", 2, 5, {{"i", "Number"}}, "Point"}};
    std::map<TileCoord, std::string> tiles;
    for (int i = 0; i < 30; ++i) tiles[{6, static_cast<std::uint32_t>(10 + i), 12}] = distinct_tile(i);
    tiles[{2, 1, 1}] = distinct_tile(100);
    {
        PmtilesWriter w(path, info);
        for (const auto& [c, b] : tiles) w.add_tile(c, b);
        w.add_tile({4, 0, 0}, "");  // empty: not stored
        // Already gzip-compressed input is stored as is.
        w.add_tile({3, 2, 2}, gzip_compress(distinct_tile(200), 9));
        CHECK(!fs::exists(path));  // nothing before finish
        const PmtilesHeader& h = w.finish();
        CHECK(h.addressed_tiles == 32);
    }
    CHECK(!has_temp_files(dir.path()));

    PmtilesReader r(path);
    const PmtilesHeader& h = r.header();
    CHECK(h.root_directory_offset == 127);
    CHECK(h.root_directory_offset + h.root_directory_length <= 16384);
    CHECK(h.min_zoom == 2);
    CHECK(h.max_zoom == 6);
    CHECK(h.tile_type == TileType::mvt);
    CHECK(h.tile_compression == Compression::gzip);
    CHECK(h.internal_compression == Compression::gzip);
    CHECK(h.clustered);
    CHECK(h.tile_contents == 32);
    CHECK(h.leaf_directories_length == 0);
    // Bounds: the union of the tiles written.
    LonLatBounds b = tile_bounds({3, 2, 2});
    for (const auto& [c, bytes] : tiles) b.extend(tile_bounds(c));
    CHECK(h.min_lon_e7 == std::lround(b.min_lon * 1e7));
    CHECK(h.min_lat_e7 == std::lround(b.min_lat * 1e7));
    CHECK(h.max_lon_e7 == std::lround(b.max_lon * 1e7));
    CHECK(h.max_lat_e7 == std::lround(b.max_lat * 1e7));
    CHECK(h.center_zoom == 2);

    for (const auto& [c, b] : tiles) {
        INFO(to_string(c));
        const auto t = r.tile(c);
        REQUIRE(t);
        CHECK(*t == b);
        CHECK(is_gzip(*r.stored_tile(c)));
    }
    CHECK(*r.tile({3, 2, 2}) == distinct_tile(200));
    CHECK(!r.tile({4, 0, 0}));
    CHECK(!r.tile({6, 0, 0}));
    CHECK(!r.tile({14, 100, 100}));

    const auto meta = r.metadata();
    CHECK(meta["name"] == "test");
    CHECK(meta["format"] == "pbf");
    CHECK(meta["attribution"] == "wangge");
    CHECK(vector_layers_from_json(meta["vector_layers"])[0].fields.at("i") == "Number");

    std::size_t visited = 0;
    r.for_each_tile([&](const TileCoord& c, const std::string& stored) {
        ++visited;
        if (tiles.count(c)) CHECK(gzip_decompress(stored) == tiles[c]);
    });
    CHECK(visited == 32);
    // Decoded, the tile is the MVT we gave.
    CHECK(decode_tile(*r.tile({6, 10, 12})).layers[0].features[0].properties[0].second == Value{std::int64_t{0}});
}

TEST_CASE("tiles: PMTiles stores identical tiles once and merges runs", "[tiles]") {
    TempDir dir("pmtiles-dedup");
    const auto path = dir / "d.pmtiles";
    const std::string sea = distinct_tile(-1);
    {
        PmtilesWriter w(path);
        // 64 tiles of zoom 3 in Hilbert order: one run. Added in reverse order on purpose.
        for (std::uint64_t id = zxy_to_tile_id({3, 0, 0}) + 63; id + 1 > zxy_to_tile_id({3, 0, 0}); --id)
            w.add_tile(tile_id_to_zxy(id), sea);
        w.add_tile({1, 0, 0}, sea);               // same content, not adjacent: own entry, same bytes
        w.add_tile({1, 1, 1}, distinct_tile(1));  // id 3
        w.add_tile({1, 1, 0}, sea);               // id 4, after a different tile: own entry
        w.finish();
    }
    PmtilesReader r(path);
    const auto& h = r.header();
    CHECK(h.addressed_tiles == 67);
    CHECK(h.tile_contents == 2);
    const auto entries = r.tile_entries();
    REQUIRE(entries.size() == 4);
    CHECK(h.tile_entries == 4);
    CHECK(entries[0].tile_id == 1);
    CHECK(entries[1].tile_id == 3);
    CHECK(entries[2].tile_id == 4);
    CHECK(entries[3].tile_id == zxy_to_tile_id({3, 0, 0}));
    CHECK(entries[3].run_length == 64);
    // All sea entries point at the same bytes.
    CHECK(entries[0].offset == entries[2].offset);
    CHECK(entries[0].offset == entries[3].offset);
    CHECK(entries[1].offset != entries[0].offset);
    CHECK(h.tile_data_length == entries[0].length + entries[1].length);
    CHECK(*r.tile({3, 7, 7}) == sea);
    CHECK(*r.tile({1, 1, 1}) == distinct_tile(1));
    CHECK(!r.tile({1, 0, 1}));
}

TEST_CASE("tiles: PMTiles moves entries to leaf directories when the root would not fit", "[tiles]") {
    TempDir dir("pmtiles-leaves");
    const auto path = dir / "l.pmtiles";
    std::map<TileCoord, std::string> tiles;
    int i = 0;
    for (std::uint32_t y = 0; y < 200; ++y)
        for (std::uint32_t x = 0; x < 100; ++x) tiles[{12, 1000 + x, 2000 + y}] = distinct_tile(i++);
    REQUIRE(tiles.size() == 20000);
    {
        PmtilesWriter w(path);
        for (const auto& [c, b] : tiles) w.add_tile(c, b);
        w.finish();
    }
    PmtilesReader r(path);
    const auto& h = r.header();
    CHECK(h.addressed_tiles == 20000);
    CHECK(h.tile_contents == 20000);
    CHECK(h.leaf_directories_length > 0);
    CHECK(h.root_directory_offset + h.root_directory_length <= 16384);
    CHECK(r.leaf_directory_count() >= 2);
    for (const auto& e : r.root_directory()) CHECK(e.run_length == 0);  // leaf pointers only
    CHECK(r.tile_entries().size() == 20000);
    std::size_t checked = 0;
    r.for_each_tile([&](const TileCoord& c, const std::string& stored) {
        REQUIRE(tiles.count(c));
        REQUIRE(gzip_decompress(stored) == tiles[c]);
        ++checked;
    });
    CHECK(checked == 20000);
    CHECK(*r.tile({12, 1099, 2199}) == tiles[{12, 1099, 2199}]);
    CHECK(!r.tile({12, 999, 2000}));
}

TEST_CASE("tiles: PMTiles files appear only when finished, errors leave nothing", "[tiles]") {
    TempDir dir("pmtiles-atomic");
    const auto path = dir / "a.pmtiles";
    write_file(path, "old contents");
    {
        PmtilesWriter w(path);
        w.add_tile({0, 0, 0}, distinct_tile(0));
        CHECK(fs::exists(fs::path(path.string() + ".tiles.tmp")));
        // destroyed without finish
    }
    CHECK(read_file(path) == "old contents");
    CHECK(!has_temp_files(dir.path()));
    {
        PmtilesWriter w(path);
        w.add_tile({1, 0, 0}, distinct_tile(0));
        w.add_tile({1, 0, 0}, distinct_tile(1));
        CHECK_THROWS_WITH(w.finish(), Catch::Contains("1/0/0 added twice"));
        CHECK_THROWS_AS(w.add_tile({1, 2, 0}, distinct_tile(1)), usage_error);
    }
    CHECK(read_file(path) == "old contents");
    CHECK(!has_temp_files(dir.path()));
    {
        PmtilesWriter w(path);
        w.finish();  // an empty archive is valid
    }
    PmtilesReader empty(path);
    CHECK(empty.header().addressed_tiles == 0);
    CHECK(empty.tile_entries().empty());
    CHECK(!empty.tile({0, 0, 0}));

    CHECK_THROWS_AS(PmtilesReader(dir / "none.pmtiles"), io_error);
    write_file(dir / "text.pmtiles", std::string(200, 'x'));
    CHECK_THROWS_AS(PmtilesReader(dir / "text.pmtiles"), io_error);
    // A root directory pointing past the end of the file.
    std::string bytes = read_file(path);
    bytes[16] = 0x7f;
    write_file(dir / "bad.pmtiles", bytes);
    CHECK_THROWS_AS(PmtilesReader(dir / "bad.pmtiles"), input_error);
}
