// Corrupt and hostile tile archives (issue 14, items 1 and 4): every count, offset and
// length read from a PMTiles or MBTiles file is checked before use, and a corrupt
// archive is an archive_error (exit 3) naming the file and what is wrong, found before
// any loop over what the file claims.
#include <fmt/format.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <limits>
#include <nlohmann/json.hpp>
#include <wangge/error.hpp>
#include <wangge/tiles/build.hpp>
#include <wangge/tiles/gzip.hpp>
#include <wangge/tiles/mbtiles.hpp>
#include <wangge/tiles/mvt.hpp>
#include <wangge/tiles/mvt_reader.hpp>
#include <wangge/tiles/pmtiles.hpp>

#include "support.hpp"

using namespace wangge;
using namespace wangge::tiles;
using namespace wangge::test;

namespace {

std::string small_tile(int i) {
    TileBuilder tb;
    tb.layer("cells").add_points({{100 + i, 200}}, {{"i", std::int64_t{i}}});
    return tb.serialize();
}

const char* build_json =
    R"({"minzoom":10,"maxzoom":10,"layers":[],"prefix":"","max_tile_bytes":512000,"simplify_units":1.0,)"
    R"("events_point_zoom":14})";

/// The sections of a PMTiles archive, to put together again after a change.
struct Parts {
    PmtilesHeader h;
    std::vector<DirectoryEntry> root;
    nlohmann::json metadata;
    std::string leaves;  ///< compressed leaf directories, concatenated
    std::string data;    ///< tile data
};

/// An archive as `tiles build` writes one: four tiles of zoom 10 over Huzhou, runs of
/// one, wangge's metadata.
Parts base_parts(const fs::path& dir) {
    const auto path = dir / "base.pmtiles";
    TilesetInfo info;
    info.extra["wangge:built_at"] = "2026-01-01T00:00:00Z";
    info.extra["wangge:build"] = build_json;
    {
        PmtilesWriter w(path, info);
        for (std::uint32_t i = 0; i < 4; ++i) w.add_tile({10, 855 + i, 418}, small_tile(static_cast<int>(i)));
        w.finish();
    }
    PmtilesReader r(path);
    Parts p;
    p.h = r.header();
    p.root = r.root_directory();
    p.metadata = r.metadata();
    p.data = read_file(path).substr(p.h.tile_data_offset, p.h.tile_data_length);
    return p;
}

/// The bytes of an archive made of `p` (section offsets and lengths recomputed).
std::string assemble(Parts p) {
    const std::string root = gzip_compress(serialize_directory(p.root));
    const std::string meta = gzip_compress(p.metadata.dump());
    p.h.root_directory_offset = PmtilesHeader::size;
    p.h.root_directory_length = root.size();
    p.h.metadata_offset = p.h.root_directory_offset + root.size();
    p.h.metadata_length = meta.size();
    p.h.leaf_directories_offset = p.h.metadata_offset + meta.size();
    p.h.leaf_directories_length = p.leaves.size();
    p.h.tile_data_offset = p.h.leaf_directories_offset + p.leaves.size();
    p.h.tile_data_length = p.data.size();
    return p.h.serialize() + root + meta + p.leaves + p.data;
}

/// What reading the whole archive (header, directories, every tile) throws: its
/// message when it is an archive_error, else a description of what went wrong.
std::string pmtiles_error(const fs::path& path) {
    try {
        PmtilesReader r(path);
        std::size_t n = 0;
        // never more than the archive could hold: a corrupt count must fail before this
        r.for_each_tile([&](const TileCoord&, const std::string&) {
            if (++n > 100) throw std::runtime_error("more than 100 tiles read from a 4-tile archive");
        });
        (void)r.metadata();
    } catch (const archive_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not an archive_error: ") + e.what();
    }
    return "(no error)";
}

std::string write_archive(const fs::path& path, const Parts& p) {
    write_file(path, assemble(p));
    return pmtiles_error(path);
}

}  // namespace

TEST_CASE("archives: the base archive of these tests reads back", "[archives]") {
    TempDir dir("archive-limits");
    const Parts p = base_parts(dir.path());
    CHECK(write_archive(dir / "same.pmtiles", p) == "(no error)");
    CHECK(PmtilesReader(dir / "same.pmtiles").tile_entries().size() == 4);
}

