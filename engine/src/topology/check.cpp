// check_coverage: is a layer of polygons already a clean coverage, and if not,
// which features are involved? See topology.hpp for the rules.
//
// The test is exact or it declines: every orientation is computed in doubles with
// Shewchuk's error bound for orient2d; a result inside the bound counts as "maybe
// touching", which marks the features for noding. A false "clean" is therefore not
// possible from rounding; a false "not clean" only costs the slow path. On top of
// that, points within the snap distance are one point: near misses that would keep
// two neighbours' arcs apart (and let simplification open a sliver) are reported as
// merges or splits, not accepted as clean.
#include "wangge/topology.hpp"

#include "topology/point_hash.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <unordered_map>
#include <utility>

namespace wangge::topology {

namespace {

// (3 + 16 eps) eps: Shewchuk's ccwerrboundA, which also covers the rounding of
// the coordinate differences.
constexpr double orient_bound = 3.3306690738754716e-16;
// How far (relative to the coordinates' size) two points, or a vertex and an edge,
// may be apart and still count as touching: 1.2e-7° at 120°E, about 1 cm, far below
// a tile unit at z16 (15 cm) and above the few units in the last place by which
// noders round intersection points (partition cuts, county clipping).
constexpr double snap_relative = 1e-9;

/// +1 if r is certainly left of p->q (p, q, r counter-clockwise), -1 if certainly
/// right, 0 if collinear or too close to call.
int orient(const XY& p, const XY& q, const XY& r) noexcept {
    const double l = (p.x - r.x) * (q.y - r.y);
    const double rr = (p.y - r.y) * (q.x - r.x);
    const double det = l - rr;
    const double bound = orient_bound * (std::abs(l) + std::abs(rr));
    if (det > bound) return 1;
    if (-det > bound) return -1;
    return 0;
}

/// The snap distance around a and b: how far apart two points (or a point and an
/// edge) may be and still be taken as one; relative to the coordinates' size.
double snap_of(const XY& a, const XY& b) noexcept {
    return snap_relative * std::max({1.0, std::abs(a.x), std::abs(a.y), std::abs(b.x), std::abs(b.y)});
}

bool near(const XY& a, const XY& b) noexcept {
    return std::hypot(a.x - b.x, a.y - b.y) <= snap_of(a, b);
}

/// One ring walked as a directed edge list: u -> v with the feature on its left.
struct Use {
    std::uint32_t lo, hi;  // undirected key (lo < hi)
    bool forward;          // walked lo -> hi
    std::int32_t feature;
};

struct Edge {
    std::uint32_t lo, hi;
    std::int32_t left = -1, right = -1;  // feature left / right of lo -> hi
    std::uint32_t first_use, uses;       // range in the sorted uses
};

struct Checker {
    const std::vector<MultiPolygon>& features;
    std::vector<XY> pts;                          // vertex id -> point
    std::unordered_map<XY, std::uint32_t, PointHash> ids;
    std::vector<Use> uses;
    std::vector<Edge> edges;
    std::vector<std::vector<std::uint32_t>> rings;  // ring -> vertex ids, closed, oriented (exterior ccw)
    std::vector<std::int32_t> ring_feature;
    std::vector<char> bad;
    std::string first_problem;
    std::size_t problems = 0;
    std::vector<CoverageCheck::Split> splits;
    std::vector<CoverageCheck::Merge> merges;

    explicit Checker(const std::vector<MultiPolygon>& f) : features(f), bad(f.size(), 0) {}

    /// The first problem found, for messages (formatted only then: fixes are many).
    template <typename... Args>
    void note(fmt::format_string<Args...> what, Args&&... args) {
        if (first_problem.empty()) first_problem = fmt::format(what, std::forward<Args>(args)...);
    }

    void flag(std::int32_t f, const char* why) {
        if (f < 0) return;
        if (!bad[static_cast<std::size_t>(f)]) ++problems;
        bad[static_cast<std::size_t>(f)] = 1;
        note("feature {}: {}", f, why);
    }
    void flag_edge(const Edge& e, const char* why) {
        note("feature {}: {}, at {:.9f} {:.9f} - {:.9f} {:.9f}", uses[e.first_use].feature, why, pts[e.lo].x, pts[e.lo].y, pts[e.hi].x,
             pts[e.hi].y);
        for (std::uint32_t k = e.first_use; k < e.first_use + e.uses; ++k) flag(uses[k].feature, why);
    }

