// Partition of one village into grids. See wangge/partition.hpp for the design and
// docs/partition.md for its guarantees.
#include "wangge/partition.hpp"

#include "geometry/geos.hpp"

#include "wangge/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>

namespace wangge {

void SizePolicy::validate() const {
    auto band = [](int min, int max, const char* min_opt, const char* max_opt, const char* what) {
        for (const auto& [v, opt] : {std::pair(min, min_opt), std::pair(max, max_opt)})
            if (v < 1 || v > max_households)
                throw usage_error(fmt::format("{} {}: households per grid must be in 1..{}", opt, v, max_households));
        if (min > max)
            throw usage_error(fmt::format("{} {} / {} {}: {} minimum {} is above the maximum {} households per grid",
                                          min_opt, min, max_opt, max, what, min, max));
    };
    band(urban_min, urban_max, "--urban-min", "--urban-max", "urban");
    band(rural_min, rural_max, "--rural-min", "--rural-max", "rural");
    if (target_grids < 0 || target_grids > max_grid_serial)
        throw usage_error(fmt::format("--grids {}: grids per village must be in 1..{}", target_grids, max_grid_serial));
    for (const auto& [v, opt] :
         {std::pair(urban_area_km2, "--urban-area-km2"), std::pair(rural_area_km2, "--rural-area-km2")})
        if (!(v >= min_area_km2 && v <= max_area_km2))
            throw usage_error(
                fmt::format("{} {:g}: km² per grid must be in {:g}..{:g}", opt, v, min_area_km2, max_area_km2));
}

bool is_urban_community(const std::string& code, const std::string& name) {
    auto ends = [&](std::string_view s) { return name.size() >= s.size() && name.ends_with(s); };
    if (ends("居委会") || ends("社区")) return true;
    if (ends("村委会") || ends("村")) return false;
    if (code.size() == 12) {
        const int serial = std::atoi(code.substr(9).c_str());
        return serial >= 1 && serial <= 199;
    }
    return false;
}

namespace {

// Metres per degree of latitude on a sphere of the authalic radius; longitude is
// scaled by cos(latitude) at the village's centre. Villages span a few km, so
// this local equirectangular frame is exact to well under 1% for the metrics.
constexpr double metres_per_degree = 6371007.2 * M_PI / 180.0;
// Cut lines overshoot the piece they cut by this much so that noding puts their
// ends exactly on its border (an end short of it by rounding would be a dangle).
constexpr double overshoot_deg = 1e-9;

struct SegKey {
    std::uint64_t a, b, c, d;
    bool operator==(const SegKey&) const = default;
};
struct SegHash {
    std::size_t operator()(const SegKey& k) const noexcept {
        std::uint64_t h = k.a * 0x9E3779B97F4A7C15ull;
        h ^= k.b + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
        h ^= k.c + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
        h ^= k.d + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
        return static_cast<std::size_t>(h);
    }
};

SegKey seg_key(double x1, double y1, double x2, double y2) {
    if (std::tie(x2, y2) < std::tie(x1, y1)) {
        std::swap(x1, x2);
        std::swap(y1, y2);
    }
    // +0.0 and -0.0 must be the same key
    auto bits = [](double v) { return std::bit_cast<std::uint64_t>(v == 0.0 ? 0.0 : v); };
    return {bits(x1), bits(y1), bits(x2), bits(y2)};
}

struct Frame {
    double kx = 0, ky = metres_per_degree;  // metres per degree of lon / lat
    double length_m(double x1, double y1, double x2, double y2) const {
        return std::hypot((x2 - x1) * kx, (y2 - y1) * ky);
    }
};

using geos::Envelope;

Envelope envelope(geos::Context& g, const GEOSGeometry* geom) {
    return g.envelope(geom);
}

geos::Geometry rect(geos::Context& g, double x0, double y0, double x1, double y1) {
    return g.own(GEOSGeom_createRectangle_r(g.handle(), x0, y0, x1, y1), "rectangle");
}

geos::Geometry point(geos::Context& g, double x, double y) {
    return g.own(GEOSGeom_createPointFromXY_r(g.handle(), x, y), "point");
}

geos::Geometry segment(geos::Context& g, double x0, double y0, double x1, double y1) {
    GEOSCoordSequence* cs = GEOSCoordSeq_create_r(g.handle(), 2, 2);
    GEOSCoordSeq_setXY_r(g.handle(), cs, 0, x0, y0);
    GEOSCoordSeq_setXY_r(g.handle(), cs, 1, x1, y1);
    return g.own(GEOSGeom_createLineString_r(g.handle(), cs), "line");
}

std::pair<double, double> xy_of(geos::Context& g, const GEOSGeometry* pt) {
    double x = 0, y = 0;
    GEOSGeomGetX_r(g.handle(), pt, &x);
    GEOSGeomGetY_r(g.handle(), pt, &y);
    return {x, y};
}

std::pair<double, double> interior_point(geos::Context& g, const GEOSGeometry* geom) {
    auto p = g.own(GEOSPointOnSurface_r(g.handle(), geom), "interior point");
    return xy_of(g, p.get());
}

/// Visit every ring (exterior and interior) of a polygonal geometry.
template <typename F>
void for_each_ring(geos::Context& g, const GEOSGeometry* geom, F&& f) {
    const int type = GEOSGeomTypeId_r(g.handle(), geom);
    if (type == GEOS_POLYGON) {
        f(GEOSGetExteriorRing_r(g.handle(), geom), true);
        const int n = GEOSGetNumInteriorRings_r(g.handle(), geom);
        for (int i = 0; i < n; ++i) f(GEOSGetInteriorRingN_r(g.handle(), geom, i), false);
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        const int n = GEOSGetNumGeometries_r(g.handle(), geom);
        for (int i = 0; i < n; ++i) for_each_ring(g, GEOSGetGeometryN_r(g.handle(), geom, i), f);
    }
}

template <typename F>
void for_each_segment(geos::Context& g, const GEOSGeometry* line, F&& f) {
    const GEOSCoordSequence* cs = GEOSGeom_getCoordSeq_r(g.handle(), line);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(g.handle(), cs, &n);
    double px = 0, py = 0;
    for (unsigned i = 0; i < n; ++i) {
        double x = 0, y = 0;
        GEOSCoordSeq_getXY_r(g.handle(), cs, i, &x, &y);
        if (i > 0) f(px, py, x, y);
        px = x;
        py = y;
    }
}

double perimeter_m(geos::Context& g, const GEOSGeometry* geom, const Frame& fr) {
    double p = 0;
    for_each_ring(g, geom, [&](const GEOSGeometry* ring, bool) {
        for_each_segment(g, ring, [&](double x1, double y1, double x2, double y2) { p += fr.length_m(x1, y1, x2, y2); });
    });
    return p;
}

double line_length_m(geos::Context& g, const GEOSGeometry* geom, const Frame& fr) {
    double len = 0;
    const int type = GEOSGeomTypeId_r(g.handle(), geom);
    if (type == GEOS_LINESTRING || type == GEOS_LINEARRING) {
        for_each_segment(g, geom, [&](double x1, double y1, double x2, double y2) { len += fr.length_m(x1, y1, x2, y2); });
    } else if (type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION) {
        for (int i = 0; i < GEOSGetNumGeometries_r(g.handle(), geom); ++i)
            len += line_length_m(g, GEOSGetGeometryN_r(g.handle(), geom, i), fr);
    }
    return len;
}

/// Polygonize a noded network; keep the faces whose interior lies in `inside`.
std::vector<geos::Geometry> faces_of(geos::Context& g, const GEOSGeometry* network, const GEOSPreparedGeometry* inside) {
    const GEOSGeometry* arr[] = {network};
    auto polys = g.own(GEOSPolygonize_r(g.handle(), arr, 1), "polygonize");
    std::vector<geos::Geometry> out;
    const int n = GEOSGetNumGeometries_r(g.handle(), polys.get());
    for (int i = 0; i < n; ++i) {
        const GEOSGeometry* face = GEOSGetGeometryN_r(g.handle(), polys.get(), i);
        if (g.area(face) <= 0) continue;
        auto [x, y] = interior_point(g, face);
        auto pt = point(g, x, y);
        if (GEOSPreparedContains_r(g.handle(), inside, pt.get()) != 1) continue;
        out.push_back(g.own(GEOSGeom_clone_r(g.handle(), face), "clone"));
    }
    return out;
}

geos::Geometry node_lines(geos::Context& g, const std::vector<const GEOSGeometry*>& lines) {
    auto coll = g.collect(lines);
    return g.unary_union(coll.get());
}

// ------------------------------------------------------------ bisection

struct Node {
    int axis = 0;       // 0: cut on x (lon), 1: cut on y (lat)
    double cut = 0;
    int left = -1, right = -1;  // child nodes; -1 for a leaf
    int leaf = -1;
};

struct Block {
    geos::Geometry geom;
    geos::Prepared prepared;
    int dedicated = -1;
    std::vector<int> points;  // indexes into the sorted household list
    double weight = 0;
};

class Bisector {
public:
    Bisector(geos::Context& g, const Frame& fr, const std::vector<HouseholdPoint>& pts, bool by_area,
             std::vector<geos::Geometry>& cuts)
        : g_(g), fr_(fr), pts_(pts), by_area_(by_area), cuts_(cuts) {}

