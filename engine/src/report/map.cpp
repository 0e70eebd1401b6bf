// The report's map, against the painter interface (report/map.hpp).
#include "report/map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <functional>

namespace wangge::report::detail {

std::string Rgb::hex() const {
    return fmt::format("#{:02x}{:02x}{:02x}", r, g, b);
}

namespace {

using Polys = std::vector<std::vector<std::vector<Pt>>>;

// A sequential palette, light to dark (five classes of events per 1,000 households).
constexpr std::array<Rgb, 5> palette{{{254, 237, 222}, {253, 190, 133}, {253, 141, 60}, {230, 85, 13}, {166, 54, 3}}};
constexpr Rgb no_households{221, 221, 221};
constexpr Rgb grid_line{140, 140, 140};
constexpr Rgb warning{215, 25, 28};     // grids with findings, overlaps
constexpr Rgb gap_fill{122, 1, 119};    // gaps (and other polygonal findings)
constexpr Rgb village_line{51, 51, 51};
constexpr Rgb area_line{0, 0, 0};
constexpr Rgb event_fill{33, 102, 172};
constexpr Rgb white{255, 255, 255};
constexpr Rgb ink{34, 34, 34};

/// Metres per degree of latitude on the WGS-84 / CGCS2000 equator radius (close
/// enough for a scale bar: the meridian degree differs by < 0.6%).
constexpr double metres_per_degree = 6378137.0 * 3.14159265358979323846 / 180.0;

struct Bounds {
    double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
    void add(Pt p) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) return;
        x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    }
    void add(const Polys& polys) {
        for (const auto& poly : polys)
            for (const auto& ring : poly)
                for (const Pt& p : ring) add(p);
    }
    bool empty() const { return !(x0 <= x1 && y0 <= y1); }
};

/// lon/lat -> page: equirectangular around (lon0, lat0), `scale` page units per metre.
struct Projection {
    double lon0 = 0, lat0 = 0, k = 1, scale = 1, cx = 0, cy = 0;
    Pt operator()(Pt ll) const {
        return {cx + (ll.x - lon0) * k * metres_per_degree * scale, cy - (ll.y - lat0) * metres_per_degree * scale};
    }
    Polys operator()(const Polys& polys) const {
        Polys out = polys;
        for (auto& poly : out)
            for (auto& ring : poly)
                for (Pt& p : ring) p = (*this)(p);
        return out;
    }
    std::vector<Pt> operator()(const std::vector<Pt>& pts) const {
        std::vector<Pt> out = pts;
        for (Pt& p : out) p = (*this)(p);
        return out;
    }
};

struct Parsed {
    Polys polys;
    std::vector<std::vector<Pt>> lines;
    std::vector<Pt> points;
};

Parsed parse(const std::vector<unsigned char>& wkb, std::string_view what) {
    Parsed p;
    if (wkb.empty()) return p;
    flatten(parse_wkb(wkb, what), p.polys, p.lines, p.points);
    return p;
}

/// 1, 2 or 5 times a power of ten, at least v.
double nice_ceil(double v) {
    if (v <= 0) return 1;
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= v * (1 - 1e-9)) return m * p;
    return 10 * p;
}

/// 1, 2 or 5 times a power of ten, at most v.
double nice_floor(double v) {
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {5.0, 2.0, 1.0})
        if (m * p <= v) return m * p;
    return p;
}

std::string number(double v) {
    if (std::fabs(v - std::round(v)) < 1e-9) return fmt::format("{:.0f}", v);
    return fmt::format("{:.1f}", v);
}

/// A generous width of a line of text: Chinese characters a full em, ASCII about half.
double text_width_estimate(std::string_view text, double size) {
    double em = 0;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80) em += 0.6;
        else if ((u & 0xc0) != 0x80) em += 1.0;  // the lead byte of a multi-byte character
    }
    return em * size;
}

Polys rect(double x, double y, double w, double h) {
    return {{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}}}};
}

