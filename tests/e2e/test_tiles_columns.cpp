// End-to-end: `tiles build --events-file` finds the coordinate columns by the one rule
// of wangge/csv.hpp (lon, lng, longitude, x, 经度 / lat, latitude, y, 纬度, any case;
// --x-field/--y-field win), and a CSV with none is refused naming what was looked for.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace wangge::test;

namespace {

// two grids side by side (lon 120.00-120.02, lat 30.00-30.01)
const char* grids_geojson = R"({"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"330502001001001"},"geometry":{"type":"Polygon","coordinates":[[[120.0,30.0],[120.01,30.0],[120.01,30.01],[120.0,30.01],[120.0,30.0]]]}},
{"type":"Feature","properties":{"code":"330502001001002"},"geometry":{"type":"Polygon","coordinates":[[[120.01,30.0],[120.02,30.0],[120.02,30.01],[120.01,30.01],[120.01,30.0]]]}}]})";

/// tiles build of the two grids and a 3-event CSV whose header is `x,y,type_code`.
RunResult build_with(const TempDir& dir, const std::string& x, const std::string& y,
                     const std::vector<std::string>& extra = {}) {
    write_file(dir / "grids.geojson", grids_geojson);
    write_file(dir / "events.csv",
               fmt::format("{},{},type_code\n120.005,30.005,A\n120.015,30.005,B\n120.016,30.006,B\n", x, y));
    std::vector<std::string> args{"tiles",
                                  "build",
                                  "--grids-file",
                                  (dir / "grids.geojson").string(),
                                  "--events-file",
                                  (dir / "events.csv").string(),
                                  "--out",
                                  (dir / "t.pmtiles").string(),
                                  "--overwrite",
                                  "--layers",
                                  "grids,events",
                                  "--minzoom",
                                  "14",
                                  "--maxzoom",
                                  "14",
                                  "--zooms",
                                  "grids=14-14,events=14-14"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_wangge(args);
}

}  // namespace

TEST_CASE("tiles build: every accepted coordinate column name, any case, in --events-file", "[e2e][tiles][columns]") {
    TempDir dir("tiles-columns");
    const std::vector<std::pair<std::string, std::string>> names = {
        {"lon", "lat"}, {"LNG", "Lat"}, {"Longitude", "LATITUDE"}, {"X", "y"},        {"经度", "纬度"},
        {"lng", "Y"},   {"x", "纬度"},  {"经度", "latitude"},      {" Lon ", " lat "}};
    for (const auto& [x, y] : names) {
        const auto r = build_with(dir, x, y);
        INFO(x << " / " << y << ": " << r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("3 features") && Catch::Contains("events"));
    }
}

TEST_CASE("tiles build: --x-field and --y-field name the coordinate columns of --events-file",
          "[e2e][tiles][columns]") {
    TempDir dir("tiles-columns-given");
    auto r = build_with(dir, "east", "north", {"--x-field", "east", "--y-field", "NORTH"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("3 features"));
    // given, they win over the names guessed: here 'lon' holds no longitude
    r = build_with(dir, "lon", "north", {"--x-field", "nope", "--y-field", "north"});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("no column") && Catch::Contains("nope") && Catch::Contains("--x-field"));
}

TEST_CASE("tiles build: an --events-file without coordinate columns is refused, naming what was looked for",
          "[e2e][tiles][columns]") {
    TempDir dir("tiles-columns-none");
    auto r = build_with(dir, "east", "north");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("events.csv") && Catch::Contains("lon, lng, longitude, x, 经度") &&
                          Catch::Contains("--x-field") && Catch::Contains("east, north, type_code"));
    CHECK(!fs::exists(dir / "t.pmtiles"));
    r = build_with(dir, "lon", "north");
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("lat, latitude, y, 纬度") && Catch::Contains("--y-field"));
}
