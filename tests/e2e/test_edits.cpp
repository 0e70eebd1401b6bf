// End-to-end: grids exported for editing, changed the way a QGIS user changes them
// (a moved shared boundary, a split, a merge, a new grid in a new estate; and the
// usual mistakes), imported back with `wangge import edits`: codes, lineage, history,
// events, and every error message.
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <map>
#include <set>

#include "geometry/geos.hpp"
#include "grids/checksum.hpp"
#include "store/sql.hpp"
#include "edit_files.hpp"
#include "support.hpp"
#include "wangge/store.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

const std::string town = "330502001", village = "330502001005", neighbour_village = "330502001006";

/// The township partitioned, with the sample's households and events: built once
/// per process, copied for each test (Catch runs a test case again for each section).
void prepare(const std::string& db, const fs::path&) {
    static TempDir built("edits-store");
    static const fs::path path = [] {
        const fs::path p = built / "s.sqlite";
        const std::string dbp = p.string();
        auto must = [](const RunResult& r) { REQUIRE(r.exit_code == 0); };
        must(run_wangge({"--db", dbp, "codes", "load", (sample_dir() / "codes").string()}));
        for (const char* level : {"counties", "townships", "villages"})
            must(run_wangge({"--db", dbp, "import", (sample_dir() / (std::string("huzhou_") + level + ".shp")).string()}));
        must(run_wangge({"--db", dbp, "import", "households", (sample_dir() / "huzhou_households.shp").string()}));
        must(run_wangge({"--db", dbp, "partition", "--township", town}));
        must(run_wangge({"--db", dbp, "events", "import", (sample_dir() / "huzhou_events_gcj02.csv").string(), "--crs",
                         "gcj02", "--rejects", (built / "rejects.csv").string()}));
        return p;
    }();
    fs::copy_file(path, db, fs::copy_options::overwrite_existing);
}

std::string grids_digest(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    return *sql::query_text(s,
                            "SELECT count(*) || ':' || group_concat(d, '|') FROM (SELECT code || ',' || id || ',' || "
                            "households || ',' || coalesce(valid_to, '') AS d FROM grids ORDER BY id)") +
           *sql::query_text(s, "SELECT count(*) || group_concat(state) FROM grid_serials") +
           std::to_string(sql::query_int(s, "SELECT count(*) FROM partition_runs"));
}

/// The current grids (code, shape, households) and the events' grids: what a rollback restores.
std::string current_digest(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    return *sql::query_text(s, "SELECT group_concat(d, '|') FROM (SELECT code || ',' || households || ',' || "
                               "hex(AsBinary(geom)) AS d FROM grids WHERE valid_to IS NULL ORDER BY code)") +
           *sql::query_text(s, "SELECT group_concat(coalesce(grid_code, '-'), ',') FROM (SELECT grid_code FROM events "
                               "ORDER BY id)");
}

}  // namespace

