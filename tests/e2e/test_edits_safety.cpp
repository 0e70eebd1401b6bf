// End-to-end: `wangge import edits`, `rollback` and `partition` under two editors at
// once and under a crash. Two imports of edits to different townships both land, one
// after the other (the second waits for the first's write transaction); two edits of
// one export of the same village: the first lands, the second is refused as stale.
// A process killed (kill -9) at any pause point (wangge/testpoint.hpp) of its write
// leaves the store intact and exactly as before, and the same command then lands.
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <set>

#include "geometry/geos.hpp"
#include "store/sql.hpp"
#include "edit_files.hpp"
#include "support.hpp"
#include "wangge/store.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

const std::string town1 = "330502001", town2 = "330502002", village1 = "330502001005";

std::string q(const std::string& s) { return "'" + s + "'"; }

/// Both townships partitioned, with the sample's households and events: built once per
/// process, copied for each test.
void prepare(const std::string& db) {
    static TempDir built("safety-store");
    static const fs::path path = [] {
        const fs::path p = built / "s.sqlite";
        const std::string dbp = p.string();
        auto must = [](const RunResult& r) {
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
        };
        must(run_wangge({"--db", dbp, "codes", "load", (sample_dir() / "codes").string()}));
        for (const char* level : {"counties", "townships", "villages"})
            must(run_wangge({"--db", dbp, "import", (sample_dir() / (std::string("huzhou_") + level + ".shp")).string()}));
        must(run_wangge({"--db", dbp, "import", "households", (sample_dir() / "huzhou_households.shp").string()}));
        must(run_wangge({"--db", dbp, "partition", "--township", town1}));
        must(run_wangge({"--db", dbp, "partition", "--township", town2}));
        must(run_wangge({"--db", dbp, "events", "import", (sample_dir() / "huzhou_events_gcj02.csv").string(), "--crs",
                         "gcj02", "--rejects", (built / "rejects.csv").string()}));
        return p;
    }();
    fs::copy_file(path, db, fs::copy_options::overwrite_existing);
}

/// Every row of the tables a grid write touches: equal digests mean nothing was written.
std::string tables_digest(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    auto all = [&](const std::string& select) {
        return *sql::query_text(s, "SELECT count(*) || ':' || coalesce(group_concat(d, '|'), '') FROM (" + select + ")");
    };
    return all("SELECT id || ',' || code || ',' || households || ',' || lineage || ',' || valid_from || ',' || "
               "coalesce(valid_to, '') || ',' || coalesce(closed_by, '') || ',' || run_id || ',' || "
               "hex(AsBinary(geom)) AS d FROM grids ORDER BY id") +
           "\n" +
           all("SELECT code || ',' || state || ',' || coalesce(retired_at, '') AS d FROM grid_serials ORDER BY code") +
           "\n" +
           all("SELECT run_id || ',' || coalesce(old_code, '') || ',' || coalesce(new_code, '') || ',' || kind AS d "
               "FROM grid_lineage ORDER BY rowid") +
           "\n" + all("SELECT id || ',' || kind || ',' || scope AS d FROM partition_runs ORDER BY id") + "\n" +
           all("SELECT id || ',' || coalesce(grid_code, '-') || ',' || coalesce(nearest_grid, '-') || ',' || "
               "coalesce(assigned_at, '') AS d FROM events ORDER BY id");
}

std::string integrity(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    return *sql::query_text(s, "PRAGMA integrity_check");
}

/// One current row per code; every active serial has a current grid and every current grid an active serial.
void check_codes_consistent(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    CHECK(sql::query_int(s, "SELECT count(*) FROM (SELECT code FROM grids WHERE valid_to IS NULL GROUP BY code "
                            "HAVING count(*) > 1)") == 0);
    CHECK(sql::query_int(s, "SELECT count(*) FROM grid_serials s WHERE s.state = 'active' AND NOT EXISTS (SELECT 1 "
                            "FROM grids g WHERE g.code = s.code AND g.valid_to IS NULL)") == 0);
    CHECK(sql::query_int(s, "SELECT count(*) FROM grids g WHERE g.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM "
                            "grid_serials s WHERE s.code = g.code AND s.state = 'active')") == 0);
}

/// The command line of the wangge binary, waiting for another writer as long as a slow build may need.
std::string cli(const std::vector<std::string>& args) {
    std::string s = q(WANGGE_BIN) + " --wait 300";
    for (const auto& a : args) s += " " + q(a);
    return s;
}