TEST_CASE("archives: a PMTiles run length that cannot fit the archive is rejected when it is opened", "[archives]") {
    TempDir dir("archive-limits");
    const Parts base = base_parts(dir.path());
    for (const std::uint32_t run : {std::uint32_t{1000000000}, std::numeric_limits<std::uint32_t>::max()}) {
        DYNAMIC_SECTION("run length " << run) {
            Parts p = base;
            p.root[1].run_length = run;
            const auto path = dir / "run.pmtiles";
            write_file(path, assemble(p));
            // at open, before anything loops over the run
            try {
                PmtilesReader r(path);
                FAIL("opened");
            } catch (const archive_error& e) {
                const std::string m = e.what();
                CHECK_THAT(m, Catch::Contains(path.string() +
                                              ": corrupt PMTiles archive: root directory entry 2 of 4 "
                                              "has run length " +
                                              std::to_string(run) + ", more than the"));
                CHECK_THAT(m, Catch::Contains("tiles of zooms 10-10 within the header's bounds"));
            }
            // a header claiming a world-wide zoom range does not make room: the limit does
            p.h.min_zoom = 0;
            p.h.max_zoom = 31;
            p.h.min_lon_e7 = -1800000000;
            p.h.max_lon_e7 = 1800000000;
            p.h.min_lat_e7 = -850000000;
            p.h.max_lat_e7 = 850000000;
            p.h.addressed_tiles = 0;
            const auto m = write_archive(path, p);
            CHECK_THAT(m, Catch::Contains(": corrupt PMTiles archive: root directory entry 2 of 4 has run length " +
                                          std::to_string(run)));
            CHECK_THAT(m, Catch::Contains("more than the 16,777,216 tiles an archive may address"));
        }
    }
}

TEST_CASE("archives: PMTiles header counts and sections are checked against the file", "[archives]") {
    TempDir dir("archive-limits");
    const Parts base = base_parts(dir.path());
    const auto path = dir / "h.pmtiles";
    Parts p = base;
    p.h.addressed_tiles = 5;
    CHECK_THAT(write_archive(path, p),
               Catch::Contains("corrupt PMTiles archive: the header says 5 tiles are addressed, the directories "
                               "address 4"));
    p = base;
    p.h.addressed_tiles = std::uint64_t{1} << 40;
    CHECK_THAT(write_archive(path, p), Catch::Contains("the header says 1,099,511,627,776 tiles are addressed, more "
                                                       "than the 16,777,216 tiles an archive may address"));
    p = base;
    p.h.max_zoom = 40;
    CHECK_THAT(write_archive(path, p), Catch::Contains("corrupt PMTiles archive: header zooms 10-40"));
    // a section past the end of the file
    auto bytes = assemble(base);
    const auto h = PmtilesHeader::parse(bytes);
    auto patched = h;
    patched.tile_data_length = h.tile_data_length + 1000;
    write_file(path, patched.serialize() + bytes.substr(PmtilesHeader::size));
    CHECK_THAT(pmtiles_error(path), Catch::Contains(fmt::format("corrupt PMTiles archive: tile data at {}+{} lies "
                                                                "beyond the end of the file",
                                                                h.tile_data_offset, h.tile_data_length + 1000)));
    patched = h;
    patched.root_directory_offset = std::numeric_limits<std::uint64_t>::max() - 2;
    write_file(path, patched.serialize() + bytes.substr(PmtilesHeader::size));
    CHECK_THAT(pmtiles_error(path), Catch::Contains("corrupt PMTiles archive: root directory at"));
    // truncated: magic, then less than a header
    write_file(path, bytes.substr(0, 60));
    CHECK_THAT(pmtiles_error(path), Catch::Contains(path.string() + ": corrupt PMTiles archive: truncated"));
}

