// The tile server's live source (serve/store_source.hpp): tiles made from the store on
// demand, cached, redrawn after an edit made through the CLI while the source runs;
// over an archive, the archive's own bytes wherever the store did not change.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>
#include <wangge/grids.hpp>
#include <wangge/store.hpp>
#include <wangge/tiles/build.hpp>
#include <wangge/tiles/gzip.hpp>
#include <wangge/tiles/mvt_reader.hpp>
#include <wangge/tiles/pmtiles.hpp>
#include <wangge/tiles/tile.hpp>

#include "serve/store_source.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;
using namespace wangge::tiles;
using serve::SourceTile;

namespace {

constexpr auto poll = std::chrono::milliseconds(100);

TileCoord tile_at(double lon, double lat, int z) {
    const double n = std::ldexp(1.0, z), r = lat * M_PI / 180;
    return {static_cast<std::uint8_t>(z), static_cast<std::uint32_t>((lon + 180) / 360 * n),
            static_cast<std::uint32_t>((1 - std::log(std::tan(r) + 1 / std::cos(r)) / M_PI) / 2 * n)};
}

/// The grid codes in a tile's grids layer.
std::set<std::string> grid_codes(const SourceTile& t) {
    std::set<std::string> out;
    if (t.kind != SourceTile::Kind::tile) return out;
    const Tile tile = decode_tile(t.bytes);
    if (const auto* l = tile.layer("grids"))
        for (const auto& f : l->features)
            if (const auto* v = f.property("code")) out.insert(std::get<std::string>(*v));
    return out;
}

/// The store's copy (a test's own, to change).
std::string own_store(const TempDir& dir) {
    const auto db = dir / "s.sqlite";
    fs::copy_file(partitioned_sample_store(), db);
    return db.string();
}

/// Two villages far apart (their first grids' labels the farthest of the sample's
/// villages from the first one named).
struct Areas {
    std::string near_village, far_village;
    GridRow near_grid, far_grid;
};
Areas far_apart(const std::string& db, const std::string& village) {
    Store store(db, Store::Mode::read_only);
    Areas a;
    a.near_village = village;
    a.near_grid = list_grids(store, village).front();
    double best = -1;
    for (const auto& g : list_grids(store, ""))
        if (const double d = std::hypot(g.label_lon - a.near_grid.label_lon, g.label_lat - a.near_grid.label_lat);
            d > best) {
            best = d;
            a.far_grid = g;
        }
    a.far_village = a.far_grid.village_code;
    return a;
}

/// The tile `c` as a fresh reading of the store makes it (gzipped as stored).
std::string fresh_tile(const std::string& db, const BuildOptions& options, const TileCoord& c) {
    Store store(db, Store::Mode::read_only);
    const MapLayers layers(store, options);
    const auto made = make_tile(layers, c);
    return made.data.empty() ? std::string() : gzip_compress(made.data);
}

/// Calls `get` until `done` holds of its result (at most 60 s: a reading of the sample
/// takes a few seconds on a loaded machine), and returns the last result.
template <class Get, class Done>
auto wait_for(Get get, Done done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto r = get();
    while (!done(r) && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(poll);
        r = get();
    }
    return r;
}

/// Partitions `village` anew into `grids` grids through the CLI (as a user would)
/// while `src` runs, then waits for tile `c` to change from `was`; returns it.
SourceTile repartition_and_wait(serve::TileSource& src, const std::string& db, const std::string& village,
                                std::size_t grids, const TileCoord& c, const SourceTile& was) {
    const auto r = run_wangge({"--db", db, "partition", "--village", village, "--grids", std::to_string(grids)});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return wait_for([&] { return src.tile(c); }, [&](const SourceTile& t) { return t.etag != was.etag; });
}

/// An archive as a tile source (what the server's archive source answers), for the
/// base of a live source.
class ArchiveForTest : public serve::TileSource {
public:
    explicit ArchiveForTest(const fs::path& file) : reader_(file) {
        info_.file = file;
        info_.built_at = reader_.metadata().value("wangge:built_at", "");
        info_.minzoom = reader_.header().min_zoom;
        info_.maxzoom = reader_.header().max_zoom;
    }
    const std::string& name() const override { return name_; }
    serve::SourceInfo info() const override { return info_; }
    SourceTile tile(const TileCoord& c) override {
        SourceTile t;
        if (auto stored = reader_.stored_tile(c)) {
            t.kind = SourceTile::Kind::tile;
            t.bytes = std::move(*stored);
            t.gzip = true;
            t.etag = serve::etag_of(t.bytes);
        } else {
            t.kind = SourceTile::Kind::empty;
        }
        return t;
    }

private:
    PmtilesReader reader_;
    serve::SourceInfo info_;
    std::string name_ = "base";
};

}  // namespace

