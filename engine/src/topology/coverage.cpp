#include "wangge/topology.hpp"

#include "wangge/coverage_index.hpp"
#include "wangge/error.hpp"
#include "wangge/geos.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <unordered_map>

namespace wangge::topology {

namespace {

constexpr double earth_radius = 6378137.0;  // EPSG:3857 sphere
constexpr double max_lat = 85.0511287798066;

struct PointHash {
    std::size_t operator()(const XY& p) const noexcept {
        const auto a = std::bit_cast<std::uint64_t>(p.x), b = std::bit_cast<std::uint64_t>(p.y);
        return static_cast<std::size_t>(a * 0x9E3779B97F4A7C15ull ^ (b + 0x7F4A7C159E3779B9ull + (a << 6) + (a >> 2)));
    }
};

/// An arc used by a ring: which arc, and whether it is walked backwards.
struct ArcUse {
    std::uint32_t arc;
    bool reversed;
};

} // namespace

XY to_mercator(double lon, double lat) {
    lat = std::clamp(lat, -max_lat, max_lat);
    return {earth_radius * lon * M_PI / 180.0, earth_radius * std::log(std::tan(M_PI / 4 + lat * M_PI / 360.0))};
}

std::pair<double, double> from_mercator(const XY& p) {
    return {p.x / earth_radius * 180.0 / M_PI, (2 * std::atan(std::exp(p.y / earth_radius)) - M_PI / 2) * 180.0 / M_PI};
}

std::vector<XY> simplify_line(const std::vector<XY>& line, double tol) {
    if (line.size() <= 2 || tol <= 0) return line;
    std::vector<char> keep(line.size(), 0);
    keep.front() = keep.back() = 1;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{0, line.size() - 1}};
    const double tol2 = tol * tol;
    while (!stack.empty()) {
        auto [a, b] = stack.back();
        stack.pop_back();
        const XY& p = line[a];
        const XY& q = line[b];
        const double dx = q.x - p.x, dy = q.y - p.y, len2 = dx * dx + dy * dy;
        double worst = -1;
        std::size_t at = a;
        for (std::size_t i = a + 1; i < b; ++i) {
            const double ex = line[i].x - p.x, ey = line[i].y - p.y;
            double d2;
            if (len2 == 0) {
                d2 = ex * ex + ey * ey;
            } else {
                const double t = std::clamp((ex * dx + ey * dy) / len2, 0.0, 1.0);
                const double fx = ex - t * dx, fy = ey - t * dy;
                d2 = fx * fx + fy * fy;
            }
            if (d2 > worst) {
                worst = d2;
                at = i;
            }
        }
        if (worst > tol2) {
            keep[at] = 1;
            stack.emplace_back(a, at);
            stack.emplace_back(at, b);
        }
    }
    std::vector<XY> out;
    for (std::size_t i = 0; i < line.size(); ++i)
        if (keep[i]) out.push_back(line[i]);
    return out;
}

struct Coverage::Impl {
    std::vector<std::vector<XY>> arcs;                      // as built, Web Mercator
    std::vector<std::vector<std::vector<ArcUse>>> rings;    // feature -> rings (exterior first per polygon) -> arcs
    std::vector<std::vector<std::size_t>> polygon_starts;   // feature -> index of each polygon's exterior ring
    std::vector<std::array<double, 4>> env;
    double prepared_tol = -1;
    std::vector<std::vector<XY>> simplified;

    const std::vector<XY>& arc_at(std::uint32_t a, double tol) const {
        return (tol == prepared_tol && tol > 0) ? simplified[a] : arcs[a];
    }
};