TEST_CASE("archives: PMTiles entries past the tile data, overlapping runs and ids beyond zoom 31 are corrupt",
          "[archives]") {
    TempDir dir("archive-limits");
    const Parts base = base_parts(dir.path());
    const auto path = dir / "e.pmtiles";
    Parts p = base;
    p.root[3].offset = p.data.size() + 100;
    CHECK_THAT(write_archive(path, p),
               Catch::Contains(fmt::format("corrupt PMTiles archive: root directory entry 4 of 4: tile at {}+{} lies "
                                           "beyond the tile data ({} bytes)",
                                           p.data.size() + 100, p.root[3].length, p.data.size())));
    // overlapping runs: a tile listed twice (the writer used to report it as its own error)
    p = base;
    p.root[1].run_length = 2;
    p.h.addressed_tiles = 0;
    CHECK_THAT(write_archive(path, p), Catch::Contains("corrupt PMTiles archive: root directory entry 3 of 4 (tile "
                                                       "id " +
                                                       std::to_string(p.root[2].tile_id) +
                                                       ") lies in the run of the entry before it: a tile would "
                                                       "appear twice"));
    // a tile id beyond zoom 31
    p = base;
    p.root = {p.root[0]};
    p.root[0].tile_id = 9223372036854775812ull;
    p.h.addressed_tiles = 1;
    p.h.tile_entries = 1;
    CHECK_THAT(write_archive(path, p), Catch::Contains("corrupt PMTiles archive: root directory entry 1 of 1 has "
                                                       "tile id 9223372036854775812, beyond zoom 31"));
    // a tile outside the header's zoom range
    p = base;
    p.root[3].tile_id = zxy_to_tile_id({12, 0, 0});
    CHECK_THAT(write_archive(path, p), Catch::Contains("root directory entry 4 of 4 has tile 12/0/0, outside the "
                                                       "header's zooms 10-10"));
    // length 0 (the spec requires > 0)
    p = base;
    p.root[0].length = 0;
    CHECK_THAT(write_archive(path, p), Catch::Contains("root directory entry 1 of 4 has length 0"));
    // a directory claiming more entries than it has bytes for
    std::string dir_bytes;
    dir_bytes += "\xff\xff\xff\xff\xff\xff\x0f";  // 2^46 - 1 entries
    dir_bytes += std::string(20, '\x01');
    CHECK_THROWS_WITH(parse_directory(dir_bytes),
                      Catch::Contains("directory claims 70368744177663 entries in 27 bytes"));
}

TEST_CASE("archives: PMTiles leaf directories are bounded in depth and may not repeat tiles", "[archives]") {
    TempDir dir("archive-limits");
    const Parts base = base_parts(dir.path());
    const auto path = dir / "l.pmtiles";
    // a leaf that points to itself: bounded depth, not an endless walk
    {
        Parts p = base;
        const std::string self_leaf = gzip_compress(serialize_directory({{base.root[0].tile_id, 0, 0, 0}}));
        // the leaf's pointer has the leaf's own length: it needs two passes to know it
        std::string leaf = gzip_compress(
            serialize_directory({{base.root[0].tile_id, 0, static_cast<std::uint32_t>(self_leaf.size()), 0}}));
        REQUIRE(leaf.size() == self_leaf.size());
        p.leaves = leaf;
        p.root = {{base.root[0].tile_id, 0, static_cast<std::uint32_t>(leaf.size()), 0}};
        CHECK_THAT(write_archive(path, p),
                   Catch::Contains("corrupt PMTiles archive: leaf directories nest deeper than 4 levels"));
    }
    // two pointers to the same leaf: every tile twice
    {
        Parts p = base;
        const std::string leaf = gzip_compress(serialize_directory(base.root));
        p.leaves = leaf;
        const auto len = static_cast<std::uint32_t>(leaf.size());
        p.root = {{base.root[0].tile_id, 0, len, 0}, {base.root[3].tile_id, 0, len, 0}};
        p.h.addressed_tiles = 0;
        CHECK_THAT(write_archive(path, p), Catch::Contains("lies in the run of the entry before it"));
    }
    // a leaf pointer outside the leaf section
    {
        Parts p = base;
        p.leaves = gzip_compress(serialize_directory(base.root));
        p.root = {{base.root[0].tile_id, 5, static_cast<std::uint32_t>(p.leaves.size()), 0}};
        CHECK_THAT(write_archive(path, p),
                   Catch::Contains(fmt::format("root directory entry 1 of 1: leaf directory at 5+{} lies beyond "
                                               "the leaf directories ({} bytes)",
                                               p.leaves.size(), p.leaves.size())));
    }
}

