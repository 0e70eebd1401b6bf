// End-to-end: events on the sample grids. The fast point-in-grid path against
// plain GEOS on 100,000 points; import with every bad-row kind; the accounting
// identity; re-import without duplicates; batch assign; locate; reassign.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <wangge/coverage_index.hpp>
#include <wangge/events.hpp>
#include <wangge/store.hpp>

#include "geometry/geos.hpp"
#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

/// A copy of the partitioned sample store, without its events.
std::string copy_store(const TempDir& dir) {
    const auto to = dir / "copy.sqlite";
    fs::copy_file(partitioned_sample_store(), to, fs::copy_options::overwrite_existing);
    {
        Store s(to, Store::Mode::must_exist);
        sql::exec(s, "DELETE FROM events");
    }
    return to.string();
}

} // namespace

TEST_CASE("events: the fast path agrees with GEOS point-in-polygon on 100,000 points", "[e2e][events][index][slow]") {
    Store store(partitioned_sample_store(), Store::Mode::must_exist);
    std::vector<CoverageIndex::Polygon> polys;
    {
        Statement st =
            sql::prepare(store, "SELECT code, AsBinary(geom) FROM grids WHERE valid_to IS NULL ORDER BY code");
        while (st.step()) polys.push_back({st.text(0), st.blob(1)});
    }
    REQUIRE(polys.size() > 3000);
    const CoverageIndex index(polys);
    auto& g = geos::Context::local();
    std::vector<geos::Geometry> geoms, boundaries;
    std::vector<geos::Prepared> prepared;
    GEOSSTRtree* tree = GEOSSTRtree_create_r(g.handle(), 10);
    for (std::size_t i = 0; i < polys.size(); ++i) {
        geoms.push_back(g.from_wkb(polys[i].wkb.data(), polys[i].wkb.size()));
        prepared.push_back(g.prepare(geoms.back().get()));
        boundaries.push_back(g.own(GEOSBoundary_r(g.handle(), geoms.back().get()), "boundary"));
        GEOSSTRtree_insert_r(g.handle(), tree, geoms.back().get(), reinterpret_cast<void*>(i));
    }
    // vertices of the grids, to probe exactly on them and on edges between them
    std::vector<std::pair<double, double>> vertices;
    for (const auto& geom : geoms) {
        const GEOSGeometry* poly = GEOSGetGeometryN_r(g.handle(), geom.get(), 0);
        const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(g.handle(), GEOSGetExteriorRing_r(g.handle(), poly));
        unsigned n = 0;
        GEOSCoordSeq_getSize_r(g.handle(), cs, &n);
        for (unsigned k = 0; k < n; ++k) {
            double x, y;
            GEOSCoordSeq_getXY_r(g.handle(), cs, k, &x, &y);
            vertices.emplace_back(x, y);
        }
    }
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> ux(119.2, 120.5), uy(30.35, 31.2), u01(0, 1);
    std::uniform_int_distribution<std::size_t> uv(0, vertices.size() - 2);
    int interior = 0, boundary = 0, outside = 0, mismatches = 0;
    for (int i = 0; i < 100000; ++i) {
        double x, y;
        const int kind = i % 4;  // uniform, on a vertex, on an edge, just off an edge
        if (kind == 0) {
            x = ux(rng);
            y = uy(rng);
        } else {
            const auto k = uv(rng);
            auto [ax, ay] = vertices[k];
            auto [bx, by] = vertices[k + 1];
            const double t = kind == 1 ? 0.0 : u01(rng);
            x = ax + t * (bx - ax);
            y = ay + t * (by - ay);
            if (kind == 3) {
                x += (u01(rng) - 0.5) * 2e-7;
                y += (u01(rng) - 0.5) * 2e-7;
            }
        }
        auto pt = g.own(GEOSGeom_createPointFromXY_r(g.handle(), x, y), "pt");
        // reference: grids that contain the point, and grids within 1e-9 degree of it
        std::vector<std::size_t> cand;
        GEOSSTRtree_query_r(
            g.handle(), tree, pt.get(),
            [](void* item, void* user) { static_cast<std::vector<std::size_t>*>(user)->push_back(reinterpret_cast<std::size_t>(item)); },
            &cand);
        std::set<int> containing, near;
        for (std::size_t c : cand) {
            if (GEOSPreparedContains_r(g.handle(), prepared[c].get(), pt.get()) == 1) containing.insert(static_cast<int>(c));
            double d = 1;
            GEOSDistance_r(g.handle(), boundaries[c].get(), pt.get(), &d);
            if (d <= 1e-9) near.insert(static_cast<int>(c));
        }
        const int got = index.locate(x, y);
        bool ok;
        if (near.empty()) {
            // clearly inside one grid or clearly outside all: the same answer exactly
            // (grids of neighbouring counties overlap a little in the real outlines:
            // then the lowest code, the first in the index)
            ok = containing.empty() ? got == -1 : got == *containing.begin();
            (containing.empty() ? outside : interior)++;
        } else {
            // on or within 1e-9° of an edge: exactly one of the grids there
            ++boundary;
            ok = near.count(got) || containing.count(got);
        }
        if (!ok && ++mismatches <= 5) {
            std::string c1, n1;
            for (int c : containing) c1 += polys[static_cast<std::size_t>(c)].code + " ";
            for (int c : near) n1 += polys[static_cast<std::size_t>(c)].code + " ";
            WARN(fmt::format("mismatch at {:.12f} {:.12f} (kind {}): got {}; containing [{}], near [{}]", x, y, kind,
                             got >= 0 ? polys[static_cast<std::size_t>(got)].code : std::string("none"), c1, n1));
        }
    }
    // nearest grid of points in no grid: against brute force over every grid, in a
    // metric frame on a sphere at the sample's latitude (the index measures geodesics
    // on the ellipsoid: allow 1% for the difference; tests/unit/test_nearest.cpp checks
    // it exactly against geodesic brute force)
    {
        const double lat0 = 30.8, ky = 6371007.2 * M_PI / 180.0, kx = ky * std::cos(lat0 * M_PI / 180.0);
        struct Scale {
            double kx, ky;
        } sc{kx, ky};
        auto scale = [](double* x, double* y, void* user) {
            *x *= static_cast<Scale*>(user)->kx;
            *y *= static_cast<Scale*>(user)->ky;
            return 1;
        };
        std::vector<geos::Geometry> metric;
        for (const auto& geom : geoms) metric.push_back(g.own(GEOSGeom_transformXY_r(g.handle(), geom.get(), scale, &sc), "scale"));
        int checked = 0, wrong = 0;
        for (int i = 0; checked < 200 && i < 100000; ++i) {
            const double x = ux(rng), y = uy(rng);
            if (index.locate(x, y) >= 0) continue;
            ++checked;
            auto pt = g.own(GEOSGeom_createPointFromXY_r(g.handle(), x * kx, y * ky), "pt");
            double best = INFINITY;
            for (const auto& mg : metric) {
                double d;
                GEOSDistance_r(g.handle(), mg.get(), pt.get(), &d);
                best = std::min(best, d);
            }
            const auto [n, d] = index.nearest(x, y);
            if (n < 0 || std::abs(d - best) > 0.01 * best + 1.0) ++wrong;
        }
        CHECK(checked == 200);
        CHECK(wrong == 0);
    }
    GEOSSTRtree_destroy_r(g.handle(), tree);
    CHECK(mismatches == 0);
    CHECK(interior > 10000);
    CHECK(boundary > 40000);
    CHECK(outside > 1000);
    WARN("index: " << index.stats().columns << "x" << index.stats().rows << " cells, " << index.stats().boundary_cells
                   << " boundary cells; probes: " << interior << " interior, " << boundary << " on/near edges, "
                   << outside << " outside");
}