/// Run `first` until it reaches pause point `at`, then start `second`, let it get
/// going, release `first`, and wait for both. Returns "a=<exit> b=<exit>".
std::string race(const TempDir& dir, const std::string& at, const std::string& first, const std::string& second) {
    const std::string flag = (dir / "pause.flag").string();
    const std::string script = "WANGGE_PAUSE_AT=" + q(at) + " WANGGE_PAUSE_FILE=" + q(flag) + " " + first + " > " +
                               q((dir / "a.log").string()) + " 2>&1 & a=$!; n=0; while [ ! -f " + q(flag) +
                               " ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done; " + second + " > " +
                               q((dir / "b.log").string()) + " 2>&1 & b=$!; sleep 1; rm -f " + q(flag) +
                               "; wait $a; ra=$?; wait $b; rb=$?; echo \"a=$ra b=$rb\"";
    const auto r = run_shell(script);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

/// Run `command` in the background until it reaches pause point `at`, then kill -9 it.
/// Returns "reached killed=<status>" (137 when it died of the signal), or "never reached".
std::string crash_at(const TempDir& dir, const std::string& at, const std::string& command) {
    const std::string flag = (dir / "crash.flag").string();
    fs::remove(flag);
    const std::string script = "WANGGE_PAUSE_AT=" + q(at) + " WANGGE_PAUSE_FILE=" + q(flag) + " " + command + " > " +
                               q((dir / "crash.log").string()) + " 2>&1 & p=$!; n=0; while [ ! -f " + q(flag) +
                               " ] && [ $n -lt 2400 ] && kill -0 $p 2>/dev/null; do sleep 0.05; n=$((n+1)); done; " +
                               "if [ -f " + q(flag) + " ]; then kill -9 $p; wait $p; echo \"reached killed=$?\"; " +
                               "else wait $p; echo never reached; fi; rm -f " + q(flag);
    const auto r = run_shell(script);
    REQUIRE(r.exit_code == 0);
    return r.out;
}

/// Kill `args` at pause point `at`: the store is intact and as before; then the same
/// command, unpaused, lands.
void crash_then_retry(const TempDir& dir, const std::string& db, const std::string& at,
                      const std::vector<std::string>& args) {
    INFO("pause point " << at);
    const std::string before = tables_digest(db);
    const auto out = crash_at(dir, at, cli(args));
    INFO("killed process: " << read_file(dir / "crash.log"));
    REQUIRE_THAT(out, Catch::Contains("reached killed=137"));
    CHECK(integrity(db) == "ok");
    CHECK(tables_digest(db) == before);
    const auto r = run_shell(cli(args));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(tables_digest(db) != before);
    CHECK(integrity(db) == "ok");
    check_codes_consistent(db);
}

/// The store back as it was at `snapshot` (a WAL store: no -wal or -shm of the last run left beside it).
void restore(const fs::path& snapshot, const std::string& db) {
    for (const char* side : {"-wal", "-shm", "-journal"}) fs::remove(db + side);
    fs::copy_file(snapshot, db, fs::copy_options::overwrite_existing);
}

std::int64_t edit_runs(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    return sql::query_int(s, "SELECT count(*) FROM partition_runs WHERE kind = 'edit'");
}
std::string lineage_of(const std::string& db, const std::string& code) {
    Store s(db, Store::Mode::must_exist);
    return *sql::query_text(
        s, "SELECT coalesce(group_concat(lineage), '') FROM grids WHERE valid_to IS NULL AND code = " + q(code));
}

}  // namespace

TEST_CASE("edits safety: two editors of two townships at once both land, the second waits for the first",
          "[e2e][edits][safety][slow]") {
    TempDir dir("safety-two");
    const std::string db = (dir / "s.sqlite").string();
    prepare(db);
    auto f1 = export_grids(db, dir / "t1.gpkg", "--township", town1);
    auto f2 = export_grids(db, dir / "t2.gpkg", "--township", town2);
    const auto [a1, b1] = neighbours(f1, village1);
    const auto [a2, b2] = neighbours(f2, "");
    move_boundary(f1, a1, b1);
    move_boundary(f2, a2, b2);
    write_grids(dir / "e1.gpkg", f1);
    write_grids(dir / "e2.gpkg", f2);
    const auto runs_before = edit_runs(db);

    const auto out = race(dir, "edits:locked", cli({"--db", db, "import", "edits", (dir / "e1.gpkg").string()}),
                          cli({"--db", db, "import", "edits", (dir / "e2.gpkg").string()}));
    const std::string a_log = read_file(dir / "a.log"), b_log = read_file(dir / "b.log");
    INFO("first: " << a_log << "\nsecond: " << b_log);
    CHECK_THAT(out, Catch::Contains("a=0 b=0"));
    CHECK_THAT(b_log, Catch::Contains("wangge: waiting for another wangge process writing " + db));
    CHECK_THAT(a_log, Catch::Contains("imported as version"));
    CHECK_THAT(b_log, Catch::Contains("imported as version"));
    CHECK(edit_runs(db) == runs_before + 2);
    for (const auto& c : {a1, b1, a2, b2}) CHECK(lineage_of(db, c) == "reshaped");
    CHECK(integrity(db) == "ok");
    check_codes_consistent(db);
}