TEST_CASE("serve live: the store alone: tiles with the grids, empty inside the bounds, outside past them",
          "[serve][live][slow]") {
    TempDir dir("serve-live-alone");
    const auto db = own_store(dir);
    serve::LiveOptions opt;
    opt.poll = poll;
    auto src = serve::make_live_source(db, "s", nullptr, opt);
    REQUIRE(src->name() == "s");
    const auto info = src->info();
    CHECK(info.tileset.name == "s");
    CHECK(info.built_at.empty());
    CHECK(info.minzoom == 0);
    CHECK(info.maxzoom == 16);
    REQUIRE(info.tileset.bounds);
    std::set<std::string> layers;
    for (const auto& l : info.tileset.vector_layers) layers.insert(l.id);
    CHECK(layers.count("grids"));
    CHECK(layers.count("villages"));
    CHECK(layers.count("events"));

    const auto a = far_apart(db, "330502001005");
    const auto c = tile_at(a.near_grid.label_lon, a.near_grid.label_lat, 14);
    const auto t = src->tile(c);
    REQUIRE(t.kind == SourceTile::Kind::tile);
    CHECK(t.gzip);
    CHECK(is_gzip(t.bytes));
    CHECK(t.etag == serve::etag_of(t.bytes));
    CHECK(grid_codes(t).count(a.near_grid.code));
    // the same bytes as `tiles build` writes for it
    BuildOptions build;
    CHECK(t.bytes == fresh_tile(db, build, c));
    // from the cache the second time, the same
    const auto hits = serve::live_status(*src)->cache_hits;
    const auto again = src->tile(c);
    CHECK(again.bytes == t.bytes);
    CHECK(again.etag == t.etag);
    CHECK(serve::live_status(*src)->cache_hits == hits + 1);

    // past the zooms, far from the data: outside
    CHECK(src->tile(tile_at(a.near_grid.label_lon, a.near_grid.label_lat, 17)).kind == SourceTile::Kind::outside);
    CHECK(src->tile(tile_at(0.5, 0.5, 14)).kind == SourceTile::Kind::outside);
    CHECK(src->tile({3, 9, 0}).kind == SourceTile::Kind::outside);  // no such tile
    // inside the bounds, no feature: a z16 tile near a corner of the bounds (the
    // counties' outlines do not fill their box)
    const auto& b = *info.tileset.bounds;
    const auto lo = tile_at(b.min_lon, b.max_lat, 16), hi = tile_at(b.max_lon, b.min_lat, 16);
    int empty = 0;
    for (std::uint32_t d = 2; d < 40 && !empty; ++d)
        for (const TileCoord e : {TileCoord{16, lo.x + d, lo.y + d}, TileCoord{16, hi.x - d, hi.y - d},
                                  TileCoord{16, lo.x + d, hi.y - d}, TileCoord{16, hi.x - d, lo.y + d}})
            if (src->tile(e).kind == SourceTile::Kind::empty) {
                ++empty;
                CHECK(fresh_tile(db, build, e).empty());
            }
    CHECK(empty > 0);
}

