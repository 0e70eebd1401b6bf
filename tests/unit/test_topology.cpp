// A layer as a clean coverage of shared arcs: T-junctions noded, overlaps given
// to one feature, neighbours sharing arcs at every simplification tolerance.
#include <catch2/catch.hpp>

#include <wangge/geos.hpp>
#include <wangge/topology.hpp>

#include <fmt/format.h>

#include <cmath>

using namespace wangge;
using namespace wangge::topology;

namespace {

std::vector<unsigned char> wkb(const std::string& wkt) {
    auto& g = geos::Context::local();
    return g.to_wkb(g.from_wkt(wkt).get());
}

double area(const MultiPolygon& mp) {
    double a = 0;
    for (const auto& poly : mp)
        for (std::size_t r = 0; r < poly.size(); ++r) {
            double s = 0;
            for (std::size_t j = 0; j + 1 < poly[r].size(); ++j)
                s += poly[r][j].x * poly[r][j + 1].y - poly[r][j + 1].x * poly[r][j].y;
            a += (r == 0 ? 1 : -1) * std::abs(s) / 2;
        }
    return a;
}

geos::Geometry to_geos(const MultiPolygon& mp) {
    if (mp.empty()) return geos::Context::local().from_wkt("MULTIPOLYGON EMPTY");
    std::string wkt = "MULTIPOLYGON(";
    for (std::size_t p = 0; p < mp.size(); ++p) {
        wkt += p ? ",(" : "(";
        for (std::size_t r = 0; r < mp[p].size(); ++r) {
            wkt += r ? ",(" : "(";
            for (std::size_t j = 0; j < mp[p][r].size(); ++j)
                wkt += fmt::format("{}{:.17g} {:.17g}", j ? "," : "", mp[p][r][j].x, mp[p][r][j].y);
            wkt += ")";
        }
        wkt += ")";
    }
    return geos::Context::local().from_wkt(wkt + ")");
}

} // namespace

TEST_CASE("topology: a T-junction is noded and the shared arc is stored once", "[topology]") {
    // B has a vertex in the middle of A's top edge
    Coverage c({wkb("POLYGON((120 30, 120.02 30, 120.02 30.01, 120 30.01, 120 30))"),
                wkb("POLYGON((120 30.01, 120.01 30.01, 120.02 30.01, 120.02 30.02, 120 30.02, 120 30.01))")});
    REQUIRE(c.size() == 2);
    // arcs: the shared one, and one outer arc per square
    CHECK(c.arc_count() == 3);
    auto& g = geos::Context::local();
    for (double tol : {0.0, 5.0, 500.0}) {
        c.prepare(tol);
        auto a = to_geos(c.feature(0, tol)), b = to_geos(c.feature(1, tol));
        CHECK(g.area(g.intersection(a.get(), b.get()).get()) == 0);
        // still touching along a line: no gap opened between them
        auto shared = g.intersection(a.get(), b.get());
        double len = 0;
        GEOSLength_r(g.handle(), shared.get(), &len);
        CHECK(len > 2000);
    }
}

TEST_CASE("topology: overlapping features: the overlap goes to the first", "[topology]") {
    Coverage c({wkb("POLYGON((120 30, 120.02 30, 120.02 30.02, 120 30.02, 120 30))"),
                wkb("POLYGON((120.01 30, 120.03 30, 120.03 30.02, 120.01 30.02, 120.01 30))"),
                wkb("POLYGON((120.005 30.005, 120.006 30.005, 120.006 30.006, 120.005 30.006, 120.005 30.005))")});
    const double a0 = area(c.feature(0, 0)), a1 = area(c.feature(1, 0));
    CHECK(a1 == Approx(a0 / 2).epsilon(1e-6));   // B keeps only what A does not cover
    CHECK(c.feature(2, 0).empty());              // wholly inside A: no face of its own
}

TEST_CASE("topology: simplification keeps neighbours sharing edges on a wavy border", "[topology]") {
    // two features split by a wavy line: simplified hard, they still tile the square
    std::string wave = "120.01 30";
    for (int i = 1; i < 50; ++i) wave += fmt::format(", {:.6f} {:.6f}", 120.01 + 0.002 * std::sin(i * 0.7), 30 + i * 0.0004);
    wave += ", 120.01 30.02";
    std::string rev;
    {
        std::vector<std::string> parts;
        std::string cur;
        for (char ch : wave) {
            if (ch == ',') {
                parts.push_back(cur);
                cur.clear();
            } else {
                cur += ch;
            }
        }
        parts.push_back(cur);
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) rev += (rev.empty() ? "" : ",") + *it;
    }
    Coverage c({wkb("POLYGON((120 30, " + wave + ", 120 30.02, 120 30))"),
                wkb("POLYGON((120.02 30, 120.02 30.02, " + rev + ", 120.02 30))")});
    auto& g = geos::Context::local();
    const double total = area(c.feature(0, 0)) + area(c.feature(1, 0));
    for (double tol : {10.0, 100.0, 300.0}) {
        c.prepare(tol);
        const auto a = c.feature(0, tol), b = c.feature(1, tol);
        std::size_t pts = 0;
        for (const auto& r : a[0]) pts += r.size();
        CHECK(pts < 55);
        auto ga = to_geos(a), gb = to_geos(b);
        CHECK(g.area(g.intersection(ga.get(), gb.get()).get()) < 1e-6);
        CHECK(area(a) + area(b) == Approx(total).epsilon(1e-9));  // no gap: they still fill the square
    }
}
