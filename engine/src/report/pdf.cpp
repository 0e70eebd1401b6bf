// write_pdf: the report as a printable A4 PDF, drawn with cairo's PDF surface. The
// same content as the HTML page (report/content.hpp) and the same map (report/map.hpp
// through a cairo painter). Page 1: title, summary and the map; then the sections,
// each on a new page unless more than half of the page is still free, tables
// continuing over pages with their header repeated (rows never split); every page
// has a footer with the area code, the generated time and "page N of M" (the
// document is laid out twice: once to count the pages).
//
// Text is set in a CJK font found through fontconfig (Noto Sans CJK SC preferred;
// any font with Chinese glyphs will do) and drawn through cairo-ft; cairo embeds the
// glyphs used, so the PDF reads anywhere. Without a CJK font the PDF would show empty
// boxes for every Chinese character, so that is an error naming the package.
#include "report/common.hpp"
#include "report/content.hpp"
#include "report/map.hpp"

#include "wangge/error.hpp"

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>
#include <fontconfig/fontconfig.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

namespace wangge::report {

using namespace detail;

namespace {

// A4 in points, margins of 15 mm
constexpr double page_w = 595.276, page_h = 841.890;
constexpr double margin = 42.5, top = 48, bottom = 58;
constexpr double text_w = page_w - 2 * margin;

/// The text as valid UTF-8 (cairo refuses a whole string, and then draws nothing more
/// on that context, for one bad byte): invalid bytes become U+FFFD.
std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size() && !(n == 1 && c < 0x20 && c != '\t');
        for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        if (ok && n >= 2) {
            // no overlong forms or surrogates
            const auto c1 = static_cast<unsigned char>(s[i + 1]);
            if (n == 2) ok = c >= 0xc2;
            if (n == 3) ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);
            if (n == 4) ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90) && c <= 0xf4;
        }
        if (ok) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out += c == '\t' || c == '\n' || c == '\r' ? " " : "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

/// The UTF-8 code points of valid text, each as its bytes.
std::vector<std::string_view> code_points(std::string_view s) {
    std::vector<std::string_view> v;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : 4;
        v.push_back(s.substr(i, std::min(n, s.size() - i)));
        i += n;
    }
    return v;
}

/// The regular and bold CJK faces, from fontconfig.
class Fonts {
public:
    // A configuration of our own, read now (from FONTCONFIG_FILE if set, else the
    // system's): a font installed since the process started is seen, and nothing
    // depends on what else in the process set fontconfig up.
    Fonts() : config_(FcInitLoadConfigAndFonts(), FcConfigDestroy) {
        if (!config_) throw io_error("PDF report: fontconfig cannot read its configuration");
        regular_ = face(config_.get(), FC_WEIGHT_REGULAR);
        try {
            bold_ = face(config_.get(), FC_WEIGHT_BOLD);
        } catch (...) {
            cairo_font_face_destroy(regular_);
            throw;
        }
    }
    ~Fonts() {
        cairo_font_face_destroy(regular_);
        cairo_font_face_destroy(bold_);
    }
    Fonts(const Fonts&) = delete;
    Fonts& operator=(const Fonts&) = delete;
    cairo_font_face_t* get(bool bold) const { return bold ? bold_ : regular_; }

private:
    static cairo_font_face_t* face(FcConfig* config, int weight) {
        std::unique_ptr<FcPattern, void (*)(FcPattern*)> want(
            FcNameParse(reinterpret_cast<const FcChar8*>("Noto Sans CJK SC")), FcPatternDestroy);
        if (!want) throw io_error("PDF report: fontconfig cannot parse a font name");
        FcPatternAddString(want.get(), FC_LANG, reinterpret_cast<const FcChar8*>("zh-cn"));
        FcPatternAddInteger(want.get(), FC_WEIGHT, weight);
        FcConfigSubstitute(config, want.get(), FcMatchPattern);
        FcDefaultSubstitute(want.get());
        FcResult result = FcResultNoMatch;
        std::unique_ptr<FcPattern, void (*)(FcPattern*)> found(FcFontMatch(config, want.get(), &result),
                                                               FcPatternDestroy);
        FcCharSet* chars = nullptr;
        // 网 (U+7F51), 格 (U+683C), 镇 (U+9547): a font without them is no CJK font
        const bool cjk = found && FcPatternGetCharSet(found.get(), FC_CHARSET, 0, &chars) == FcResultMatch &&
                         FcCharSetHasChar(chars, 0x7F51) && FcCharSetHasChar(chars, 0x683C) &&
                         FcCharSetHasChar(chars, 0x9547);
        if (!cjk)
            throw io_error(
                "PDF report: no font with Chinese characters found through fontconfig (install the Debian "
                "package fonts-noto-cjk: apt-get install fonts-noto-cjk)");
        cairo_font_face_t* f = cairo_ft_font_face_create_for_pattern(found.get());
        if (cairo_font_face_status(f) != CAIRO_STATUS_SUCCESS)
            throw io_error(fmt::format("PDF report: cairo cannot use the font: {}",
                                       cairo_status_to_string(cairo_font_face_status(f))));
        return f;
    }
    std::unique_ptr<FcConfig, void (*)(FcConfig*)> config_;
    cairo_font_face_t* regular_ = nullptr;
    cairo_font_face_t* bold_ = nullptr;
};