/// What the map shows: the area, its villages and grids, the events in no grid,
/// with a margin so that a point on the edge (an event outside the area) is not cut.
Bounds bounds_of(const Report& r, const Parsed& outline, const std::vector<Parsed>& villages,
                 const std::vector<Parsed>& grids) {
    Bounds b;
    b.add(outline.polys);
    for (const auto& v : villages) b.add(v.polys);
    for (const auto& g : grids) b.add(g.polys);
    for (const auto& e : r.events.uncovered_events) b.add(Pt{e.lon, e.lat});
    if (!b.empty()) {
        const double ex = (b.x1 - b.x0) * 0.03, ey = (b.y1 - b.y0) * 0.03;
        b.x0 -= ex, b.x1 += ex, b.y0 -= ey, b.y1 += ey;
    }
    return b;
}

/// The layout of the map's box: text size, legend width, padding.
struct Layout {
    double fs, legend_w, pad;
    explicit Layout(double width) : fs(std::clamp(width / 75.0, 7.0, 12.0)), legend_w(fs * 13), pad(fs) {}
    double map_width(double width) const { return width - legend_w - 3 * pad; }
};

/// Metres east and north of the bounds.
std::pair<double, double> extent_m(const Bounds& b) {
    const double k = std::cos((b.y0 + b.y1) / 2 * 3.14159265358979323846 / 180.0);
    return {std::max((b.x1 - b.x0) * k * metres_per_degree, 1.0), std::max((b.y1 - b.y0) * metres_per_degree, 1.0)};
}

}  // namespace

double map_height(const Report& r, double width, double min_height, double max_height) {
    const Parsed outline = parse(r.outline, "area " + r.code);
    std::vector<Parsed> villages, grids;
    for (const auto& v : r.villages) villages.push_back(parse(v.wkb, "village " + v.code));
    for (const auto& g : r.grids) grids.push_back(parse(g.wkb, "grid " + g.code));
    const Bounds b = bounds_of(r, outline, villages, grids);
    const Layout l(width);
    // the legend needs its height too
    const double lo = std::min(std::max(min_height, l.fs * 34), max_height);
    if (b.empty()) return lo;
    const auto [wm, hm] = extent_m(b);
    return std::clamp(l.map_width(width) * hm / wm + 2 * l.pad, lo, max_height);
}