    std::uint32_t id(const XY& p) {
        auto [it, fresh] = ids.emplace(p, static_cast<std::uint32_t>(pts.size()));
        if (fresh) pts.push_back(p);
        return it->second;
    }

    // --- rings, uses, edges ------------------------------------------------
    void collect() {
        for (std::size_t f = 0; f < features.size(); ++f) {
            const auto fi = static_cast<std::int32_t>(f);
            for (const auto& poly : features[f])
                for (std::size_t r = 0; r < poly.size(); ++r) {
                    std::vector<std::uint32_t> ring;
                    for (const auto& p : poly[r]) {
                        const std::uint32_t v = id(p);
                        if (ring.empty() || ring.back() != v) ring.push_back(v);
                    }
                    if (ring.size() > 1 && ring.front() == ring.back()) ring.pop_back();
                    if (ring.size() < 3) {
                        flag(fi, "a ring with fewer than 3 distinct points");
                        continue;
                    }
                    double a2 = 0;  // twice the signed area, relative to the first point
                    const XY o = pts[ring[0]];
                    for (std::size_t j = 1; j + 1 < ring.size(); ++j) {
                        const XY& p = pts[ring[j]];
                        const XY& q = pts[ring[j + 1]];
                        a2 += (p.x - o.x) * (q.y - o.y) - (q.x - o.x) * (p.y - o.y);
                    }
                    if (a2 == 0) {
                        flag(fi, "a ring without area");
                        continue;
                    }
                    // exterior counter-clockwise, holes clockwise: the feature on the left
                    if ((a2 > 0) != (r == 0)) std::reverse(ring.begin(), ring.end());
                    ring.push_back(ring.front());
                    for (std::size_t j = 0; j + 1 < ring.size(); ++j) {
                        const std::uint32_t u = ring[j], v = ring[j + 1];
                        uses.push_back({std::min(u, v), std::max(u, v), u < v, fi});
                    }
                    rings.push_back(std::move(ring));
                    ring_feature.push_back(fi);
                }
        }
        std::sort(uses.begin(), uses.end(), [](const Use& a, const Use& b) {
            return std::tie(a.lo, a.hi, a.feature, a.forward) < std::tie(b.lo, b.hi, b.feature, b.forward);
        });
        for (std::uint32_t k = 0; k < uses.size();) {
            std::uint32_t n = 1;
            while (k + n < uses.size() && uses[k + n].lo == uses[k].lo && uses[k + n].hi == uses[k].hi) ++n;
            Edge e{uses[k].lo, uses[k].hi, -1, -1, k, n};
            if (n > 2) {
                edges.push_back(e);
                flag_edge(e, "an edge used by more than two rings (overlap)");
            } else {
                for (std::uint32_t j = k; j < k + n; ++j) (uses[j].forward ? e.left : e.right) = uses[j].feature;
                if (n == 2 && (uses[k].forward == uses[k + 1].forward || uses[k].feature == uses[k + 1].feature))
                    flag_edge(e, uses[k].feature == uses[k + 1].feature ? "an edge inside the feature" : "an edge shared on the same side (overlap)");
                edges.push_back(e);
            }
            k += n;
        }
    }

    // --- noding: no two edges meet except at a shared end point -----------------
    bool disjoint(const Edge& a, const Edge& b) const {
        const XY &p1 = pts[a.lo], &p2 = pts[a.hi], &q1 = pts[b.lo], &q2 = pts[b.hi];
        std::uint32_t shared = UINT32_MAX, pa = 0, qb = 0;
        if (a.lo == b.lo) shared = a.lo, pa = a.hi, qb = b.hi;
        else if (a.lo == b.hi) shared = a.lo, pa = a.hi, qb = b.lo;
        else if (a.hi == b.lo) shared = a.hi, pa = a.lo, qb = b.hi;
        else if (a.hi == b.hi) shared = a.hi, pa = a.lo, qb = b.lo;
        if (shared != UINT32_MAX) {
            // two edges from one vertex meet elsewhere only when collinear and
            // pointing the same way
            const XY &s = pts[shared], &x = pts[pa], &y = pts[qb];
            if (orient(x, y, s) != 0) return true;
            const double dot = (x.x - s.x) * (y.x - s.x) + (x.y - s.y) * (y.y - s.y);
            return dot < 0 && -dot > orient_bound * (std::abs((x.x - s.x) * (y.x - s.x)) + std::abs((x.y - s.y) * (y.y - s.y)));
        }
        const int o1 = orient(p1, p2, q1), o2 = orient(p1, p2, q2);
        if (o1 != 0 && o1 == o2) return true;
        const int o3 = orient(q1, q2, p1), o4 = orient(q1, q2, p2);
        return o3 != 0 && o3 == o4;
    }

