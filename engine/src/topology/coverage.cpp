#include "wangge/topology.hpp"

#include "topology/point_hash.hpp"

#include "wangge/coverage_index.hpp"
#include "wangge/error.hpp"
#include "geometry/geos.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>

namespace wangge::topology {

namespace {

constexpr double earth_radius = 6378137.0;  // EPSG:3857 sphere
constexpr double max_lat = 85.0511287798066;

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
    Method method;

    const std::vector<XY>& arc_at(std::uint32_t a, double tol) const {
        return (tol == prepared_tol && tol > 0) ? simplified[a] : arcs[a];
    }

    void build_arcs(const std::vector<MultiPolygon>& features);
};

namespace {

/// The polygons of a GEOS geometry as rings of lon/lat points.
MultiPolygon read_polygons(geos::Context& g, const GEOSGeometry* geom) {
    auto parts = g.polygonal_parts(geom);
    MultiPolygon out;
    auto read = [&](const GEOSGeometry* ring) {
        const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(g.handle(), ring);
        unsigned k = 0;
        GEOSCoordSeq_getSize_r(g.handle(), cs, &k);
        Ring r(k);
        for (unsigned j = 0; j < k; ++j) GEOSCoordSeq_getXY_r(g.handle(), cs, j, &r[j].x, &r[j].y);
        return r;
    };
    for (int p = 0; p < GEOSGetNumGeometries_r(g.handle(), parts.get()); ++p) {
        const GEOSGeometry* poly = GEOSGetGeometryN_r(g.handle(), parts.get(), p);
        Polygon q{read(GEOSGetExteriorRing_r(g.handle(), poly))};
        for (int h = 0; h < GEOSGetNumInteriorRings_r(g.handle(), poly); ++h) q.push_back(read(GEOSGetInteriorRingN_r(g.handle(), poly, h)));
        out.push_back(std::move(q));
    }
    return out;
}

/// lon/lat rings to Web Mercator, without repeated points.
MultiPolygon project(const MultiPolygon& lonlat) {
    MultiPolygon out;
    for (const auto& poly : lonlat) {
        Polygon q;
        for (const auto& ring : poly) {
            Ring r;
            for (const auto& ll : ring) {
                const XY p = to_mercator(ll.x, ll.y);
                if (r.empty() || !(r.back() == p)) r.push_back(p);
            }
            q.push_back(std::move(r));
        }
        out.push_back(std::move(q));
    }
    return out;
}

/// Node the boundaries of the features `which` together, polygonize the faces, give
/// each face to the first of them (in input order) that holds it, and write each
/// one's union of faces into `out`.
void node_features(geos::Context& g, const std::vector<geos::Geometry>& geoms, const std::vector<std::vector<unsigned char>>& wkbs,
                   const std::vector<std::size_t>& which, std::vector<MultiPolygon>& out) {
    if (which.empty()) return;
    std::vector<geos::Geometry> boundaries;
    std::vector<const GEOSGeometry*> boundaries_raw;
    for (const auto i : which) {
        boundaries.push_back(g.own(GEOSBoundary_r(g.handle(), geoms[i].get()), "boundary"));
        boundaries_raw.push_back(boundaries.back().get());
    }
    auto noded = g.unary_union(g.collect(boundaries_raw).get());
    const GEOSGeometry* arr[] = {noded.get()};
    auto faces = g.own(GEOSPolygonize_r(g.handle(), arr, 1), "polygonize");

    // each face to the first feature holding its interior point (the CoverageIndex
    // rule: first in input order where features overlap)
    std::vector<CoverageIndex::Polygon> polys;
    for (const auto i : which) polys.push_back({std::to_string(i), wkbs[i]});
    const CoverageIndex index(polys);
    std::vector<std::vector<const GEOSGeometry*>> owned(which.size());
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
    // each feature as the union of its faces (exact: one noded network)
    for (std::size_t k = 0; k < which.size(); ++k) {
        out[which[k]].clear();
        if (owned[k].empty()) continue;
        auto merged = owned[k].size() == 1 ? g.own(GEOSGeom_clone_r(g.handle(), owned[k][0]), "clone")
                                           : g.own(GEOSCoverageUnion_r(g.handle(), g.collect(owned[k]).get()), "union");
        out[which[k]] = read_polygons(g, merged.get());
    }
}

bool xy_less(const XY& p, const XY& q) {
    return std::tie(p.x, p.y) < std::tie(q.x, q.y);
}

double area2(const Ring& r) {
    double a = 0;
    for (std::size_t j = 0; j + 1 < r.size(); ++j) a += (r[j].x - r[0].x) * (r[j + 1].y - r[0].y) - (r[j + 1].x - r[0].x) * (r[j].y - r[0].y);
    return a;
}

} // namespace

Coverage::Coverage(const std::vector<std::vector<unsigned char>>& wkbs, Build build) : impl_(std::make_unique<Impl>()) {
    auto& g = geos::Context::local();
    const std::size_t n = wkbs.size();
    std::vector<geos::Geometry> geoms;
    // checked and fixed in lon/lat, where the input's edges are straight (a
    // T-junction vertex on a straight edge in degrees is not on its chord in Web
    // Mercator); projected once made clean
    std::vector<MultiPolygon> features(n);
    for (std::size_t i = 0; i < n; ++i) {
        geoms.push_back(g.from_wkb(wkbs[i].data(), wkbs[i].size()));
        features[i] = read_polygons(g, geoms.back().get());
    }
    std::vector<std::size_t> all(n);
    std::iota(all.begin(), all.end(), std::size_t{0});
    Method& m = impl_->method;
    if (build == Build::node_all) {
        m.name = "noded";
        node_features(g, geoms, wkbs, all, features);
    } else {
        // points a hair apart merged, T-junction vertices inserted into the
        // neighbour's edge: no new coordinates; a few rounds, as a fix can reveal
        // the next one
        auto settle = [&](std::vector<MultiPolygon>& fs, std::size_t& fixes) {
            CoverageCheck check = check_coverage(fs);
            for (int round = 0; round < 6 && !check.clean && (!check.splits.empty() || !check.merges.empty()); ++round) {
                fixes += check.merges.empty() ? check.splits.size() : check.merges.size();
                apply_fixes(fs, check);
                check = check_coverage(fs);
            }
            return check;
        };
        const CoverageCheck first = check_coverage(features);
        m.first_problem = first.first_problem;
        const CoverageCheck check = first.clean ? first : settle(features, m.fixed);
        if (check.clean) {
            m.name = m.fixed ? "repaired" : "clean";
        } else if (!check.bad.empty()) {
            // node again only the features still at fault, then prove the whole
            // clean; a repaired border can still touch a neighbour (a new node
            // rounded near its edge): add the neighbour and try again, a few
            // times; then node everything
            std::vector<std::size_t> at_fault = check.bad;
            for (int round = 0; round < 4 && at_fault.size() <= n / 2; ++round) {
                std::vector<MultiPolygon> repaired = features;
                node_features(g, geoms, wkbs, at_fault, repaired);  // from their input geometry
                std::size_t fixed = 0;
                const CoverageCheck again = settle(repaired, fixed);
                if (again.clean) {
                    m.name = "repaired";
                    m.renoded = at_fault.size();
                    m.fixed += fixed;
                    features = std::move(repaired);
                    break;
                }
                std::vector<std::size_t> more;
                std::set_union(at_fault.begin(), at_fault.end(), again.bad.begin(), again.bad.end(), std::back_inserter(more));
                if (more.size() == at_fault.size()) break;  // no progress
                at_fault = std::move(more);
            }
        }
        if (m.name.empty()) {
            m.name = "noded";
            m.fixed = m.renoded = 0;
            node_features(g, geoms, wkbs, all, features);
        }
    }
    for (auto& f : features) f = project(f);
    impl_->build_arcs(features);
}

void Coverage::Impl::build_arcs(const std::vector<MultiPolygon>& features) {
    const std::size_t n = features.size();
    rings.assign(n, {});
    polygon_starts.assign(n, {});
    env.assign(n, {0, 0, 0, 0});

    // every ring in one canonical form whatever made it: exterior
    // counter-clockwise, holes clockwise; holes, then polygons, by lowest vertex
    std::vector<std::vector<Ring>> feature_rings(n);  // feature -> rings, polygon by polygon
    std::unordered_map<XY, std::vector<XY>, PointHash> neighbours;  // vertex -> distinct adjacent vertices
    auto add_neighbour = [&](const XY& a, const XY& b) {
        auto& v = neighbours[a];
        if (std::find(v.begin(), v.end(), b) == v.end()) v.push_back(b);
    };
    for (std::size_t i = 0; i < n; ++i) {
        std::array<double, 4> e{INFINITY, INFINITY, -INFINITY, -INFINITY};
        std::vector<std::pair<XY, Polygon>> polys;  // lowest vertex of the exterior, polygon
        for (const auto& poly : features[i]) {
            Polygon out;
            for (std::size_t r = 0; r < poly.size(); ++r) {
                Ring pts;
                for (const auto& q : poly[r])
                    if (pts.empty() || !(pts.back() == q)) pts.push_back(q);
                if (pts.size() > 1 && !(pts.front() == pts.back())) pts.push_back(pts.front());
                const double a = pts.size() < 4 ? 0 : area2(pts);
                if (a == 0) {
                    if (r == 0) break;  // the exterior collapsed: so did the polygon
                    continue;
                }
                if ((a > 0) != (r == 0)) std::reverse(pts.begin(), pts.end());
                out.push_back(std::move(pts));
            }
            if (out.empty()) continue;
            auto lowest = [](const Ring& r) { return *std::min_element(r.begin(), r.end(), xy_less); };
            std::sort(out.begin() + 1, out.end(), [&](const Ring& a, const Ring& b) { return xy_less(lowest(a), lowest(b)); });
            polys.emplace_back(lowest(out[0]), std::move(out));
        }
        std::sort(polys.begin(), polys.end(), [](const auto& a, const auto& b) { return xy_less(a.first, b.first); });
        for (auto& [low, poly] : polys) {
            polygon_starts[i].push_back(feature_rings[i].size());
            for (auto& r : poly) {
                for (std::size_t j = 0; j + 1 < r.size(); ++j) {
                    add_neighbour(r[j], r[j + 1]);
                    add_neighbour(r[j + 1], r[j]);
                    e = {std::min(e[0], r[j].x), std::min(e[1], r[j].y), std::max(e[2], r[j].x), std::max(e[3], r[j].y)};
                }
                feature_rings[i].push_back(std::move(r));
            }
        }
        if (!polys.empty()) env[i] = e;
    }

    // --- cut rings into arcs at nodes (vertices with other than two neighbours),
    // from the ring's lowest node; a ring with no node is one arc from its lowest vertex
    std::map<std::vector<XY>, std::uint32_t, bool (*)(const std::vector<XY>&, const std::vector<XY>&)> arc_ids(
        [](const std::vector<XY>& a, const std::vector<XY>& b) { return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), xy_less); });
    auto is_node = [&](const XY& p) { return neighbours[p].size() != 2; };
    for (std::size_t i = 0; i < n; ++i) {
        for (auto& ring : feature_rings[i]) {
            ring.pop_back();  // open: the first point is not repeated
            const std::size_t k = ring.size();
            std::size_t first = k;
            for (std::size_t j = 0; j < k; ++j)
                if (is_node(ring[j]) && (first == k || xy_less(ring[j], ring[first]))) first = j;
            if (first == k) first = static_cast<std::size_t>(std::min_element(ring.begin(), ring.end(), xy_less) - ring.begin());
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
                    auto [it, fresh] = arc_ids.emplace(key, static_cast<std::uint32_t>(arcs.size()));
                    if (fresh) arcs.push_back(key);
                    uses.push_back({it->second, reversed});
                    cur.assign(1, p);
                }
            }
            rings[i].push_back(std::move(uses));
        }
    }
}

