// The map as inline SVG (report/svg.hpp).
#include "report/svg.hpp"

#include "report/map.hpp"

#include <fmt/format.h>

#include <set>

namespace wangge::report::detail {

std::string escape_html(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

namespace {

/// Coordinates to 0.01 of a unit: a 1000-unit map stays sharp, the file small.
std::string num(double v) {
    std::string s = fmt::format("{:.2f}", v);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
}

class SvgPainter final : public Painter {
public:
    std::string body;
    std::set<std::string> hatches;  // colours of the hatch patterns used

    void polygons(const std::vector<std::vector<std::vector<Pt>>>& polys, const Style& style, std::string_view kind,
                  std::string_view code) override {
        std::string d;
        for (const auto& poly : polys)
            for (const auto& ring : poly) {
                if (ring.size() < 3) continue;
                d += 'M';
                for (std::size_t i = 0; i < ring.size(); ++i) {
                    if (i == 1) d += 'L';
                    else if (i > 1) d += ' ';
                    d += num(ring[i].x) + ',' + num(ring[i].y);
                }
                d += 'Z';
            }
        if (d.empty()) return;
        body += fmt::format("<path class=\"{}\"", escape_html(kind));
        if (!code.empty()) body += fmt::format(" data-code=\"{}\"", escape_html(code));
        body += fmt::format(" d=\"{}\" fill-rule=\"evenodd\"{}/>\n", d, attributes(style));
    }
    void polyline(const std::vector<Pt>& pts, const Style& style) override {
        if (pts.size() < 2) return;
        std::string d = "M";
        for (std::size_t i = 0; i < pts.size(); ++i) {
            if (i == 1) d += 'L';
            else if (i > 1) d += ' ';
            d += num(pts[i].x) + ',' + num(pts[i].y);
        }
        Style s = style;
        s.fill.reset();
        s.hatch = false;
        body += fmt::format("<path d=\"{}\"{} stroke-linejoin=\"round\"/>\n", d, attributes(s));
    }
    void circle(Pt c, double radius, const Style& style) override {
        body += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\"{}/>\n", num(c.x), num(c.y), num(radius),
                            attributes(style));
    }
    void text(Pt at, std::string_view text, double size, Rgb colour, Anchor anchor, bool bold) override {
        const char* a = anchor == Anchor::start ? "start" : anchor == Anchor::middle ? "middle" : "end";
        body += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\" text-anchor=\"{}\"{}>{}</text>\n",
                            num(at.x), num(at.y), num(size), colour.hex(), a, bold ? " font-weight=\"bold\"" : "",
                            escape_html(text));
    }

private:
    std::string attributes(const Style& s) {
        std::string a;
        if (s.hatch && s.stroke) {
            const std::string id = "hatch-" + s.stroke->hex().substr(1);
            hatches.insert(s.stroke->hex());
            // the fill under the hatch, then the hatch itself over it: one path each
            // would double the grid's paths, so a fill colour and a hatch cannot mix
            // here; the map hatches only unfilled paths and swatches
            a += fmt::format(" fill=\"url(#{})\"", id);
        } else if (s.fill) {
            a += fmt::format(" fill=\"{}\"", s.fill->hex());
            if (s.fill_opacity < 1) a += fmt::format(" fill-opacity=\"{}\"", num(s.fill_opacity));
        } else {
            a += " fill=\"none\"";
        }
        if (s.stroke && s.stroke_width > 0) {
            a += fmt::format(" stroke=\"{}\" stroke-width=\"{}\"", s.stroke->hex(), num(s.stroke_width));
            if (s.dashed) a += " stroke-dasharray=\"4 2\"";
        }
        return a;
    }
};

}  // namespace

std::string map_svg(const Report& r, double width, double height) {
    SvgPainter p;
    draw_map(r, p, 0, 0, width, height);
    std::string defs;
    for (const auto& c : p.hatches)
        defs += fmt::format(
            "<pattern id=\"hatch-{}\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" "
            "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{}\" fill-opacity=\"0.12\"/>"
            "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"{}\" stroke-width=\"1.6\"/></pattern>",
            c.substr(1), c, c);
    return fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"map\" viewBox=\"0 0 {} {}\" role=\"img\" "
        "aria-label=\"{}\">\n<defs>{}</defs>\n{}</svg>",
        num(width), num(height), escape_html("网格地图 " + r.name), defs, p.body);
}

}  // namespace wangge::report::detail
