// End-to-end: partitioning the sample through the real binary: cover, codes,
// determinism across thread counts, stable codes across a re-partition, browsing,
// export, and clear errors for bad input.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <set>
#include <wangge/grids.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

/// A store with the sample's jurisdictions, households and barriers.
void prepare_store(const std::string& db, bool with_inputs = true) {
    REQUIRE(run_wangge({"--db", db, "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
    for (const char* level : {"counties", "townships", "villages"})
        REQUIRE(run_wangge({"--db", db, "import", (sample_dir() / (std::string("huzhou_") + level + ".shp")).string()})
                    .exit_code == 0);
    if (!with_inputs) return;
    REQUIRE(run_wangge({"--db", db, "import", "households", (sample_dir() / "huzhou_households.shp").string()})
                .exit_code == 0);
    REQUIRE(run_wangge({"--db", db, "import", "barriers", (sample_dir() / "huzhou_barriers.shp").string()})
                .exit_code == 0);
}

std::string grids_digest(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    return *sql::query_text(
        s,
        "SELECT count(*) || ':' || group_concat(d, '|') FROM (SELECT code || ',' || households || ',' || "
        "hex(AsBinary(geom)) AS d FROM grids WHERE valid_to IS NULL ORDER BY code)");
}

} // namespace

TEST_CASE("grids: the whole sample partitions into grids that cover every village exactly", "[e2e][grids]") {
    TempDir dir("grids-all");
    const std::string db = (dir / "s.sqlite").string();
    prepare_store(db);
    const auto r = run_wangge({"--db", db, "partition", "--threads", "2", "--report", (dir / "report.csv").string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("partitioned 1301 villages into"));
    CHECK_THAT(r.out, Catch::Contains("codes: "));
    Store s(db, Store::Mode::must_exist);
    const auto grids = sql::query_int(s, "SELECT count(*) FROM grids WHERE valid_to IS NULL");
    CHECK(grids > 3000);
    // households are all accounted for
    CHECK(sql::query_int(s, "SELECT sum(households) FROM grids") ==
          sql::query_int(s, "SELECT sum(households) FROM households"));
    // code format: 15 digits = village code + serial 001.., serials 1..n in each village
    CHECK(sql::query_int(s,
                         "SELECT count(*) FROM grids WHERE length(code) != 15 OR substr(code,1,12) != village_code "
                         "OR CAST(substr(code,13,3) AS INTEGER) != serial") == 0);
    CHECK(sql::query_int(s,
                         "SELECT count(*) FROM (SELECT village_code, max(serial) m, count(*) n FROM grids "
                         "GROUP BY village_code) WHERE m != n") == 0);
    CHECK(sql::query_int(s, "SELECT count(DISTINCT village_code) FROM grids") == 1301);
    // every grid one valid polygon; every village covered exactly (area to 1e-9)
    CHECK(sql::query_int(s, "SELECT count(*) FROM grids WHERE NumGeometries(geom) != 1 OR NOT ST_IsValid(geom)") == 0);
    CHECK(sql::query_int(s,
                         "SELECT count(*) FROM jurisdictions v JOIN (SELECT village_code, ST_Union(geom) u FROM grids "
                         "GROUP BY village_code) g ON g.village_code = v.code "
                         "WHERE Area(SymDifference(v.geom, g.u)) > 1e-9 * Area(v.geom)") == 0);
    CHECK(sql::query_int(s, "SELECT count(*) FROM grids WHERE beidou NOT LIKE 'N50%' AND beidou NOT LIKE 'N51%'") == 0);
    CHECK(sql::query_int(s, "SELECT count(*) FROM grids WHERE length(beidou) != 16") == 0);
    CHECK(read_file(dir / "report.csv").find("village,grids,households,target") == 0);
}

TEST_CASE("grids: same input, same grids, byte for byte, with 1 or 2 threads", "[e2e][grids][slow]") {
    TempDir dir("grids-determinism");
    const std::string a = (dir / "a.sqlite").string(), b = (dir / "b.sqlite").string();
    prepare_store(a);
    prepare_store(b);
    REQUIRE(run_wangge({"--db", a, "partition", "--county", "330503", "--threads", "1"}).exit_code == 0);
    REQUIRE(run_wangge({"--db", b, "partition", "--county", "330503", "--threads", "2"}).exit_code == 0);
    CHECK(grids_digest(a) == grids_digest(b));
    // partitioning again changes nothing
    const auto again = run_wangge({"--db", a, "partition", "--county", "330503"});
    CHECK_THAT(again.out, Catch::Contains("0 new"));
    CHECK_THAT(again.out, Catch::Contains("0 kept reshaped, 0 retired"));
    CHECK(grids_digest(a) == grids_digest(b));
}

TEST_CASE("grids: a small change keeps most codes, and no code is ever given out twice", "[e2e][grids][slow]") {
    TempDir dir("grids-stable");
    const std::string db = (dir / "s.sqlite").string();
    prepare_store(db);
    const std::string town = "330502101";  // 八里店镇
    REQUIRE(run_wangge({"--db", db, "partition", "--township", town}).exit_code == 0);
    Store s(db, Store::Mode::must_exist);
    const auto before = sql::query_int(s, "SELECT count(*) FROM grids WHERE valid_to IS NULL");
    REQUIRE(before > 10);
    std::set<std::string> first_codes;
    {
        Statement st = sql::prepare(s, "SELECT code FROM grids WHERE valid_to IS NULL");
        while (st.step()) first_codes.insert(st.text(0));
    }
    // one village gains 60% more households
    const std::string village =
        *sql::query_text(s, "SELECT village_code FROM grids WHERE village_code LIKE '" + town +
                                "%' GROUP BY village_code ORDER BY count(*) DESC, village_code LIMIT 1");
    const auto changed = dir / "households2.gpkg";
    const auto conv = run_shell("ogr2ogr -f GPKG '" + changed.string() + "' '" +
                                (sample_dir() / "huzhou_households.shp").string() +
                                "' -dialect SQLite -sql \"SELECT id, village, CASE WHEN village = '" + village +
                                "' THEN CAST(households * 1.6 AS INTEGER) ELSE households END AS households, "
                                "geometry FROM huzhou_households\"");
    REQUIRE(conv.exit_code == 0);
    REQUIRE(run_wangge({"--db", db, "import", "households", changed.string(), "--replace"}).exit_code == 0);

    // a dry run says what would change, code by code, and writes nothing
    const auto dry = run_wangge({"--db", db, "partition", "--township", town, "--dry-run"});
    REQUIRE(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("dry run: nothing written"));
    CHECK_THAT(dry.out, Catch::Contains(village));
    CHECK(sql::query_int(s, "SELECT count(*) FROM partition_runs") == 1);

    const auto r = run_wangge({"--db", db, "partition", "--township", town});
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    std::set<std::string> kept;
    {
        Statement st = sql::prepare(s, "SELECT code FROM grids WHERE valid_to IS NULL");
        while (st.step())
            if (first_codes.count(st.text(0))) kept.insert(st.text(0));
    }
    // the other villages are untouched, so most codes are kept
    CHECK(double(kept.size()) >= 0.8 * double(first_codes.size()));
    CHECK(sql::query_int(s, "SELECT count(*) FROM grids WHERE valid_to IS NULL AND village_code = '" + village +
                                "' AND lineage IN ('new','split','merged')") > 0);
    // retired codes are dated, never current, never given out again
    const auto retire_again = run_wangge({"--db", db, "import", "households",
                                          (sample_dir() / "huzhou_households.shp").string(), "--replace"});
    REQUIRE(retire_again.exit_code == 0);
    REQUIRE(run_wangge({"--db", db, "partition", "--township", town}).exit_code == 0);
    CHECK(sql::query_int(s, "SELECT count(*) FROM grid_serials WHERE state = 'retired' AND retired_at IS NULL") == 0);
    CHECK(sql::query_int(s,
                         "SELECT count(*) FROM grid_serials s JOIN grids g ON g.code = s.code AND g.valid_to IS NULL "
                         "WHERE s.state = 'retired'") == 0);
    CHECK(sql::query_int(s, "SELECT count(*) FROM grid_serials WHERE state = 'retired'") > 0);
    // every current code of the village was created once: serials only grow
    CHECK(sql::query_int(s, "SELECT count(*) FROM grid_serials") ==
          sql::query_int(s, "SELECT count(DISTINCT code) FROM grids"));
    CHECK(sql::query_int(s, "SELECT count(*) FROM grid_lineage WHERE kind = 'retired'") > 0);
    // history: the old versions are kept with their end date
    CHECK(sql::query_int(s, "SELECT count(*) FROM grids WHERE valid_to IS NOT NULL") > 0);
}

TEST_CASE("grids: list, show, export for QGIS, and code encode/decode", "[e2e][grids]") {
    TempDir dir("grids-browse");
    const std::string db = (dir / "s.sqlite").string();
    prepare_store(db);
    REQUIRE(run_wangge({"--db", db, "partition", "--village", "330502001005"}).exit_code == 0);
    const auto list = run_wangge({"--db", db, "grids", "list", "--village", "330502001005"});
    REQUIRE(list.exit_code == 0);
    CHECK_THAT(list.out, Catch::Contains("330502001005001  base"));
    CHECK_THAT(list.out, Catch::Contains("浮星桥社区居委会"));
    const auto show = run_wangge({"--db", db, "grids", "show", "330502001005001"});
    REQUIRE(show.exit_code == 0);
    CHECK_THAT(show.out, Catch::Contains("township    330502001 月河街道"));
    CHECK_THAT(show.out, Catch::Contains("county      330502 吴兴区"));
    CHECK_THAT(show.out, Catch::Contains("beidou      N51H"));  // 120-126°E, 28-32°N

    const auto shp = dir / "grids.shp";
    REQUIRE(run_wangge({"--db", db, "export", "grids", "--out", shp.string()}).exit_code == 0);
    const auto info = run_shell("ogrinfo -al -so '" + shp.string() + "'");
    for (const char* field : {"code:", "type:", "households:", "village:", "vill_name:", "township:", "town_name:"})
        CHECK_THAT(info.out, Catch::Contains(field));
    const auto one = run_shell("ogrinfo -al -q -where \"code='330502001005001'\" '" + shp.string() + "'");
    CHECK_THAT(one.out, Catch::Contains("town_name (String) = 月河街道"));

    const auto dec = run_wangge({"--db", db, "code", "decode", "330502001005001"});
    REQUIRE(dec.exit_code == 0);
    CHECK_THAT(dec.out, Catch::Contains("village    330502001005 浮星桥社区居委会"));
    CHECK_THAT(dec.out, Catch::Contains("status     current"));
    // the standard's worked example: 39°59′35.38″N 116°18′45.37″E
    const double lat = 39 + 59 / 60.0 + 35.38 / 3600.0, lon = 116 + 18 / 60.0 + 45.37 / 3600.0;
    const auto enc = run_wangge({"code", "encode", fmt::format("{:.10f}", lon), fmt::format("{:.10f}", lat)});
    REQUIRE(enc.exit_code == 0);
    CHECK_THAT(enc.out, Catch::StartsWith("N50J47539B825534\n"));
    const auto bd = run_wangge({"code", "decode", "N50J47539B825534"});
    CHECK_THAT(bd.out, Catch::Contains("level 8"));
    CHECK(run_wangge({"code", "decode", "N50J4753"}).exit_code == 3);
    CHECK(run_wangge({"code", "decode", "hello"}).exit_code == 2);
}

TEST_CASE("grids: clear errors for bad input", "[e2e][grids]") {
    TempDir dir("grids-errors");
    const std::string db = (dir / "s.sqlite").string();
    prepare_store(db, false);
    const auto unknown = run_wangge({"--db", db, "partition", "--village", "330502001999"});
    CHECK(unknown.exit_code == 3);
    CHECK_THAT(unknown.err, Catch::Contains("village 330502001999 is not in the store"));
    CHECK(run_wangge({"--db", db, "partition", "--village", "3305"}).exit_code == 2);

    const auto band = run_wangge({"--db", db, "partition", "--rural-min", "400", "--rural-max", "300"});
    CHECK(band.exit_code == 2);
    CHECK_THAT(band.err, Catch::Contains("rural minimum 400 is above the maximum 300"));

    // a household file without its count field
    const auto nocount = run_wangge({"--db", db, "import", "households", (sample_dir() / "huzhou_villages.shp").string()});
    CHECK(nocount.exit_code == 3);
    CHECK_THAT(nocount.err, Catch::Contains("no field 'households' (--count-field)"));
    const auto points_wrong = run_wangge({"--db", db, "import", "households", (sample_dir() / "huzhou_villages.shp").string(),
                                          "--count-field", "code"});
    CHECK(points_wrong.exit_code == 3);
    CHECK_THAT(points_wrong.err, Catch::Contains("household data must be points"));
    // a barrier file of points
    const auto barrier_pts = run_wangge({"--db", db, "import", "barriers", (sample_dir() / "huzhou_households.shp").string()});
    CHECK(barrier_pts.exit_code == 3);
    CHECK_THAT(barrier_pts.err, Catch::Contains("huzhou_households.shp: holds POINT geometry; barriers (roads, rivers, railways) must be lines"));
    Store s(db, Store::Mode::must_exist);
    CHECK(sql::query_int(s, "SELECT count(*) FROM households") == 0);
    CHECK(sql::query_int(s, "SELECT count(*) FROM barriers") == 0);
}
