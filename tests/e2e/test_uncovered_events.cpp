// End-to-end: events in no grid keep the nearest *current* grid and its distance
// through re-partitions and `events reassign`.
#include <catch2/catch.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge::test;

namespace {

const char* const stale_nearest =
    "SELECT count(*) FROM events WHERE uncovered = 1 AND (nearest_grid IS NULL OR nearest_grid NOT IN "
    "(SELECT code FROM grids WHERE valid_to IS NULL))";

} // namespace

TEST_CASE("uncovered events: a re-partition gives them the nearest current grid", "[e2e][events][uncovered][slow]") {
    TempDir dir("uncovered-repartition");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    std::int64_t uncovered = 0;
    {
        wangge::Store s(db, wangge::Store::Mode::must_exist);
        uncovered = wangge::sql::query_int(s, "SELECT count(*) FROM events WHERE uncovered = 1");
        REQUIRE(uncovered > 0);
        REQUIRE(wangge::sql::query_int(s, stale_nearest) == 0);
    }
    // a new band everywhere: most grids are retired and drawn anew
    const auto r = run_wangge({"--db", db, "partition", "--urban-min", "150", "--urban-max", "250", "--rural-min", "50",
                               "--rural-max", "150"});
    REQUIRE(r.exit_code == 0);
    wangge::Store s(db, wangge::Store::Mode::must_exist);
    CHECK(wangge::sql::query_int(s, "SELECT count(*) FROM events WHERE uncovered = 1") == uncovered);
    CHECK(wangge::sql::query_int(s, stale_nearest) == 0);
}

TEST_CASE("uncovered events: events reassign gives them the nearest current grid again", "[e2e][events][uncovered][slow]") {
    TempDir dir("uncovered-reassign");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    std::int64_t uncovered = 0;
    std::string before;
    {
        wangge::Store s(db, wangge::Store::Mode::must_exist);
        uncovered = wangge::sql::query_int(s, "SELECT count(*) FROM events WHERE uncovered = 1");
        before = *wangge::sql::query_text(
            s,
            "SELECT group_concat(event_id || ':' || nearest_grid || ':' || printf('%.3f', nearest_m), ',') "
            "FROM (SELECT * FROM events WHERE uncovered = 1 ORDER BY event_id)");
        // as a store left by an older version or an interrupted run would be
        wangge::sql::exec(s, "UPDATE events SET nearest_grid = '330502001005999', nearest_m = 1 WHERE uncovered = 1");
    }
    const auto r = run_wangge({"--db", db, "events", "reassign"});
    REQUIRE(r.exit_code == 0);
    wangge::Store s(db, wangge::Store::Mode::must_exist);
    CHECK(wangge::sql::query_int(s, stale_nearest) == 0);
    CHECK(wangge::sql::query_int(s, "SELECT count(*) FROM events WHERE uncovered = 1") == uncovered);
    const auto after = *wangge::sql::query_text(
        s,
        "SELECT group_concat(event_id || ':' || nearest_grid || ':' || printf('%.3f', nearest_m), ',') "
        "FROM (SELECT * FROM events WHERE uncovered = 1 ORDER BY event_id)");
    CHECK(after == before);
}
