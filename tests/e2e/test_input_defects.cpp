// End-to-end: defects of inputs found on real data (issue 13): households where
// villages overlap, output paths checked before the store is written, and datum
// transformations that are only a ballpark offset.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <optional>
#include <sstream>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

/// A GeoJSON FeatureCollection of the given features (each already a JSON object).
std::string collection(const std::vector<std::string>& features, const std::string& crs = "") {
    std::string s = R"({"type":"FeatureCollection",)";
    if (!crs.empty()) s += R"("crs":{"type":"name","properties":{"name":")" + crs + R"("}},)";
    s += R"("features":[)";
    for (std::size_t i = 0; i < features.size(); ++i) s += (i ? "," : "") + features[i];
    return s + "]}";
}

std::string square(const std::string& code, const std::string& name, double x0, double y0, double x1, double y1) {
    return fmt::format(R"({{"type":"Feature","properties":{{"code":"{}","name":"{}"}},"geometry":{{"type":"Polygon",)"
                       R"("coordinates":[[[{},{}],[{},{}],[{},{}],[{},{}],[{},{}]]]}}}})",
                       code, name, x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
}

std::string point(double x, double y, std::int64_t households) {
    return fmt::format(R"({{"type":"Feature","properties":{{"households":{}}},"geometry":{{"type":"Point",)"
                       R"("coordinates":[{},{}]}}}})",
                       households, x, y);
}

// Two villages of one township that overlap in 120.01..120.02 x 30.005..30.02 (as
// real outlines of neighbours do), about 2 km wide each.
constexpr const char* village_a = "330502001001";
constexpr const char* village_b = "330502001002";

void two_overlapping_villages(const TempDir& dir, const std::string& db) {
    const auto villages = dir / "villages.geojson";
    write_file(villages, collection({square(village_a, "A村", 120.00, 30.00, 120.02, 30.02),
                                     square(village_b, "B村", 120.01, 30.005, 120.03, 30.025)}));
    const auto r = run_wangge({"--db", db, "import", villages.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
}

/// Households: 3 points only in A (150), 4 in the overlap (200), 2 only in B (120);
/// with `outside`, one more in the villages' extent but in neither (7).
std::int64_t households_in_and_between(const TempDir& dir, const std::string& db, bool outside = false) {
    std::vector<std::string> pts;
    for (int i = 0; i < 3; ++i) pts.push_back(point(120.002 + 0.002 * i, 30.005 + 0.003 * i, 50));
    for (int i = 0; i < 4; ++i) pts.push_back(point(120.012 + 0.002 * i, 30.006 + 0.004 * i, 50));
    for (int i = 0; i < 2; ++i) pts.push_back(point(120.024 + 0.002 * i, 30.008 + 0.004 * i, 60));
    if (outside) pts.push_back(point(120.025, 30.001, 7));
    const auto file = dir / "households.geojson";
    write_file(file, collection(pts));
    const auto r = run_wangge({"--db", db, "import", "households", file.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return outside ? 477 : 470;
}

/// What a partition writes: grids, serials, lineage and runs.
std::string partition_digest(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    return store_digest(db) + fmt::format("/grids={}/serials={}/lineage={}/partitions={}",
                                          sql::query_int(s, "SELECT count(*) FROM grids"),
                                          sql::query_int(s, "SELECT count(*) FROM grid_serials"),
                                          sql::query_int(s, "SELECT count(*) FROM grid_lineage"),
                                          sql::query_int(s, "SELECT count(*) FROM partition_runs"));
}

} // namespace

// ------------------------------------------------------------------ item 9

TEST_CASE("output paths: partition --report to a path that cannot be written fails before any grid is written",
          "[e2e][defects][outputs]") {
    TempDir dir("defects-report-path");
    const std::string db = (dir / "s.sqlite").string();
    two_overlapping_villages(dir, db);
    households_in_and_between(dir, db);
    const auto before = partition_digest(db);
    fs::create_directories(dir / "a-directory");
    for (const auto& bad : {dir / "no-such-dir" / "report.csv", dir / "a-directory"}) {
        const auto r = run_wangge({"--db", db, "partition", "--report", bad.string()});
        INFO(bad.string() << "\n" << r.out << r.err);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("--report") && Catch::Contains(bad.string()));
        CHECK(partition_digest(db) == before);
        CHECK_FALSE(fs::exists(dir / "no-such-dir"));
    }
    // a good path still works, and is written
    const auto r = run_wangge({"--db", db, "partition", "--report", (dir / "report.csv").string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(partition_digest(db) != before);
    CHECK(read_file(dir / "report.csv").find("village,grids,households") == 0);
}

// ------------------------------------------------------------------ item 7

namespace {

std::int64_t report_households(const fs::path& csv) {
    std::istringstream in(read_file(csv));
    std::string line;
    std::getline(in, line);
    REQUIRE(line.rfind("village,grids,households,", 0) == 0);
    std::int64_t sum = 0;
    while (std::getline(in, line)) {
        const auto a = line.find(','), b = line.find(',', a + 1), c = line.find(',', b + 1);
        sum += std::stoll(line.substr(b + 1, c - b - 1));
    }
    return sum;
}

} // namespace

TEST_CASE("households: a point where villages overlap is counted once, in the lowest village code",
          "[e2e][defects][households]") {
    TempDir dir("defects-overlap");
    const std::string db = (dir / "s.sqlite").string();
    two_overlapping_villages(dir, db);
    const std::int64_t total = households_in_and_between(dir, db);
    {
        Store s(db, Store::Mode::must_exist);
        REQUIRE(sql::query_int(s, "SELECT sum(households) FROM households") == total);
    }
    const auto report = dir / "report.csv";
    const auto r = run_wangge({"--db", db, "partition", "--report", report.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(report_households(report) == total);
    CHECK_THAT(r.out, Catch::Contains("households: 470 in all"));
    CHECK_THAT(r.out, Catch::Contains("4 points (200 households) lie where villages overlap"));
    Store s(db, Store::Mode::must_exist);
    CHECK(sql::query_int(s, "SELECT sum(households) FROM grids WHERE valid_to IS NULL") == total);
    // the overlap went to the lower code: A holds 150 + 200, B 120
    CHECK(sql::query_int(s,
                         fmt::format("SELECT sum(households) FROM grids WHERE valid_to IS NULL AND village_code = '{}'",
                                     village_a)) == 350);
    CHECK(sql::query_int(s,
                         fmt::format("SELECT sum(households) FROM grids WHERE valid_to IS NULL AND village_code = '{}'",
                                     village_b)) == 120);

    SECTION("a run over the higher village alone leaves the overlap to the lower one") {
        const auto rb = run_wangge({"--db", db, "partition", "--village", village_b});
        INFO(rb.out << rb.err);
        REQUIRE(rb.exit_code == 0);
        CHECK_THAT(rb.out, Catch::Contains("households: 120 in all"));
        CHECK(sql::query_int(s, "SELECT sum(households) FROM grids WHERE valid_to IS NULL") == total);
    }
}

TEST_CASE("households: points in no village are reported, not lost without a word", "[e2e][defects][households]") {
    TempDir dir("defects-outside");
    const std::string db = (dir / "s.sqlite").string();
    two_overlapping_villages(dir, db);
    households_in_and_between(dir, db, true);
    const auto r = run_wangge({"--db", db, "partition"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("households: 470 in all"));
    CHECK_THAT(r.out, Catch::Contains("1 points (7 households) lie in no village"));
}

// ------------------------------------------------------------------ item 11

namespace {

/// The two villages reprojected with ogr2ogr into `srs`, as `name`.
fs::path villages_in(const TempDir& dir, const std::string& srs, const std::string& name) {
    const auto src = dir / "villages-4490.geojson";
    if (!fs::exists(src))
        write_file(src, collection({square(village_a, "A村", 120.00, 30.00, 120.02, 30.02),
                                    square(village_b, "B村", 120.01, 30.005, 120.03, 30.025)}));
    const auto out = dir / name;
    const auto r = run_shell("ogr2ogr -s_srs EPSG:4490 -t_srs " + srs + " '" + out.string() + "' '" + src.string() + "'");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return out;
}

struct RunRow {
    std::string crs, operation;
    std::optional<double> accuracy;
};

RunRow last_run(const std::string& db) {
    Store s(db, Store::Mode::must_exist);
    Statement st = sql::prepare(s,
                                "SELECT coalesce(source_crs, ''), coalesce(crs_operation, ''), crs_accuracy_m FROM "
                                "import_runs ORDER BY id DESC "
                                "LIMIT 1");
    REQUIRE(st.step());
    RunRow r{st.text(0), st.text(1), std::nullopt};
    if (!st.is_null(2)) r.accuracy = st.real(2);
    return r;
}

} // namespace

TEST_CASE("crs: NAD27 reaches CGCS2000 only by a ballpark offset: refused unless --allow-ballpark",
          "[e2e][defects][crs]") {
    TempDir dir("defects-ballpark");
    const std::string db = (dir / "s.sqlite").string();
    REQUIRE(run_wangge({"--db", db, "import", villages_in(dir, "EPSG:4490", "base.geojson").string(), "--level",
                        "village"})
                .exit_code == 0);
    const auto before = store_digest(db);

    SECTION("villages in NAD27 / UTM zone 18N, a Shapefile") {
        const auto shp = villages_in(dir, "EPSG:26718", "nad27_utm.shp");
        const auto r = run_wangge({"--db", db, "import", shp.string(), "--replace"});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains(shp.string()) && Catch::Contains("EPSG:26718") &&
                              Catch::Contains("Ballpark geographic offset from NAD27") &&
                              Catch::Contains("accuracy unknown") && Catch::Contains("--allow-ballpark"));
        CHECK(store_digest(db) == before);
        const auto ok = run_wangge({"--db", db, "import", shp.string(), "--replace", "--allow-ballpark"});
        INFO(ok.out << ok.err);
        CHECK(ok.exit_code == 0);
        CHECK_THAT(ok.err, Catch::Contains("warning") && Catch::Contains("Ballpark"));
        const auto run = last_run(db);
        CHECK(run.crs.find("EPSG:26718") != std::string::npos);
        CHECK(run.operation.find("Ballpark geographic offset from NAD27") != std::string::npos);
        CHECK_FALSE(run.accuracy.has_value());
    }
    SECTION("households in NAD27 lon/lat, and barriers") {
        const auto pts = dir / "households-4490.geojson";
        write_file(pts, collection({point(120.005, 30.005, 10)}));
        const auto nad27 = dir / "households-nad27.gpkg";
        REQUIRE(run_shell("ogr2ogr -s_srs EPSG:4490 -t_srs EPSG:4267 '" + nad27.string() + "' '" + pts.string() + "'")
                    .exit_code == 0);
        const auto r = run_wangge({"--db", db, "import", "households", nad27.string()});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains("EPSG:4267") && Catch::Contains("Ballpark"));
        Store s(db, Store::Mode::must_exist);
        CHECK(sql::query_int(s, "SELECT count(*) FROM households") == 0);
        CHECK(run_wangge({"--db", db, "import", "households", nad27.string(), "--allow-ballpark"}).exit_code == 0);
        CHECK(sql::query_int(s, "SELECT count(*) FROM households") == 1);
        CHECK(last_run(db).operation.find("Ballpark geographic offset from NAD27") != std::string::npos);

        const auto line = dir / "barrier-4490.geojson";
        write_file(line, R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"road"},)"
                         R"("geometry":{"type":"LineString","coordinates":[[120.0,30.01],[120.03,30.01]]}}]})");
        const auto line27 = dir / "barrier-nad27.gpkg";
        REQUIRE(run_shell("ogr2ogr -s_srs EPSG:4490 -t_srs EPSG:4267 '" + line27.string() + "' '" + line.string() + "'")
                    .exit_code == 0);
        CHECK(run_wangge({"--db", db, "import", "barriers", line27.string()}).exit_code == 3);
        CHECK(sql::query_int(s, "SELECT count(*) FROM barriers") == 0);
    }
}

TEST_CASE("crs: WGS 84, UTM, Web Mercator and Gauss-Kruger still import, with the operation on record",
          "[e2e][defects][crs]") {
    TempDir dir("defects-exact");
    struct Case {
        const char* srs;
        const char* file;
        const char* operation;
    };
    for (const Case c : {Case{"EPSG:4326", "wgs84.geojson", "Ballpark geographic offset from WGS 84"},
                         Case{"EPSG:32650", "utm50.shp", "Inverse of UTM zone 50N"},
                         Case{"EPSG:3857", "webmerc.gpkg", "Inverse of Popular Visualisation Pseudo-Mercator"},
                         Case{"EPSG:4549", "gk120.shp", "Inverse of 3-degree Gauss-Kruger CM 120E"}}) {
        const std::string db = (dir / (std::string(c.file) + ".sqlite")).string();
        const auto file = villages_in(dir, c.srs, c.file);
        const auto r = run_wangge({"--db", db, "import", file.string()});
        INFO(c.srs << "\n" << r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("Ballpark") == std::string::npos);
        const auto run = last_run(db);
        CHECK(run.crs.find(c.srs) != std::string::npos);
        CHECK(run.operation.find(c.operation) != std::string::npos);
        REQUIRE(run.accuracy.has_value());
        CHECK(*run.accuracy == 0.0);
        // and the outline lands where it was (a projection alone is exact)
        Store s(db, Store::Mode::must_exist);
        CHECK(sql::query_int(s, fmt::format("SELECT count(*) FROM jurisdictions WHERE code = '{}' AND "
                                            "abs(MbrMinX(geom) - 120.0) < 1e-8 AND abs(MbrMaxY(geom) - 30.02) < 1e-8",
                                            village_a)) == 1);
    }
}