TEST_CASE("edits: a shared boundary moved, a split, a merge and a new estate keep codes, with lineage and events",
          "[e2e][edits]") {
    TempDir dir("edits-ok");
    const std::string db = (dir / "s.sqlite").string();
    prepare(db, dir.path());
    const auto exported = dir / "town.gpkg";
    auto feats = export_grids(db, exported, "--township", town);
    std::set<std::string> villages;
    for (const auto& f : feats) villages.insert(f.village);
    REQUIRE(villages.size() > 1);

    // a user's session in QGIS, on village 005 only
    const auto [a, b] = neighbours(feats, village, {});
    const auto [c, d] = neighbours(feats, village, {a, b});
    std::string s_code, e_code;
    for (const auto& f : feats)
        if (f.village == village && f.code != a && f.code != b && f.code != c && f.code != d) {
            if (s_code.empty()) s_code = f.code;
            else if (e_code.empty()) e_code = f.code;
        }
    REQUIRE(!e_code.empty());
    move_boundary(feats, a, b);
    double c_area = 0, d_area = 0;
    {  // merge c and d into c's feature (QGIS "merge selected features" keeps one's attributes)
        Feat& fc = *by_code(feats, c);
        Feat& fd = *by_code(feats, d);
        c_area = gx().area(fc.geom.get());
        d_area = gx().area(fd.geom.get());
        fc.geom = unite(fc.geom.get(), fd.geom.get());
        feats.erase(feats.begin() + (&fd - feats.data()));
    }
    double s_left_area = 0, s_right_area = 0;
    {  // split s down the middle (QGIS "split features" copies the attributes to both parts)
        Feat& fs = *by_code(feats, s_code);
        double minx, maxx, miny, maxy;
        GEOSGeom_getXMin_r(gx().handle(), fs.geom.get(), &minx);
        GEOSGeom_getXMax_r(gx().handle(), fs.geom.get(), &maxx);
        GEOSGeom_getYMin_r(gx().handle(), fs.geom.get(), &miny);
        GEOSGeom_getYMax_r(gx().handle(), fs.geom.get(), &maxy);
        const double mid = minx + (maxx - minx) * 0.4;
        auto left = gx().from_wkt(fmt::format("POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))", minx - 1, miny - 1,
                                              mid, maxy + 1));
        Feat part;
        part.code = fs.code;
        part.village = fs.village;
        part.version = fs.version;
        part.checksum = fs.checksum;
        part.geom = gx().difference(fs.geom.get(), left.get());
        fs.geom = gx().intersection(fs.geom.get(), left.get());
        s_left_area = gx().area(fs.geom.get());
        s_right_area = gx().area(part.geom.get());
        feats.push_back(std::move(part));
    }
    {  // a new estate drawn inside e: a new feature with empty fields
        Feat& fe = *by_code(feats, e_code);
        const auto [x, y] = inside_point(fe.geom.get());
        auto box = box_at(x, y, 0.0002);
        Feat estate;
        estate.geom = gx().intersection(fe.geom.get(), box.get());
        estate.type = "";
        fe.geom = gx().difference(fe.geom.get(), box.get());
        feats.push_back(std::move(estate));
    }
    const auto edited = dir / "edited.gpkg";
    write_grids(edited, feats);
    const std::string before = grids_digest(db);
    const std::string state_before = current_digest(db);

    // a dry run prints the diff and writes nothing
    const auto dry = run_wangge({"--db", db, "import", "edits", edited.string(), "--dry-run"});
    INFO(dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("village " + village));
    CHECK_THAT(dry.out, Catch::Contains("reshaped  " + b));
    CHECK_THAT(dry.out, Catch::Contains("retired"));
    CHECK_THAT(dry.out, Catch::Contains("nothing written"));
    CHECK_THAT(dry.out, Catch::Contains("villages in the file unchanged"));
    CHECK(grids_digest(db) == before);

    const auto r = run_wangge(
        {"--db", db, "import", "edits", edited.string(), "--author", "李工", "--message", "新小区 and a merge"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("imported as version"));

    Store s(db, Store::Mode::must_exist);
    auto current = [&](const std::string& code) {
        return sql::query_int(s, "SELECT count(*) FROM grids WHERE valid_to IS NULL AND code = '" + code + "'");
    };
    auto lineage_of = [&](const std::string& code) {
        return *sql::query_text(s, "SELECT coalesce(group_concat(lineage), '') FROM grids WHERE valid_to IS NULL AND code = '" +
                                       code + "'");
    };
    // kept codes
    CHECK(lineage_of(a) == "reshaped");
    CHECK(lineage_of(b) == "reshaped");
    CHECK(lineage_of(s_code) == (s_left_area >= s_right_area ? "split" : "split"));
    CHECK(lineage_of(e_code) == "split");
    // the merge keeps the larger predecessor's code, the other is retired for good
    const std::string kept_merge = c_area >= d_area ? c : d, gone = c_area >= d_area ? d : c;
    CHECK(lineage_of(kept_merge) == "merged");
    CHECK(current(gone) == 0);
    CHECK(*sql::query_text(s, "SELECT state FROM grid_serials WHERE code = '" + gone + "'") == "retired");
    // two new codes, the next serials never used (the village had 10)
    const auto max_before = 10;
    CHECK(sql::query_int(s, "SELECT count(*) FROM grids WHERE valid_to IS NULL AND village_code = '" + village +
                                "' AND serial > " + std::to_string(max_before)) == 2);
    // 10 grids, one merged away, one split off, one new estate
    CHECK(sql::query_int(s, "SELECT count(*) FROM grids WHERE valid_to IS NULL AND village_code = '" + village + "'") == 11);
    // the run is a version of kind edit with its author and message; lineage recorded
    CHECK(*sql::query_text(s, "SELECT kind || '|' || author || '|' || message FROM partition_runs ORDER BY id DESC LIMIT 1") ==
          "edit|李工|新小区 and a merge");
    const auto run = sql::query_int(s, "SELECT max(id) FROM partition_runs");
    CHECK(sql::query_int(s, fmt::format("SELECT count(*) FROM grid_lineage WHERE run_id = {} AND old_code = '{}' AND "
                                        "new_code = '{}' AND kind = 'merged'",
                                        run, gone, kept_merge)) == 1);
    CHECK(sql::query_int(s, fmt::format("SELECT count(*) FROM grids WHERE closed_by = {}", run)) >= 6);
    // other villages untouched: no version of them written by the run
    CHECK(sql::query_int(s, fmt::format("SELECT count(*) FROM grids WHERE run_id = {} AND village_code <> '{}'", run,
                                        village)) == 0);
    // the village is still covered exactly: areas add up to the village's
    const double village_area = std::stod(*sql::query_text(
        s, "SELECT ST_Area(geom) FROM jurisdictions WHERE code = '" + village + "'"));
    const double grid_area = std::stod(*sql::query_text(
        s, "SELECT sum(ST_Area(geom)) FROM grids WHERE valid_to IS NULL AND village_code = '" + village + "'"));
    CHECK(grid_area == Approx(village_area).epsilon(1e-6));
    // households recounted: the village's total is kept
    CHECK(sql::query_int(s, "SELECT sum(households) FROM grids WHERE valid_to IS NULL AND village_code = '" + village +
                                "'") == sql::query_int(s, "SELECT sum(households) FROM grids WHERE run_id = 1 AND "
                                                          "village_code = '" + village + "'"));
    // events follow: none on a retired code, each inside its grid
    CHECK(sql::query_int(s, "SELECT count(*) FROM events WHERE grid_code = '" + gone + "'") == 0);
    CHECK(sql::query_int(s, "SELECT count(*) FROM events e JOIN grids g ON g.code = e.grid_code AND g.valid_to IS NULL "
                            "WHERE g.village_code = '" + village + "' AND NOT ST_Intersects(g.geom, e.geom)") == 0);
    CHECK(sql::query_int(s, "SELECT count(*) FROM events WHERE grid_code LIKE '" + village + "%'") > 0);

    // the grids as they stood before the edit, from the history (the partition's time
    // set back a year so that it cannot fall in the edit's second)
    sql::exec(s, "UPDATE grids SET valid_from = '2025-06-01T08:00:00Z' WHERE run_id = 1");
    sql::exec(s, "UPDATE grids SET valid_to = '2025-06-01T08:00:00Z' WHERE run_id = 1 AND valid_to IS NOT NULL AND "
                 "closed_by = 1");
    const auto then = run_wangge({"--db", db, "grids", "list", "--village", village, "--at", "2025-12-31"});
    REQUIRE(then.exit_code == 0);
    CHECK_THAT(then.out, Catch::Contains(gone + "  base"));
    CHECK_THAT(then.out, Catch::Contains("10 grids"));
    const auto now_list = run_wangge({"--db", db, "grids", "list", "--village", village});
    CHECK_THAT(now_list.out, !Catch::Contains(gone + "  base"));
    CHECK_THAT(now_list.out, Catch::Contains("11 grids"));
    CHECK(run_wangge({"--db", db, "grids", "list", "--village", village, "--at", "2025-01-01"}).exit_code == 3);
    CHECK(run_wangge({"--db", db, "grids", "list", "--village", village, "--at", "yesterday"}).exit_code == 2);
    const auto old_export = dir / "then.gpkg";
    REQUIRE(run_wangge({"--db", db, "export", "grids", "--village", village, "--at", "2025-12-31 23:00", "--out",
                        old_export.string()})
                .exit_code == 0);
    CHECK(feature_count(old_export, "grids") == 10);

    // the same file again: the village changed since the export, so it is refused
    const std::string after = grids_digest(db);
    const auto stale = run_wangge({"--db", db, "import", "edits", edited.string()});
    CHECK(stale.exit_code == 3);
    CHECK_THAT(stale.err, Catch::Contains("changed in the store since the file was exported"));
    CHECK_THAT(stale.err, Catch::Contains("by version " + std::to_string(run) + " (edit by 李工"));
    CHECK_THAT(stale.err, Catch::Contains("--force"));
    CHECK(grids_digest(db) == after);

    // history: the edit is a version with its author, message and changes
    const auto hist = run_wangge({"--db", db, "history", "--village", village});
    REQUIRE(hist.exit_code == 0);
    CHECK_THAT(hist.out, Catch::Contains("partition"));
    CHECK_THAT(hist.out, Catch::Contains("edit"));
    CHECK_THAT(hist.out, Catch::Contains("by 李工: 新小区 and a merge"));
    const auto other = run_wangge({"--db", db, "history", "--village", neighbour_village});
    CHECK_THAT(other.out, !Catch::Contains("李工"));
    const auto show = run_wangge({"--db", db, "history", "show", std::to_string(run)});
    REQUIRE(show.exit_code == 0);
    CHECK_THAT(show.out, Catch::Contains("kind        edit"));
    CHECK_THAT(show.out, Catch::Contains("retired   " + gone));
    CHECK_THAT(show.out, Catch::Contains("merged    " + gone + "  -> " + kept_merge));
    CHECK(run_wangge({"--db", db, "history", "show", "999"}).exit_code == 3);

    // rollback: a new version; the grids, serials and events as before the edit
    const auto dry_rb = run_wangge({"--db", db, "rollback", std::to_string(run), "--dry-run"});
    REQUIRE(dry_rb.exit_code == 0);
    CHECK_THAT(dry_rb.out, Catch::Contains("nothing written"));
    CHECK(grids_digest(db) == after);
    const auto rb = run_wangge({"--db", db, "rollback", std::to_string(run), "--message", "wrong estate"});
    INFO(rb.out << rb.err);
    REQUIRE(rb.exit_code == 0);
    CHECK_THAT(rb.out, Catch::Contains("rolled back version " + std::to_string(run) + " as version " +
                                       std::to_string(run + 1)));
    CHECK(current_digest(db) == state_before);
    {
        // the merged-away code is back; the two given by the edit stay retired, never to be given again
        Store s2(db, Store::Mode::must_exist);
        CHECK(*sql::query_text(s2, "SELECT state FROM grid_serials WHERE code = '" + gone + "'") == "active");
        CHECK(*sql::query_text(s2, "SELECT group_concat(state) FROM grid_serials WHERE village_code = '" + village +
                                       "' AND serial > 10") == "retired,retired");
    }
    {
        Store s2(db, Store::Mode::must_exist);
        CHECK(*sql::query_text(s2, "SELECT kind || '|' || message FROM partition_runs ORDER BY id DESC LIMIT 1") ==
              "rollback|wrong estate");
        // nothing rewritten: the edit's versions are still there, closed by the rollback
        CHECK(sql::query_int(s2, fmt::format("SELECT count(*) FROM grids WHERE run_id = {} AND closed_by = {}", run,
                                             run + 1)) >= 6);
    }
    // the edit cannot be rolled back twice without saying so: the rollback is later
    const auto again = run_wangge({"--db", db, "rollback", std::to_string(run)});
    CHECK(again.exit_code == 3);
    CHECK_THAT(again.err, Catch::Contains("version " + std::to_string(run + 1) + " (rollback"));
    // rolling back the rollback brings the edit back
    REQUIRE(run_wangge({"--db", db, "rollback", std::to_string(run + 1)}).exit_code == 0);
    CHECK(lineage_of(a) == "reshaped");
    CHECK(current(gone) == 0);
}

TEST_CASE("edits: the usual mistakes are each reported with code, place and reason, and nothing is written",
          "[e2e][edits]") {
    TempDir dir("edits-bad");
    const std::string db = (dir / "s.sqlite").string();
    prepare(db, dir.path());
    const auto exported = dir / "v.gpkg";
    const auto base = export_grids(db, exported, "--township", town);
    const std::string before = grids_digest(db);

    auto import_with = [&](const std::string& name, auto&& edit) {
        auto feats = export_grids(db, exported, "--township", town);
        edit(feats);
        const auto file = dir / (name + ".gpkg");
        write_grids(file, feats);
        const auto r = run_wangge({"--db", db, "import", "edits", file.string()});
        INFO(name << ": " << r.out << r.err);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains("nothing imported"));
        CHECK(grids_digest(db) == before);
        return r.err;
    };
    std::vector<Feat> probe = read_grids(exported);
    const auto [a, b] = neighbours(probe, village, {});

    SECTION("a gap") {
        const auto err = import_with("gap", [&](std::vector<Feat>& f) {
            Feat& fa = *by_code(f, a);
            auto edge = gx().intersection(fa.geom.get(), by_code(f, b)->geom.get());
            const auto [x, y] = inside_point(edge.get());
            fa.geom = gx().difference(fa.geom.get(), box_at(x, y, 0.0002).get());
        });
        CHECK_THAT(err, Catch::Contains("a gap of"));
        CHECK_THAT(err, Catch::Contains(" at 120."));
    }
    SECTION("an overlap") {
        const auto err = import_with("overlap", [&](std::vector<Feat>& f) {
            Feat& fa = *by_code(f, a);
            auto edge = gx().intersection(fa.geom.get(), by_code(f, b)->geom.get());
            const auto [x, y] = inside_point(edge.get());
            fa.geom = unite(fa.geom.get(), gx().intersection(by_code(f, b)->geom.get(), box_at(x, y, 0.0002).get()).get());
        });
        CHECK_THAT(err, Catch::Contains(a + ", " + b + " overlap by"));
    }
    SECTION("a grid that crosses into another village") {
        const auto err = import_with("outside", [&](std::vector<Feat>& f) {
            // the grid of the village that shares the longest edge with the neighbour village
            Feat* best = nullptr;
            double best_len = 0;
            for (auto& x : f)
                if (x.village == village)
                    for (auto& y : f)
                        if (y.village == neighbour_village) {
                            const double len = shared_edge(x.geom.get(), y.geom.get());
                            if (len > best_len) best_len = len, best = &x;
                        }
            REQUIRE(best);
            Feat* other = nullptr;
            for (auto& y : f)
                if (y.village == neighbour_village && shared_edge(best->geom.get(), y.geom.get()) > 0) other = &y;
            auto edge = gx().intersection(best->geom.get(), other->geom.get());
            const auto [x, y] = inside_point(edge.get());
            best->geom = unite(best->geom.get(), box_at(x, y, 0.0002).get());
        });
        CHECK_THAT(err, Catch::Contains("crosses out of village " + village));
    }
    SECTION("a self-intersecting ring") {
        const auto err = import_with("bowtie", [&](std::vector<Feat>& f) {
            Feat& fa = *by_code(f, a);
            double minx, maxx, miny, maxy;
            GEOSGeom_getXMin_r(gx().handle(), fa.geom.get(), &minx);
            GEOSGeom_getXMax_r(gx().handle(), fa.geom.get(), &maxx);
            GEOSGeom_getYMin_r(gx().handle(), fa.geom.get(), &miny);
            GEOSGeom_getYMax_r(gx().handle(), fa.geom.get(), &maxy);
            fa.geom = gx().from_wkt(fmt::format("POLYGON(({0} {1},{2} {3},{2} {1},{0} {3},{0} {1}))", minx, miny, maxx, maxy));
        });
        CHECK_THAT(err, Catch::Contains(a + " is not a valid polygon: Self-intersection"));
    }
    SECTION("a code of another village, a code never given") {
        const auto err = import_with("codes", [&](std::vector<Feat>& f) {
            std::string other;
            for (auto& x : f)
                if (x.village == neighbour_village) other = x.code;
            by_code(f, a)->code = other;
            by_code(f, b)->code = village + "999";
        });
        CHECK_THAT(err, Catch::Contains("belongs to village " + neighbour_village + ", not to village " + village));
        CHECK_THAT(err, Catch::Contains("code " + village + "999 was never given in village " + village));
        CHECK_THAT(err, Catch::Contains("2 problems"));
    }
    SECTION("not a grid file") {
        const auto r = run_wangge({"--db", db, "import", "edits", (sample_dir() / "huzhou_villages.shp").string()});
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains("huzhou_villages.shp: has no field 'version'"));
    }
    (void)base;
}

