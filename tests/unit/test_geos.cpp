#include <catch2/catch.hpp>

#include <wangge/error.hpp>
#include "geometry/geos.hpp"

using namespace wangge;

TEST_CASE("geos: validity reason names the problem and its location", "[geos]") {
    auto& g = geos::Context::local();
    auto bowtie = g.from_wkt("POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))");
    const std::string reason = g.invalid_reason(bowtie.get());
    CHECK_THAT(reason, Catch::Contains("Self-intersection"));
    CHECK_THAT(reason, Catch::Contains("at 1.0000000 1.0000000"));
    auto square = g.from_wkt("POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))");
    CHECK(g.invalid_reason(square.get()).empty());
}

TEST_CASE("geos: make_valid keeps the polygonal area", "[geos]") {
    auto& g = geos::Context::local();
    auto bowtie = g.from_wkt("POLYGON((0 0, 2 2, 2 0, 0 2, 0 0))");
    auto fixed = g.make_valid_polygonal(bowtie.get());
    CHECK(g.invalid_reason(fixed.get()).empty());
    CHECK(GEOSGeomTypeId_r(g.handle(), fixed.get()) == GEOS_MULTIPOLYGON);
    CHECK(g.area(fixed.get()) == Approx(2.0));
}

TEST_CASE("geos: errors become geometry_error", "[geos]") {
    auto& g = geos::Context::local();
    CHECK_THROWS_AS(g.from_wkt("POLYGON((0 0, 1"), geometry_error);
}

TEST_CASE("geos: WKB round trip", "[geos]") {
    auto& g = geos::Context::local();
    auto a = g.from_wkt("MULTIPOLYGON(((120 30, 120.1 30, 120.1 30.1, 120 30, 120 30)))");
    auto wkb = g.to_wkb(a.get());
    auto b = g.from_wkb(wkb.data(), wkb.size());
    CHECK(GEOSEqualsExact_r(g.handle(), a.get(), b.get(), 0) == 1);
}
