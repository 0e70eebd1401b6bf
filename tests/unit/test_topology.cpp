// A layer as a clean coverage of shared arcs: T-junctions noded, overlaps given
// to one feature, neighbours sharing arcs at every simplification tolerance.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <wangge/store.hpp>
#include <wangge/topology.hpp>

#include "geometry/geos.hpp"
#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::topology;
using wangge::test::partitioned_sample_store;

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
            const XY o = poly[r][0];  // relative to a vertex: no cancellation of large products
            for (std::size_t j = 0; j + 1 < poly[r].size(); ++j)
                s += (poly[r][j].x - o.x) * (poly[r][j + 1].y - o.y) - (poly[r][j + 1].x - o.x) * (poly[r][j].y - o.y);
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

/// A lon/lat rectangle as a one-polygon feature.
MultiPolygon rect(double x0, double y0, double x1, double y1) {
    return {{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}};
}

std::vector<unsigned char> wkb_of(const MultiPolygon& mp) {
    auto& g = geos::Context::local();
    std::string wkt = "MULTIPOLYGON(";
    for (std::size_t p = 0; p < mp.size(); ++p) {
        wkt += p ? ",(" : "(";
        for (std::size_t r = 0; r < mp[p].size(); ++r) {
            wkt += r ? ",(" : "(";
            for (std::size_t j = 0; j < mp[p][r].size(); ++j) wkt += fmt::format("{}{:.17g} {:.17g}", j ? "," : "", mp[p][r][j].x, mp[p][r][j].y);
            wkt += ")";
        }
        wkt += ")";
    }
    return g.to_wkb(g.from_wkt(wkt + ")").get());
}

std::vector<std::vector<unsigned char>> wkbs_of(const std::vector<MultiPolygon>& fs) {
    std::vector<std::vector<unsigned char>> out;
    for (const auto& f : fs) out.push_back(wkb_of(f));
    return out;
}

/// Every feature of two coverages, as built (tolerance 0).
void require_same_features(const Coverage& a, const Coverage& b) {
    REQUIRE(a.size() == b.size());
    CHECK(a.arc_count() == b.arc_count());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a.feature(i, 0) == b.feature(i, 0));
}

/// a 3 x 3 lattice of squares with shared vertices: a clean coverage
std::vector<MultiPolygon> lattice() {
    const double xs[] = {120, 120.01, 120.02, 120.03}, ys[] = {30, 30.01, 30.02, 30.03};
    std::vector<MultiPolygon> fs;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) fs.push_back(rect(xs[i], ys[j], xs[i + 1], ys[j + 1]));
    return fs;
}

} // namespace

TEST_CASE("topology check: a lattice of squares is a clean coverage, used as it is", "[topology]") {
    const auto fs = lattice();
    const auto c = check_coverage(fs);
    CHECK(c.clean);
    CHECK(c.bad.empty());
    CHECK(c.splits.empty());
    CHECK(c.merges.empty());
    CHECK(c.first_problem.empty());
    CHECK(c.vertices == 16);
    CHECK(c.edges == 24);
    const Coverage fast(wkbs_of(fs)), slow(wkbs_of(fs), Coverage::Build::node_all);
    CHECK(fast.method().name == "clean");
    CHECK(slow.method().name == "noded");
    require_same_features(fast, slow);  // same canonical rings whatever made them
}

TEST_CASE("topology check: a T-junction is a split, fixed without GEOS, same arcs as noding all", "[topology]") {
    // B's bottom edge has a vertex in the middle of A's top edge
    std::vector<MultiPolygon> fs{rect(120, 30, 120.02, 30.02),
                                 {{{{120, 30.02}, {120.01, 30.02}, {120.02, 30.02}, {120.02, 30.04}, {120, 30.04}, {120, 30.02}}}}};
    const auto c = check_coverage(fs);
    CHECK_FALSE(c.clean);
    CHECK(c.bad.empty());
    REQUIRE(c.splits.size() == 1);
    CHECK(c.splits[0].vertex == XY{120.01, 30.02});
    CHECK_THAT(c.first_problem, Catch::Contains("T-junction"));
    auto fixed = fs;
    apply_fixes(fixed, c);
    CHECK(fixed[0][0][0].size() == 6);  // the vertex inserted into A
    CHECK(check_coverage(fixed).clean);
    const Coverage fast(wkbs_of(fs)), slow(wkbs_of(fs), Coverage::Build::node_all);
    CHECK(fast.method().name == "repaired");
    CHECK(fast.method().fixed == 1);
    CHECK(fast.method().renoded == 0);
    CHECK(fast.arc_count() == 3);
    require_same_features(fast, slow);
}

