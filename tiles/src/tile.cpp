// One tile from the prepared layers: entries (which features are in which tile),
// the encoding with the size rules. See wangge/tiles/tile.hpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "tile_maker.hpp"
#include "wangge/tiles/clip.hpp"

namespace wangge::tiles {

namespace detail {

Range tile_range(const std::array<double, 4>& e, int z) {
    const double n = std::ldexp(1.0, z), size = world / n, b = buffer_units / extent;
    auto clampi = [&](double v) { return static_cast<std::uint32_t>(std::clamp(std::floor(v), 0.0, n - 1)); };
    return {clampi((e[0] + origin) / size - b), clampi((e[2] + origin) / size + b), clampi((origin - e[3]) / size - b),
            clampi((origin - e[1]) / size + b)};
}

Units world_units(const topology::XY& p, int z) {
    const double n = std::ldexp(1.0, z), size = world / n;
    const auto last = static_cast<std::int64_t>(n) * extent - 1;
    auto q = [&](double v) { return std::clamp<std::int64_t>(std::llround(v / size * extent), 0, last); };
    return {q(p.x + origin), q(origin - p.y)};
}

namespace {

MultiPolygon to_tile(const topology::MultiPolygon& mp, int z, std::uint32_t tx, std::uint32_t ty) {
    const double size = world / std::ldexp(1.0, z);
    const double minx = -origin + tx * size, maxy = origin - ty * size;
    const ClipBox box = ClipBox::for_tile(extent, static_cast<std::uint32_t>(buffer_units));
    MultiPolygon out;
    for (const auto& poly : mp) {
        PolygonD pd;
        for (const auto& ring : poly) {
            RingD rd;
            rd.reserve(ring.size());
            for (const auto& p : ring) rd.push_back({(p.x - minx) / size * extent, (maxy - p.y) / size * extent});
            pd.push_back(std::move(rd));
        }
        PolygonD clipped = clip_polygon(pd, box);
        if (clipped.empty() || clipped[0].empty()) continue;
        out.push_back(quantize(clipped));
    }
    return out;
}

bool in_zoom(const LayerData& s, int z) {
    return z >= s.zooms.minzoom && z <= s.zooms.maxzoom;
}

/// The entries of one layer at a zoom (all tiles, or `only`).
void layer_entries(const MapLayers::Impl& m, const Zoom& zoom, std::uint32_t li, std::optional<std::uint64_t> only,
                   std::vector<Entry>& out) {
    const auto& s = m.layers[li];
    const int z = zoom.z;
    auto add = [&](std::uint64_t tile, std::uint32_t f) {
        if (!only || *only == tile) out.push_back({tile, li, f});
    };
    if (s.polygons()) {
        for (std::uint32_t f = 0; f < s.coverage->size(); ++f) {
            const Range r = tile_range(s.coverage->envelope(f), z);
            if (only && !((*only >> 32) >= r.x0 && (*only >> 32) <= r.x1 && (*only & 0xffffffffu) >= r.y0 &&
                          (*only & 0xffffffffu) <= r.y1))
                continue;
            if (zoom.geoms[li][f].empty()) continue;
            for (std::uint32_t x = r.x0; x <= r.x1; ++x)
                for (std::uint32_t y = r.y0; y <= r.y1; ++y) add(tile_key(x, y), f);
        }
    } else if (s.kind == Kind::events && z < m.options.events_point_zoom) {
        // one point per grid with its count, at the grid's label (in that label's
        // tile); an event in no current grid on its own
        std::vector<char> seen(m.labels.size());
        for (std::uint32_t f = 0; f < s.points.size(); ++f) {
            const auto label = s.label_index[f];
            if (label < 0)
                add(world_units(s.points[f], z).tile(), f);
            else if (!seen[static_cast<std::size_t>(label)]++)
                add(world_units(m.labels[static_cast<std::size_t>(label)].second, z).tile(), f);
        }
    } else {
        for (std::uint32_t f = 0; f < s.points.size(); ++f) add(world_units(s.points[f], z).tile(), f);
    }
}

}  // namespace

void prepare_zoom(MapLayers::Impl& m, Zoom& zoom) {
    zoom.geoms.assign(m.layers.size(), {});
    std::vector<std::uint32_t> polys;
    for (std::uint32_t li = 0; li < m.layers.size(); ++li)
        if (m.layers[li].polygons() && in_zoom(m.layers[li], zoom.z)) polys.push_back(li);
    parallel_for(polys.size(), m.threads, [&](std::size_t i) { m.layers[polys[i]].coverage->prepare(zoom.tol); });
    // each polygon's geometry, in blocks over all layers
    constexpr std::uint32_t block = 256;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> blocks;  // layer, first feature
    for (auto li : polys) {
        zoom.geoms[li].resize(m.layers[li].coverage->size());
        for (std::uint32_t f = 0; f < zoom.geoms[li].size(); f += block) blocks.emplace_back(li, f);
    }
    parallel_for(blocks.size(), m.threads, [&](std::size_t b) {
        const auto [li, first] = blocks[b];
        auto& g = zoom.geoms[li];
        for (std::uint32_t f = first; f < std::min<std::size_t>(g.size(), first + block); ++f)
            g[f] = m.layers[li].coverage->feature(f, zoom.tol);
    });
}

std::vector<Entry> zoom_entries(const MapLayers::Impl& m, Zoom& zoom, std::optional<std::uint64_t> only) {
    if (zoom.geoms.size() != m.layers.size()) zoom.geoms.assign(m.layers.size(), {});
    std::vector<std::vector<Entry>> per(m.layers.size());
    std::vector<std::uint32_t> active;
    for (std::uint32_t li = 0; li < m.layers.size(); ++li) {
        const auto& s = m.layers[li];
        if (!in_zoom(s, zoom.z)) continue;
        active.push_back(li);
        if (!only || !s.polygons() || !zoom.geoms[li].empty()) continue;
        // one tile: the geometries of the polygons whose envelope reaches it
        zoom.geoms[li].resize(s.coverage->size());
        for (std::uint32_t f = 0; f < s.coverage->size(); ++f) {
            const Range r = tile_range(s.coverage->envelope(f), zoom.z);
            const auto x = static_cast<std::uint32_t>(*only >> 32), y = static_cast<std::uint32_t>(*only & 0xffffffffu);
            if (x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1) zoom.geoms[li][f] = s.coverage->feature(f, zoom.tol);
        }
    }
    parallel_for(active.size(), only ? 1 : m.threads,
                 [&](std::size_t i) { layer_entries(m, zoom, active[i], only, per[active[i]]); });
    std::vector<Entry> entries;
    for (auto& p : per) entries.insert(entries.end(), p.begin(), p.end());
    // sorted in two halves on two threads, then merged
    const auto mid = entries.begin() + static_cast<std::ptrdiff_t>(entries.size() / 2);
    parallel_for(2, m.threads, [&](std::size_t h) { std::sort(h ? mid : entries.begin(), h ? entries.end() : mid); });
    std::inplace_merge(entries.begin(), mid, entries.end());
    return entries;
}

}  // namespace detail

namespace detail {

namespace {

/// One encoding of a tile's entries at a simplification factor, with or without
/// events aggregated and polygons merged per group.
class TileEncoder {
public:
    TileEncoder(const MapLayers::Impl& m, const Zoom& zoom, const TileCoord& c, const Entry* begin, const Entry* end)
        : m_(m), zoom_(zoom), c_(c), key_(tile_key(c.x, c.y)), begin_(begin), end_(end) {}