Coverage::Coverage(const std::vector<std::vector<unsigned char>>& wkbs) : impl_(std::make_unique<Impl>()) {
    auto& g = geos::Context::local();
    Impl& m = *impl_;
    const std::size_t n = wkbs.size();
    m.rings.resize(n);
    m.polygon_starts.resize(n);
    m.env.assign(n, {0, 0, 0, 0});
    if (n == 0) return;

    // --- node every boundary of the layer together, polygonize the faces
    std::vector<geos::Geometry> geoms;
    std::vector<const GEOSGeometry*> boundaries_raw;
    std::vector<geos::Geometry> boundaries;
    for (const auto& w : wkbs) {
        geoms.push_back(g.from_wkb(w.data(), w.size()));
        boundaries.push_back(g.own(GEOSBoundary_r(g.handle(), geoms.back().get()), "boundary"));
        boundaries_raw.push_back(boundaries.back().get());
    }
    auto noded = g.unary_union(g.collect(boundaries_raw).get());
    const GEOSGeometry* arr[] = {noded.get()};
    auto faces = g.own(GEOSPolygonize_r(g.handle(), arr, 1), "polygonize");

    // --- each face to the first feature holding its interior point (the
    // CoverageIndex rule: first in input order where features overlap)
    std::vector<CoverageIndex::Polygon> polys;
    for (std::size_t i = 0; i < n; ++i) polys.push_back({std::to_string(i), wkbs[i]});
    const CoverageIndex index(polys);
    std::vector<std::vector<const GEOSGeometry*>> owned(n);
    const int nf = GEOSGetNumGeometries_r(g.handle(), faces.get());
    for (int f = 0; f < nf; ++f) {
        const GEOSGeometry* face = GEOSGetGeometryN_r(g.handle(), faces.get(), f);
        if (g.area(face) <= 0) continue;
        auto pt = g.own(GEOSPointOnSurface_r(g.handle(), face), "interior point");
        double x, y;
        GEOSGeomGetX_r(g.handle(), pt.get(), &x);
        GEOSGeomGetY_r(g.handle(), pt.get(), &y);
        const int owner = index.locate(x, y);
        if (owner >= 0) owned[static_cast<std::size_t>(owner)].push_back(face);
    }

    // --- each feature as the union of its faces (exact: one noded network), in
    // Web Mercator; every ring as a list of points
    std::vector<std::vector<std::vector<XY>>> feature_rings(n);  // feature -> rings
    std::vector<std::vector<std::size_t>> starts(n);
    std::unordered_map<XY, std::vector<XY>, PointHash> neighbours;  // vertex -> distinct adjacent vertices
    auto add_neighbour = [&](const XY& a, const XY& b) {
        auto& v = neighbours[a];
        if (std::find(v.begin(), v.end(), b) == v.end()) v.push_back(b);
    };
    for (std::size_t i = 0; i < n; ++i) {
        if (owned[i].empty()) continue;
        auto merged = owned[i].size() == 1 ? g.own(GEOSGeom_clone_r(g.handle(), owned[i][0]), "clone")
                                           : g.own(GEOSCoverageUnion_r(g.handle(), g.collect(owned[i]).get()), "union");
        auto parts = g.polygonal_parts(merged.get());
        std::array<double, 4> e{INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (int p = 0; p < GEOSGetNumGeometries_r(g.handle(), parts.get()); ++p) {
            const GEOSGeometry* poly = GEOSGetGeometryN_r(g.handle(), parts.get(), p);
            starts[i].push_back(feature_rings[i].size());
            auto read = [&](const GEOSGeometry* ring) {
                const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(g.handle(), ring);
                unsigned k = 0;
                GEOSCoordSeq_getSize_r(g.handle(), cs, &k);
                std::vector<XY> pts;
                for (unsigned j = 0; j < k; ++j) {
                    double x, y;
                    GEOSCoordSeq_getXY_r(g.handle(), cs, j, &x, &y);
                    const XY q = to_mercator(x, y);
                    if (!pts.empty() && pts.back() == q) continue;
                    pts.push_back(q);
                    e = {std::min(e[0], q.x), std::min(e[1], q.y), std::max(e[2], q.x), std::max(e[3], q.y)};
                }
                if (pts.size() < 4) return;
                for (std::size_t j = 0; j + 1 < pts.size(); ++j) {
                    add_neighbour(pts[j], pts[j + 1]);
                    add_neighbour(pts[j + 1], pts[j]);
                }
                feature_rings[i].push_back(std::move(pts));
            };
            read(GEOSGetExteriorRing_r(g.handle(), poly));
            for (int h = 0; h < GEOSGetNumInteriorRings_r(g.handle(), poly); ++h) read(GEOSGetInteriorRingN_r(g.handle(), poly, h));
        }
        m.env[i] = e;
    }

    // --- cut rings into arcs at nodes (vertices with other than two neighbours);
    // a ring with no node is one arc from its lowest vertex
    std::map<std::vector<XY>, std::uint32_t, bool (*)(const std::vector<XY>&, const std::vector<XY>&)> arc_ids(
        [](const std::vector<XY>& a, const std::vector<XY>& b) {
            return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](const XY& p, const XY& q) {
                return std::tie(p.x, p.y) < std::tie(q.x, q.y);
            });
        });
    auto is_node = [&](const XY& p) { return neighbours[p].size() != 2; };
    for (std::size_t i = 0; i < n; ++i) {
        m.polygon_starts[i] = starts[i];
        for (auto& ring : feature_rings[i]) {
            ring.pop_back();  // open: the first point is not repeated
            const std::size_t k = ring.size();
            std::size_t first = k;
            for (std::size_t j = 0; j < k; ++j)
                if (is_node(ring[j])) {
                    first = j;
                    break;
                }
            if (first == k) {  // no node: start at the lowest vertex, deterministic
                first = static_cast<std::size_t>(
                    std::min_element(ring.begin(), ring.end(), [](const XY& p, const XY& q) { return std::tie(p.x, p.y) < std::tie(q.x, q.y); }) -
                    ring.begin());
            }
            std::vector<ArcUse> uses;
            std::vector<XY> cur{ring[first]};
            for (std::size_t s = 1; s <= k; ++s) {
                const XY& p = ring[(first + s) % k];
                cur.push_back(p);
                if (s == k || is_node(p)) {
                    // canonical direction: the lexicographically smaller of the two
                    std::vector<XY> rev(cur.rbegin(), cur.rend());
                    const bool reversed = arc_ids.key_comp()(rev, cur);
                    const auto& key = reversed ? rev : cur;
                    auto [it, fresh] = arc_ids.emplace(key, static_cast<std::uint32_t>(m.arcs.size()));
                    if (fresh) m.arcs.push_back(key);
                    uses.push_back({it->second, reversed});
                    cur.assign(1, p);
                }
            }
            m.rings[i].push_back(std::move(uses));
        }
    }
}

