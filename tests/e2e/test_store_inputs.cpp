// Store and import defects of issue 14: reading commands that created or upgraded a
// store, failed first commands that left an empty store, a truncated Shapefile read
// half, the import summary, GDAL's raw messages, one feature's vertex limit.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "support.hpp"

using namespace wangge::test;

namespace {
bool has_raw_gdal(const std::string& s) {
    return s.find("ERROR 1:") != std::string::npos || s.find("ERROR 4:") != std::string::npos ||
           s.find("Warning 1:") != std::string::npos;
}
}  // namespace

TEST_CASE("store inputs: info on an empty file says it is not a store and leaves it empty", "[e2e][store-inputs]") {
    TempDir dir("si-info-empty");
    const auto db = dir / "empty.sqlite";
    write_file(db, "");
    const auto r = run_wangge({"--db", db.string(), "info"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("not a wangge store"));
    CHECK(fs::file_size(db) == 0);
    const auto g = run_wangge({"--db", db.string(), "grids", "list", "--county", "330502"});
    CHECK(g.exit_code == 1);
    CHECK(fs::file_size(db) == 0);
}

TEST_CASE("store inputs: a failed first command leaves no store behind", "[e2e][store-inputs]") {
    TempDir dir("si-first");
    const auto db = (dir / "s.sqlite").string();
    const auto broken = run_wangge({"--db", db, "import", (data_dir() / "import" / "broken.geojson").string()});
    CHECK(broken.exit_code == 1);
    CHECK_FALSE(has_raw_gdal(broken.err));
    CHECK_FALSE(fs::exists(db));
    const auto rejected =
        run_wangge({"--db", db, "import", (data_dir() / "import" / "invalid_geometry.geojson").string()});
    CHECK(rejected.exit_code == 3);
    CHECK_FALSE(fs::exists(db));
    const auto codes = run_wangge({"--db", db, "codes", "load", (dir / "no-such-folder").string()});
    CHECK(codes.exit_code == 1);
    CHECK_THAT(codes.err, Catch::Contains("no-such-folder: no such folder"));
    CHECK_THAT(codes.err, !Catch::Contains("Directory does not exist"));
    CHECK_FALSE(fs::exists(db));
}

TEST_CASE("store inputs: the import summary says what was written", "[e2e][store-inputs]") {
    TempDir dir("si-summary");
    const auto db = (dir / "s.sqlite").string();
    const auto r = run_wangge({"--db", db, "import", (data_dir() / "import" / "mixed.geojson").string(), "--rejects",
                               (dir / "rejects.csv").string()});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.out, Catch::Contains("1 passed the checks") && !Catch::Contains("accepted"));
}

TEST_CASE("store inputs: a truncated Shapefile is refused whole, even with --skip-invalid", "[e2e][store-inputs]") {
    TempDir dir("si-truncated");
    const auto db = (dir / "s.sqlite").string();
    REQUIRE(run_wangge({"--db", db, "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
    const std::string before = store_digest(db);
    const auto r = run_wangge({"--db", db, "import", (data_dir() / "import" / "truncated_townships.shp").string(),
                               "--skip-invalid", "--rejects", (dir / "rejects.csv").string()});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("truncated_townships.shp is truncated: .shx lists 19 records, .shp holds"));
    CHECK_FALSE(has_raw_gdal(r.err));
    CHECK(r.err.size() < 1000);
    CHECK(store_digest(db) == before);
}

TEST_CASE("store inputs: a feature past the vertex limit is rejected with its count", "[e2e][store-inputs]") {
    TempDir dir("si-vertices");
    const auto db = (dir / "s.sqlite").string();
    // a county outline with 200,001 vertices (the limit is 200,000)
    std::string ring;
    const int n = 200000;
    for (int i = 0; i <= n; ++i) {
        const double a = 2 * M_PI * (i % n) / n;
        ring += fmt::format("{}[{:.7f},{:.7f}]", i ? "," : "", 120.1 + 0.01 * std::cos(a), 30.8 + 0.01 * std::sin(a));
    }
    const auto file = dir / "big.geojson";
    write_file(file,
               R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"330502","name":"x"},)"
               R"("geometry":{"type":"Polygon","coordinates":[[)" +
                   ring + "]]}}]}");
    const auto r = run_wangge({"--db", db, "import", file.string(), "--rejects", (dir / "rejects.csv").string()});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("feature 0 (code 330502): 200001 vertices, more than the limit of 200000"));
    CHECK_FALSE(fs::exists(db));
    const auto raised = run_wangge({"--db", db, "import", file.string(), "--max-vertices", "300000"});
    CHECK(raised.exit_code == 0);
}

TEST_CASE("store inputs: exporting grids to a Shapefile gives no GDAL warnings", "[e2e][store-inputs][slow]") {
    TempDir dir("si-export");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const auto r = run_wangge({"--db", db, "export", "grids", "-o", (dir / "grids.shp").string()});
    CHECK(r.exit_code == 0);
    CHECK_FALSE(has_raw_gdal(r.err));
    CHECK_THAT(r.err, !Catch::Contains("not successfully written"));
    CHECK(feature_count(dir / "grids.shp") > 0);
    // widths that fit the values, so GDAL has nothing to warn about
    const auto info = run_shell("ogrinfo -so -al '" + (dir / "grids.shp").string() + "'");
    CHECK_THAT(info.out, Catch::Contains("area_m2: Real (16.2)") && Catch::Contains("compact: Real (8.6)"));
}