    /// Vertex v lies on edge e, between its ends, up to the snap distance.
    bool lies_inside(const Edge& e, std::uint32_t v) const {
        if (v == e.lo || v == e.hi) return false;
        const XY &a = pts[e.lo], &b = pts[e.hi], &p = pts[v];
        const double snap = snap_of(a, b);
        const double dx = b.x - a.x, dy = b.y - a.y, len = std::hypot(dx, dy);
        const double along = ((p.x - a.x) * dx + (p.y - a.y) * dy) / len;  // from a, towards b
        const double across = std::abs((p.x - a.x) * dy - (p.y - a.y) * dx) / len;
        // merges (an end point within the snap distance) are found first
        return across <= snap && along > 0 && along < len;
    }

    void check_noding() {
        if (edges.size() < 2) return;
        double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
        for (const auto& p : pts) {
            const double g = snap_of(p, p);
            minx = std::min(minx, p.x - g), maxx = std::max(maxx, p.x + g);
            miny = std::min(miny, p.y - g), maxy = std::max(maxy, p.y + g);
        }
        const double w = std::max(maxx - minx, 1e-300), h = std::max(maxy - miny, 1e-300);
        // about two edges a cell
        const double cells = std::max(1.0, static_cast<double>(edges.size()) / 2);
        auto nx = static_cast<std::uint32_t>(std::clamp(std::sqrt(cells * w / h), 1.0, 4096.0));
        auto ny = static_cast<std::uint32_t>(std::clamp(cells / nx, 1.0, 4096.0));
        auto cx = [&](double x) { return std::min(nx - 1, static_cast<std::uint32_t>((x - minx) / w * nx)); };
        auto cy = [&](double y) { return std::min(ny - 1, static_cast<std::uint32_t>((y - miny) / h * ny)); };
        struct Box {
            double x0, y0, x1, y1;
        };
        std::vector<Box> box(edges.size());
        for (std::size_t i = 0; i < edges.size(); ++i) {
            const XY &a = pts[edges[i].lo], &b = pts[edges[i].hi];
            const double g = snap_of(a, b);
            box[i] = {std::min(a.x, b.x) - g, std::min(a.y, b.y) - g, std::max(a.x, b.x) + g, std::max(a.y, b.y) + g};
        }
        // long edges across a fine grid fill many cells: coarsen until the entries
        // stay within a bound
        auto entries = [&] {
            std::size_t n = 0;
            for (const auto& b : box) n += std::size_t(cx(b.x1) - cx(b.x0) + 1) * (cy(b.y1) - cy(b.y0) + 1);
            return n;
        };
        while ((nx > 1 || ny > 1) && entries() > 64 * edges.size() + (1u << 20)) nx = std::max(1u, nx / 2), ny = std::max(1u, ny / 2);
        std::vector<std::size_t> start(std::size_t(nx) * ny + 1, 0);
        for (const auto& b : box)
            for (auto y = cy(b.y0); y <= cy(b.y1); ++y)
                for (auto x = cx(b.x0); x <= cx(b.x1); ++x) ++start[std::size_t(y) * nx + x + 1];
        std::partial_sum(start.begin(), start.end(), start.begin());
        std::vector<std::size_t> fill(start.begin(), start.end() - 1);
        std::vector<std::uint32_t> cell(start.back());
        for (std::size_t i = 0; i < edges.size(); ++i)
            for (auto y = cy(box[i].y0); y <= cy(box[i].y1); ++y)
                for (auto x = cx(box[i].x0); x <= cx(box[i].x1); ++x) cell[fill[std::size_t(y) * nx + x]++] = static_cast<std::uint32_t>(i);
        for (std::uint32_t y = 0; y < ny; ++y)
            for (std::uint32_t x = 0; x < nx; ++x) {
                const std::size_t c = std::size_t(y) * nx + x;
                for (std::size_t i = start[c]; i < start[c + 1]; ++i)
                    for (std::size_t j = i + 1; j < start[c + 1]; ++j) {
                        const Box &a = box[cell[i]], &b = box[cell[j]];
                        if (a.x1 < b.x0 || b.x1 < a.x0 || a.y1 < b.y0 || b.y1 < a.y0) continue;
                        // test a pair once: in the cell of its boxes' overlap corner
                        if (cx(std::max(a.x0, b.x0)) != x || cy(std::max(a.y0, b.y0)) != y) continue;
                        check_pair(edges[cell[i]], edges[cell[j]]);
                    }
            }
    }