Coverage::~Coverage() = default;
Coverage::Coverage(Coverage&&) noexcept = default;
Coverage& Coverage::operator=(Coverage&&) noexcept = default;

std::size_t Coverage::size() const noexcept {
    return impl_->rings.size();
}

std::size_t Coverage::arc_count() const noexcept {
    return impl_->arcs.size();
}

std::array<double, 4> Coverage::envelope(std::size_t i) const {
    return impl_->env[i];
}

void Coverage::prepare(double tolerance) {
    Impl& m = *impl_;
    if (tolerance == m.prepared_tol) return;
    m.simplified.resize(m.arcs.size());
    for (std::size_t a = 0; a < m.arcs.size(); ++a) m.simplified[a] = simplify_line(m.arcs[a], tolerance);
    m.prepared_tol = tolerance;
}

MultiPolygon Coverage::feature(std::size_t i, double tolerance) const {
    const Impl& m = *impl_;
    MultiPolygon out;
    const auto& rings = m.rings[i];
    const auto& starts = m.polygon_starts[i];
    auto build = [&](const std::vector<ArcUse>& uses) {
        Ring r;
        for (const auto& u : uses) {
            const std::vector<XY> simplified =
                (tolerance > 0 && tolerance != m.prepared_tol) ? simplify_line(m.arcs[u.arc], tolerance) : std::vector<XY>();
            const auto& pts = simplified.empty() ? m.arc_at(u.arc, tolerance) : simplified;
            if (!u.reversed) {
                for (std::size_t j = r.empty() ? 0 : 1; j < pts.size(); ++j) r.push_back(pts[j]);
            } else {
                for (std::size_t j = pts.size() - (r.empty() ? 0 : 1); j-- > 0;) r.push_back(pts[j]);
            }
        }
        if (!r.empty() && !(r.front() == r.back())) r.push_back(r.front());
        // a ring that collapsed (fewer than 3 distinct points or no area) is dropped
        double area2 = 0;
        for (std::size_t j = 0; j + 1 < r.size(); ++j) area2 += r[j].x * r[j + 1].y - r[j + 1].x * r[j].y;
        if (r.size() < 4 || area2 == 0) r.clear();
        return r;
    };
    for (std::size_t p = 0; p < starts.size(); ++p) {
        const std::size_t end = p + 1 < starts.size() ? starts[p + 1] : rings.size();
        Polygon poly;
        Ring ext = build(rings[starts[p]]);
        if (ext.empty()) continue;
        poly.push_back(std::move(ext));
        for (std::size_t h = starts[p] + 1; h < end; ++h) {
            Ring hole = build(rings[h]);
            if (!hole.empty()) poly.push_back(std::move(hole));
        }
        out.push_back(std::move(poly));
    }
    return out;
}

} // namespace wangge::topology