TEST_CASE("events: a shared vertex or edge belongs to exactly one grid, by the documented rule", "[e2e][events][index]") {
    // two squares side by side and one above: the shared edges and the common vertex
    auto& g = geos::Context::local();
    auto sq = [&](double x, double y) {
        auto geom = g.from_wkt(fmt::format("POLYGON(({0} {1}, {2} {1}, {2} {3}, {0} {3}, {0} {1}))", x, y, x + 1, y + 1));
        return g.to_wkb(geom.get());
    };
    const CoverageIndex index({{"W", sq(0, 0)}, {"E", sq(1, 0)}, {"N", sq(0, 1)}, {"NE", sq(1, 1)}});
    CHECK(index.code(index.locate(1.0, 0.5)) == "E");    // north-south edge: the grid east of it
    CHECK(index.code(index.locate(0.5, 1.0)) == "N");    // east-west edge: the grid north of it
    CHECK(index.code(index.locate(1.0, 1.0)) == "NE");   // a vertex: north-east
    CHECK(index.code(index.locate(0.0, 0.5)) == "W");    // the coverage's outer edges are in
    CHECK(index.code(index.locate(2.0, 0.5)) == "E");
    CHECK(index.code(index.locate(1.5, 2.0)) == "NE");
    CHECK(index.locate(2.0 + 1e-6, 0.5) == -1);          // just outside is out
    CHECK(index.locate(-0.1, 0.5) == -1);
    const auto [n, d] = index.nearest(2.5, 0.5);
    CHECK(index.code(n) == "E");
    CHECK(d == Approx(55657.6402).epsilon(1e-8));  // geod_inverse from (2.5, 0.5) to (2, 0.5), CGCS2000
}