    /// Two edges whose boxes (grown by the snap distance) overlap: near-equal end
    /// points are merged, an end point on the other edge is inserted into it, and
    /// what remains must not touch at all.
    void check_pair(const Edge& e, const Edge& f) {
        bool fixable = false;
        for (const auto u : {e.lo, e.hi})
            for (const auto v : {f.lo, f.hi})
                if (u != v && near(pts[u], pts[v])) {
                    note("feature {}: a vertex a hair from one of feature {}, at {:.9f} {:.9f}", uses[e.first_use].feature,
                                     uses[f.first_use].feature, pts[u].x, pts[u].y);
                    merges.push_back({pts[u], pts[v]});
                    fixable = true;
                }
        if (fixable) return;  // merge first, then look again
        for (const auto& [on, from] : {std::pair{&e, &f}, std::pair{&f, &e}})
            for (const auto v : {from->lo, from->hi})
                if (lies_inside(*on, v)) {
                    note("feature {}: a vertex of feature {} on its edge (T-junction), at {:.9f} {:.9f}", uses[on->first_use].feature,
                                     uses[from->first_use].feature, pts[v].x, pts[v].y);
                    splits.push_back({pts[on->lo], pts[on->hi], pts[v]});
                    fixable = true;
                }
        if (!fixable && !disjoint(e, f)) {
            flag_edge(e, "an edge crossing another one");
            flag_edge(f, "an edge crossing another one");
        }
    }

    // --- around each vertex, the sides of consecutive edges agree ----------------
    struct Incident {
        std::uint32_t other;
        std::int32_t left, right;  // seen leaving the vertex
    };
    std::vector<std::uint32_t> inc_start;
    std::vector<Incident> inc;

    void build_incidence() {
        inc_start.assign(pts.size() + 1, 0);
        for (const auto& e : edges) ++inc_start[e.lo + 1], ++inc_start[e.hi + 1];
        std::partial_sum(inc_start.begin(), inc_start.end(), inc_start.begin());
        inc.resize(inc_start.back());
        std::vector<std::uint32_t> fill(inc_start.begin(), inc_start.end() - 1);
        for (const auto& e : edges) {
            inc[fill[e.lo]++] = {e.hi, e.left, e.right};
            inc[fill[e.hi]++] = {e.lo, e.right, e.left};
        }
    }

    /// Edges around v sorted counter-clockwise from east; false when two
    /// directions are too close to order.
    bool sorted_around(std::uint32_t v, std::vector<Incident>& out) const {
        out.assign(inc.begin() + inc_start[v], inc.begin() + inc_start[v + 1]);
        const XY& c = pts[v];
        auto upper = [&](const Incident& i) {
            const XY& p = pts[i.other];
            return p.y > c.y || (p.y == c.y && p.x > c.x);
        };
        bool ok = true;
        auto before = [&](const Incident& a, const Incident& b) {
            const bool ua = upper(a), ub = upper(b);
            if (ua != ub) return ua;
            const XY &p = pts[a.other], &q = pts[b.other];
            const int o = orient(p, q, c);
            if (o != 0) return o > 0;
            // too close to call by orientation: nearly opposite directions in one
            // half-plane are still ordered (the east-pointing one comes first in
            // the upper half, last in the lower); nearly the same direction is not
            if ((p.x - c.x) * (q.x - c.x) + (p.y - c.y) * (q.y - c.y) < 0 && (p.x > c.x) != (q.x > c.x)) return (p.x > c.x) == ua;
            ok = false;
            return false;
        };
        for (std::size_t i = 1; i < out.size(); ++i)  // insertion sort: few edges, and a comparator that may give up
            for (std::size_t j = i; j > 0 && before(out[j], out[j - 1]); --j) std::swap(out[j], out[j - 1]);
        return ok;
    }