    std::size_t kept = 0;  // polygon features written by the last encode
    std::size_t merged_from = 0, merged_into = 0;
    std::map<std::uint32_t, std::int64_t> points;  // per layer: points shown by the last encode

    std::string encode(double tol_factor, bool aggregate, bool merge = false);

private:
    // aggregated events: (field, grid or village) -> count, where the count is drawn
    // (its label) and where the first of them is in this tile (when the label is not)
    struct Count {
        std::uint32_t layer;
        topology::XY first, label;
        std::int64_t n = 0;
    };
    void add_point(TileBuilder& tb, std::uint32_t layer, const topology::XY& p, const Properties& props,
                   std::int64_t n);
    void add_event(TileBuilder& tb, const Entry& e, bool aggregate, bool merge);

    const MapLayers::Impl& m_;
    const Zoom& zoom_;
    TileCoord c_;
    std::uint64_t key_;
    const Entry *begin_, *end_;
    std::map<std::pair<std::string, std::string>, Count> counted_;
};

// a point in this tile's units, if it is in this tile
void TileEncoder::add_point(TileBuilder& tb, std::uint32_t layer, const topology::XY& p, const Properties& props,
                            std::int64_t n) {
    const Units u = world_units(p, zoom_.z);
    if (u.tile() != key_) return;
    const Point q{static_cast<std::int32_t>(u.x - std::int64_t(c_.x) * extent),
                  static_cast<std::int32_t>(u.y - std::int64_t(c_.y) * extent)};
    tb.layer(m_.layers[layer].name).add_points({q}, props);
    points[layer] += n;
}

void TileEncoder::add_event(TileBuilder& tb, const Entry& e, bool aggregate, bool merge) {
    const auto& s = m_.layers[e.layer];
    const bool events = s.kind == Kind::events;
    const bool below = events && zoom_.z < m_.options.events_point_zoom;
    const std::int32_t label = below || (events && aggregate) ? s.label_index[e.feature] : -1;
    if (label < 0) {
        // a point as it is (below the points zoom: an event in no current grid,
        // counted on its own)
        if (!below) return add_point(tb, e.layer, s.points[e.feature], s.props[e.feature], 1);
        Properties props = s.props[e.feature];
        props.emplace_back("count", std::int64_t{1});
        return add_point(tb, e.layer, s.points[e.feature], props, 1);
    }
    // counted per grid (below the points zoom, this entry stands for all of its
    // grid's events), or per village when merged
    const auto li = static_cast<std::size_t>(label);
    const auto& [code, at] = m_.labels[li];
    std::pair<std::string, std::string> group{"grid", code};
    topology::XY where = at;
    if (merge)
        if (const auto v = m_.village_label.find(m_.label_village[li]); v != m_.village_label.end()) {
            group = {"village", v->first};
            where = v->second;
        }
    auto& n = counted_.try_emplace(group, Count{e.layer, below ? at : s.points[e.feature], where}).first->second;
    n.n += below ? m_.label_events[li] : 1;
}

std::string TileEncoder::encode(double tol_factor, bool aggregate, bool merge) {
    TileBuilder tb;
    kept = merged_from = merged_into = 0;
    points.clear();
    counted_.clear();
    std::set<std::pair<std::uint32_t, std::string>> groups_done;
    const double tol = zoom_.tol * tol_factor;
    for (const Entry* e = begin_; e != end_; ++e) {
        const auto& s = m_.layers[e->layer];
        if (!s.polygons()) {
            add_event(tb, *e, aggregate, merge);
        } else if (merge && !s.group_of.empty() && !s.group_of[e->feature].empty()) {
            // the whole group as one polygon, from the same arcs
            const std::string& g = s.group_of[e->feature];
            ++merged_from;
            if (!groups_done.emplace(e->layer, g).second) continue;
            const auto& fs = s.members.at(g);
            const MultiPolygon tp = to_tile(s.coverage->merged(fs, tol), zoom_.z, c_.x, c_.y);
            Properties props{{s.group_field, g}, {s.name, static_cast<std::int64_t>(fs.size())}};
            if (!tp.empty() && tb.layer(s.name).add_polygons(tp, props, std::stoull(g))) ++merged_into;
        } else {
            const auto& mp =
                tol_factor == 1.0 ? zoom_.geoms[e->layer][e->feature] : s.coverage->feature(e->feature, tol);
            const MultiPolygon tp = to_tile(mp, zoom_.z, c_.x, c_.y);
            if (!tp.empty() && tb.layer(s.name).add_polygons(tp, s.props[e->feature], s.ids[e->feature])) ++kept;
        }
    }
    // each count at its grid's or village's label when that is in this tile, else
    // where the first of its events here is
    for (const auto& [group, n] : counted_)
        add_point(tb, n.layer, world_units(n.label, zoom_.z).tile() == key_ ? n.label : n.first,
                  {{group.first, group.second}, {"count", n.n}}, n.n);
    return tb.empty() ? std::string() : tb.serialize();
}

}  // namespace

TileOut make_tile(const MapLayers::Impl& m, const Zoom& zoom, const TileCoord& c, const Entry* begin,
                  const Entry* end) {
    const std::size_t limit = m.options.max_tile_bytes;
    TileEncoder enc(m, zoom, c, begin, end);
    TileOut out;
    out.data = enc.encode(1.0, false);
    out.points = enc.points;
    // over the limit: simplify further, then aggregate events; say so. Never so far
    // that a polygon vanishes: then the tile stays as it was at the last step that
    // kept every polygon, over the limit.
    std::string action;
    const std::size_t base_kept = enc.kept;
    const bool has_events =
        std::any_of(begin, end, [&](const Entry& e) { return m.layers[e.layer].kind == Kind::events; });
    for (double f = 4.0; out.data.size() > limit && f <= 256.0; f *= 4.0) {
        const bool aggregated = f >= 16.0;
        std::string next = enc.encode(f, aggregated);
        if (enc.kept < base_kept) {
            action += fmt::format("{}stopped before {}x: {} polygon(s) would vanish", action.empty() ? "" : "; ", f,
                                  base_kept - enc.kept);
            break;
        }
        out.data = std::move(next);
        out.points = enc.points;
        action = fmt::format("simplified {}x{}", f, aggregated && has_events ? ", events aggregated per grid" : "");
    }
    // still over: each group (the grids of a village) as one polygon (at the least
    // simplification that fits: merged, far fewer vertices)
    if (out.data.size() > limit) {
        std::string next;
        double f = 1.0;
        for (; f <= 256.0; f *= 4.0) {
            next = enc.encode(f, true, true);
            if (next.size() <= limit || enc.merged_into == 0) break;
        }
        if (enc.merged_into > 0 && next.size() < out.data.size()) {
            out.data = std::move(next);
            out.points = enc.points;
            std::set<std::string> per;
            for (const Entry* e = begin; e != end; ++e) {
                const auto& src = m.layers[e->layer];
                if (!src.group_of.empty()) per.insert(src.name + " per " + src.group_field);
            }
            if (has_events) per.insert("events per village");
            action +=
                fmt::format("; {} polygon(s) merged into {} ({}){}", enc.merged_from, enc.merged_into,
                            fmt::join(per, ", "), f > 1.0 ? fmt::format(", simplified {}x", std::min(f, 256.0)) : "");
        }
    }
    if (!action.empty())
        out.size_action = fmt::format("{}: over {} KB: {}; now {} KB{}", to_string(c), limit / 1024, action,
                                      out.data.size() / 1024, out.data.size() > limit ? " (still over)" : "");
    return out;
}

}  // namespace detail

TileResult make_tile(const MapLayers& layers, const TileCoord& tile) {
    check_tile(tile);
    const auto& m = layers.impl();
    detail::Zoom zoom;
    zoom.z = tile.z;
    zoom.tol = m.options.simplify_units * (detail::world / std::ldexp(1.0, tile.z) / detail::extent);
    const auto entries = detail::zoom_entries(m, zoom, detail::tile_key(tile.x, tile.y));
    auto out = detail::make_tile(m, zoom, tile, entries.data(), entries.data() + entries.size());
    TileResult r{std::move(out.data), std::move(out.size_action), {}};
    for (const auto& [li, n] : out.points) r.points[m.layers[li].name] = n;
    return r;
}

}  // namespace wangge::tiles