struct Colour {
    double r, g, b;
};
constexpr Colour black{0.13, 0.13, 0.13}, grey{0.4, 0.4, 0.4}, rule{0.78, 0.78, 0.78}, head_bg{0.94, 0.94, 0.94};

/// Text on a cairo context: measuring (cached per code point) and drawing.
class Typesetter {
public:
    Typesetter(cairo_t* cr, const Fonts& fonts) : cr_(cr), fonts_(fonts) {}

    void select(double size, bool bold) {
        cairo_set_font_face(cr_, fonts_.get(bold));
        cairo_set_font_size(cr_, size);
    }
    double width(std::string_view text, double size, bool bold) {
        double w = 0;
        for (const auto cp : code_points(text)) w += advance(cp, bold) * size;
        return w;
    }
    void draw(double x, double y, std::string_view text, double size, bool bold, Colour c) {
        if (text.empty()) return;
        select(size, bold);
        cairo_set_source_rgb(cr_, c.r, c.g, c.b);
        cairo_move_to(cr_, x, y);
        cairo_show_text(cr_, std::string(text).c_str());
    }
    /// Lines of at most `max_w` (breaking between any two code points, as Chinese
    /// text breaks; Latin words are kept whole where they fit).
    std::vector<std::string> wrap(std::string_view text, double size, bool bold, double max_w) {
        std::vector<std::string> lines;
        std::string line, word;
        double lw = 0, ww = 0;
        auto flush_word = [&]() {
            if (lw + ww > max_w && !line.empty()) {
                lines.push_back(line);
                line.clear();
                lw = 0;
            }
            line += word;
            lw += ww;
            word.clear();
            ww = 0;
        };
        for (const auto cp : code_points(text)) {
            const double w = advance(cp, bold) * size;
            const bool latin = cp.size() == 1 && cp[0] != ' ';
            if (!latin) flush_word();
            if (ww + w > max_w && !word.empty()) flush_word();  // a word longer than the line
            word += cp;
            ww += w;
            if (!latin) flush_word();
        }
        flush_word();
        if (!line.empty() || lines.empty()) lines.push_back(line);
        return lines;
    }
    /// `text` cut to `max_w` with an ellipsis.
    std::string fit(std::string_view text, double size, bool bold, double max_w) {
        if (width(text, size, bold) <= max_w) return std::string(text);
        std::string out;
        double w = width("…", size, bold);
        for (const auto cp : code_points(text)) {
            w += advance(cp, bold) * size;
            if (w > max_w) break;
            out += cp;
        }
        return out + "…";
    }

private:
    /// Advance of one code point at size 1.
    double advance(std::string_view cp, bool bold) {
        auto& cache = bold ? bold_cache_ : regular_cache_;
        const auto it = cache.find(cp);
        if (it != cache.end()) return it->second;
        select(100, bold);
        cairo_text_extents_t e;
        const std::string s(cp);
        cairo_text_extents(cr_, s.c_str(), &e);
        const double a = e.x_advance / 100;
        cache.emplace(s, a);
        return a;
    }
    cairo_t* cr_;
    const Fonts& fonts_;
    std::map<std::string, double, std::less<>> regular_cache_, bold_cache_;
};