    void check_sectors() {
        std::vector<Incident> around;
        for (std::uint32_t v = 0; v < pts.size(); ++v) {
            const std::uint32_t deg = inc_start[v + 1] - inc_start[v];
            if (deg == 2) {
                const Incident &a = inc[inc_start[v]], &b = inc[inc_start[v] + 1];
                if (a.left != b.right || b.left != a.right) {
                    note("feature {}: overlapping feature {} at a vertex, at {:.9f} {:.9f}", a.left, b.right, pts[v].x, pts[v].y);
                    for (auto f : {a.left, a.right, b.left, b.right}) flag(f, "overlapping another feature at a vertex");
                }
                continue;
            }
            if (!sorted_around(v, around)) {
                if (first_problem.empty()) {
                    first_problem = fmt::format("edges too close to order at {:.17g} {:.17g}:", pts[v].x, pts[v].y);
                    for (const auto& i : around) first_problem += fmt::format(" to {:.17g} {:.17g} ({} | {})", pts[i.other].x, pts[i.other].y, i.left, i.right);
                }
                for (const auto& i : around) flag(i.left, "edges too close to order at a vertex"), flag(i.right, "edges too close to order at a vertex");
                continue;
            }
            for (std::size_t k = 0; k < around.size(); ++k) {
                const Incident &a = around[k], &b = around[(k + 1) % around.size()];
                if (a.left != b.right) {
                    note("feature {}: overlapping feature {} at a vertex, at {:.9f} {:.9f}", a.left, b.right, pts[v].x, pts[v].y);
                    for (auto f : {a.left, b.right}) flag(f, "overlapping another feature at a vertex");
                }
            }
        }
    }

    // --- each connected piece sits where its outside says ------------------------
    using Tree = boost::geometry::index::rtree<
        std::pair<boost::geometry::model::box<boost::geometry::model::point<double, 2, boost::geometry::cs::cartesian>>, std::uint32_t>,
        boost::geometry::index::quadratic<16>>;
    std::unique_ptr<Tree> tree;  // ring envelopes

    std::vector<std::uint32_t> parent;
    std::uint32_t find(std::uint32_t v) {
        while (parent[v] != v) v = parent[v] = parent[parent[v]];
        return v;
    }

    void check_components() {
        parent.resize(pts.size());
        std::iota(parent.begin(), parent.end(), 0u);
        for (const auto& e : edges) parent[find(e.lo)] = find(e.hi);
        // lowest vertex (x, then y) of each component: its outside is the unbounded face
        std::unordered_map<std::uint32_t, std::uint32_t> lowest;
        for (std::uint32_t v = 0; v < pts.size(); ++v) {
            auto [it, fresh] = lowest.emplace(find(v), v);
            const XY &p = pts[v], &q = pts[it->second];
            if (!fresh && std::tie(p.x, p.y) < std::tie(q.x, q.y)) it->second = v;
        }
        if (lowest.size() < 2) {
            // one piece: its outside must be outside every feature
            for (const auto& [comp, v] : lowest) check_piece(comp, v, false);
            return;
        }
        namespace bg = boost::geometry;
        using Pt = bg::model::point<double, 2, bg::cs::cartesian>;
        using Box = bg::model::box<Pt>;
        std::vector<Tree::value_type> boxes;
        for (std::uint32_t r = 0; r < rings.size(); ++r) {
            Box b(Pt(INFINITY, INFINITY), Pt(-INFINITY, -INFINITY));
            for (auto v : rings[r]) bg::expand(b, Pt(pts[v].x, pts[v].y));
            boxes.emplace_back(b, r);
        }
        tree = std::make_unique<Tree>(boxes);
        for (const auto& [comp, v] : lowest) check_piece(comp, v, true);
    }

