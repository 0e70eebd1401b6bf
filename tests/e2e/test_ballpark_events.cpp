// End-to-end: event points and grid files in a datum without a real transformation to
// CGCS2000 (NAD27) are refused unless --allow-ballpark, as every import is.
#include <catch2/catch.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge::test;

TEST_CASE("ballpark: events import and assign refuse a NAD27 source unless --allow-ballpark", "[e2e][events][crs]") {
    TempDir dir("ballpark-events");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const auto pts = dir / "events_nad27.geojson";
    write_file(pts, R"({"type": "FeatureCollection",
 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4267"}},
 "features": [{"type": "Feature", "properties": {"id": "N1", "type": "010101", "time": "2024-05-01T08:00:00+08:00"},
               "geometry": {"type": "Point", "coordinates": [120.2236, 30.8827]}}]})");
    const std::int64_t before = [&] {
        wangge::Store s(db, wangge::Store::Mode::must_exist);
        return wangge::sql::query_int(s, "SELECT count(*) FROM events");
    }();
    const auto refused = run_wangge({"--db", db, "events", "import", pts.string()});
    CHECK(refused.exit_code == 3);
    CHECK_THAT(refused.err, Catch::Contains("events_nad27.geojson") && Catch::Contains("--allow-ballpark"));
    {
        wangge::Store s(db, wangge::Store::Mode::must_exist);
        CHECK(wangge::sql::query_int(s, "SELECT count(*) FROM events") == before);
    }
    const auto allowed = run_wangge({"--db", db, "events", "import", pts.string(), "--allow-ballpark"});
    INFO(allowed.out << allowed.err);
    CHECK(allowed.exit_code == 0);
    {
        wangge::Store s(db, wangge::Store::Mode::must_exist);
        CHECK(wangge::sql::query_int(s, "SELECT count(*) FROM events WHERE event_id = 'N1'") == 1);
    }

    // a grids file in NAD27 for assign
    const auto grids = dir / "grids_nad27.geojson";
    write_file(grids, R"({"type": "FeatureCollection",
 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4267"}},
 "features": [{"type": "Feature", "properties": {"code": "330502001005001"},
               "geometry": {"type": "Polygon", "coordinates": [[[120.2, 30.8], [120.3, 30.8], [120.3, 30.9], [120.2, 30.9], [120.2, 30.8]]]}}]})");
    const auto in = dir / "in.csv";
    write_file(in, "id,lon,lat\nA,120.25,30.85\n");
    const auto out = (dir / "out.csv").string();
    const auto a1 = run_wangge({"assign", "--grids", grids.string(), "--in", in.string(), "--out", out});
    CHECK(a1.exit_code == 3);
    CHECK_THAT(a1.err, Catch::Contains("grids_nad27.geojson") && Catch::Contains("--allow-ballpark"));
    const auto a2 = run_wangge({"assign", "--grids", grids.string(), "--in", in.string(), "--out", out, "--allow-ballpark"});
    INFO(a2.out << a2.err);
    CHECK(a2.exit_code == 0);
    CHECK_THAT(read_file(out), Catch::Contains("330502001005001"));
}