TEST_CASE("archives: bad build metadata of an archive to update names the file and the key", "[archives]") {
    TempDir dir("archive-limits");
    const Parts base = base_parts(dir.path());
    const auto path = dir / "m.pmtiles";
    auto with = [&](const std::string& key, const nlohmann::json& value) {
        Parts p = base;
        p.metadata[key] = value;
        write_file(path, assemble(p));
    };
    auto error_of = [&] {
        try {
            (void)update_options(path);
        } catch (const archive_error& e) {
            return std::string(e.what());
        } catch (const std::exception& e) {
            return std::string("not an archive_error: ") + e.what();
        }
        return std::string("(no error)");
    };
    with("wangge:build", build_json);
    CHECK(error_of() == "(no error)");
    auto build = nlohmann::json::parse(build_json);
    build["minzoom"] = nlohmann::json::object();
    with("wangge:build", build.dump());
    CHECK(error_of() == path.string() +
                            ": corrupt archive metadata: wangge:build: 'minzoom' is an object, not an "
                            "integer");
    build = nlohmann::json::parse(build_json);
    build["maxzoom"] = 1e300;
    with("wangge:build", build.dump());
    CHECK_THAT(error_of(), Catch::Contains("wangge:build: 'maxzoom' is 1e+300, not an integer"));
    build = nlohmann::json::parse(build_json);
    build["layers"] = {"grids", 3};
    with("wangge:build", build.dump());
    CHECK_THAT(error_of(), Catch::Contains("wangge:build: 'layers' is not an array of strings"));
    build = nlohmann::json::parse(build_json);
    build.erase("prefix");
    with("wangge:build", build.dump());
    CHECK_THAT(error_of(), Catch::Contains("wangge:build: 'prefix' is missing"));
    build = nlohmann::json::parse(build_json);
    build["max_tile_bytes"] = -5;
    with("wangge:build", build.dump());
    CHECK_THAT(error_of(), Catch::Contains("wangge:build: 'max_tile_bytes' is -5, not a count"));
    with("wangge:build", "{not json");
    CHECK_THAT(error_of(), Catch::Contains(path.string() + ": corrupt archive metadata: wangge:build is not a JSON "
                                                           "object"));
    with("wangge:build", nlohmann::json::object({{"a", 1}}));
    CHECK_THAT(error_of(), Catch::Contains("wangge:build is an object, not a string"));
}

