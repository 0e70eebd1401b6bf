#include <catch2/catch.hpp>

#include <wangge/codes.hpp>

using namespace wangge;

TEST_CASE("division codes: levels from length", "[codes]") {
    CHECK(parse_division_code("330502").level == Level::county);
    CHECK(parse_division_code("330502001").level == Level::township);
    CHECK(parse_division_code("330502001005").level == Level::village);
    CHECK(parse_division_code(" 330502001005 ").code == "330502001005");
}

TEST_CASE("division codes: zero padding to 12 digits is stripped", "[codes]") {
    auto county = parse_division_code("330502000000");
    REQUIRE(county.ok());
    CHECK(county.code == "330502");
    CHECK(county.level == Level::county);
    auto town = parse_division_code("330502001000");
    REQUIRE(town.ok());
    CHECK(town.code == "330502001");
    CHECK(town.level == Level::township);
    // numeric fields that were read as reals
    CHECK(parse_division_code("330502001.0").code == "330502001");
}

TEST_CASE("division codes: malformed codes are rejected with a reason", "[codes]") {
    CHECK_FALSE(parse_division_code("").ok());
    CHECK_THAT(parse_division_code("").error, Catch::Contains("no code"));
    CHECK_THAT(parse_division_code("33050A001").error, Catch::Contains("digits only"));
    CHECK_THAT(parse_division_code("3305020011").error, Catch::Contains("10 digits"));
    CHECK_THAT(parse_division_code("3305").error, Catch::Contains("4 digits"));
    CHECK_THAT(parse_division_code("000502").error, Catch::Contains("no province 00"));
}

TEST_CASE("division codes: parent codes", "[codes]") {
    CHECK(parent_code("330502001005") == "330502001");
    CHECK(parent_code("330502001") == "330502");
    CHECK(parent_code("330502") == "3305");
    CHECK(parent_code("3305") == "33");
    CHECK_FALSE(parent_code("33").has_value());
}

TEST_CASE("division codes: level names", "[codes]") {
    CHECK(level_from_name("village") == Level::village);
    CHECK(level_from_name("社区") == Level::village);
    CHECK(level_from_name("9") == Level::township);
    CHECK(level_from_name("街道") == Level::township);
    CHECK_FALSE(level_from_name("hamlet").has_value());
    CHECK(level_name(Level::county) == "county");
}