TEST_CASE("topology check: points a hair apart are merged into one", "[topology]") {
    auto fs = lattice();
    // the shared corner of four squares, one unit in the last place off in one of them
    for (auto& p : fs[4][0][0])
        if (p == XY{120.01, 30.01}) p.x = std::nextafter(120.01, 121.0);
    const auto c = check_coverage(fs);
    CHECK_FALSE(c.clean);
    CHECK(c.bad.empty());
    CHECK_FALSE(c.merges.empty());
    auto fixed = fs;
    for (int round = 0; round < 3 && !check_coverage(fixed).clean; ++round) apply_fixes(fixed, check_coverage(fixed));
    CHECK(check_coverage(fixed).clean);
    const Coverage fast(wkbs_of(fs)), reference(wkbs_of(lattice()));
    CHECK(fast.method().name == "repaired");
    require_same_features(fast, reference);  // merged to the lower of the two: the original corner
}

TEST_CASE("topology check: crossings, overlaps and nesting are found, and noded by GEOS", "[topology]") {
    SECTION("two squares overlapping by half: crossing edges") {
        std::vector<MultiPolygon> fs{rect(120, 30, 120.02, 30.02), rect(120.01, 30.005, 120.03, 30.025), rect(121, 30, 121.01, 30.01)};
        const auto c = check_coverage(fs);
        CHECK(c.bad == std::vector<std::size_t>{0, 1});
        CHECK_THAT(c.first_problem, Catch::Contains("crossing"));
    }
    SECTION("the same square twice: an edge shared on the same side") {
        std::vector<MultiPolygon> fs{rect(120, 30, 120.02, 30.02), rect(120, 30, 120.02, 30.02)};
        const auto c = check_coverage(fs);
        CHECK(c.bad == std::vector<std::size_t>{0, 1});
    }
    SECTION("a square inside another, touching nothing") {
        std::vector<MultiPolygon> fs{rect(120, 30, 120.04, 30.04), rect(120.01, 30.01, 120.02, 30.02), rect(120.04, 30, 120.08, 30.04),
                                     rect(121, 30, 121.01, 30.01), rect(122, 30, 122.01, 30.01)};
        const auto c = check_coverage(fs);
        CHECK(c.bad == std::vector<std::size_t>{0, 1});
        CHECK_THAT(c.first_problem, Catch::Contains("inside"));
        const Coverage cov(wkbs_of(fs));
        CHECK(cov.method().name == "repaired");
        CHECK(cov.method().renoded == 2);
        CHECK(cov.feature(1, 0).empty());  // the overlap goes to the first
        CHECK(cov.feature(2, 0) == Coverage(wkbs_of({fs[2]})).feature(0, 0));
    }
    SECTION("a square in a hole of another is fine; one in the hole's place plus a gap is not") {
        MultiPolygon holed{{{{120, 30}, {120.04, 30}, {120.04, 30.04}, {120, 30.04}, {120, 30}},
                            {{120.01, 30.01}, {120.02, 30.01}, {120.02, 30.02}, {120.01, 30.02}, {120.01, 30.01}}}};
        CHECK(check_coverage({holed, rect(120.01, 30.01, 120.02, 30.02)}).clean);
        CHECK(check_coverage({holed, rect(120.012, 30.012, 120.017, 30.017)}).clean);  // a gap around it is allowed
        CHECK_FALSE(check_coverage({holed, rect(120.03, 30.03, 120.035, 30.035)}).clean);  // but not inside the polygon
    }
    SECTION("a ring without area") {
        std::vector<MultiPolygon> fs{{{{{120, 30}, {120.01, 30}, {120.02, 30}, {120, 30}}}}, rect(121, 30, 121.01, 30.01)};
        const auto c = check_coverage(fs);
        CHECK(c.bad == std::vector<std::size_t>{0});
    }
}

TEST_CASE("topology: the partitioned sample's layers are made clean locally, close to noding all", "[topology][sample]") {
    // Partitioned grids meet the next village's grids in T-junctions (a cut's end
    // on the village border), and a few near-collinear edges cross by a hair. The
    // local repair and GEOS noding the whole layer differ only where GEOS snaps
    // such near-degenerate spots differently: at most a sliver.
    Store store(partitioned_sample_store(), Store::Mode::must_exist);
    for (const char* sql : {"SELECT AsBinary(geom) FROM grids WHERE valid_to IS NULL AND code LIKE '330502%' ORDER BY code",
                            "SELECT AsBinary(geom) FROM jurisdictions WHERE level = 'village' ORDER BY code"}) {
        INFO(sql);
        std::vector<std::vector<unsigned char>> wkbs;
        Statement st = sql::prepare(store, sql);
        while (st.step()) wkbs.push_back(st.blob(0));
        REQUIRE(wkbs.size() > 300);
        const Coverage fast(wkbs), slow(wkbs, Coverage::Build::node_all);
        CHECK(fast.method().name == "repaired");
        CHECK(fast.method().fixed > 0);
        CHECK(fast.method().renoded < wkbs.size() / 50);
        CHECK(std::abs(static_cast<double>(fast.arc_count()) - static_cast<double>(slow.arc_count())) <= slow.arc_count() / 1000.0);
        double worst = 0, total_fast = 0, total_slow = 0;
        std::size_t same = 0;
        for (std::size_t i = 0; i < wkbs.size(); ++i) {
            const auto f = fast.feature(i, 0), s = slow.feature(i, 0);
            same += f == s;
            const double a = area(f), b = area(s);
            total_fast += a, total_slow += b;
            worst = std::max(worst, std::abs(a - b) / b);
        }
        CHECK(worst < 1e-4);
        CHECK(std::abs(total_fast - total_slow) / total_slow < 1e-9);
        CHECK(same > wkbs.size() / 2);
    }
}

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

