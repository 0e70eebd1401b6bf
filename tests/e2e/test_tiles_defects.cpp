// End-to-end: defects of the tile pyramid found on real data (issue 13): points on a
// tile's right or bottom edge, archive bounds, label points of jurisdictions, and
// corrupt tiles kept by an update.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <wangge/store.hpp>
#include <wangge/tiles/gzip.hpp>
#include <wangge/tiles/mbtiles.hpp>
#include <wangge/tiles/mvt_reader.hpp>
#include <wangge/tiles/pmtiles.hpp>
#include <wangge/topology.hpp>

#include "geometry/geos.hpp"
#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

/// A numeric property as an integer (the encoder may store it as any integer type).
std::int64_t integer(const tiles::Value* v) {
    if (!v) return -1;
    if (const auto* i = std::get_if<std::int64_t>(v)) return *i;
    if (const auto* u = std::get_if<std::uint64_t>(v)) return static_cast<std::int64_t>(*u);
    if (const auto* d = std::get_if<double>(v)) return static_cast<std::int64_t>(*d);
    return -1;
}

std::string text(const tiles::Value* v) {
    const auto* s = v ? std::get_if<std::string>(v) : nullptr;
    return s ? *s : std::string();
}

/// What the point layers of an archive hold at one zoom.
struct PointCounts {
    std::int64_t features = 0;
    std::int64_t counted = 0;         ///< events: the sum of `count` (aggregated) or 1 per point
    std::multiset<std::string> keys;  ///< `code` (labels) or `id` (event points)
    std::int64_t outside_tile = 0;    ///< points outside [0, extent)
};

/// zoom -> layer -> counts, over every tile of a PMTiles archive.
std::map<int, std::map<std::string, PointCounts>> point_counts(const fs::path& archive) {
    std::map<int, std::map<std::string, PointCounts>> out;
    tiles::PmtilesReader reader(archive);
    reader.for_each_tile([&](const tiles::TileCoord& c, const std::string&) {
        const auto tile = tiles::decode_tile(*reader.tile(c));
        for (const auto& layer : tile.layers) {
            if (layer.features.empty() || layer.features[0].type != tiles::GeomType::point) continue;
            auto& pc = out[c.z][layer.name];
            for (const auto& f : layer.features) {
                ++pc.features;
                for (const auto& p : f.points)
                    if (p.x < 0 || p.y < 0 || p.x >= static_cast<int>(layer.extent) ||
                        p.y >= static_cast<int>(layer.extent))
                        ++pc.outside_tile;
                const auto* count = f.property("count");
                pc.counted += count ? integer(count) : 1;
                const auto key = text(f.property(f.property("code") ? "code" : "id"));
                if (!key.empty()) pc.keys.insert(key);
            }
        }
    });
    return out;
}

std::multiset<std::string> column(Store& store, const std::string& sql) {
    std::multiset<std::string> out;
    Statement st = sql::prepare(store, sql);
    while (st.step()) out.insert(st.text(0));
    return out;
}

/// `tiles build` of the sample store to `out`, with more arguments.
RunResult build_sample(const fs::path& out, const std::vector<std::string>& more) {
    std::vector<std::string> args{"--db", partitioned_sample_store(), "tiles", "build", "--out", out.string()};
    args.insert(args.end(), more.begin(), more.end());
    return run_wangge(args);
}

/// "" when `got` holds each of `want` exactly once, else what is missing or extra.
std::string difference(const std::multiset<std::string>& want, const std::multiset<std::string>& got) {
    std::vector<std::string> missing, extra;
    for (auto it = want.begin(); it != want.end(); it = want.upper_bound(*it))
        for (auto n = got.count(*it); n < want.count(*it); ++n) missing.push_back(*it);
    for (auto it = got.begin(); it != got.end(); it = got.upper_bound(*it))
        for (auto n = want.count(*it); n < got.count(*it); ++n) extra.push_back(*it);
    if (missing.empty() && extra.empty()) return "";
    const auto first = [](const std::vector<std::string>& v) {
        return fmt::format(
            "{}", fmt::join(v.begin(), v.begin() + static_cast<long>(std::min<std::size_t>(v.size(), 5)), " "));
    };
    return fmt::format("missing {} (e.g. {}), extra {} (e.g. {})", missing.size(), first(missing), extra.size(),
                       first(extra));
}

}  // namespace

