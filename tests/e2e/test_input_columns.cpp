// End-to-end: the one rule for the columns of an events file (choose_input_columns,
// csv.hpp), through the real `events import` and `assign`: every accepted coordinate
// name in any case, an explicit --x-field/--y-field over a column the guess would take,
// and a file with no coordinate column (the error lists what was looked for and the
// file's columns).
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace wangge::test;

namespace {

// a point (GCJ-02) inside a grid of the sample
const char* const lon_value = "119.8493985";
const char* const lat_value = "30.9364894";
const char* const time_value = "2024-01-31T07:05:43+08:00";

std::string sample_store_copy(const TempDir& dir) {
    fs::copy_file(partitioned_sample_store(), dir / "s.sqlite");
    return (dir / "s.sqlite").string();
}

RunResult import_file(const std::string& db, const fs::path& file, const TempDir& dir,
                      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{
        "--db", db, "events", "import", file.string(), "--crs", "gcj02", "--rejects", (dir / "rejects.csv").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_wangge(args);
}

RunResult assign_file(const std::string& db, const fs::path& in, const fs::path& out,
                      const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"--db",  db,           "assign", "--in",  in.string(),
                                  "--out", out.string(), "--crs",  "gcj02", "--overwrite"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_wangge(args);
}

}  // namespace

TEST_CASE("input columns: every accepted coordinate name, any case, in events import and assign",
          "[e2e][events][csv][columns][slow]") {
    TempDir dir("input-columns-names");
    const std::string db = sample_store_copy(dir);
    // each longitude name and each latitude name at least once, lower, upper and mixed case
    const std::vector<std::pair<std::string, std::string>> names{
        {"lon", "lat"},      {"lng", "latitude"}, {"longitude", "y"},   {"x", "纬度"},     {"经度", "LAT"},
        {"LON", "Latitude"}, {"Lng", "Y"},        {"LONGITUDE", "lAt"}, {"X", "LATITUDE"}, {" LnG ", " 纬度 "}};
    int n = 0;
    for (const auto& [x, y] : names) {
        INFO("columns " << x << " / " << y);
        const auto f = dir / fmt::format("cols{}.csv", n);
        // coordinates first, and a decoy column that no rule takes
        write_file(f, fmt::format("{},{},east,id,type,time\n{},{},0,C{},040401,{}\n", x, y, lon_value, lat_value, n,
                                  time_value));
        const auto imp = import_file(db, f, dir);
        INFO(imp.out << imp.err);
        CHECK(imp.exit_code == 0);
        CHECK_THAT(imp.out, Catch::Contains("1 rows read: 1 imported"));
        CHECK_THAT(imp.out, Catch::Contains("assigned to a grid: 1;"));
        const auto out = dir / fmt::format("cols{}.out.csv", n);
        const auto a = assign_file(db, f, out);
        INFO(a.out << a.err);
        CHECK(a.exit_code == 0);
        CHECK_THAT(a.out, Catch::Contains("1 rows: 1 assigned"));
        CHECK_THAT(read_file(out), Catch::EndsWith(",assigned\n"));
        ++n;
    }
}

TEST_CASE("input columns: an explicit --x-field/--y-field wins over a column the guess would take",
          "[e2e][events][csv][columns][slow]") {
    TempDir dir("input-columns-explicit");
    const std::string db = sample_store_copy(dir);
    const auto f = dir / "explicit.csv";
    // lon/lat hold a point in no grid (0, 0); east/north hold the real one
    write_file(
        f, fmt::format("id,type,time,lon,lat,East,north\nE1,040401,{},0,0,{},{}\n", time_value, lon_value, lat_value));
    SECTION("events import") {
        const auto guessed = import_file(db, f, dir);
        INFO(guessed.out << guessed.err);
        CHECK_THAT(guessed.out, Catch::Contains("assigned to a grid: 0; uncovered (in no grid, kept with the nearest "
                                                "grid): 1"));
        const auto named = import_file(db, f, dir, {"--x-field", "east", "--y-field", "NORTH"});
        INFO(named.out << named.err);
        CHECK(named.exit_code == 0);
        CHECK_THAT(named.out, Catch::Contains("assigned to a grid: 1; uncovered (in no grid, kept with the nearest "
                                              "grid): 0"));
    }
    SECTION("assign") {
        const auto out = dir / "explicit.out.csv";
        const auto guessed = assign_file(db, f, out);
        INFO(guessed.out << guessed.err);
        CHECK_THAT(guessed.out, Catch::Contains("1 rows: 0 assigned, 1 in no grid"));
        const auto named = assign_file(db, f, out, {"--x-field", "east", "--y-field", "NORTH"});
        INFO(named.out << named.err);
        CHECK(named.exit_code == 0);
        CHECK_THAT(named.out, Catch::Contains("1 rows: 1 assigned"));
        CHECK_THAT(read_file(out), Catch::EndsWith(",assigned\n"));
    }
    SECTION("an explicit column that is not there is an error naming it, not a guess") {
        for (const bool importing : {true, false}) {
            const auto r = importing ? import_file(db, f, dir, {"--x-field", "easting"})
                                     : assign_file(db, f, dir / "x.out.csv", {"--x-field", "easting"});
            INFO(r.out << r.err);
            CHECK(r.exit_code == 3);
            CHECK_THAT(r.err, Catch::Contains("explicit.csv: no column 'easting' (--x-field); its columns are: id, "
                                              "type, time, lon, lat, East, north"));
        }
    }
}

TEST_CASE("input columns: a CSV with no coordinate column names what was looked for and its columns",
          "[e2e][events][csv][columns][slow]") {
    TempDir dir("input-columns-none");
    const std::string db = sample_store_copy(dir);
    const auto f = dir / "none.csv";
    write_file(f, fmt::format("id,type,time,east,north\nN1,040401,{},{},{}\n", time_value, lon_value, lat_value));
    const std::string want =
        "none.csv: no longitude column (one of lon, lng, longitude, x, 经度; or name it with --x-field); its columns "
        "are: id, type, time, east, north";
    const auto imp = import_file(db, f, dir);
    INFO(imp.out << imp.err);
    CHECK(imp.exit_code == 3);
    CHECK_THAT(imp.err, Catch::Contains(want));
    const auto out = dir / "none.out.csv";
    const auto a = assign_file(db, f, out);
    INFO(a.out << a.err);
    CHECK(a.exit_code == 3);
    CHECK_THAT(a.err, Catch::Contains(want));
    CHECK_FALSE(fs::exists(out));
    // a longitude but no latitude: the latitude names are listed
    write_file(f, fmt::format("id,type,time,lng,north\nN1,040401,{},{},{}\n", time_value, lon_value, lat_value));
    for (const auto& r : {import_file(db, f, dir), assign_file(db, f, out)}) {
        INFO(r.out << r.err);
        CHECK(r.exit_code == 3);
        CHECK_THAT(r.err, Catch::Contains("none.csv: no latitude column (one of lat, latitude, y, 纬度; or name it "
                                          "with --y-field); its columns are: id, type, time, lng, north"));
    }
}