TEST_CASE("topology check: edge cases found in review", "[topology]") {
    const double snap = 1e-9 * 120.02;
    SECTION("-0.0 and 0.0 are one coordinate") {
        std::vector<MultiPolygon> fs{rect(-0.01, 0, 0, 0.01), rect(0, 0, 0.01, 0.01)};
        for (auto& p : fs[1][0][0])
            if (p.x == 0) p.x = -0.0;
        CHECK(check_coverage(fs).clean);
    }
    SECTION("a vertex near an edge and near, but not at, its end is a split") {
        // B's corner 0.9 snap below A's top edge and 0.9 snap inside its left end
        const double x = 120 + 0.9 * snap, y = 30.02 - 0.9 * snap;
        std::vector<MultiPolygon> fs{rect(120, 30, 120.02, 30.02), {{{{x, y}, {120.02, 30.02}, {120.02, 30.04}, {x, 30.04}, {x, y}}}}};
        const auto c = check_coverage(fs);
        CHECK_FALSE(c.clean);
        CHECK_FALSE(c.splits.empty());
    }
    SECTION("a run of close points is not merged into one") {
        // a bump of 100 points 0.4 snap apart: pairwise close, 40 snaps long
        Ring r{{120, 30}, {120.02, 30}, {120.02, 30.02}};
        for (int i = 0; i < 100; ++i) r.push_back({120.01 - i * 0.4 * snap, 30.02 + 1e-4 * std::sin(i * M_PI / 99) * 1e-3});
        r.push_back({120, 30.02});
        r.push_back({120, 30});
        std::vector<MultiPolygon> fs{{{r}}};
        const auto c = check_coverage(fs);
        REQUIRE_FALSE(c.merges.empty());
        apply_fixes(fs, c);
        CHECK(fs[0][0][0].size() > 20);  // clusters span two snaps at most: the bump keeps its shape
    }
}

TEST_CASE("topology: merging a group of features keeps holes and splits rings at corners", "[topology]") {
    // a 4 x 3 lattice of cells; the group: the four cells around (2,1), which is not in it
    const double xs[] = {120, 120.01, 120.02, 120.03, 120.04}, ys[] = {30, 30.01, 30.02, 30.03};
    std::vector<MultiPolygon> fs;
    std::map<std::pair<int, int>, std::size_t> at;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 3; ++j) {
            at[{i, j}] = fs.size();
            fs.push_back(rect(xs[i], ys[j], xs[i + 1], ys[j + 1]));
        }
    const Coverage cov(wkbs_of(fs));
    REQUIRE(cov.method().name == "clean");
    auto& g = geos::Context::local();
    SECTION("four cells touching at corners around a hole") {
        const auto m = cov.merged({at[{2, 0}], at[{1, 1}], at[{3, 1}], at[{2, 2}]}, 0);
        auto geom = to_geos(m);
        CHECK(g.invalid_reason(geom.get()).empty());
        const double four = area(cov.feature(at[{2, 0}], 0)) + area(cov.feature(at[{1, 1}], 0)) + area(cov.feature(at[{3, 1}], 0)) +
                            area(cov.feature(at[{2, 2}], 0));
        CHECK(area(m) == Approx(four).epsilon(1e-9));
        const XY centre = to_mercator(120.025, 30.015);
        auto pt = g.own(GEOSGeom_createPointFromXY_r(g.handle(), centre.x, centre.y), "pt");
        CHECK(GEOSIntersects_r(g.handle(), geom.get(), pt.get()) == 0);
    }
    SECTION("a ring of eight cells around a hole") {
        std::vector<std::size_t> ring;
        for (int i = 1; i <= 3; ++i)
            for (int j = 0; j <= 2; ++j)
                if (!(i == 2 && j == 1)) ring.push_back(at[{i, j}]);
        const auto m = cov.merged(ring, 0);
        REQUIRE(m.size() == 1);
        CHECK(m[0].size() == 2);  // exterior and the hole
        double eight = 0;
        for (const auto f : ring) eight += area(cov.feature(f, 0));
        CHECK(area(m) == Approx(eight).epsilon(1e-9));
        CHECK(g.invalid_reason(to_geos(m).get()).empty());
    }
    SECTION("two cells touching at one corner stay two polygons") {
        const auto m = cov.merged({at[{0, 0}], at[{1, 1}]}, 0);
        CHECK(m.size() == 2);
        CHECK(g.invalid_reason(to_geos(m).get()).empty());
    }
}
