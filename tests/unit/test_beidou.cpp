#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <wangge/beidou.hpp>
#include <wangge/error.hpp>

using namespace wangge;

namespace {

// The worked example of GB/T 39409-2020.
const double example_lon = 116.0 + 18.0 / 60.0 + 45.37 / 3600.0;
const double example_lat = 39.0 + 59.0 / 60.0 + 35.38 / 3600.0;

// Decoded bounds are units / 7,372,800 in double, exact to ~1e-14°; this slack only absorbs that.
constexpr double eps = 1e-9;

bool contains(const beidou::Cell& c, double lon, double lat) {
    return c.min_lon - eps <= lon && lon <= c.max_lon + eps && c.min_lat - eps <= lat && lat <= c.max_lat + eps;
}

std::string message_of(std::string_view code) {
    try {
        beidou::decode(code);
    } catch (const input_error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("beidou: worked example of the standard at levels 1-8", "[beidou]") {
    const char* expected[] = {"N50J",        "N50J47",       "N50J475",        "N50J47539",
                              "N50J47539B8", "N50J47539B82", "N50J47539B8255", "N50J47539B825534"};
    for (int level = 1; level <= 8; ++level) {
        INFO("level " << level);
        CHECK(beidou::encode(example_lon, example_lat, level) == expected[level - 1]);
    }
    CHECK(beidou::encode(example_lon, example_lat) == "N50J47539B825534");  // default level 8
    // Levels 9 and 10 refine the level-8 code and still contain the point.
    const auto l10 = beidou::encode(example_lon, example_lat, 10);
    CHECK(l10.rfind("N50J47539B825534", 0) == 0);
    CHECK(contains(beidou::decode(l10), example_lon, example_lat));
}

TEST_CASE("beidou: two-character fragments are longitude digit then latitude digit", "[beidou]") {
    // Level 2 of the example is "47": 116°18' is 2°18' into sheet 50 (4th 30' column), 39°59' is 3°59' into row J
    // (7th 30' row). Moving the point east by one level-2 cell changes the first digit only.
    CHECK(beidou::encode(example_lon + 0.5, example_lat, 2) == "N50J57");
    CHECK(beidou::encode(example_lon, example_lat - 0.5, 2) == "N50J46");
    // Level 3 is Z-order row * 2 + col: "5" is row 2, column 1.
    const auto cell = beidou::decode("N50J475");
    CHECK(cell.min_lon == Approx(114.0 + 2.0 + 15.0 / 60.0));
    CHECK(cell.min_lat == Approx(36.0 + 3.5 + 20.0 / 60.0));
}

TEST_CASE("beidou: code lengths and cell sizes per level", "[beidou]") {
    const std::size_t lengths[] = {4, 6, 7, 9, 11, 12, 14, 16, 18, 20};
    // Cell sizes in arc-seconds (lon, lat).
    const double sizes[][2] = {{6 * 3600.0, 4 * 3600.0},
                               {1800, 1800},
                               {900, 600},
                               {60, 60},
                               {4, 4},
                               {2, 2},
                               {0.25, 0.25},
                               {1.0 / 32, 1.0 / 32},
                               {1.0 / 256, 1.0 / 256},
                               {1.0 / 2048, 1.0 / 2048}};
    for (int level = 1; level <= beidou::max_level; ++level) {
        INFO("level " << level);
        CHECK(beidou::code_length(level) == lengths[level - 1]);
        const auto code = beidou::encode(example_lon, example_lat, level);
        CHECK(code.size() == lengths[level - 1]);
        const auto cell = beidou::decode(code);
        CHECK(cell.level == level);
        const double lon_size = sizes[level - 1][0] / 3600.0, lat_size = sizes[level - 1][1] / 3600.0;
        CHECK(cell.max_lon - cell.min_lon == Approx(lon_size).epsilon(1e-6));
        CHECK(cell.max_lat - cell.min_lat == Approx(lat_size).epsilon(1e-6));
        CHECK(beidou::cell_size(level).lon == Approx(lon_size).epsilon(1e-12));
        CHECK(beidou::cell_size(level).lat == Approx(lat_size).epsilon(1e-12));
    }
}

TEST_CASE("beidou: decode(encode(p)) contains p in all quadrants and levels", "[beidou]") {
    std::mt19937 rng(20240611);
    std::uniform_real_distribution<double> lon_dist(-180.0, 180.0);
    std::uniform_real_distribution<double> lat_dist(-88.0, 88.0);
    int quadrants[4] = {0, 0, 0, 0};
    int failures = 0;
    for (int i = 0; i < 20000; ++i) {
        const double lon = lon_dist(rng), lat = lat_dist(rng);
        ++quadrants[(lat >= 0 ? 0 : 2) + (lon >= 0 ? 0 : 1)];
        const auto full = beidou::encode(lon, lat, beidou::max_level);
        for (int level = 1; level <= beidou::max_level; ++level) {
            const auto code = beidou::encode(lon, lat, level);
            const auto cell = beidou::decode(code);
            const bool ok = contains(cell, lon, lat) && full.compare(0, code.size(), code) == 0 &&
                            beidou::encode(cell.center_lon(), cell.center_lat(), level) == code;
            if (!ok && ++failures <= 5)
                FAIL_CHECK(
                    fmt::format("lon {:.12f} lat {:.12f} level {}: code {} cell [{:.12f}, {:.12f}] x [{:.12f}, "
                                "{:.12f}]",
                                lon, lat, level, code, cell.min_lon, cell.max_lon, cell.min_lat, cell.max_lat));
        }
    }
    CHECK(failures == 0);
    for (int q : quadrants) CHECK(q > 4000);
}

TEST_CASE("beidou: quadrants are mirror images: digits after level 1 describe |lon| and |lat|", "[beidou]") {
    const auto ne = beidou::encode(example_lon, example_lat, 10);
    const auto nw = beidou::encode(-example_lon, example_lat, 10);
    const auto se = beidou::encode(example_lon, -example_lat, 10);
    const auto sw = beidou::encode(-example_lon, -example_lat, 10);
    CHECK(nw == "N11J" + ne.substr(4));  // column 61 - 50: the mirror of sheet 50 across the prime meridian
    CHECK(se == "S50J" + ne.substr(4));
    CHECK(sw == "S11J" + ne.substr(4));
    const auto cell = beidou::decode(sw.substr(0, 6));  // S11J47
    CHECK(cell.max_lon == Approx(-116.0));
    CHECK(cell.min_lon == Approx(-116.5));
    CHECK(cell.max_lat == Approx(-39.5));
    CHECK(cell.min_lat == Approx(-40.0));
}

TEST_CASE("beidou: level-1 sheets", "[beidou]") {
    CHECK(beidou::encode(0.0, 0.0, 1) == "N31A");
    CHECK(beidou::encode(3.0, 2.0, 1) == "N31A");
    CHECK(beidou::encode(-3.0, 2.0, 1) == "N30A");
    CHECK(beidou::encode(-179.5, -87.5, 1) == "S01V");
    CHECK(beidou::encode(179.5, 87.5, 1) == "N60V");
    const auto c = beidou::decode("N31A");
    CHECK(c.min_lon == 0.0);
    CHECK(c.max_lon == 6.0);
    CHECK(c.min_lat == 0.0);
    CHECK(c.max_lat == 4.0);
    const auto w = beidou::decode("S30B");
    CHECK(w.min_lon == -6.0);
    CHECK(w.max_lon == 0.0);
    CHECK(w.min_lat == -8.0);
    CHECK(w.max_lat == -4.0);
    CHECK(w.center_lon() == -3.0);
    CHECK(w.center_lat() == -6.0);
}

TEST_CASE("beidou: boundary points go away from the equator and the prime meridian", "[beidou]") {
    SECTION("north-east: to the north/east cell") {
        CHECK(beidou::encode(114.5, 40.0, 2) == "N50K10");
        const auto c = beidou::decode("N50K10");
        CHECK(c.min_lon == 114.5);
        CHECK(c.min_lat == 40.0);
        CHECK(beidou::encode(0.0, 0.0, 10) == "N31A" + std::string(16, '0'));  // the origin: first cell of every level
    }
    SECTION("south-west: to the south/west cell") {
        CHECK(beidou::encode(-6.0, -4.0, 1) == "S29B");
        const auto c = beidou::decode(beidou::encode(-6.0, -4.0, 10));
        CHECK(c.max_lon == -6.0);
        CHECK(c.max_lat == -4.0);
        CHECK(beidou::encode(-114.5, -40.0, 2) == "S11K10");
    }
    SECTION("zero is north and east, also as -0.0") {
        CHECK(beidou::encode(-0.0, -0.0, 2) == "N31A00");
    }
    SECTION("edges typed in decimal degrees land on the edge, not a hair below") {
        // 39°50' is a level-3 edge (10' rows) and has no exact double; 39.833333333333336 is its nearest double.
        const double edge = 39.0 + 50.0 / 60.0;
        CHECK(beidou::encode(116.1, edge, 3) == "N50J474");  // row 2 of level 3
        CHECK(beidou::decode(beidou::encode(116.1, edge, 10)).min_lat == Approx(edge).margin(1e-12));
        // A point 1e-9° (7 units of 1/2048") below the edge stays below.
        CHECK(beidou::encode(116.1, edge - 1e-9, 3) == "N50J472");
        // 116°18' is a level-4 edge (1' columns).
        CHECK(beidou::encode(116.0 + 18.0 / 60.0, 39.9, 4).substr(7, 1) == "3");
    }
    SECTION("outer edges belong to the outermost cells") {
        CHECK(beidou::encode(180.0, 88.0, 2) == "N60VB7");
        CHECK(beidou::encode(-180.0, -88.0, 2) == "S01VB7");
        CHECK(beidou::encode(180.0, 88.0, 10) == "N60VB75E9EE377777777");
        const auto c = beidou::decode(beidou::encode(-180.0, 88.0, 10));
        CHECK(c.min_lon == -180.0);
        CHECK(c.max_lat == 88.0);
    }
}

TEST_CASE("beidou: levels out of range are usage errors", "[beidou]") {
    CHECK_THROWS_AS(beidou::encode(116.0, 40.0, 0), usage_error);
    CHECK_THROWS_AS(beidou::encode(116.0, 40.0, 11), usage_error);
    CHECK_THROWS_AS(beidou::code_length(0), usage_error);
    CHECK_THROWS_AS(beidou::cell_size(11), usage_error);
    CHECK_THROWS_WITH(beidou::encode(116.0, 40.0, 11), Catch::Contains("level 11") && Catch::Contains("1 to 10"));
}

TEST_CASE("beidou: points outside the non-polar area are input errors", "[beidou]") {
    CHECK_THROWS_AS(beidou::encode(116.0, 88.5), input_error);
    CHECK_THROWS_AS(beidou::encode(116.0, -88.5), input_error);
    CHECK_THROWS_AS(beidou::encode(180.1, 40.0), input_error);
    CHECK_THROWS_AS(beidou::encode(-180.1, 40.0), input_error);
    CHECK_THROWS_AS(beidou::encode(std::nan(""), 40.0), input_error);
    CHECK_THROWS_AS(beidou::encode(116.0, std::nan("")), input_error);
    CHECK_THROWS_AS(beidou::encode(std::numeric_limits<double>::infinity(), 40.0), input_error);
    CHECK_THROWS_WITH(beidou::encode(116.0, 88.5), Catch::Contains("88.5") && Catch::Contains("-88..88"));
    CHECK_NOTHROW(beidou::encode(116.0, 88.0));
    CHECK_NOTHROW(beidou::encode(-180.0, -88.0));
}

TEST_CASE("beidou: malformed codes are input errors naming the code and the position", "[beidou]") {
    CHECK_THAT(message_of(""), Catch::Contains("0 characters"));
    CHECK_THAT(message_of("N50J4"), Catch::Contains("'N50J4'") && Catch::Contains("5 characters"));
    CHECK_THAT(message_of("N50J47539B8255341"), Catch::Contains("17 characters"));
    CHECK_THAT(message_of("X50J"),
               Catch::Contains("'X50J'") && Catch::Contains("character 1 'X'") && Catch::Contains("hemisphere"));
    CHECK_THAT(message_of("n50j"), Catch::Contains("character 1 'n'"));
    CHECK_THAT(message_of("N5XJ"), Catch::Contains("character 3 'X'") && Catch::Contains("column"));
    CHECK_THAT(message_of("N61J"), Catch::Contains("characters 2-3 '61'") && Catch::Contains("01-60"));
    CHECK_THAT(message_of("N00J"), Catch::Contains("characters 2-3 '00'"));
    CHECK_THAT(message_of("N50W"), Catch::Contains("character 4 'W'") && Catch::Contains("A-V"));
    CHECK_THAT(message_of("N50JC7"),
               Catch::Contains("character 5 'C'") && Catch::Contains("level-2 longitude digit (0-B)"));
    CHECK_THAT(message_of("N50J48"), Catch::Contains("character 6 '8'") && Catch::Contains("latitude digit (0-7)"));
    CHECK_THAT(message_of("N50J476"), Catch::Contains("character 7 '6'") && Catch::Contains("level-3 digit (0-5)"));
    CHECK_THAT(message_of("N50J475F9"), Catch::Contains("character 8 'F'") && Catch::Contains("(0-E)"));
    CHECK_THAT(message_of("N50J4753A"), Catch::Contains("character 9 'A'") && Catch::Contains("(0-9)"));
    CHECK_THAT(message_of("N50J47539BF"), Catch::Contains("character 11 'F'"));
    CHECK_THAT(message_of("N50J47539B84"), Catch::Contains("character 12 '4'") && Catch::Contains("(0-3)"));
    CHECK_THAT(message_of("N50J47539B8285"), Catch::Contains("character 13 '8'") && Catch::Contains("(0-7)"));
    CHECK_THAT(message_of("N50J47539B82553b"), Catch::Contains("character 16 'b'"));
    CHECK_THROWS_AS(beidou::decode("N50J4"), input_error);
}

TEST_CASE("beidou: looks_like_code accepts exactly the decodable codes", "[beidou]") {
    CHECK(beidou::looks_like_code("N50J"));
    CHECK(beidou::looks_like_code("N50J47539B825534"));
    CHECK(beidou::looks_like_code(beidou::encode(-77.03, -12.05, 10)));
    CHECK_FALSE(beidou::looks_like_code(""));
    CHECK_FALSE(beidou::looks_like_code("330502001005"));  // a division code
    CHECK_FALSE(beidou::looks_like_code("330502"));
    CHECK_FALSE(beidou::looks_like_code("N50J4"));
    CHECK_FALSE(beidou::looks_like_code("n50j"));
    CHECK_FALSE(beidou::looks_like_code("N50J48"));
    CHECK_FALSE(beidou::looks_like_code("S61A"));
}