TEST_CASE("edits safety: two edits of one export of a village at once: the first lands, the second is refused",
          "[e2e][edits][safety][slow]") {
    TempDir dir("safety-same");
    const std::string db = (dir / "s.sqlite").string();
    prepare(db);
    auto base = export_grids(db, dir / "t1.gpkg", "--township", town1);
    const auto [a, b] = neighbours(base, village1);
    const auto [c, d] = neighbours(base, village1, {a, b});
    auto one = read_grids(dir / "t1.gpkg");
    auto two = read_grids(dir / "t1.gpkg");
    move_boundary(one, a, b);
    move_boundary(two, c, d);
    write_grids(dir / "one.gpkg", one);
    write_grids(dir / "two.gpkg", two);
    const auto runs_before = edit_runs(db);
    const std::string lineage_c = lineage_of(db, c), lineage_d = lineage_of(db, d);

    const auto out = race(dir, "edits:locked", cli({"--db", db, "import", "edits", (dir / "one.gpkg").string()}),
                          cli({"--db", db, "import", "edits", (dir / "two.gpkg").string()}));
    const std::string b_log = read_file(dir / "b.log");
    INFO("first: " << read_file(dir / "a.log") << "\nsecond: " << b_log);
    CHECK_THAT(out, Catch::Contains("a=0 b=3"));
    CHECK_THAT(b_log, Catch::Contains("changed in the store since the file was exported"));
    // only the first edit is in the store
    CHECK(edit_runs(db) == runs_before + 1);
    CHECK(lineage_of(db, a) == "reshaped");
    CHECK(lineage_of(db, b) == "reshaped");
    CHECK(lineage_of(db, c) == lineage_c);
    CHECK(lineage_of(db, d) == lineage_d);
    check_codes_consistent(db);
}

TEST_CASE("edits safety: import edits killed at each pause point leaves the store as before, run again, it lands",
          "[e2e][edits][safety][slow]") {
    TempDir dir("safety-crash-edits");
    const std::string db = (dir / "s.sqlite").string();
    prepare(db);
    auto feats = export_grids(db, dir / "t1.gpkg", "--township", town1);
    const auto [a, b] = neighbours(feats, village1);
    move_boundary(feats, a, b);
    const auto edited = dir / "e.gpkg";
    write_grids(edited, feats);
    const auto snapshot = dir / "snapshot.sqlite";
    fs::copy_file(db, snapshot);
    for (const char* at : {"edits:locked", "edits:written", "edits:events"}) {
        restore(snapshot, db);
        crash_then_retry(dir, db, at, {"--db", db, "import", "edits", edited.string()});
        CHECK(lineage_of(db, a) == "reshaped");
    }
}

TEST_CASE("edits safety: rollback killed after writing leaves the store as before, run again, it lands",
          "[e2e][edits][safety][slow]") {
    TempDir dir("safety-crash-rollback");
    const std::string db = (dir / "s.sqlite").string();
    prepare(db);
    auto feats = export_grids(db, dir / "t1.gpkg", "--township", town1);
    const auto [a, b] = neighbours(feats, village1);
    move_boundary(feats, a, b);
    write_grids(dir / "e.gpkg", feats);
    const auto r = run_wangge({"--db", db, "import", "edits", (dir / "e.gpkg").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::int64_t version = 0;
    {
        Store s(db, Store::Mode::must_exist);
        version = sql::query_int(s, "SELECT max(id) FROM partition_runs");
    }
    crash_then_retry(dir, db, "rollback:written", {"--db", db, "rollback", std::to_string(version)});
    CHECK(lineage_of(db, a) != "reshaped");
}

TEST_CASE("edits safety: partition killed after reading its inputs or after writing leaves the store as before",
          "[e2e][edits][safety][slow]") {
    TempDir dir("safety-crash-partition");
    const std::string db = (dir / "s.sqlite").string();
    prepare(db);
    const auto snapshot = dir / "snapshot.sqlite";
    fs::copy_file(db, snapshot);
    for (const char* at : {"partition:inputs-read", "partition:written"}) {
        restore(snapshot, db);
        // other bands than the store's grids, so the partition retires and draws grids
        crash_then_retry(dir, db, at,
                         {"--db", db, "partition", "--township", town1, "--urban-min", "150", "--urban-max", "250",
                          "--rural-min", "50", "--rural-max", "150"});
    }
}
