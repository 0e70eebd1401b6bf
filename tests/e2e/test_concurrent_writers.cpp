// End-to-end: two wangge processes writing one store at once. One is paused at a
// named point (wangge/testpoint.hpp) while the other runs; whatever the order, the
// store ends consistent: every writer read what it depends on inside its own write
// transaction.
#include <catch2/catch.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge::test;

namespace {

std::string q(const std::string& s) { return "'" + s + "'"; }

/// Run `first` until it reaches pause point `at`, then start `second`, let it get
/// going, release `first`, and wait for both. Returns "a=<exit> b=<exit>".
std::string race(const TempDir& dir, const std::string& at, const std::string& first, const std::string& second) {
    const std::string flag = (dir / "pause.flag").string();
    const std::string script = "WANGGE_PAUSE_AT=" + q(at) + " WANGGE_PAUSE_FILE=" + q(flag) + " " + first + " > " +
                               q((dir / "a.log").string()) + " 2>&1 & a=$!; " + "n=0; while [ ! -f " + q(flag) +
                               " ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done; " + second + " > " +
                               q((dir / "b.log").string()) + " 2>&1 & b=$!; sleep 1; rm -f " + q(flag) +
                               "; wait $a; ra=$?; wait $b; rb=$?; echo \"a=$ra b=$rb\"";
    const auto r = run_shell(script);
    INFO("first: " << read_file(dir / "a.log") << "\nsecond: " << read_file(dir / "b.log"));
    REQUIRE(r.exit_code == 0);
    return r.out;
}

/// The command line of the wangge binary; it waits for the other writer as long as
/// a slow (sanitizer) build may need.
std::string cli(const std::vector<std::string>& args) {
    std::string s = q(WANGGE_BIN) + " --wait 300";
    for (const auto& a : args) s += " " + q(a);
    return s;
}

} // namespace

TEST_CASE("concurrent writers: two partitions of one township, one paused after reading its inputs",
          "[e2e][concurrency][slow]") {
    TempDir dir("race-partition");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const std::string town = "330502001";
    // different bands, so each retires the other's grids and draws new ones
    const auto out = race(dir, "partition:inputs-read",
                          cli({"--db", db, "partition", "--township", town, "--urban-min", "150", "--urban-max", "250",
                               "--rural-min", "50", "--rural-max", "150"}),
                          cli({"--db", db, "partition", "--township", town, "--urban-min", "400", "--urban-max", "700",
                               "--rural-min", "200", "--rural-max", "400"}));
    INFO("first: " << read_file(dir / "a.log") << "\nsecond: " << read_file(dir / "b.log"));
    CHECK_THAT(out, Catch::Contains("a=0 b=0"));
    wangge::Store s(db, wangge::Store::Mode::must_exist);
    // one current set of grids per village, serials never reused
    CHECK(
        wangge::sql::query_int(
            s,
            "SELECT count(*) FROM (SELECT code FROM grids WHERE valid_to IS NULL GROUP BY code HAVING count(*) > 1)") ==
        0);
    CHECK(wangge::sql::query_int(
              s,
              "SELECT count(*) FROM grid_serials s WHERE s.state = 'active' AND NOT EXISTS (SELECT 1 FROM grids g "
              "WHERE g.code = s.code AND g.valid_to IS NULL)") == 0);
    CHECK(wangge::sql::query_int(
              s,
              "SELECT count(*) FROM grids g WHERE g.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM grid_serials "
              "s WHERE s.code = g.code AND s.state = 'active')") == 0);
    // the current grids of each village cover it
    CHECK(wangge::sql::query_int(
              s, "SELECT count(*) FROM jurisdictions j WHERE j.level = 'village' AND j.code LIKE '" + town +
                     "%' AND abs((SELECT sum(ST_Area(g.geom)) FROM grids g WHERE g.village_code = j.code AND "
                     "g.valid_to IS NULL) - ST_Area(j.geom)) > 1e-9 * ST_Area(j.geom) + 1e-12") == 0);
    // no event left on a grid that is no longer current
    CHECK(wangge::sql::query_int(
              s,
              "SELECT count(*) FROM events WHERE grid_code IS NOT NULL AND grid_code NOT IN (SELECT code FROM "
              "grids WHERE valid_to IS NULL)") == 0);
}