    /// Split `piece` (holding `points`) into k leaves, appending nodes to `tree`.
    int split(std::vector<Node>& tree, int& leaves, const GEOSGeometry* piece, std::vector<int> points, int k) {
        const int id = static_cast<int>(tree.size());
        tree.push_back({});
        const double area = g_.area(piece);
        if (k <= 1 || area <= 0) {
            tree[id].leaf = leaves++;
            return id;
        }
        const Envelope e = envelope(g_, piece);
        const int axis = (e.maxx - e.minx) * fr_.kx >= (e.maxy - e.miny) * fr_.ky ? 0 : 1;
        const int k1 = k / 2;
        const double frac = double(k1) / k;
        const double lo = axis == 0 ? e.minx : e.miny, hi = axis == 0 ? e.maxx : e.maxy;
        const double c_area = area_cut(piece, e, axis, frac * area);
        double c = c_area;
        if (!by_area_) c = household_cut(points, axis, frac, k, c_area);
        if (!(c > lo && c < hi)) c = c_area;
        if (!(c > lo && c < hi)) {  // degenerate piece: cannot be cut
            tree[id].leaf = leaves++;
            return id;
        }
        const double m = 1e-6;  // margin beyond the piece's envelope
        auto r1 = axis == 0 ? rect(g_, e.minx - m, e.miny - m, c, e.maxy + m) : rect(g_, e.minx - m, e.miny - m, e.maxx + m, c);
        auto r2 = axis == 0 ? rect(g_, c, e.miny - m, e.maxx + m, e.maxy + m) : rect(g_, e.minx - m, c, e.maxx + m, e.maxy + m);
        auto left = g_.intersection(piece, r1.get());
        auto right = g_.intersection(piece, r2.get());
        add_cut(piece, e, axis, c);
        std::vector<int> lp, rp;
        for (int i : points) ((axis == 0 ? pts_[i].lon : pts_[i].lat) < c ? lp : rp).push_back(i);
        tree[id].axis = axis;
        tree[id].cut = c;
        const int l = split(tree, leaves, left.get(), std::move(lp), k1);
        const int r = split(tree, leaves, right.get(), std::move(rp), k - k1);
        tree[id].left = l;
        tree[id].right = r;
        return id;
    }

private:
    /// The cut that leaves `want` area on the low side, by bisection on the cut.
    double area_cut(const GEOSGeometry* piece, const Envelope& e, int axis, double want) {
        double lo = axis == 0 ? e.minx : e.miny, hi = axis == 0 ? e.maxx : e.maxy;
        for (int it = 0; it < 30; ++it) {
            const double mid = 0.5 * (lo + hi);
            GEOSGeometry* part = axis == 0 ? GEOSClipByRect_r(g_.handle(), piece, e.minx - 1, e.miny - 1, mid, e.maxy + 1)
                                           : GEOSClipByRect_r(g_.handle(), piece, e.minx - 1, e.miny - 1, e.maxx + 1, mid);
            auto owned = g_.own(part, "clip");
            (g_.area(owned.get()) < want ? lo : hi) = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// Among the cuts between points that split households as wanted (within a
    /// tolerance of the best split), the one nearest the area-balanced cut.
    double household_cut(std::vector<int> points, int axis, double frac, int k, double c_area) {
        auto coord = [&](int i) { return axis == 0 ? pts_[i].lon : pts_[i].lat; };
        std::sort(points.begin(), points.end(), [&](int a, int b) {
            return std::tuple(coord(a), a) < std::tuple(coord(b), b);
        });
        double total = 0;
        for (int i : points) total += double(pts_[i].households);
        if (total <= 0 || points.size() < 2) return c_area;
        const double want = total * frac;
        const double tol = 0.08 * total / k;
        // candidate cuts: between consecutive distinct coordinates
        std::vector<std::pair<double, double>> cand;  // (error, position)
        double cum = 0;
        for (std::size_t j = 0; j + 1 < points.size(); ++j) {
            cum += double(pts_[points[j]].households);
            const double a = coord(points[j]), b = coord(points[j + 1]);
            if (b > a) cand.emplace_back(std::abs(cum - want), 0.5 * (a + b));
        }
        if (cand.empty()) return c_area;
        const double best = std::min_element(cand.begin(), cand.end())->first;
        double chosen = 0, dist = INFINITY;
        for (const auto& [err, pos] : cand) {
            if (err > best + tol) continue;
            const double d = std::abs(pos - c_area);
            if (d < dist) {
                dist = d;
                chosen = pos;
            }
        }
        return chosen;
    }

    void add_cut(const GEOSGeometry* piece, const Envelope& e, int axis, double c) {
        const double m = 1e-6;
        auto full = axis == 0 ? segment(g_, c, e.miny - m, c, e.maxy + m) : segment(g_, e.minx - m, c, e.maxx + m, c);
        auto inside = g_.intersection(full.get(), piece);
        auto add = [&](const GEOSGeometry* line) {
            if (GEOSGeomTypeId_r(g_.handle(), line) != GEOS_LINESTRING) return;
            double lo = INFINITY, hi = -INFINITY;
            for_each_segment(g_, line, [&](double x1, double y1, double x2, double y2) {
                const double a = axis == 0 ? y1 : x1, b = axis == 0 ? y2 : x2;
                lo = std::min({lo, a, b});
                hi = std::max({hi, a, b});
            });
            if (!(hi > lo)) return;
            lo -= overshoot_deg;
            hi += overshoot_deg;
            cuts_.push_back(axis == 0 ? segment(g_, c, lo, c, hi) : segment(g_, lo, c, hi, c));
        };
        const int type = GEOSGeomTypeId_r(g_.handle(), inside.get());
        if (type == GEOS_LINESTRING) add(inside.get());
        else if (type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION)
            for (int i = 0; i < GEOSGetNumGeometries_r(g_.handle(), inside.get()); ++i)
                add(GEOSGetGeometryN_r(g_.handle(), inside.get(), i));
    }

    geos::Context& g_;
    const Frame& fr_;
    const std::vector<HouseholdPoint>& pts_;
    bool by_area_;
    std::vector<geos::Geometry>& cuts_;
};

int leaf_of(const std::vector<Node>& tree, double x, double y) {
    int n = 0;
    while (tree[n].leaf < 0) n = ((tree[n].axis == 0 ? x : y) < tree[n].cut) ? tree[n].left : tree[n].right;
    return tree[n].leaf;
}

/// Grids for weight `w` under a band: w / target rounded, inside [w/max, w/min]
/// when that holds a whole number; not capped.
std::int64_t grids_for(double w, double min, double max, double target) {
    if (!(w >= min) || !(target > 0)) return 1;
    auto k = static_cast<std::int64_t>(std::llround(w / target));
    const auto lo = static_cast<std::int64_t>(std::ceil(w / max)), hi = static_cast<std::int64_t>(std::floor(w / min));
    if (lo <= hi) k = std::clamp(k, lo, hi);
    return std::max<std::int64_t>(k, 1);
}

int choose_k(double w, double min, double max, double target) {
    return static_cast<int>(std::min<std::int64_t>(grids_for(w, min, max, target), max_grid_serial));
}

// ---------------------------------------------------------------- regions

struct Region {
    std::vector<int> faces;
    double weight = 0;
    double area = 0;
    int dedicated = -1;
    bool alive = true;
};

struct EdgeStats {
    double length = 0, barrier = 0;
};

/// Which polygons of a noded coverage share edges, and how much of each shared
/// edge runs along a barrier. Shared edges of one polygonize are identical segment
/// for segment, so they are matched exactly by their end points.
struct Adjacency {
    std::map<std::pair<int, int>, EdgeStats> edges;
    std::vector<bool> on_outline;  ///< has a segment no other polygon shares
};

Adjacency adjacency_of(geos::Context& g, const std::vector<const GEOSGeometry*>& polys, const Frame& fr,
                       const GEOSPreparedGeometry* barriers) {
    Adjacency adj;
    adj.on_outline.assign(polys.size(), false);
    std::unordered_map<SegKey, std::pair<int, int>, SegHash> seg_polys;
    std::unordered_map<SegKey, double, SegHash> seg_len;
    for (int f = 0; f < static_cast<int>(polys.size()); ++f) {
        for_each_ring(g, polys[static_cast<std::size_t>(f)], [&](const GEOSGeometry* ring, bool) {
            for_each_segment(g, ring, [&](double x1, double y1, double x2, double y2) {
                if (x1 == x2 && y1 == y2) return;
                const SegKey k = seg_key(x1, y1, x2, y2);
                auto [it, fresh] = seg_polys.emplace(k, std::pair(f, -1));
                if (fresh) seg_len[k] = fr.length_m(x1, y1, x2, y2);
                else if (it->second.first != f) it->second.second = f;
            });
        });
    }
    for (const auto& [k, fs] : seg_polys) {
        if (fs.second < 0) {
            adj.on_outline[static_cast<std::size_t>(fs.first)] = true;
            continue;
        }
        const double len = seg_len[k];
        auto& es = adj.edges[std::minmax(fs.first, fs.second)];
        es.length += len;
        if (barriers) {
            const double mx = 0.5 * (std::bit_cast<double>(k.a) + std::bit_cast<double>(k.c));
            const double my = 0.5 * (std::bit_cast<double>(k.b) + std::bit_cast<double>(k.d));
            auto mid = point(g, mx, my);
            double d = 1;
            if (GEOSPreparedDistance_r(g.handle(), barriers, mid.get(), &d) == 1 && d < 1e-9) es.barrier += len;
        }
    }
    return adj;
}

/// Shared edges between regions, from the edges between their items.
std::map<std::pair<int, int>, EdgeStats> region_edges(const Adjacency& adj, const std::vector<int>& item_region) {
    std::map<std::pair<int, int>, EdgeStats> re;
    for (const auto& [pr, es] : adj.edges) {
        const int a = item_region[static_cast<std::size_t>(pr.first)], b = item_region[static_cast<std::size_t>(pr.second)];
        if (a == b) continue;
        auto& e = re[std::minmax(a, b)];
        e.length += es.length;
        e.barrier += es.barrier;
    }
    return re;
}

void merge_into(std::vector<Region>& regions, std::vector<int>& item_region, int from, int into) {
    auto& src = regions[static_cast<std::size_t>(from)];
    auto& dst = regions[static_cast<std::size_t>(into)];
    for (int f : src.faces) item_region[static_cast<std::size_t>(f)] = into;
    dst.faces.insert(dst.faces.end(), src.faces.begin(), src.faces.end());
    dst.weight += src.weight;
    dst.area += src.area;
    src.faces.clear();
    src.alive = false;
}

/// Merge regions lighter than `min` into a neighbour sharing a positive-length
/// edge (never a dedicated one), lightest first. The neighbour chosen: one that
/// keeps the sum within `max`, then one across an edge that is not a barrier, then
/// the longest such edge, then the lightest. `strict`: a region is merged only when
/// the sum stays within `max` or it is lighter than min/2 (a grid slightly light is
/// better than one far too heavy); otherwise every light region is merged (used
/// before bisection, which splits the merged group again).
void merge_light(std::vector<Region>& regions, std::vector<int>& item_region, const Adjacency& adj, double min,
                 double max, bool strict) {
    for (;;) {
        const auto re = region_edges(adj, item_region);
        int pick = -1, pick_into = -1;
        for (int r = 0; r < static_cast<int>(regions.size()); ++r) {
            const auto& R = regions[static_cast<std::size_t>(r)];
            if (!R.alive || R.dedicated >= 0 || R.weight >= min) continue;
            if (pick >= 0 && std::tie(regions[static_cast<std::size_t>(pick)].weight, pick) < std::tie(R.weight, r)) continue;
            int best = -1;
            std::tuple<int, int, double, double, double> best_key{};
            for (const auto& [pr, es] : re) {
                const int o = pr.first == r ? pr.second : pr.second == r ? pr.first : -1;
                if (o < 0 || regions[static_cast<std::size_t>(o)].dedicated >= 0 || es.length <= 0) continue;
                const double wo = regions[static_cast<std::size_t>(o)].weight;
                const double open = es.length - es.barrier;
                const auto key = std::tuple(R.weight + wo <= max ? 0 : 1, open > 1e-6 ? 0 : 1, -open, -es.length, wo);
                if (best < 0 || key < best_key) {
                    best = o;
                    best_key = key;
                }
            }
            if (best < 0) continue;
            if (strict && std::get<0>(best_key) == 1 && R.weight >= 0.5 * min) continue;
            pick = r;
            pick_into = best;
        }
        if (pick < 0) return;
        merge_into(regions, item_region, pick, pick_into);
    }
}

} // namespace

SizeRule size_rule(const SizePolicy& policy, bool urban, bool by_area, double weight) {
    SizeRule r;
    r.by_area = by_area;
    r.fixed = policy.target_grids > 0;
    r.weight = weight;
    if (r.fixed) {
        r.target = weight / policy.target_grids;
        r.band_min = 0.5 * r.target;
        r.band_max = 1.5 * r.target;
        r.grids = policy.target_grids;
        return r;
    }
    if (by_area) {
        r.target = (urban ? policy.urban_area_km2 : policy.rural_area_km2) * 1e6;
        r.band_min = 0.5 * r.target;
        r.band_max = 1.5 * r.target;
    } else {
        r.band_min = urban ? policy.urban_min : policy.rural_min;
        r.band_max = urban ? policy.urban_max : policy.rural_max;
        r.target = 0.5 * (r.band_min + r.band_max);
    }
    r.grids = grids_for(weight, r.band_min, r.band_max, r.target);
    return r;
}

namespace {

double to_m2_of(const Envelope& e) {
    return metres_per_degree * std::cos((e.miny + e.maxy) * 0.5 * M_PI / 180.0) * metres_per_degree;
}

}  // namespace

double outline_area_m2(geos::Context& g, const std::vector<unsigned char>& wkb) {
    auto village = g.polygonal_parts(g.from_wkb(wkb.data(), wkb.size()).get());
    if (g.is_empty(village.get())) return 0;
    return g.area(village.get()) * to_m2_of(envelope(g, village.get()));
}

VillagePartition partition_village(const VillageInput& in, const SizePolicy& policy, geos::Context& g) {
    policy.validate();
    VillagePartition out;
    out.village_code = in.code;
    auto village = g.polygonal_parts(g.from_wkb(in.wkb.data(), in.wkb.size()).get());
    if (g.is_empty(village.get()) || g.area(village.get()) <= 0)
        throw input_error(fmt::format("village {}: empty outline", in.code));
    auto village_prep = g.prepare(village.get());
    const Envelope ve = envelope(g, village.get());
    Frame fr;
    fr.kx = metres_per_degree * std::cos((ve.miny + ve.maxy) * 0.5 * M_PI / 180.0);
    const double to_m2 = fr.kx * fr.ky;
    const double village_area_m2 = g.area(village.get()) * to_m2;

    // --- stage 1 network: outline + barriers + dedicated outlines
    std::vector<geos::Geometry> owned;
    std::vector<const GEOSGeometry*> lines;
    owned.push_back(g.own(GEOSBoundary_r(g.handle(), village.get()), "boundary"));
    lines.push_back(owned.back().get());
    std::vector<const GEOSGeometry*> barrier_parts;
    const double m = 1e-6;
    for (const auto& wkb : in.barriers) {
        auto b = g.from_wkb(wkb.data(), wkb.size());
        const Envelope be = envelope(g, b.get());
        if (be.maxx < ve.minx || be.minx > ve.maxx || be.maxy < ve.miny || be.miny > ve.maxy) continue;
        auto clipped = g.own(GEOSClipByRect_r(g.handle(), b.get(), ve.minx - m, ve.miny - m, ve.maxx + m, ve.maxy + m),
                             "clip barrier");
        if (g.is_empty(clipped.get())) continue;
        owned.push_back(std::move(clipped));
        lines.push_back(owned.back().get());
        barrier_parts.push_back(owned.back().get());
    }
    std::vector<geos::Geometry> dedicated;
    std::vector<std::string> dedicated_names;
    for (const auto& d : in.dedicated) {
        auto dg = g.from_wkb(d.wkb.data(), d.wkb.size());
        auto part = g.polygonal_parts(g.intersection(dg.get(), village.get()).get());
        if (g.is_empty(part.get()) || g.area(part.get()) * to_m2 < 1.0) continue;
        owned.push_back(g.own(GEOSBoundary_r(g.handle(), part.get()), "boundary"));
        lines.push_back(owned.back().get());
        dedicated.push_back(std::move(part));
        dedicated_names.push_back(d.name);
    }
    std::vector<geos::Prepared> dedicated_prep;
    for (const auto& d : dedicated) dedicated_prep.push_back(g.prepare(d.get()));

    geos::Geometry barrier_union;
    geos::Prepared barrier_prep;
    if (!barrier_parts.empty()) {
        barrier_union = node_lines(g, barrier_parts);
        barrier_prep = g.prepare(barrier_union.get());
        auto inside = g.intersection(barrier_union.get(), village.get());
        out.barrier_length_m = line_length_m(g, inside.get(), fr);
    }

    auto network1 = node_lines(g, lines);
    std::vector<Block> blocks;
    for (auto& face : faces_of(g, network1.get(), village_prep.get())) {
        Block b;
        b.geom = std::move(face);
        b.prepared = g.prepare(b.geom.get());
        auto [x, y] = interior_point(g, b.geom.get());
        auto pt = point(g, x, y);
        for (std::size_t i = 0; i < dedicated_prep.size(); ++i)
            if (GEOSPreparedContains_r(g.handle(), dedicated_prep[i].get(), pt.get()) == 1) {
                b.dedicated = static_cast<int>(i);
                break;
            }
        blocks.push_back(std::move(b));
    }

    // --- households, in a fixed order, to blocks (a point on a shared edge goes
    // to the first block in polygonize order that covers it)
    std::vector<HouseholdPoint> pts = in.households;
    std::sort(pts.begin(), pts.end(), [](const HouseholdPoint& a, const HouseholdPoint& b) {
        return std::tie(a.lon, a.lat, a.households) < std::tie(b.lon, b.lat, b.households);
    });
    std::vector<int> point_block(pts.size(), -1);
    // Points outside every block belong to other villages (callers pass points by
    // envelope): they are not counted here.
    for (std::size_t i = 0; i < pts.size(); ++i) {
        auto pt = point(g, pts[i].lon, pts[i].lat);
        for (std::size_t b = 0; b < blocks.size(); ++b) {
            if (GEOSPreparedCovers_r(g.handle(), blocks[b].prepared.get(), pt.get()) == 1) {
                point_block[i] = static_cast<int>(b);
                blocks[b].points.push_back(static_cast<int>(i));
                out.households += pts[i].households;
                break;
            }
        }
    }
    out.by_area = out.households == 0;

    // --- size policy
    double base_weight = 0;
    for (auto& b : blocks) {
        b.weight = 0;
        if (out.by_area) b.weight = g.area(b.geom.get()) * to_m2;
        else
            for (int i : b.points) b.weight += double(pts[i].households);
        if (b.dedicated < 0) base_weight += b.weight;
    }
    const SizeRule rule = size_rule(policy, in.urban, out.by_area, base_weight);
    const double bmin = rule.band_min, bmax = rule.band_max, target = rule.target;
    out.band_min = static_cast<int>(std::lround(bmin));
    out.band_max = static_cast<int>(std::lround(bmax));
    out.target = target;

    // --- blocks lighter than the minimum join a neighbour first (across the
    // shortest barrier stretch the policy forces), so that every group of blocks
    // can be bisected to the size policy
    std::vector<const GEOSGeometry*> block_geoms;
    for (const auto& b : blocks) block_geoms.push_back(b.geom.get());
    const Adjacency block_adj = adjacency_of(g, block_geoms, fr, barrier_prep.get());
    std::vector<Region> groups(blocks.size());
    std::vector<int> block_group(blocks.size());
    for (std::size_t b = 0; b < blocks.size(); ++b) {
        groups[b].faces = {static_cast<int>(b)};
        groups[b].weight = blocks[b].weight;
        groups[b].dedicated = blocks[b].dedicated;
        block_group[b] = static_cast<int>(b);
    }
    merge_light(groups, block_group, block_adj, bmin, bmax, false);

    // --- bisection of each group of base blocks
    struct Group {
        geos::Geometry geom;
        std::vector<int> points;
        std::vector<Node> tree;
        int leaves = 0;
    };
    std::vector<Group> group_data(groups.size());
    std::vector<geos::Geometry> cuts;
    Bisector bisector(g, fr, pts, out.by_area, cuts);
    int base_groups = 0;
    for (const auto& gr : groups) base_groups += gr.alive && gr.dedicated < 0;
    for (std::size_t gi = 0; gi < groups.size(); ++gi) {
        const auto& gr = groups[gi];
        if (!gr.alive || gr.dedicated >= 0) continue;
        auto& gd = group_data[gi];
        std::vector<int> members = gr.faces;
        std::sort(members.begin(), members.end());
        std::vector<const GEOSGeometry*> parts;
        for (int b : members) {
            parts.push_back(blocks[static_cast<std::size_t>(b)].geom.get());
            gd.points.insert(gd.points.end(), blocks[static_cast<std::size_t>(b)].points.begin(),
                             blocks[static_cast<std::size_t>(b)].points.end());
        }
        std::sort(gd.points.begin(), gd.points.end());
        gd.geom = parts.size() == 1 ? g.own(GEOSGeom_clone_r(g.handle(), parts[0]), "clone")
                                    : g.own(GEOSCoverageUnion_r(g.handle(), g.collect(parts).get()), "coverage union");
        int k = 1;
        if (policy.target_grids > 0 && base_groups == 1) k = policy.target_grids;
        else k = choose_k(gr.weight, bmin, bmax, target);
        bisector.split(gd.tree, gd.leaves, gd.geom.get(), gd.points, k);
    }
    for (const auto& p : pts)
        if (!out.by_area && double(p.households) > bmax)
            out.notes.push_back(fmt::format("a building at {:.6f} {:.6f} has {} households, above the maximum {}",
                                            p.lon, p.lat, p.households, out.band_max));

    // --- final faces: the stage-1 network plus the cuts, noded once
    std::vector<const GEOSGeometry*> all_lines = lines;
    for (const auto& c : cuts) all_lines.push_back(c.get());
    auto network2 = cuts.empty() ? g.own(GEOSGeom_clone_r(g.handle(), network1.get()), "clone") : node_lines(g, all_lines);
    std::vector<geos::Geometry> faces = faces_of(g, network2.get(), village_prep.get());
    const int nf = static_cast<int>(faces.size());

    // face -> region (block + leaf, or dedicated area)
    std::map<std::pair<int, int>, int> region_of_key;
    std::vector<Region> regions;
    std::vector<int> face_region(nf, -1);
    std::vector<double> face_area(nf), face_weight(nf, 0.0);
    std::vector<geos::Prepared> face_prep;
    for (int f = 0; f < nf; ++f) {
        face_area[f] = g.area(faces[f].get()) * to_m2;
        face_prep.push_back(g.prepare(faces[f].get()));
        auto [x, y] = interior_point(g, faces[f].get());
        auto pt = point(g, x, y);
        int block = -1;
        for (std::size_t b = 0; b < blocks.size(); ++b)
            if (GEOSPreparedContains_r(g.handle(), blocks[b].prepared.get(), pt.get()) == 1) {
                block = static_cast<int>(b);
                break;
            }
        if (block < 0) throw geometry_error(fmt::format("village {}: a face lies in no block", in.code));
        const int grp = block_group[static_cast<std::size_t>(block)];
        std::pair<int, int> key = blocks[block].dedicated >= 0
                                      ? std::pair(-1, blocks[block].dedicated)
                                      : std::pair(grp, leaf_of(group_data[static_cast<std::size_t>(grp)].tree, x, y));
        auto [it, fresh] = region_of_key.emplace(key, static_cast<int>(regions.size()));
        if (fresh) {
            regions.push_back({});
            regions.back().dedicated = key.first == -1 ? key.second : -1;
        }
        face_region[f] = it->second;
        regions[it->second].faces.push_back(f);
    }
    // household weights per face (area mode: the face's area)
    for (std::size_t i = 0; i < pts.size(); ++i) {
        const int b = point_block[i];
        if (b < 0) continue;
        auto pt = point(g, pts[i].lon, pts[i].lat);
        for (int f = 0; f < nf; ++f) {
            if (GEOSPreparedCovers_r(g.handle(), face_prep[f].get(), pt.get()) == 1) {
                face_weight[f] += double(pts[i].households);
                break;
            }
        }
    }
    if (out.by_area) face_weight = face_area;

    // --- adjacency between faces
    std::vector<const GEOSGeometry*> face_geoms;
    for (const auto& f : faces) face_geoms.push_back(f.get());
    const Adjacency face_adj = adjacency_of(g, face_geoms, fr, barrier_prep.get());
    const auto& face_edges = face_adj.edges;
    const auto& face_on_outline = face_adj.on_outline;

    // --- contiguity: a region in pieces keeps its heaviest piece
    {
        std::vector<std::vector<int>> adj(nf);
        for (const auto& [pr, es] : face_edges)
            if (es.length > 0) {
                adj[pr.first].push_back(pr.second);
                adj[pr.second].push_back(pr.first);
            }
        const std::size_t original = regions.size();
        for (std::size_t r = 0; r < original; ++r) {
            if (regions[r].faces.size() < 2) continue;
            std::vector<std::vector<int>> comps;
            std::map<int, bool> seen;
            for (int f : regions[r].faces) seen[f] = false;
            for (int f : regions[r].faces) {
                if (seen[f]) continue;
                comps.emplace_back();
                std::vector<int> stack{f};
                seen[f] = true;
                while (!stack.empty()) {
                    const int x = stack.back();
                    stack.pop_back();
                    comps.back().push_back(x);
                    for (int y : adj[x])
                        if (face_region[y] == static_cast<int>(r) && !seen[y]) {
                            seen[y] = true;
                            stack.push_back(y);
                        }
                }
            }
            if (comps.size() < 2) continue;
            auto weight_of = [&](const std::vector<int>& c) {
                double w = 0, a = 0;
                for (int f : c) {
                    w += face_weight[f];
                    a += face_area[f];
                }
                return std::pair(w, a);
            };
            std::size_t main = 0;
            for (std::size_t c = 1; c < comps.size(); ++c)
                if (weight_of(comps[c]) > weight_of(comps[main])) main = c;
            regions[r].faces = comps[main];
            for (std::size_t c = 0; c < comps.size(); ++c) {
                if (c == main) continue;
                Region extra;
                extra.dedicated = regions[r].dedicated;
                extra.faces = comps[c];
                for (int f : comps[c]) face_region[f] = static_cast<int>(regions.size());
                regions.push_back(std::move(extra));
            }
        }
    }
    for (auto& r : regions) {
        r.weight = r.area = 0;
        for (int f : r.faces) {
            r.weight += face_weight[f];
            r.area += face_area[f];
        }
    }

    auto merge = [&](int from, int into) { merge_into(regions, face_region, from, into); };
    auto current_edges = [&]() { return region_edges(face_adj, face_region); };

    // --- merge regions (bisection leaves, stray pieces) below the minimum
    merge_light(regions, face_region, face_adj, bmin, bmax, true);

    // --- no holes the village does not have: merge regions enclosed by one other
    for (bool changed = true; changed;) {
        changed = false;
        const auto re = current_edges();
        for (int r = 0; r < static_cast<int>(regions.size()) && !changed; ++r) {
            if (!regions[r].alive || regions[r].dedicated >= 0) continue;
            bool outline = false;
            for (int f : regions[r].faces) outline = outline || face_on_outline[f];
            if (outline) continue;
            std::vector<int> nbrs;
            for (const auto& [pr, es] : re) {
                if (pr.first == r) nbrs.push_back(pr.second);
                else if (pr.second == r) nbrs.push_back(pr.first);
            }
            if (nbrs.size() == 1 && regions[nbrs[0]].dedicated < 0) {
                merge(r, nbrs[0]);
                changed = true;
            }
        }
    }

    // --- edge statistics of the final grids
    for (const auto& [pr, es] : current_edges()) {
        out.interior_edge_m += es.length;
        out.barrier_edge_m += es.barrier;
    }

    // --- union each region's faces; metrics; label points
    std::sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) {
        return std::tuple(!a.alive, a.faces.empty() ? 0 : *std::min_element(a.faces.begin(), a.faces.end())) <
               std::tuple(!b.alive, b.faces.empty() ? 0 : *std::min_element(b.faces.begin(), b.faces.end()));
    });
    for (const auto& r : regions) {
        if (!r.alive || r.faces.empty()) continue;
        std::vector<const GEOSGeometry*> parts;
        std::vector<int> sorted_faces = r.faces;
        std::sort(sorted_faces.begin(), sorted_faces.end());
        for (int f : sorted_faces) parts.push_back(faces[f].get());
        auto coll = g.collect(parts);
        auto merged = parts.size() == 1 ? g.own(GEOSGeom_clone_r(g.handle(), parts[0]), "clone")
                                        : g.own(GEOSCoverageUnion_r(g.handle(), coll.get()), "coverage union");
        GridResult gr;
        gr.dedicated = r.dedicated >= 0;
        if (gr.dedicated) gr.name = dedicated_names[static_cast<std::size_t>(r.dedicated)];
        gr.households = 0;
        for (int f : sorted_faces) gr.households += static_cast<std::int64_t>(std::llround(out.by_area ? 0.0 : face_weight[f]));
        gr.area_m2 = g.area(merged.get()) * to_m2;
        gr.perimeter_m = perimeter_m(g, merged.get(), fr);
        gr.compactness = gr.perimeter_m > 0 ? 4 * M_PI * gr.area_m2 / (gr.perimeter_m * gr.perimeter_m) : 0;
        gr.parts = GEOSGeomTypeId_r(g.handle(), merged.get()) == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(g.handle(), merged.get());
        for_each_ring(g, merged.get(), [&](const GEOSGeometry*, bool exterior) { gr.holes += exterior ? 0 : 1; });
        const Envelope ge = envelope(g, merged.get());
        const double tol = std::max(ge.maxx - ge.minx, ge.maxy - ge.miny) / 100.0;
        auto mic = g.own(GEOSMaximumInscribedCircle_r(g.handle(), merged.get(), tol), "inscribed circle");
        auto centre = g.own(GEOSGeomGetStartPoint_r(g.handle(), mic.get()), "centre");
        std::tie(gr.label_lon, gr.label_lat) = xy_of(g, centre.get());
        gr.wkb = g.to_wkb(g.polygonal_parts(merged.get()).get());  // MultiPolygon, as stored
        out.grids.push_back(std::move(gr));
    }

    // --- numbering order: rows of about one grid's height, north to south; west
    // to east within a row
    const double n = static_cast<double>(std::max<std::size_t>(1, out.grids.size()));
    const double row_deg = std::sqrt(village_area_m2 / n) / fr.ky;
    std::stable_sort(out.grids.begin(), out.grids.end(), [&](const GridResult& a, const GridResult& b) {
        const auto ra = static_cast<long>(std::floor((ve.maxy - a.label_lat) / row_deg));
        const auto rb = static_cast<long>(std::floor((ve.maxy - b.label_lat) / row_deg));
        return std::tie(ra, a.label_lon, b.label_lat) < std::tie(rb, b.label_lon, a.label_lat);
    });
    return out;
}

} // namespace wangge
