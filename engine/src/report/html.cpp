// write_html: the report as ONE self-contained HTML page. No external resource at
// all (township networks are often offline, and an auditor opens the file years
// later): styles inline, the map inline SVG drawn by wangge (report/map.hpp), fonts
// from the machine by a CSS font stack. Every piece of text is escaped. Printable:
// @page A4, table headers repeated on each printed page, the map kept on one page.
#include "report/common.hpp"
#include "report/content.hpp"
#include "report/map.hpp"
#include "report/svg.hpp"

#include <fmt/format.h>

namespace wangge::report {

using namespace detail;

namespace {

constexpr const char* css = R"css(
:root { --ink: #222; --muted: #666; --rule: #ccc; --warn: #d7191c; }
* { box-sizing: border-box; }
html { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei",
       "WenQuanYi Micro Hei", sans-serif; color: var(--ink); font-size: 14px; line-height: 1.5; }
body { margin: 0 auto; padding: 24px; max-width: 1100px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 15px; margin: 16px 0 6px; }
small.en { font-size: 11px; color: var(--muted); font-weight: normal; margin-left: 6px; }
p.sub, p.meta { color: var(--muted); margin: 0 0 4px; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 4px 24px; margin: 8px 0; }
dl.facts div { display: flex; justify-content: space-between; border-bottom: 1px dotted var(--rule); padding: 2px 0; }
dl.facts dt { margin: 0; } dl.facts dd { margin: 0 0 0 12px; white-space: nowrap; font-weight: bold; font-variant-numeric: tabular-nums; }
p.note { color: var(--muted); font-size: 13px; margin: 4px 0; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--rule); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.empty { color: var(--muted); font-style: italic; }
figure.map { margin: 12px 0; border: 0; }
figure.map svg { width: 100%; height: auto; display: block; }
figure.map svg text { font-family: inherit; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--rule); padding-top: 6px; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; } h3 { break-after: avoid; }
  figure.map { break-inside: avoid; }
  thead { display: table-header-group; } tr { break-inside: avoid; }
}
)css";

std::string heading(int level, const std::string& zh, const std::string& en) {
    return fmt::format("<h{0}>{1}<small class=\"en\">{2}</small></h{0}>\n", level, escape_html(zh), escape_html(en));
}

std::string table_html(const Table& t) {
    std::string h = heading(3, t.title, t.title_en);
    if (t.rows.empty()) return h + fmt::format("<p class=\"empty\">{}</p>\n", escape_html(t.empty));
    h += fmt::format("<table id=\"t-{}\">\n<thead><tr>", escape_html(t.id));
    for (std::size_t c = 0; c < t.header.size(); ++c)
        h += fmt::format("<th{}>{}</th>", t.numeric[c] ? " class=\"n\"" : "", escape_html(t.header[c]));
    h += "</tr></thead>\n<tbody>\n";
    for (const auto& row : t.rows) {
        h += "<tr>";
        for (std::size_t c = 0; c < row.size(); ++c)
            h += fmt::format("<td{}>{}</td>", c < t.numeric.size() && t.numeric[c] ? " class=\"n\"" : "",
                             escape_html(row[c]));
        h += "</tr>\n";
    }
    return h + "</tbody></table>\n";
}

}  // namespace

void write_html(const Report& r, const std::filesystem::path& out) {
    const auto sections = build_sections(r);
    const std::string title = report_title(r);
    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += fmt::format("<meta name=\"generator\" content=\"wangge {}\">\n", escape_html(r.wangge_version));
    h += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n", escape_html(title), css);
    h += fmt::format("<header>\n<h1>{}</h1>\n<p class=\"sub\">{}</p>\n", escape_html(title),
                     escape_html(report_subtitle(r)));
    h += fmt::format("<p class=\"meta\">生成时间 generated {} · 截至 as of {}</p>\n</header>\n",
                     escape_html(r.generated_at), escape_html(r.as_of.empty() ? r.generated_at : r.as_of));
    for (const auto& s : sections) {
        h += fmt::format("<section id=\"{}\">\n", escape_html(s.id));
        h += heading(2, s.title, s.title_en);
        if (!s.facts.empty()) {
            h += "<dl class=\"facts\">\n";
            for (const auto& f : s.facts)
                h += fmt::format("<div><dt>{}<small class=\"en\">{}</small></dt><dd>{}</dd></div>\n",
                                 escape_html(f.label), escape_html(f.label_en), escape_html(f.value));
            h += "</dl>\n";
        }
        for (const auto& n : s.notes) h += fmt::format("<p class=\"note\">{}</p>\n", escape_html(n));
        if (s.id == "summary") {
            h += "<figure class=\"map\">\n" + map_svg(r, 1000, map_height(r, 1000, 400, 900)) + "\n</figure>\n";
        }
        for (const auto& t : s.tables) h += table_html(t);
        h += "</section>\n";
    }
    h += fmt::format("<footer>wangge {} · {} {} · 生成于 {}{}</footer>\n", escape_html(r.wangge_version),
                     escape_html(r.level), escape_html(r.code), escape_html(r.generated_at),
                     r.with_names ? " · 含人员姓名，注意保密 contains staff names" : "");
    h += "</body>\n</html>\n";
    write_whole(out, h);
}

}  // namespace wangge::report