TEST_CASE("events: import the sample file: bad rows rejected by line and reason, every event accounted for",
          "[e2e][events][slow]") {
    TempDir dir("events-import");
    const std::string db = copy_store(dir);
    const auto rejects = dir / "rejects.csv";
    const auto src = (sample_dir() / "huzhou_events_gcj02.csv").string();
    const auto r = run_wangge({"--db", db, "events", "import", src, "--crs", "gcj02", "--rejects", rejects.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    for (const char* kind : {"rejected, bad time:", "rejected, no coordinates:", "rejected, no id:",
                             "rejected, not a number:", "rejected, out of range:", "rejected, unknown type code:"})
        CHECK_THAT(r.out, Catch::Contains(kind));
    const std::string csv = read_file(rejects);
    CHECK_THAT(csv, Catch::Contains("longitude '120.1x' is not a number"));
    CHECK_THAT(csv, Catch::Contains("latitude 95.5 is out of range"));
    CHECK_THAT(csv, Catch::Contains("time '2024-02-30T10:00:00+08:00' is not a real date"));
    CHECK_THAT(csv, Catch::Contains("has no zone"));
    CHECK_THAT(csv, Catch::Contains("unknown type code '999999'"));
    CHECK_THAT(csv, Catch::Contains(",no coordinates"));
    CHECK_THAT(csv, Catch::Contains(",no id"));
    Store s(db, Store::Mode::must_exist);
    const auto imported = sql::query_int(s, "SELECT count(*) FROM events");
    const auto assigned =
        sql::query_int(s, "SELECT count(*) FROM events WHERE grid_code IS NOT NULL AND uncovered = 0");
    const auto uncovered = sql::query_int(s, "SELECT count(*) FROM events WHERE uncovered = 1 AND grid_code IS NULL");
    const auto reject_rows = static_cast<std::int64_t>(std::count(csv.begin(), csv.end(), '\n')) - 1;
    CHECK(imported + reject_rows == 6000);                      // every row imported or rejected
    CHECK(assigned + uncovered == imported);                     // every event assigned or flagged
    CHECK(uncovered > 100);
    CHECK(sql::query_int(
              s, "SELECT count(*) FROM events WHERE uncovered = 1 AND (nearest_grid IS NULL OR nearest_m <= 0)") == 0);
    CHECK_THAT(r.out, Catch::Contains(fmt::format("assigned to a grid: {}; uncovered (in no grid, kept with the nearest "
                                                  "grid): {}",
                                                  assigned, uncovered)));
    // GCJ-02 was converted: the stored point is hundreds of metres from the reported one
    CHECK(sql::query_int(s,
                         "SELECT count(*) FROM events WHERE abs(X(geom) - lon_reported) < 0.001 AND "
                         "abs(Y(geom) - lat_reported) < 0.001") == 0);
    // re-import: nothing duplicated
    const auto again = run_wangge({"--db", db, "events", "import", src, "--crs", "gcj02", "--rejects", rejects.string()});
    CHECK_THAT(again.out, Catch::Contains(fmt::format("{} imported (0 new, {} updated)", imported, imported)));
    CHECK(sql::query_int(s, "SELECT count(*) FROM events") == imported);
}

TEST_CASE("events: batch assign gives the same grids as import, locate, reassign after a redraw", "[e2e][events]") {
    TempDir dir("events-assign");
    const std::string db = copy_store(dir);
    const auto src = (sample_dir() / "huzhou_events_gcj02.csv").string();
    REQUIRE(run_wangge({"--db", db, "events", "import", src, "--crs", "gcj02", "--rejects", (dir / "r.csv").string()})
                .exit_code == 0);
    const auto out = dir / "coded.csv";
    const auto a = run_wangge({"--db", db, "assign", "--in", src, "--out", out.string(), "--crs", "gcj02", "--threads", "2"});
    INFO(a.out << a.err);
    REQUIRE(a.exit_code == 0);
    CHECK_THAT(a.out, Catch::Contains("6000 rows:"));
    // compare with the store, event by event
    Store s(db, Store::Mode::must_exist);
    std::map<std::string, std::string> stored;
    {
        Statement st = sql::prepare(s, "SELECT event_id, coalesce(grid_code, '') FROM events");
        while (st.step()) stored[st.text(0)] = st.text(1);
    }
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    CHECK(line == "id,type,time,status,source,lon,lat,grid_code,grid_status");
    int compared = 0, differ = 0;
    while (std::getline(in, line)) {
        const auto id = line.substr(0, line.find(','));
        const auto status_at = line.rfind(',');
        const auto code_at = line.rfind(',', status_at - 1) + 1;
        const auto code = line.substr(code_at, status_at - code_at);
        const auto status = line.substr(status_at + 1);
        auto it = stored.find(id);
        if (it == stored.end()) continue;
        ++compared;
        if (it->second != code || status != (code.empty() ? "uncovered" : "assigned")) ++differ;
    }
    CHECK(compared > 5000);
    CHECK(differ == 0);

    // locate: a GCJ-02 point and its CGCS2000 twin give the same grid
    const auto l = run_wangge({"--db", db, "locate", "120.2186", "30.8853"});
    REQUIRE(l.exit_code == 0);
    CHECK_THAT(l.out, Catch::Contains("grid        330502001005"));
    CHECK_THAT(l.out, Catch::Contains("township    330502001 月河街道"));
    CHECK_THAT(l.out, Catch::Contains("beidou      N51H"));
    CHECK(run_wangge({"--db", db, "locate", "121.5", "31.2"}).exit_code == 3);

    // a re-partition with a new policy: events follow their new grids
    REQUIRE(run_wangge({"--db", db, "partition", "--township", "330502001", "--urban-min", "150", "--urban-max", "250"})
                .exit_code == 0);
    CHECK(
        sql::query_int(s,
                       "SELECT count(*) FROM events e LEFT JOIN grids g ON g.code = e.grid_code AND g.valid_to IS NULL "
                       "WHERE e.grid_code IS NOT NULL AND g.code IS NULL") == 0);
    const auto re = run_wangge({"--db", db, "events", "reassign"});
    CHECK_THAT(re.out, Catch::Contains(" 0 changed grid"));
}

TEST_CASE("events: clear errors for bad input", "[e2e][events]") {
    TempDir dir("events-errors");
    const std::string db = copy_store(dir);
    write_file(dir / "nocols.csv", "a,b\n1,2\n");
    const auto r = run_wangge({"--db", db, "events", "import", (dir / "nocols.csv").string()});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("nocols.csv: no column 'id' (--id-field); its columns are: a, b"));
    CHECK(run_wangge({"--db", db, "events", "import", (dir / "nocols.csv").string(), "--crs", "mars"}).exit_code == 2);
    CHECK(run_wangge({"--db", db, "assign", "--in", (dir / "none.csv").string(), "--out", (dir / "o.csv").string()})
              .exit_code == 1);
    Store s(db, Store::Mode::must_exist);
    CHECK(sql::query_int(s, "SELECT count(*) FROM events") == 0);
}

TEST_CASE("events: import from a GeoJSON point source (GCJ-02), every feature accounted for", "[e2e][events][slow]") {
    TempDir dir("events-geojson");
    const std::string db = copy_store(dir);
    const auto geojson = dir / "events.geojson";
    const auto conv = run_shell("ogr2ogr -f GeoJSON -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat -oo KEEP_GEOM_COLUMNS=NO "
                                "-a_srs EPSG:4326 '" + geojson.string() + "' '" +
                                (sample_dir() / "huzhou_events_gcj02.csv").string() + "'");
    REQUIRE(conv.exit_code == 0);
    const auto r = run_wangge({"--db", db, "events", "import", geojson.string(), "--crs", "gcj02", "--rejects",
                               (dir / "r.csv").string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("6000 rows read"));
    Store s(db, Store::Mode::must_exist);
    const auto imported = sql::query_int(s, "SELECT count(*) FROM events");
    CHECK(imported > 5500);
    CHECK(sql::query_int(s, "SELECT count(*) FROM events WHERE grid_code IS NOT NULL") +
              sql::query_int(s, "SELECT count(*) FROM events WHERE uncovered = 1") ==
          imported);
    // the same events as from the CSV, in the same grids
    TempDir dir2("events-geojson-csv");
    const std::string db2 = copy_store(dir2);
    REQUIRE(run_wangge({"--db", db2, "events", "import", (sample_dir() / "huzhou_events_gcj02.csv").string(), "--crs",
                        "gcj02", "--rejects", (dir2 / "r.csv").string()})
                .exit_code == 0);
    Store s2(db2, Store::Mode::must_exist);
    std::map<std::string, std::string> a, b;
    {
        Statement st = sql::prepare(s, "SELECT event_id, coalesce(grid_code, '-') FROM events");
        while (st.step()) a[st.text(0)] = st.text(1);
        Statement st2 = sql::prepare(s2, "SELECT event_id, coalesce(grid_code, '-') FROM events");
        while (st2.step()) b[st2.text(0)] = st2.text(1);
    }
    int same = 0, differ = 0;
    for (const auto& [id, g] : b) {
        auto it = a.find(id);
        if (it == a.end()) continue;
        (it->second == g ? same : differ)++;
    }
    CHECK(same > 5500);
    CHECK(differ == 0);
}