TEST_CASE("edits: vertices a hand drew 0.2 m off a neighbour's snap back, without snapping they are gaps and overlaps",
          "[e2e][edits]") {
    TempDir dir("edits-snap");
    const std::string db = (dir / "s.sqlite").string();
    prepare(db, dir.path());
    auto feats = export_grids(db, dir / "v.gpkg", "--village", village);
    const auto [a, b] = neighbours(feats, village, {});
    Feat& fa = *by_code(feats, a);
    // every vertex of a that is a vertex of b moves 0.2 m east (as a hand-drawn edge would lie)
    auto shared = gx().intersection(fa.geom.get(), by_code(feats, b)->geom.get());
    const double dx = 0.2 / 96000.0;  // degrees of longitude at 30°N
    int n_moved = 0;
    {
        auto pts = gx().own(GEOSGeom_extractUniquePoints_r(gx().handle(), shared.get()), "points");
        // rebuild a's outline with the shared vertices moved
        std::vector<std::pair<double, double>> sh;
        for (int i = 0; i < GEOSGetNumGeometries_r(gx().handle(), pts.get()); ++i) {
            double x, y;
            GEOSGeomGetX_r(gx().handle(), GEOSGetGeometryN_r(gx().handle(), pts.get(), i), &x);
            GEOSGeomGetY_r(gx().handle(), GEOSGetGeometryN_r(gx().handle(), pts.get(), i), &y);
            sh.emplace_back(x, y);
        }
        const GEOSGeometry* poly = GEOSGetGeometryN_r(gx().handle(), fa.geom.get(), 0);
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(gx().handle(), GEOSGetExteriorRing_r(gx().handle(), poly));
        unsigned n = 0;
        GEOSCoordSeq_getSize_r(gx().handle(), seq, &n);
        std::string ring;
        for (unsigned i = 0; i < n; ++i) {
            double x, y;
            GEOSCoordSeq_getXY_r(gx().handle(), seq, i, &x, &y);
            bool on = false;
            for (const auto& [px, py] : sh) on = on || (px == x && py == y);
            // the ring's two ends move together
            if (on) x += dx, n_moved += i + 1 < n;
            ring += fmt::format("{}{:.12f} {:.12f}", i ? "," : "", x, y);
        }
        fa.geom = gx().from_wkt("POLYGON((" + ring + "))");
    }
    REQUIRE(n_moved >= 2);
    const auto file = dir / "hand.gpkg";
    write_grids(file, feats);
    const std::string before = grids_digest(db);
    const auto raw = run_wangge({"--db", db, "import", "edits", file.string(), "--snap-m", "0"});
    CHECK(raw.exit_code == 3);
    CHECK_THAT(raw.err, Catch::Contains("overlap by") || Catch::Contains("a gap of"));
    CHECK(grids_digest(db) == before);
    const auto snapped = run_wangge({"--db", db, "import", "edits", file.string(), "--snap-m", "0.5"});
    INFO(snapped.out << snapped.err);
    REQUIRE(snapped.exit_code == 0);
    // snapped back onto b's vertices: a is as it was, nothing new to write
    CHECK_THAT(snapped.out, Catch::Contains("nothing to import: the grids of"));
    CHECK(grids_digest(db) == before);
}