TEST_CASE("serve live: a village partitioned anew through the CLI is redrawn, tiles elsewhere keep their bytes",
          "[serve][live][slow]") {
    TempDir dir("serve-live-edit");
    const auto db = own_store(dir);
    const auto a = far_apart(db, "330502001005");
    const auto before = [&] {
        Store store(db, Store::Mode::read_only);
        return list_grids(store, a.near_village);
    }();
    const auto near = tile_at(a.near_grid.label_lon, a.near_grid.label_lat, 14);
    const auto far = tile_at(a.far_grid.label_lon, a.far_grid.label_lat, 14);
    INFO("near " << to_string(near) << " far " << to_string(far));
    REQUIRE(near != far);

    SECTION("the store alone") {
        // A reading looks for changes from window_overlap before the last one: the
        // sample store was written seconds ago in this process, and a reading that
        // soon after it would see all of it as changed (and rightly drop every tile)
        std::this_thread::sleep_for(serve::window_overlap + std::chrono::seconds(1));
        serve::LiveOptions opt;
        opt.poll = poll;
        auto src = serve::make_live_source(db, "s", nullptr, opt);
        const auto t0 = src->tile(near), f0 = src->tile(far);
        REQUIRE(t0.kind == SourceTile::Kind::tile);
        REQUIRE(f0.kind == SourceTile::Kind::tile);
        const auto t1 = repartition_and_wait(*src, db, a.near_village, before.size() + 2, near, t0);
        CHECK(t1.etag != t0.etag);
        CHECK(t1.bytes != t0.bytes);
        CHECK(t1.bytes == fresh_tile(db, {}, near));
        // the new grids are drawn: the retired codes are gone, the new ones there
        std::set<std::string> now;
        {
            Store store(db, Store::Mode::read_only);
            for (const auto& g : list_grids(store, a.near_village)) now.insert(g.code);
        }
        REQUIRE(now.size() == before.size() + 2);
        for (const auto& code : grid_codes(t1))
            if (code.starts_with(a.near_village)) CHECK(now.count(code));
        // far away: the same bytes and ETag, kept in the cache
        const auto status = *serve::live_status(*src);
        CHECK(status.readings >= 2);
        CHECK(status.last_error.empty());
        const auto f1 = src->tile(far);
        CHECK(f1.etag == f0.etag);
        CHECK(f1.bytes == f0.bytes);
        CHECK(serve::live_status(*src)->cache_hits > status.cache_hits);
    }

    SECTION("over an archive") {
        const auto archive = dir / "a.pmtiles";
        const auto b = run_wangge({"--db", db, "tiles", "build", "--out", archive.string(), "--maxzoom", "14", "-q"});
        INFO(b.out << b.err);
        REQUIRE(b.exit_code == 0);
        // stored times have a resolution of one second: let the edit come after the build
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        serve::LiveOptions opt;
        opt.poll = poll;
        auto src = serve::make_live_source(db, "a", std::make_unique<ArchiveForTest>(archive), opt);
        ArchiveForTest plain(archive);
        const auto t0 = src->tile(near);
        REQUIRE(t0.kind == SourceTile::Kind::tile);
        CHECK(t0.bytes == plain.tile(near).bytes);  // nothing changed yet: the archive's
        CHECK(src->info().built_at == plain.info().built_at);
        const auto t1 = repartition_and_wait(*src, db, a.near_village, before.size() + 2, near, t0);
        CHECK(t1.etag != t0.etag);
        CHECK(t1.bytes == fresh_tile(db, update_options(archive), near));
        CHECK(serve::live_status(*src)->tiles_made >= 1);
        // away from the change: the archive's bytes exactly, never made anew
        const auto made = serve::live_status(*src)->tiles_made;
        const auto f1 = src->tile(far);
        CHECK(f1.kind == SourceTile::Kind::tile);
        CHECK(f1.bytes == plain.tile(far).bytes);
        CHECK(f1.etag == plain.tile(far).etag);
        CHECK(serve::live_status(*src)->tiles_made == made);
        CHECK(src->tile(tile_at(a.near_grid.label_lon, a.near_grid.label_lat, 15)).kind ==
              SourceTile::Kind::outside);  // past the archive's zooms
    }
}