/// The map's painter on cairo.
class CairoPainter final : public Painter {
public:
    CairoPainter(cairo_t* cr, Typesetter& type, double hatch_spacing)
        : cr_(cr), type_(type), spacing_(hatch_spacing) {}

    void polygons(const std::vector<std::vector<std::vector<Pt>>>& polys, const Style& s, std::string_view,
                  std::string_view) override {
        cairo_new_path(cr_);
        double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
        for (const auto& poly : polys)
            for (const auto& ring : poly) {
                if (ring.size() < 3) continue;
                cairo_move_to(cr_, ring[0].x, ring[0].y);
                for (std::size_t i = 1; i < ring.size(); ++i) cairo_line_to(cr_, ring[i].x, ring[i].y);
                cairo_close_path(cr_);
                for (const Pt& p : ring)
                    x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
            }
        if (x0 > x1) return;
        cairo_set_fill_rule(cr_, CAIRO_FILL_RULE_EVEN_ODD);
        if (s.hatch && s.stroke) {
            // as the SVG's pattern: a faint wash of the colour, then lines at 45°
            cairo_save(cr_);
            cairo_clip_preserve(cr_);
            set(*s.stroke, 0.12);
            cairo_paint(cr_);
            set(*s.stroke, 1);
            cairo_set_line_width(cr_, spacing_ * 1.6 / 6);
            cairo_new_path(cr_);
            const double h = y1 - y0;
            for (double x = x0 - h; x <= x1; x += spacing_ * std::sqrt(2.0)) {
                cairo_move_to(cr_, x, y1);
                cairo_line_to(cr_, x + h, y0);
            }
            cairo_stroke(cr_);
            cairo_restore(cr_);
        } else if (s.fill) {
            set(*s.fill, s.fill_opacity);
            cairo_fill_preserve(cr_);
        }
        stroke(s);
    }
    void polyline(const std::vector<Pt>& pts, const Style& s) override {
        if (pts.size() < 2) return;
        cairo_new_path(cr_);
        cairo_move_to(cr_, pts[0].x, pts[0].y);
        for (std::size_t i = 1; i < pts.size(); ++i) cairo_line_to(cr_, pts[i].x, pts[i].y);
        stroke(s);
    }
    void circle(Pt c, double radius, const Style& s) override {
        cairo_new_path(cr_);
        cairo_arc(cr_, c.x, c.y, radius, 0, 2 * 3.14159265358979323846);
        if (s.fill) {
            set(*s.fill, s.fill_opacity);
            cairo_fill_preserve(cr_);
        }
        stroke(s);
    }
    void text(Pt at, std::string_view text, double size, Rgb colour, Anchor anchor, bool bold) override {
        const std::string t = valid_utf8(text);
        double x = at.x;
        if (anchor != Anchor::start) {
            const double w = type_.width(t, size, bold);
            x -= anchor == Anchor::middle ? w / 2 : w;
        }
        type_.draw(x, at.y, t, size, bold, {colour.r / 255.0, colour.g / 255.0, colour.b / 255.0});
    }

private:
    void set(Rgb c, double alpha) { cairo_set_source_rgba(cr_, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha); }
    void stroke(const Style& s) {
        if (s.stroke && s.stroke_width > 0) {
            set(*s.stroke, 1);
            cairo_set_line_width(cr_, s.stroke_width);
            cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
            cairo_stroke(cr_);
        }
        cairo_new_path(cr_);
    }
    cairo_t* cr_;
    Typesetter& type_;
    double spacing_;
};

/// One pass of laying out the document on a surface.
class Document {
public:
    Document(cairo_surface_t* surface, const Fonts& fonts, const Report& r, int total_pages)
        : cr_(cairo_create(surface)), type_(cr_, fonts), r_(r), total_(total_pages) {}
    ~Document() { cairo_destroy(cr_); }
    Document(const Document&) = delete;
    Document& operator=(const Document&) = delete;