Coverage::~Coverage() = default;
Coverage::Coverage(Coverage&&) noexcept = default;
Coverage& Coverage::operator=(Coverage&&) noexcept = default;

const Coverage::Method& Coverage::method() const noexcept {
    return impl_->method;
}

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

MultiPolygon Coverage::merged(const std::vector<std::size_t>& features, double tolerance) const {
    const Impl& m = *impl_;
    // an arc walked both ways inside the group lies between two of its features
    std::map<std::uint32_t, int> net;
    std::vector<std::size_t> fs = features;
    std::sort(fs.begin(), fs.end());
    fs.erase(std::unique(fs.begin(), fs.end()), fs.end());
    for (const auto f : fs)
        for (const auto& ring : m.rings[f])
            for (const auto& u : ring) net[u.arc] += u.reversed ? -1 : 1;
    std::vector<std::vector<XY>> pieces;
    for (const auto& [arc, k] : net) {
        if (k == 0) continue;
        std::vector<XY> pts = (tolerance > 0 && tolerance != m.prepared_tol) ? simplify_line(m.arcs[arc], tolerance) : m.arc_at(arc, tolerance);
        if (k < 0) std::reverse(pts.begin(), pts.end());
        pieces.push_back(std::move(pts));
    }
    // chain the pieces end to start into closed rings
    std::unordered_multimap<XY, std::size_t, PointHash> by_start;
    for (std::size_t i = 0; i < pieces.size(); ++i) by_start.emplace(pieces[i].front(), i);
    std::vector<char> used(pieces.size(), 0);
    std::vector<Ring> outers, holes;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        if (used[i]) continue;
        used[i] = 1;
        Ring r = pieces[i];
        while (!(r.back() == r.front())) {
            // where several pieces leave one node (groups touching at a corner),
            // take the first clockwise from where we came from: the region stays on
            // the left and the ring closes around it, no figure-8
            const XY& at = r.back();
            const XY& from = r[r.size() - 2];
            const double back = std::atan2(from.y - at.y, from.x - at.x);
            std::size_t next = pieces.size();
            double best = INFINITY;
            for (auto [it, end] = by_start.equal_range(at); it != end; ++it) {
                if (used[it->second]) continue;
                const XY& to = pieces[it->second][1];
                double cw = back - std::atan2(to.y - at.y, to.x - at.x);
                while (cw <= 0) cw += 2 * M_PI;
                if (cw < best) best = cw, next = it->second;
            }
            if (next == pieces.size()) break;  // not closed: cannot happen in a coverage
            used[next] = 1;
            r.insert(r.end(), pieces[next].begin() + 1, pieces[next].end());
        }
        if (r.size() < 4 || !(r.back() == r.front())) continue;
        const double a = area2(r);
        if (a > 0) outers.push_back(std::move(r));
        else if (a < 0) holes.push_back(std::move(r));
    }
    // each hole to the smallest outer ring around it
    MultiPolygon out;
    for (auto& o : outers) out.push_back({std::move(o)});
    auto inside = [](const XY& p, const Ring& r) {
        bool in = false;
        for (std::size_t j = 0; j + 1 < r.size(); ++j) {
            const XY &a = r[j], &b = r[j + 1];
            if ((a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y)) in = !in;
        }
        return in;
    };
    for (auto& h : holes) {
        // the middle of a hole's segment: on no outer ring (arcs are distinct), even
        // where the hole touches it at every vertex
        const XY mid{(h[0].x + h[1].x) / 2, (h[0].y + h[1].y) / 2};
        std::size_t best = out.size();
        for (std::size_t k = 0; k < out.size(); ++k) {
            if (!inside(mid, out[k][0])) continue;
            if (best == out.size() || area2(out[k][0]) < area2(out[best][0])) best = k;
        }
        if (best < out.size()) out[best].push_back(std::move(h));
    }
    return out;
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
