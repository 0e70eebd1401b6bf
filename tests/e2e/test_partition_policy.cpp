// End-to-end: the size policy of `wangge partition`. A village whose policy gives
// more grids than its code has serials (3 digits, 001-999) is refused from its totals,
// before any partitioning, with the option that changes it; the policy options are
// checked for their ranges; and the run prints the policy it used, with units.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge::test;

namespace {

std::string q(const std::string& s) {
    return "'" + s + "'";
}

const std::string village = "330502100201";  // a rural village (…村) of the sample's code table

std::string collection(const std::string& features) {
    return R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},)"
           R"("features":[)" +
           features + "]}";
}

std::string box_feature(const std::string& code, const std::string& name) {
    // about 57 km x 55 km, 3,180 km²: a county-sized village
    return R"({"type":"Feature","properties":{"code":")" + code + R"(","name":")" + name +
           R"("},"geometry":{"type":"Polygon","coordinates":[[[119.6,30.5],[120.2,30.5],[120.2,31.0],[119.6,31.0],[119.6,30.5]]]}})";
}

/// A store with one county-sized rural village (and its county and township), and
/// with `households` households per point on a 50 x 30 lattice of points when > 0.
void huge_village_store(const TempDir& dir, const std::string& db, int households) {
    REQUIRE(run_wangge({"--db", db, "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
    const std::pair<const char*, std::string> levels[] = {{"county.geojson", box_feature("330502", "吴兴区")},
                                                          {"township.geojson", box_feature("330502100", "某镇")},
                                                          {"village.geojson", box_feature(village, "某某村")}};
    for (const auto& [file, feature] : levels) {
        write_file(dir / file, collection(feature));
        const auto r = run_wangge({"--db", db, "import", (dir / file).string()});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
    }
    if (households <= 0) return;
    std::string points;
    for (int i = 0; i < 50; ++i)
        for (int j = 0; j < 30; ++j)
            points += fmt::format(
                R"({}{{"type":"Feature","properties":{{"households":{}}},"geometry":{{"type":"Point",)"
                R"("coordinates":[{:.6f},{:.6f}]}}}})",
                points.empty() ? "" : ",", households, 119.6 + 0.6 * (i + 0.5) / 50, 30.5 + 0.5 * (j + 0.5) / 30);
    write_file(dir / "households.geojson", collection(points));
    const auto r = run_wangge({"--db", db, "import", "households", (dir / "households.geojson").string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
}

/// Run `wangge ARGS` with a pause point set where partitioning starts
/// (partition:inputs-read): when the run reaches it, it is stopped there and the
/// result says "reached"; else "exit=N" with its stderr in `err`.
std::string run_until_partitioning(const TempDir& dir, const std::vector<std::string>& args, std::string& err) {
    const std::string flag = (dir / "pause.flag").string(), log = (dir / "err.log").string();
    std::string cmd = q(WANGGE_BIN);
    for (const auto& a : args) cmd += " " + q(a);
    const auto r =
        run_shell("rm -f " + q(flag) + "; WANGGE_PAUSE_AT=partition:inputs-read WANGGE_PAUSE_FILE=" + q(flag) + " " +
                  cmd + " > /dev/null 2> " + q(log) + " & p=$!; while kill -0 $p 2>/dev/null && [ ! -f " + q(flag) +
                  " ]; do sleep 0.05; done; if [ -f " + q(flag) + " ]; then kill $p; wait $p; rm -f " + q(flag) +
                  "; echo reached; else wait $p; echo exit=$?; fi");
    err = read_file(log);
    return r.out;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

} // namespace

TEST_CASE("partition policy: a village the household target gives more than 999 grids is refused before partitioning",
          "[e2e][partition-policy]") {
    TempDir dir("policy-serials-households");
    const auto db = (dir / "s.sqlite").string();
    huge_village_store(dir, db, 200);  // 300,000 households: 1,500 grids at 200 per grid
    const auto before = store_digest(db);
    std::string err;
    const auto outcome = run_until_partitioning(dir, {"--db", db, "partition"}, err);
    INFO(err);
    CHECK_THAT(outcome, Catch::Contains("exit=3"));  // not "reached": no partition work was started
    CHECK_THAT(err, Catch::Contains("village 330502100201 (某某村): 1,500 grids at 200 households per grid (300,000 "
                                    "households, band 100–300); at most 999 grid serials per village — raise the band "
                                    "--rural-min/--rural-max (e.g. --rural-min 151 --rural-max 451 gives ≤ 999 grids) "
                                    "or partition with --grids N, N ≤ 999"));
    CHECK(occurrences(err, village) == 1);
    CHECK(store_digest(db) == before);
    wangge::Store s(db, wangge::Store::Mode::must_exist);
    CHECK(wangge::sql::query_int(s, "SELECT count(*) FROM grids") == 0);
    CHECK(wangge::sql::query_int(s, "SELECT count(*) FROM partition_runs") == 0);
}

TEST_CASE(
    "partition policy: a county-sized village without household data is refused by its area, with the option "
    "that changes it",
    "[e2e][partition-policy]") {
    TempDir dir("policy-serials-area");
    const auto db = (dir / "s.sqlite").string();
    huge_village_store(dir, db, 0);
    std::string err;
    const auto outcome = run_until_partitioning(dir, {"--db", db, "partition", "--dry-run"}, err);
    INFO(err);
    CHECK_THAT(outcome, Catch::Contains("exit=3"));
    // 0.6° x 0.5° at 30.75° N: 3,188 km², 1,594 grids of 2 km²; 3.19 km² gives 999
    CHECK_THAT(err,
               Catch::Contains("village 330502100201 (某某村): 1,594 grids at 2 km² per grid (area-based: no household "
                               "data; 3,188 km²); at most 999 grid serials per village — raise --rural-area-km2 (≥ "
                               "3.19 gives ≤ 999 grids) or partition with --grids N, N ≤ 999"));
    CHECK(occurrences(err, village) == 1);
    // the value it names is enough
    const std::string km2 = "3.19";
    const auto ok = run_wangge({"--db", db, "partition", "--dry-run", "--rural-area-km2", km2});
    INFO(ok.out << ok.err);
    CHECK(ok.exit_code == 0);
    CHECK_THAT(ok.out, Catch::Contains(fmt::format("policy: {} km² per grid in rural villages (band ", km2)));
    CHECK_THAT(ok.out, Catch::Contains("area-based: no household data for village 330502100201 (某某村))"));
    CHECK_THAT(ok.out, Catch::Contains("area-based grids"));
    CHECK_THAT(ok.out, Catch::Contains("inside their band of km² per grid"));
    CHECK_THAT(ok.out, !Catch::Contains("households per grid"));
}

TEST_CASE("partition policy: options out of their range are usage errors that name the option",
          "[e2e][partition-policy]") {
    TempDir dir("policy-options");
    const auto db = (dir / "s.sqlite").string();
    const std::pair<std::vector<std::string>, std::string> cases[] = {
        {{"--grids", "0"}, "--grids 0: grids per village must be in 1..999"},
        {{"--grids", "-3"}, "--grids -3: grids per village must be in 1..999"},
        {{"--grids", "1000"}, "--grids 1000: grids per village must be in 1..999"},
        {{"--rural-min", "0"}, "--rural-min 0: households per grid must be in 1..100000"},
        {{"--urban-max", "5000000"}, "--urban-max 5000000: households per grid must be in 1..100000"},
        {{"--rural-max", "50"}, "--rural-min 100 / --rural-max 50: rural minimum 100 is above the maximum 50"},
        {{"--rural-area-km2", "0"}, "--rural-area-km2 0: km² per grid must be in 0.001..1000"},
        {{"--urban-area-km2", "nan"}, "--urban-area-km2 nan: km² per grid must be in 0.001..1000"},
        {{"--urban-area-km2", "1e9"}, "--urban-area-km2 1e+09: km² per grid must be in 0.001..1000"},
    };
    for (const auto& [opts, message] : cases) {
        std::vector<std::string> args = {"--db", db, "partition"};
        args.insert(args.end(), opts.begin(), opts.end());
        const auto r = run_wangge(args);
        INFO(opts.front() << " " << opts.back() << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(message));
        CHECK_FALSE(fs::exists(db));  // refused before the store is opened
    }
}

TEST_CASE("partition policy: the run prints the policy it used, with units", "[e2e][partition-policy][slow]") {
    TempDir dir("policy-print");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const std::string town = "330502001";  // 月河街道: communities
    const auto r =
        run_wangge({"--db", db, "partition", "--township", town, "--dry-run", "--report", (dir / "r.csv").string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("policy: 400 households per grid in urban communities (band 300–500)"));
    CHECK_THAT(r.out, Catch::Contains("inside their band of households per grid"));
    CHECK_THAT(r.out, !Catch::Contains("size policy: urban 300-500"));
    const auto report = read_file(dir / "r.csv");
    CHECK(report.find("village,grids,households,target,band_min,band_max,by_area,max_deviation,min_deviation,unit\n") ==
          0);
    CHECK_THAT(report, Catch::Contains(",households\n"));

    const auto fixed = run_wangge({"--db", db, "partition", "--township", town, "--dry-run", "--grids", "2"});
    INFO(fixed.out << fixed.err);
    REQUIRE(fixed.exit_code == 0);
    CHECK_THAT(fixed.out, Catch::Contains("policy: fixed 2 grids per village (no size band)"));
    CHECK_THAT(fixed.out, Catch::Contains("size band: none applies (fixed 2 grids per village)"));
    CHECK_THAT(fixed.out, !Catch::Contains("inside their"));
}