    int render() {
        const auto sections = build_sections(r_);
        y_ = top;
        // page 1: title, the summary's facts, the map
        type_.draw(margin, y_ + 14, valid_utf8(report_title(r_)), 18, true, black);
        y_ += 26;
        for (const auto& line : type_.wrap(valid_utf8(report_subtitle(r_)), 9, false, text_w)) {
            type_.draw(margin, y_ + 9, line, 9, false, grey);
            y_ += 13;
        }
        type_.draw(margin, y_ + 9,
                   valid_utf8(fmt::format("生成时间 generated {} · 截至 as of {}", r_.generated_at,
                                          r_.as_of.empty() ? r_.generated_at : r_.as_of)),
                   9, false, grey);
        y_ += 18;
        const Section& summary = sections.front();
        heading(summary.title, summary.title_en);
        facts(summary.facts);
        y_ += 6;
        const double map_h = map_height(r_, text_w, 200, page_h - bottom - y_ - 4);
        if (map_h > 150) {
            CairoPainter painter(cr_, type_, 6 * text_w / 1000);
            draw_map(r_, painter, margin, y_, text_w, map_h);
            y_ += map_h + 8;
        }
        for (const auto& t : summary.tables) table(t);
        for (std::size_t i = 1; i < sections.size(); ++i) {
            // a section starts on a new page unless most of this one is still free
            if (y_ > top + (page_h - top - bottom) * 0.45) new_page();
            else y_ += 12;
            const Section& s = sections[i];
            heading(s.title, s.title_en);
            facts(s.facts);
            for (const auto& n : s.notes) {
                for (const auto& line : type_.wrap(valid_utf8(n), 8.5, false, text_w)) {
                    ensure(12);
                    type_.draw(margin, y_ + 9, line, 8.5, false, grey);
                    y_ += 12;
                }
            }
            y_ += 4;
            for (const auto& t : s.tables) table(t);
        }
        footer();
        cairo_show_page(cr_);
        return page_;
    }
    cairo_status_t status() const { return cairo_status(cr_); }

private:
    void footer() {
        const std::string left = valid_utf8(fmt::format("wangge {} · {} {} · 生成于 {}", r_.wangge_version,
                                                        r_.level, r_.code, r_.generated_at));
        const std::string right =
            total_ > 0 ? fmt::format("第 {} 页 / 共 {} 页", page_, total_) : fmt::format("第 {} 页", page_);
        const double y = page_h - bottom + 28;
        cairo_set_source_rgb(cr_, rule.r, rule.g, rule.b);
        cairo_set_line_width(cr_, 0.5);
        cairo_move_to(cr_, margin, y - 11);
        cairo_line_to(cr_, page_w - margin, y - 11);
        cairo_stroke(cr_);
        type_.draw(margin, y, type_.fit(left, 7.5, false, text_w - 90), 7.5, false, grey);
        type_.draw(page_w - margin - type_.width(right, 7.5, false), y, right, 7.5, false, grey);
    }
    void new_page() {
        footer();
        cairo_show_page(cr_);
        ++page_;
        y_ = top;
    }
    void ensure(double h) {
        if (y_ + h > page_h - bottom) new_page();
    }
    void heading(const std::string& zh, const std::string& en) {
        ensure(40);
        const std::string t = valid_utf8(zh);
        type_.draw(margin, y_ + 14, t, 14, true, black);
        type_.draw(margin + type_.width(t, 14, true) + 6, y_ + 14, valid_utf8(en), 8, false, grey);
        y_ += 19;
        cairo_set_source_rgb(cr_, black.r, black.g, black.b);
        cairo_set_line_width(cr_, 1.2);
        cairo_move_to(cr_, margin, y_);
        cairo_line_to(cr_, page_w - margin, y_);
        cairo_stroke(cr_);
        y_ += 8;
    }
    /// Facts in two columns: label (English small) left, value right.
    void facts(const std::vector<Fact>& fs) {
        const double col_w = (text_w - 18) / 2, row_h = 14;
        for (std::size_t i = 0; i < fs.size(); i += 2) {
            ensure(row_h);
            for (std::size_t k = 0; k < 2 && i + k < fs.size(); ++k) {
                const Fact& f = fs[i + k];
                const double x = margin + static_cast<double>(k) * (col_w + 18);
                const std::string value = valid_utf8(f.value);
                const double vw = std::min(type_.width(value, 9, true), col_w * 0.6);
                const std::string label = valid_utf8(f.label);
                const double lw = type_.width(label, 9, false);
                type_.draw(x, y_ + 10, type_.fit(label, 9, false, col_w - vw - 8), 9, false, black);
                const double en_room = col_w - vw - lw - 14;
                if (en_room > 20) type_.draw(x + lw + 4, y_ + 10, type_.fit(valid_utf8(f.label_en), 6.5, false, en_room), 6.5, false, grey);
                type_.draw(x + col_w - vw, y_ + 10, type_.fit(value, 9, true, col_w * 0.6), 9, true, black);
                cairo_set_source_rgb(cr_, rule.r, rule.g, rule.b);
                cairo_set_line_width(cr_, 0.4);
                cairo_move_to(cr_, x, y_ + row_h - 0.5);
                cairo_line_to(cr_, x + col_w, y_ + row_h - 0.5);
                cairo_stroke(cr_);
            }
            y_ += row_h;
        }
        y_ += 4;
    }