namespace {

void sql(sqlite3* db, const std::string& s) {
    char* err = nullptr;
    if (sqlite3_exec(db, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string m = err ? err : "?";
        sqlite3_free(err);
        FAIL(m);
    }
}

/// An MBTiles of the plain layout (a `tiles` table) with the given rows.
void plain_mbtiles(const fs::path& path, const std::string& rows) {
    fs::remove(path);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sql(db,
        "CREATE TABLE metadata (name TEXT, value TEXT); INSERT INTO metadata VALUES ('wangge:built_at', "
        "'2026-01-01T00:00:00Z');"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);");
    sql(db, "INSERT INTO tiles VALUES " + rows);
    sqlite3_close(db);
}

std::string mbtiles_error(const fs::path& path) {
    try {
        MbtilesReader r(path);
        std::size_t n = 0;
        r.for_each_tile([&](const TileCoord& c, const std::string&) {
            check_tile(c);
            if (++n > 100) throw std::runtime_error("more than 100 tiles");
        });
    } catch (const archive_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not an archive_error: ") + e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("archives: MBTiles rows outside their zoom, repeated tiles and wrong types are corrupt", "[archives]") {
    TempDir dir("archive-limits");
    const auto path = dir / "t.mbtiles";
    const std::string tile = "x'1f8b'";
    plain_mbtiles(path, "(10, 855, 605, " + tile + ")");
    CHECK(mbtiles_error(path) == "(no error)");
    plain_mbtiles(path, "(40, 1, 1, " + tile + ")");
    CHECK(mbtiles_error(path) ==
          path.string() +
              ": corrupt MBTiles archive: tile row zoom_level 40, tile_column 1, tile_row 1: zoom "
              "40 is beyond 31");
    plain_mbtiles(path, "(3, 8, 1, " + tile + ")");
    CHECK_THAT(mbtiles_error(path), Catch::Contains("zoom_level 3, tile_column 8, tile_row 1: column and row must "
                                                    "be below 8"));
    plain_mbtiles(path, "(3, -1, 1, " + tile + ")");
    CHECK_THAT(mbtiles_error(path), Catch::Contains("column and row must be below 8"));
    plain_mbtiles(path, "('ten', 1, 1, " + tile + ")");
    CHECK_THAT(mbtiles_error(path), Catch::Contains("corrupt MBTiles archive: tile row zoom_level 'ten'"));
    plain_mbtiles(path, "(10, 855, 605, " + tile + "), (10, 855, 605, x'1f8b00')");
    CHECK_THAT(mbtiles_error(path),
               Catch::Contains(path.string() + ": corrupt MBTiles archive: tile 10/855/418 appears twice"));
    plain_mbtiles(path, "(10, 855, 605, NULL)");
    CHECK_THAT(mbtiles_error(path), Catch::Contains("tile 10/855/418 has no data"));
    // a corrupt database file: exit 3 with the file named, no SQL in the message
    plain_mbtiles(path, "(10, 855, 605, " + tile + ")");
    auto bytes = read_file(path);
    for (std::size_t i = 100; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xA5);
    write_file(path, bytes);
    const auto m = mbtiles_error(path);
    CHECK_THAT(m, Catch::Contains(path.string() + ": corrupt MBTiles archive"));
    CHECK_THAT(m, !Catch::Contains("SELECT") && !Catch::Contains("sqlite"));
}

namespace {

/// The sections of an archive on disk, metadata as stored.
Parts parts_of(const fs::path& path) {
    PmtilesReader r(path);
    Parts p;
    p.h = r.header();
    p.root = r.root_directory();
    p.metadata = r.metadata();
    const auto bytes = read_file(path);
    p.leaves = bytes.substr(p.h.leaf_directories_offset, p.h.leaf_directories_length);
    p.data = bytes.substr(p.h.tile_data_offset, p.h.tile_data_length);
    return p;
}

}  // namespace

TEST_CASE("archives: tiles update of a crafted archive exits 3 at once, naming the file and the fault",
          "[e2e][archives]") {
    TempDir dir("archive-update");
    const auto db = partitioned_sample_store();
    const auto archive = dir / "a.pmtiles";
    REQUIRE(run_wangge({"--db", db, "tiles", "build", "--out", archive.string(), "--maxzoom", "9", "-q"}).exit_code ==
            0);
    const Parts good = parts_of(archive);
    REQUIRE(good.root.size() >= 2);
    auto update = [&](const Parts& p) {
        write_file(archive, assemble(p));
        const auto before = read_file(archive);
        auto r = run_wangge({"--db", db, "tiles", "update", archive.string()});
        CHECK(read_file(archive) == before);
        CHECK_FALSE(fs::exists(archive.string() + ".tmp"));
        CHECK_THAT(r.err, !Catch::Contains("json.exception") && !Catch::Contains("internal error"));
        return r;
    };
    SECTION("a run length of 2^32-1 (used to loop, memory growing)") {
        Parts p = good;
        p.root[1].run_length = std::numeric_limits<std::uint32_t>::max();
        const auto r = update(p);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains(archive.string() + ": corrupt PMTiles archive: root directory entry 2 of"));
        CHECK_THAT(r.err, Catch::Contains("has run length 4294967295, more than the"));
    }
    SECTION("overlapping runs (used to be 'PMTiles writer: tile ... added twice', exit 2)") {
        Parts p = good;
        p.root[0].run_length = static_cast<std::uint32_t>(p.root[1].tile_id - p.root[0].tile_id + 1);
        p.h.addressed_tiles = 0;
        const auto r = update(p);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains(archive.string() + ": corrupt PMTiles archive: root directory entry 2 of"));
        CHECK_THAT(r.err, Catch::Contains("a tile would appear twice"));
    }
    SECTION("a tile id beyond zoom 31 (used to be a usage error, exit 2)") {
        Parts p = good;
        p.root.back().tile_id = 9223372036854775812ull;
        const auto r = update(p);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains("has tile id 9223372036854775812, beyond zoom 31"));
    }
    SECTION("build metadata of the wrong type (used to be a raw json.exception)") {
        Parts p = good;
        auto build = nlohmann::json::parse(p.metadata["wangge:build"].get<std::string>());
        build["minzoom"] = nlohmann::json::object();
        p.metadata["wangge:build"] = build.dump();
        const auto r = update(p);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains(archive.string() +
                                          ": corrupt archive metadata: wangge:build: 'minzoom' is an object"));
    }
    SECTION("a build time of the wrong type") {
        Parts p = good;
        p.metadata["wangge:built_at"] = 5;
        const auto r = update(p);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains(archive.string() +
                                          ": corrupt archive metadata: wangge:built_at is 5, not a string"));
    }
}