void draw_map(const Report& r, Painter& p, double x, double y, double width, double height) {
    const Layout layout(width);
    const double fs = layout.fs, legend_w = layout.legend_w, pad = layout.pad;
    const double mx = x + pad, my = y + pad, mw = layout.map_width(width), mh = height - 2 * pad;

    // the shapes, parsed once
    std::vector<Parsed> villages, grids, findings;
    for (const auto& v : r.villages) villages.push_back(parse(v.wkb, "village " + v.code));
    for (const auto& g : r.grids) grids.push_back(parse(g.wkb, "grid " + g.code));
    for (const auto& f : r.findings) findings.push_back(parse(f.where, "finding location"));
    const Parsed outline = parse(r.outline, "area " + r.code);
    const Bounds b = bounds_of(r, outline, villages, grids);
    // the frame, so the map's box is visible on paper
    p.polygons(rect(x, y, width, height), Style{white, 1, false, Rgb{190, 190, 190}, 0.6, false}, "frame", "");
    if (b.empty() || mw <= 0 || mh <= 0) {
        p.text({x + width / 2, y + height / 2}, "无图形 no shapes", fs, ink, Anchor::middle, false);
        return;
    }
    Projection pr;
    pr.lon0 = (b.x0 + b.x1) / 2;
    pr.lat0 = (b.y0 + b.y1) / 2;
    pr.k = std::cos(pr.lat0 * 3.14159265358979323846 / 180.0);
    const auto [wm, hm] = extent_m(b);
    pr.scale = std::min(mw / wm, mh / hm);
    pr.cx = mx + mw / 2;
    pr.cy = my + mh / 2;

    // choropleth classes: five equal steps from 0 to a round maximum
    double top = 0;
    for (const auto& g : r.grids)
        if (g.households > 0) top = std::max(top, g.events_per_1000);
    const double step = nice_ceil(top / static_cast<double>(palette.size()));
    auto colour_of = [&](const GridFigures& g) {
        if (g.households <= 0) return no_households;
        const auto i = static_cast<std::size_t>(std::clamp(std::floor(g.events_per_1000 / step), 0.0, 4.0));
        return palette[i];
    };

    // the area, then grids by their colour
    if (!outline.polys.empty())
        p.polygons(pr(outline.polys), Style{Rgb{247, 247, 247}, 1, false, std::nullopt, 0, false}, "area-fill", r.code);
    for (std::size_t i = 0; i < r.grids.size(); ++i)
        p.polygons(pr(grids[i].polys), Style{colour_of(r.grids[i]), 1, false, grid_line, fs * 0.05, false}, "grid",
                   r.grids[i].code);
    // grids with findings: hatched and outlined in the warning colour
    for (std::size_t i = 0; i < r.grids.size(); ++i)
        if (!r.grids[i].findings.empty())
            p.polygons(pr(grids[i].polys), Style{std::nullopt, 1, true, warning, fs * 0.16, false}, "grid-finding",
                       r.grids[i].code);
    // village and area outlines over the grids
    for (std::size_t i = 0; i < r.villages.size(); ++i)
        p.polygons(pr(villages[i].polys), Style{std::nullopt, 1, false, village_line, fs * 0.12, false}, "village",
                   r.villages[i].code);
    if (!outline.polys.empty())
        p.polygons(pr(outline.polys), Style{std::nullopt, 1, false, area_line, fs * 0.2, false}, "area", r.code);

    // the findings' locations: polygons filled, lines drawn, points and small pieces
    // ringed (a 2 m² sliver is no wider than a hair at this scale)
    for (std::size_t i = 0; i < r.findings.size(); ++i) {
        const auto& f = r.findings[i];
        const Rgb c = f.kind == validate::Kind::overlap ? warning : gap_fill;
        const Parsed& loc = findings[i];
        if (!loc.polys.empty())
            p.polygons(pr(loc.polys), Style{c, 0.75, false, c, fs * 0.08, false}, "finding",
                       kind_en(f.kind));
        for (const auto& l : loc.lines) p.polyline(pr(l), Style{std::nullopt, 1, false, c, fs * 0.25, false});
        Bounds fb;
        fb.add(pr(loc.polys));
        for (const auto& l : loc.lines)
            for (const Pt& q : l) fb.add(pr(q));
        for (const Pt& q : loc.points) fb.add(pr(q));
        const bool small = fb.empty() || std::max(fb.x1 - fb.x0, fb.y1 - fb.y0) < fs * 0.8;
        if (small) {
            if (const auto at = centre(f.where))
                p.circle(pr(*at), fs * 0.6, Style{std::nullopt, 1, false, c, fs * 0.18, false});
        }
    }
    // events in no grid
    for (const auto& e : r.events.uncovered_events)
        p.circle(pr(Pt{e.lon, e.lat}), fs * 0.4, Style{event_fill, 1, false, white, fs * 0.08, false});

    // village names at a point inside each, where the village is wide enough for it
    // (a county's hundreds of villages would otherwise be a smear of text)
    for (std::size_t i = 0; i < r.villages.size(); ++i) {
        Bounds vb;
        vb.add(pr(villages[i].polys));
        const double size = fs * 0.9;
        if (vb.empty() || vb.x1 - vb.x0 < text_width_estimate(r.villages[i].name, size) || vb.y1 - vb.y0 < size * 1.5)
            continue;
        if (const auto at = centre(r.villages[i].wkb)) {
            const Pt q = pr(*at);
            p.text({q.x, q.y + size * 0.35}, r.villages[i].name, size, ink, Anchor::middle, true);
        }
    }

    // scale bar: a round length near a quarter of the map's width
    const double bar_m = nice_floor(mw / 4 / pr.scale);
    const double bar = bar_m * pr.scale;
    const double sx = mx + fs * 0.5, sy = my + mh - fs * 0.6;
    p.polygons(rect(sx - fs * 0.4, sy - fs * 1.9, bar + fs * 4.5, fs * 2.4), Style{white, 0.8, false, std::nullopt, 0, false},
               "scale-bg", "");
    p.polyline({{sx, sy - fs * 0.4}, {sx, sy}, {sx + bar, sy}, {sx + bar, sy - fs * 0.4}},
               Style{std::nullopt, 1, false, ink, fs * 0.12, false});
    p.polyline({{sx + bar / 2, sy - fs * 0.25}, {sx + bar / 2, sy}}, Style{std::nullopt, 1, false, ink, fs * 0.08, false});
    p.text({sx, sy - fs * 0.6}, "0", fs * 0.8, ink, Anchor::middle, false);
    const std::string bar_label = bar_m >= 1000 ? number(bar_m / 1000) + " 公里 km" : number(bar_m) + " 米 m";
    p.text({sx + bar, sy - fs * 0.6}, bar_label, fs * 0.8, ink, Anchor::start, false);

    // north arrow, top right of the map
    const double nx = mx + mw - fs, ny = my + fs * 0.5;
    p.polygons({{{{nx, ny}, {nx + fs * 0.6, ny + fs * 1.8}, {nx, ny + fs * 1.4}, {nx - fs * 0.6, ny + fs * 1.8}}}},
               Style{ink, 1, false, ink, fs * 0.05, false}, "north", "");
    p.text({nx, ny + fs * 2.9}, "北 N", fs * 0.8, ink, Anchor::middle, true);

    // legend, right of the map
    const double lx = x + width - legend_w - pad, sw = fs * 1.6, sh = fs * 1.0;
    double ly = y + pad + fs;
    p.text({lx, ly}, "每千户事件", fs, ink, Anchor::start, true);
    ly += fs * 1.1;
    p.text({lx, ly}, "events / 1,000 households", fs * 0.7, ink, Anchor::start, false);
    ly += fs * 0.6;
    const std::size_t classes = top > 0 ? palette.size() : 1;
    for (std::size_t i = 0; i < classes; ++i) {
        p.polygons(rect(lx, ly, sw, sh), Style{palette[i], 1, false, grid_line, fs * 0.05, false}, "legend", "");
        const std::string label = top > 0 ? fmt::format("{}–{}", number(step * static_cast<double>(i)),
                                                        number(step * static_cast<double>(i + 1)))
                                          : "0";
        p.text({lx + sw + fs * 0.5, ly + sh * 0.85}, label, fs * 0.85, ink, Anchor::start, false);
        ly += sh + fs * 0.35;
    }
    p.polygons(rect(lx, ly, sw, sh), Style{no_households, 1, false, grid_line, fs * 0.05, false}, "legend", "");
    p.text({lx + sw + fs * 0.5, ly + sh * 0.85}, "无户数 no households", fs * 0.85, ink, Anchor::start, false);
    ly += sh + fs * 1.2;

    auto entry = [&](const std::function<void(double)>& swatch, const std::string& zh, const std::string& en) {
        swatch(ly);
        p.text({lx + sw + fs * 0.5, ly + sh * 0.85}, zh, fs * 0.85, ink, Anchor::start, false);
        ly += sh + fs * 0.25;
        p.text({lx + sw + fs * 0.5, ly + sh * 0.55}, en, fs * 0.65, ink, Anchor::start, false);
        ly += sh + fs * 0.3;
    };
    entry([&](double at) {
        p.polygons(rect(lx, at, sw, sh), Style{std::nullopt, 1, true, warning, fs * 0.16, false}, "legend", "");
    }, "有覆盖问题的网格", "grid with findings");
    entry([&](double at) {
        p.polygons(rect(lx, at, sw, sh), Style{gap_fill, 0.75, false, gap_fill, fs * 0.08, false}, "legend", "");
    }, "缝隙等", "gap and other findings");
    entry([&](double at) {
        p.polygons(rect(lx, at, sw, sh), Style{warning, 0.75, false, warning, fs * 0.08, false}, "legend", "");
    }, "重叠", "overlap");
    entry([&](double at) {
        p.circle({lx + sw / 2, at + sh / 2}, fs * 0.45, Style{std::nullopt, 1, false, gap_fill, fs * 0.18, false});
    }, "小范围问题位置", "small finding");
    entry([&](double at) {
        p.circle({lx + sw / 2, at + sh / 2}, fs * 0.4, Style{event_fill, 1, false, white, fs * 0.08, false});
    }, "未落入网格的事件", "event in no grid");
    entry([&](double at) {
        p.polyline({{lx, at + sh / 2}, {lx + sw, at + sh / 2}}, Style{std::nullopt, 1, false, village_line, fs * 0.12, false});
    }, "村（社区）界", "village boundary");
    entry([&](double at) {
        p.polyline({{lx, at + sh / 2}, {lx + sw, at + sh / 2}}, Style{std::nullopt, 1, false, grid_line, fs * 0.08, false});
    }, "网格界", "grid boundary");
}

}  // namespace wangge::report::detail