    /// A table: columns sized to their text within the page width, cells wrapped,
    /// rows never split, the header repeated on each page the table continues to.
    void table(const Table& t) {
        constexpr double size = 7.5, line_h = 9.5, pad = 3;
        const std::string title = valid_utf8(t.title), title_en = valid_utf8(t.title_en);
        auto caption = [&](bool continued) {
            const std::string zh = continued ? title + "（续）" : title;
            type_.draw(margin, y_ + 10, zh, 10, true, black);
            type_.draw(margin + type_.width(zh, 10, true) + 5, y_ + 10, title_en + (continued ? " (continued)" : ""),
                       7, false, grey);
            y_ += 16;
        };
        if (t.rows.empty()) {
            ensure(32);
            caption(false);
            type_.draw(margin, y_ + 8, valid_utf8(t.empty), 8.5, false, grey);
            y_ += 18;
            return;
        }
        const std::size_t n = t.header.size();
        std::vector<std::string> header(n);
        for (std::size_t c = 0; c < n; ++c) header[c] = valid_utf8(t.header[c]);
        std::vector<std::vector<std::string>> rows;
        rows.reserve(t.rows.size());
        for (const auto& row : t.rows) {
            std::vector<std::string> v(n);
            for (std::size_t c = 0; c < n && c < row.size(); ++c) v[c] = valid_utf8(row[c]);
            rows.push_back(std::move(v));
        }
        // natural widths, then shrink the wide columns until the table fits
        std::vector<double> w(n, 0);
        for (std::size_t c = 0; c < n; ++c) {
            w[c] = type_.width(header[c], size, true);
            for (const auto& row : rows) w[c] = std::max(w[c], type_.width(row[c], size, false));
            w[c] += 2 * pad;
        }
        double total = 0;
        for (double x : w) total += x;
        if (total > text_w) {
            // columns narrower than a fair share keep their width; the others share the rest
            std::vector<bool> fixed_col(n, false);
            for (int round = 0; round < 8; ++round) {
                double fixed_sum = 0;
                std::size_t flexible = 0;
                for (std::size_t c = 0; c < n; ++c) fixed_col[c] ? fixed_sum += w[c] : ++flexible;
                if (flexible == 0) break;
                const double share = (text_w - fixed_sum) / static_cast<double>(flexible);
                bool changed = false;
                for (std::size_t c = 0; c < n; ++c)
                    if (!fixed_col[c] && w[c] <= share) fixed_col[c] = changed = true;
                if (!changed) {
                    for (std::size_t c = 0; c < n; ++c)
                        if (!fixed_col[c]) w[c] = share;
                    break;
                }
            }
        }
        double table_w = 0;
        for (double x : w) table_w += x;
        auto wrapped = [&](const std::vector<std::string>& cells, bool bold) {
            std::vector<std::vector<std::string>> v(n);
            for (std::size_t c = 0; c < n; ++c) v[c] = type_.wrap(cells[c], size, bold, std::max(w[c] - 2 * pad, 4.0));
            return v;
        };
        auto height = [&](const std::vector<std::vector<std::string>>& cells) {
            std::size_t lines = 1;
            for (const auto& c : cells) lines = std::max(lines, c.size());
            return static_cast<double>(lines) * line_h + 2 * pad - 1;
        };
        auto draw_row = [&](const std::vector<std::vector<std::string>>& cells, bool head) {
            const double h = height(cells);
            double x = margin;
            if (head) {
                cairo_set_source_rgb(cr_, head_bg.r, head_bg.g, head_bg.b);
                cairo_rectangle(cr_, margin, y_, table_w, h);
                cairo_fill(cr_);
            }
            for (std::size_t c = 0; c < n; ++c) {
                double ly = y_ + pad + size;
                for (const auto& line : cells[c]) {
                    const double lx = t.numeric[c] && !head ? x + w[c] - pad - type_.width(line, size, false) : x + pad;
                    type_.draw(lx, ly, line, size, head, black);
                    ly += line_h;
                }
                x += w[c];
            }
            cairo_set_source_rgb(cr_, rule.r, rule.g, rule.b);
            cairo_set_line_width(cr_, 0.4);
            x = margin;
            for (std::size_t c = 0; c < n; ++c) {
                cairo_rectangle(cr_, x, y_, w[c], h);
                x += w[c];
            }
            cairo_stroke(cr_);
            y_ += h;
        };
        const auto head_cells = wrapped(header, true);
        const double head_h = height(head_cells);
        bool continued = false;
        auto start = [&]() {
            caption(continued);
            draw_row(head_cells, true);
            continued = true;
        };
        // the caption, the header and the first row together
        const auto first = wrapped(rows.front(), false);
        ensure(16 + head_h + height(first));
        start();
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto cells = i == 0 ? first : wrapped(rows[i], false);
            if (y_ + height(cells) > page_h - bottom) {
                new_page();
                start();
            }
            draw_row(cells, false);
        }
        y_ += 10;
    }

    cairo_t* cr_;
    Typesetter type_;
    const Report& r_;
    int total_ = 0;
    int page_ = 1;
    double y_ = top;
};