    void check_piece(std::uint32_t comp, std::uint32_t v, bool others) {
        std::vector<Incident> around;
        if (!sorted_around(v, around) || around.empty()) {
            for (const auto& i : around) flag(i.left, "edges too close to order at a vertex"), flag(i.right, "edges too close to order at a vertex");
            return;
        }
        // every direction from the lowest vertex points east-ish or straight up; the
        // outside is the sector holding "straight down": after the last edge of the
        // upper half (or the last edge, when all point down-east)
        std::size_t last = around.size() - 1;
        for (std::size_t k = 0; k < around.size(); ++k) {
            const XY& p = pts[around[k].other];
            if (p.y > pts[v].y || (p.y == pts[v].y && p.x > pts[v].x)) last = k;
        }
        const std::int32_t outside = around[last].left, inside = around[last].right;
        if (!others) {
            if (outside != -1) flag(outside, "a feature around the whole layer (inverted ring)");
            return;
        }
        // winding number of v in each feature, counting rings of other pieces only
        namespace bg = boost::geometry;
        using Pt = bg::model::point<double, 2, bg::cs::cartesian>;
        std::unordered_map<std::int32_t, int> winding;
        const XY& c = pts[v];
        for (auto it = tree->qbegin(bg::index::intersects(Pt(c.x, c.y))); it != tree->qend(); ++it) {
            const std::uint32_t r = it->second;
            if (find(rings[r][0]) == comp) continue;
            int w = 0;
            bool sure = true;
            const auto& ring = rings[r];
            for (std::size_t j = 0; j + 1 < ring.size(); ++j) {
                const XY &a = pts[ring[j]], &b = pts[ring[j + 1]];
                if ((a.y <= c.y) == (b.y <= c.y)) continue;
                const int o = orient(a, b, c);
                if (o == 0) sure = false;
                if (a.y <= c.y && o > 0) ++w;
                else if (a.y > c.y && o < 0) --w;
            }
            if (!sure) {
                flag(ring_feature[r], "a vertex too close to call");
                flag(outside, "a vertex too close to call");
            }
            if (w != 0) winding[ring_feature[r]] += w;
        }
        for (const auto& [f, w] : winding)
            if (w != (f == outside ? 1 : 0)) {
                note("feature {}: inside feature {} (overlap), at {:.9f} {:.9f}", inside, f, c.x, c.y);
                for (auto g : {f, outside, inside}) flag(g, "inside another feature (overlap)");
            }
        if (outside != -1 && !winding.count(outside)) {
            note("feature {}: a hole outside its own polygon, at {:.9f} {:.9f}", outside, c.x, c.y);
            flag(outside, "a hole outside its own polygon");
        }
    }
};

} // namespace

CoverageCheck check_coverage(const std::vector<MultiPolygon>& features) {
    Checker c(features);
    c.collect();
    c.check_noding();
    const bool noded = c.problems == 0 && c.splits.empty() && c.merges.empty();
    if (noded) {
        c.build_incidence();
        c.check_sectors();
    }
    if (noded && c.problems == 0) c.check_components();
    CoverageCheck out;
    out.clean = noded && c.problems == 0;
    auto same_split = [](const CoverageCheck::Split& a, const CoverageCheck::Split& b) { return a.a == b.a && a.b == b.b && a.vertex == b.vertex; };
    auto split_less = [](const CoverageCheck::Split& a, const CoverageCheck::Split& b) {
        return std::tie(a.a.x, a.a.y, a.b.x, a.b.y, a.vertex.x, a.vertex.y) < std::tie(b.a.x, b.a.y, b.b.x, b.b.y, b.vertex.x, b.vertex.y);
    };
    std::sort(c.splits.begin(), c.splits.end(), split_less);
    c.splits.erase(std::unique(c.splits.begin(), c.splits.end(), same_split), c.splits.end());
    out.splits = std::move(c.splits);
    out.merges = std::move(c.merges);
    for (std::size_t f = 0; f < c.bad.size(); ++f)
        if (c.bad[f]) out.bad.push_back(f);
    out.first_problem = c.first_problem;
    out.vertices = c.pts.size();
    out.edges = c.edges.size();
    return out;
}

namespace {

/// Drop zero-width spikes (a -> b -> a) and repeated points from a closed ring: a
/// sliver that a merge or split has flattened to nothing.
void remove_spikes(Ring& ring) {
    if (ring.size() < 2) return;
    std::vector<XY> st;
    for (std::size_t j = 0; j + 1 < ring.size(); ++j) {
        const XY& q = ring[j];
        if (!st.empty() && st.back() == q) continue;
        if (st.size() >= 2 && st[st.size() - 2] == q) {
            st.pop_back();
            continue;
        }
        st.push_back(q);
    }
    for (bool changed = true; changed && st.size() >= 2;) {  // across the ring's start
        changed = true;
        if (st.front() == st.back()) st.pop_back();
        else if (st.size() >= 3 && st[st.size() - 2] == st.front()) st.pop_back();
        else if (st.size() >= 3 && st.back() == st[1]) st.erase(st.begin());
        else changed = false;
    }
    if (!st.empty()) st.push_back(st.front());
    ring = std::move(st);
}

} // namespace

void apply_fixes(std::vector<MultiPolygon>& features, const CoverageCheck& check) {
    if (!check.merges.empty()) {
        // near-equal points become the lowest of their cluster
        std::unordered_map<XY, XY, PointHash> parent;
        auto find = [&](XY p) {
            for (auto it = parent.find(p); it != parent.end() && !(it->second == p); it = parent.find(p)) p = it->second;
            return p;
        };
        // no chains: a cluster spans at most twice the snap distance (a long run
        // of close points is not one point)
        std::unordered_map<XY, std::array<double, 4>, PointHash> extent;  // root -> box of its points
        auto box_of = [&](const XY& r) {
            const auto it = extent.find(r);
            return it != extent.end() ? it->second : std::array<double, 4>{r.x, r.y, r.x, r.y};
        };
        for (const auto& m : check.merges) {
            const XY a = find(m.a), b = find(m.b);
            if (a == b) continue;
            const auto ea = box_of(a), eb = box_of(b);
            const std::array<double, 4> e{std::min(ea[0], eb[0]), std::min(ea[1], eb[1]), std::max(ea[2], eb[2]), std::max(ea[3], eb[3])};
            if (std::hypot(e[2] - e[0], e[3] - e[1]) > 2 * snap_of(a, b)) continue;
            extent[std::tie(a.x, a.y) < std::tie(b.x, b.y) ? a : b] = e;
            const bool a_low = std::tie(a.x, a.y) < std::tie(b.x, b.y);
            parent[a_low ? b : a] = a_low ? a : b;
        }
        for (auto& f : features)
            for (auto& poly : f)
                for (auto& ring : poly) {
                    Ring out;
                    for (const auto& p : ring) {
                        const XY q = find(p);
                        if (out.empty() || !(out.back() == q)) out.push_back(q);
                    }
                    ring = std::move(out);
                    remove_spikes(ring);
                }
        return;  // splits were found against the points before merging: look again
    }
    if (check.splits.empty()) return;
    struct KeyHash {
        std::size_t operator()(const std::pair<XY, XY>& k) const noexcept { return PointHash{}(k.first) * 31 + PointHash{}(k.second); }
    };
    auto key = [](const XY& a, const XY& b) { return std::tie(a.x, a.y) < std::tie(b.x, b.y) ? std::pair{a, b} : std::pair{b, a}; };
    std::unordered_map<std::pair<XY, XY>, std::vector<XY>, KeyHash> on_edge;
    for (const auto& s : check.splits) {
        auto& v = on_edge[key(s.a, s.b)];
        if (std::find(v.begin(), v.end(), s.vertex) == v.end()) v.push_back(s.vertex);
    }
    for (auto& f : features)
        for (auto& poly : f)
            for (auto& ring : poly) {
                Ring out;
                for (std::size_t j = 0; j + 1 < ring.size(); ++j) {
                    const XY &p = ring[j], &q = ring[j + 1];
                    out.push_back(p);
                    const auto it = on_edge.find(key(p, q));
                    if (it == on_edge.end()) continue;
                    std::vector<XY> add = it->second;
                    auto d2 = [&](const XY& v) { return (v.x - p.x) * (v.x - p.x) + (v.y - p.y) * (v.y - p.y); };
                    std::sort(add.begin(), add.end(), [&](const XY& a, const XY& b) { return d2(a) < d2(b); });
                    out.insert(out.end(), add.begin(), add.end());
                }
                if (!ring.empty()) out.push_back(ring.back());
                ring = std::move(out);
                remove_spikes(ring);
            }
}

} // namespace wangge::topology