TEST_CASE("tiles: every grid label and event is in exactly one tile at each zoom, edges included",
          "[e2e][tiles][tiles-defects][slow]") {
    TempDir dir("tiles-edges");
    const auto out = dir / "points.pmtiles";
    const auto r = build_sample(out, {"--layers", "grid_labels,events"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    Store store(partitioned_sample_store(), Store::Mode::must_exist);
    const auto grids = column(store, "SELECT code FROM grids WHERE valid_to IS NULL");
    const auto events = column(store, "SELECT event_id FROM events");
    REQUIRE(grids.size() > 5000);
    REQUIRE(events.size() > 5000);
    const auto counts = point_counts(out);
    for (int z = 0; z <= 16; ++z) {
        INFO("z" << z);
        const auto at = counts.find(z);
        const auto layer = [&](const char* name) {
            if (at == counts.end() || !at->second.count(name)) return PointCounts{};
            return at->second.at(name);
        };
        const auto labels = layer("grid_labels");
        const auto ev = layer("events");
        CHECK(labels.outside_tile == 0);
        CHECK(ev.outside_tile == 0);
        if (z >= 12) {
            CHECK(labels.features == static_cast<std::int64_t>(grids.size()));
            CHECK(difference(grids, labels.keys) == "");
        } else {
            CHECK(labels.features == 0);
        }
        if (z >= 14) {
            // points, one per event
            CHECK(ev.features == static_cast<std::int64_t>(events.size()));
            CHECK(difference(events, ev.keys) == "");
        } else if (z >= 10) {
            // counted per grid at its label (uncovered events on their own): each once
            CHECK(ev.counted == static_cast<std::int64_t>(events.size()));
        } else {
            CHECK(ev.features == 0);
        }
    }
    CHECK_THAT(r.out, Catch::Contains("every point in one tile at each zoom"));
}

namespace {

struct Bounds {
    double min_lon, min_lat, max_lon, max_lat;
    bool contains(double lon, double lat) const {
        return lon >= min_lon && lon <= max_lon && lat >= min_lat && lat <= max_lat;
    }
};

Bounds bounds_of(const fs::path& pmtiles) {
    const auto h = tiles::PmtilesReader(pmtiles).header();
    return {h.min_lon_e7 / 1e7, h.min_lat_e7 / 1e7, h.max_lon_e7 / 1e7, h.max_lat_e7 / 1e7};
}

}  // namespace

TEST_CASE("tiles: archive bounds cover what was written, events outside the jurisdictions included",
          "[e2e][tiles][tiles-defects][slow]") {
    TempDir dir("tiles-bounds");
    Store store(partitioned_sample_store(), Store::Mode::must_exist);
    // an uncovered event outside every jurisdiction (its tile: 14/13676/6699)
    Statement st = sql::prepare(store, "SELECT X(geom), Y(geom) FROM events WHERE event_id = 'HZ2024005125'");
    REQUIRE(st.step());
    const double lon = st.real(0), lat = st.real(1);
    CHECK(sql::query_int(store, fmt::format("SELECT count(*) FROM jurisdictions WHERE level = 'county' AND "
                                            "Contains(geom, MakePoint({:.9f}, {:.9f}, 4490))",
                                            lon, lat)) == 0);
    const auto out = dir / "all.pmtiles";
    const auto r = build_sample(out, {"--layers", "counties,grid_labels,events", "--maxzoom", "14"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto b = bounds_of(out);
    INFO(fmt::format("bounds {} {} {} {}; event at {} {}", b.min_lon, b.min_lat, b.max_lon, b.max_lat, lon, lat));
    CHECK(b.contains(lon, lat));
    // and the county outlines
    Statement ext =
        sql::prepare(store,
                     "SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom)) "
                     "FROM jurisdictions WHERE level = 'county'");
    REQUIRE(ext.step());
    CHECK(b.contains(ext.real(0) + 1e-6, ext.real(1) + 1e-6));
    CHECK(b.contains(ext.real(2) - 1e-6, ext.real(3) - 1e-6));
}

TEST_CASE("tiles: --bbox outside the jurisdictions gives the bounds of what is in it, or 'nothing to tile'",
          "[e2e][tiles][tiles-defects][slow]") {
    TempDir dir("tiles-bbox");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    // an event in London, far from every grid: uncovered
    const auto csv = dir / "london.csv";
    write_file(csv, "id,type,time,status,source,lon,lat\nLD0001,040401,2024-01-31T07:05:43+08:00,,,-0.1276,51.5072\n");
    const auto imp = run_wangge({"--db", db, "events", "import", csv.string(), "--rejects", (dir / "r.csv").string()});
    INFO(imp.out << imp.err);
    REQUIRE(imp.exit_code == 0);
    const auto out = dir / "london.pmtiles";
    const auto r = run_wangge({"--db", db, "tiles", "build", "--out", out.string(), "--bbox", "-1,51,1,52"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto b = bounds_of(out);
    INFO(fmt::format("bounds {} {} {} {}", b.min_lon, b.min_lat, b.max_lon, b.max_lat));
    CHECK(b.min_lon <= b.max_lon);
    CHECK(b.min_lat <= b.max_lat);
    CHECK(b.contains(-0.1276, 51.5072));
    CHECK(b.max_lon - b.min_lon < 0.01);
    // nothing in the box: an input error, and no archive
    const auto none = dir / "none.pmtiles";
    const auto n = run_wangge({"--db", db, "tiles", "build", "--out", none.string(), "--bbox", "10,10,11,11"});
    CHECK(n.exit_code == 3);
    CHECK_THAT(n.err, Catch::Contains("nothing to tile"));
    CHECK_FALSE(fs::exists(none));
}

TEST_CASE("tiles: villages, townships and counties have one label point each per zoom, inside the feature",
          "[e2e][tiles][tiles-defects][slow]") {
    TempDir dir("tiles-labels");
    const auto out = dir / "labels.pmtiles";
    const auto r = build_sample(out, {"--layers", "county_labels,township_labels,village_labels"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("  village_labels  z11-16  1301 features"));
    CHECK_THAT(r.out, Catch::Contains("every point in one tile at each zoom"));
    // listed in the archive's vector_layers
    const auto layers = tiles::PmtilesReader(out).metadata().at("vector_layers").dump();
    for (const char* l : {"county_labels", "township_labels", "village_labels"}) CHECK_THAT(layers, Catch::Contains(l));

    Store store(partitioned_sample_store(), Store::Mode::must_exist);
    auto& g = geos::Context::local();
    std::map<std::string, geos::Geometry> outline;
    {
        Statement st = sql::prepare(store, "SELECT code, AsBinary(geom) FROM jurisdictions");
        while (st.step()) {
            const auto wkb = st.blob(1);
            outline.emplace(st.text(0), g.from_wkb(wkb.data(), wkb.size()));
        }
    }
    const std::map<std::string, std::pair<std::string, int>> layer_level = {
        {"county_labels", {"county", 7}}, {"township_labels", {"township", 9}}, {"village_labels", {"village", 11}}};
    const auto counts = point_counts(out);
    for (const auto& [layer, level] : layer_level) {
        const auto codes = column(store, "SELECT code FROM jurisdictions WHERE level = '" + level.first + "'");
        REQUIRE(!codes.empty());
        for (int z = 0; z <= 16; ++z) {
            INFO(layer << " z" << z);
            const auto at = counts.find(z);
            const bool has = at != counts.end() && at->second.count(layer);
            if (z < level.second) {
                CHECK_FALSE(has);
                continue;
            }
            REQUIRE(has);
            CHECK(at->second.at(layer).outside_tile == 0);
            CHECK(difference(codes, at->second.at(layer).keys) == "");
        }
    }
    // at z16 (0.15 m a unit) every label is inside its feature, and has its name
    tiles::PmtilesReader reader(out);
    int inside = 0, outside = 0, unnamed = 0;
    const double world = 2 * M_PI * 6378137.0, size = world / 65536;
    reader.for_each_tile([&](const tiles::TileCoord& c, const std::string&) {
        if (c.z != 16) return;
        for (const auto& layer : tiles::decode_tile(*reader.tile(c)).layers)
            for (const auto& f : layer.features) {
                if (text(f.property("name")).empty()) ++unnamed;
                const auto& p = f.points.at(0);
                const auto [lon, lat] = topology::from_mercator(
                    {-world / 2 + (c.x + p.x / 4096.0) * size, world / 2 - (c.y + p.y / 4096.0) * size});
                auto pt = g.own(GEOSGeom_createPointFromXY_r(g.handle(), lon, lat), "point");
                const bool in = GEOSContains_r(g.handle(), outline.at(text(f.property("code"))).get(), pt.get()) == 1;
                ++(in ? inside : outside);
            }
    });
    CHECK(inside == static_cast<int>(outline.size()));
    CHECK(outside == 0);
    CHECK(unnamed == 0);
    // and chosen alone
    const auto one = dir / "one.pmtiles";
    REQUIRE(build_sample(one, {"--layers", "township_labels", "--minzoom", "9", "--maxzoom", "9"}).exit_code == 0);
    const auto z9 = point_counts(one);
    REQUIRE(z9.count(9));
    CHECK(z9.at(9).size() == 1);
    CHECK(z9.at(9).count("township_labels") == 1);
}

namespace {

/// Corrupt one tile of a PMTiles archive whose bytes no other tile shares: flip bytes
/// in the middle of its gzip data. Returns the tile.
tiles::TileCoord corrupt_pmtiles_tile(const fs::path& archive) {
    std::optional<tiles::DirectoryEntry> victim;
    std::uint64_t data_offset = 0;
    {
        tiles::PmtilesReader reader(archive);
        data_offset = reader.header().tile_data_offset;
        const auto entries = reader.tile_entries();
        std::map<std::uint64_t, int> users;
        for (const auto& e : entries) users[e.offset] += static_cast<int>(e.run_length);
        for (const auto& e : entries)
            if (e.run_length == 1 && users[e.offset] == 1 && e.length > 64) victim = e;
    }
    REQUIRE(victim);
    std::fstream f(archive, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(data_offset + victim->offset + victim->length / 2));
    f.write("\xde\xad\xbe\xef", 4);
    return tiles::tile_id_to_zxy(victim->tile_id);
}

/// Replace one tile of an MBTiles archive whose image no other tile shares by a
/// well-formed gzip member holding a tile that breaks MVT (a layer without a name).
tiles::TileCoord corrupt_mbtiles_tile(const fs::path& archive) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(archive.string().c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT zoom_level, tile_column, tile_row, tile_id FROM map WHERE tile_id IN "
                               "(SELECT tile_id FROM map GROUP BY tile_id HAVING count(*) = 1) ORDER BY 1 DESC LIMIT 1",
                               -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const auto z = sqlite3_column_int(st, 0);
    const tiles::TileCoord c{static_cast<std::uint8_t>(z), static_cast<std::uint32_t>(sqlite3_column_int(st, 1)),
                             static_cast<std::uint32_t>((1 << z) - 1 - sqlite3_column_int(st, 2))};
    const std::string id = reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    const std::string bad = tiles::gzip_compress(std::string("\x1a\x02\x78\x02", 4));  // layer: version 2, no name
    REQUIRE(sqlite3_prepare_v2(db, "UPDATE images SET tile_data = ? WHERE tile_id = ?", -1, &st, nullptr) == SQLITE_OK);
    sqlite3_bind_blob(st, 1, bad.data(), static_cast<int>(bad.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, id.c_str(), -1, SQLITE_TRANSIENT);
    REQUIRE(sqlite3_step(st) == SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return c;
}

}  // namespace

TEST_CASE("tiles: update refuses an archive with a corrupt tile it would keep, and leaves it as it was",
          "[e2e][tiles][tiles-defects][slow]") {
    TempDir dir("tiles-update-corrupt");
    const auto db = partitioned_sample_store();
    // stored times have one-second resolution: let the build come after the store's last change
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    for (const char* ext : {".pmtiles", ".mbtiles"}) {
        DYNAMIC_SECTION(ext) {
            const auto archive = dir / (std::string("c") + ext);
            REQUIRE(
                run_wangge({"--db", db, "tiles", "build", "--out", archive.string(), "--maxzoom", "11"}).exit_code ==
                0);
            const auto c =
                std::string(ext) == ".pmtiles" ? corrupt_pmtiles_tile(archive) : corrupt_mbtiles_tile(archive);
            const auto before = read_file(archive);
            const auto r = run_wangge({"--db", db, "tiles", "update", archive.string()});
            INFO(r.out << r.err);
            CHECK(r.exit_code == 3);
            CHECK_THAT(r.err, Catch::Contains(archive.string()));
            CHECK_THAT(r.err, Catch::Contains("tile " + tiles::to_string(c)));
            CHECK(read_file(archive) == before);
            CHECK_FALSE(fs::exists(archive.string() + ".tmp"));
        }
    }
}