cairo_status_t discard(void*, const unsigned char*, unsigned int) {
    return CAIRO_STATUS_SUCCESS;
}

}  // namespace

void write_pdf(const Report& r, const std::filesystem::path& out) {
    const Fonts fonts;
    // pass 1: count the pages (nothing written)
    int pages = 0;
    {
        std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> s(
            cairo_pdf_surface_create_for_stream(discard, nullptr, page_w, page_h), cairo_surface_destroy);
        Document d(s.get(), fonts, r, 0);
        pages = d.render();
        if (d.status() != CAIRO_STATUS_SUCCESS)
            throw io_error(fmt::format("{}: cannot draw the PDF: {}", out.string(), cairo_status_to_string(d.status())));
        cairo_surface_finish(s.get());
    }
    // pass 2: the file, to OUT.tmp then renamed
    const std::filesystem::path tmp = out.string() + ".tmp";
    std::unique_ptr<cairo_surface_t, void (*)(cairo_surface_t*)> s(
        cairo_pdf_surface_create(tmp.c_str(), page_w, page_h), cairo_surface_destroy);
    cairo_pdf_surface_restrict_to_version(s.get(), CAIRO_PDF_VERSION_1_5);
    cairo_pdf_surface_set_metadata(s.get(), CAIRO_PDF_METADATA_TITLE, valid_utf8(report_title(r)).c_str());
    cairo_pdf_surface_set_metadata(s.get(), CAIRO_PDF_METADATA_CREATOR,
                                   valid_utf8("wangge " + r.wangge_version).c_str());
    cairo_status_t status = cairo_surface_status(s.get());
    if (status == CAIRO_STATUS_SUCCESS) {
        Document d(s.get(), fonts, r, pages);
        d.render();
        status = d.status();
    }
    cairo_surface_finish(s.get());
    if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_status(s.get());
    s.reset();
    std::error_code ec;
    if (status != CAIRO_STATUS_SUCCESS) {
        std::filesystem::remove(tmp, ec);
        throw io_error(fmt::format("{}: cannot write the PDF: {}", out.string(), cairo_status_to_string(status)));
    }
    std::filesystem::rename(tmp, out, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw io_error(fmt::format("{}: cannot move the output into place: {}", out.string(), ec.message()));
    }
}

}  // namespace wangge::report