TEST_CASE("edits: --tiles brings an archive up to date after the import and after a rollback", "[e2e][edits][slow]") {
    TempDir dir("edits-tiles");
    const std::string db = (dir / "s.sqlite").string();
    prepare(db, dir.path());
    const auto archive = dir / "t.pmtiles";
    REQUIRE(run_wangge({"--db", db, "tiles", "build", "--township", town, "--maxzoom", "14", "--out", archive.string()})
                .exit_code == 0);
    auto feats = export_grids(db, dir / "v.gpkg", "--village", village);
    const auto [a, b] = neighbours(feats, village, {});
    move_boundary(feats, a, b);
    write_grids(dir / "e.gpkg", feats);
    const auto before = read_file(archive);
    const auto r = run_wangge({"--db", db, "import", "edits", (dir / "e.gpkg").string(), "--tiles", archive.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("imported as version 2"));
    CHECK_THAT(r.out, Catch::Contains(archive.string() + ": changes since"));
    CHECK_THAT(r.out, !Catch::Contains(" 0 tiles regenerated"));
    const auto after = read_file(archive);
    CHECK(after != before);
    const auto rb = run_wangge({"--db", db, "rollback", "2", "--tiles", archive.string()});
    INFO(rb.out << rb.err);
    REQUIRE(rb.exit_code == 0);
    CHECK_THAT(rb.out, Catch::Contains(archive.string() + ": changes since"));
    CHECK(read_file(archive) != after);
    // a missing archive is a usage error before anything is imported
    CHECK(run_wangge({"--db", db, "import", "edits", (dir / "e.gpkg").string(), "--tiles", (dir / "no.pmtiles").string()})
              .exit_code == 2);
}
