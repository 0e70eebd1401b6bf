// report/content.hpp — the words and tables of a report, once, for the HTML page and
// the PDF: each section a title (Chinese, with the English in small type), a few
// facts ("覆盖率: 97.2%") and tables of text cells. The writers only lay them out,
// so the page and the paper say the same. Internal to engine/src/report/.
#pragma once

#include "wangge/report.hpp"

#include <string>
#include <vector>

namespace wangge::report::detail {

struct Fact {
    std::string label, label_en, value;
};

struct Table {
    std::string id;               ///< for the HTML (id="t-findings")
    std::string title, title_en;
    std::vector<std::string> header;
    std::vector<bool> numeric;    ///< right-aligned columns
    std::vector<std::vector<std::string>> rows;
    std::string empty;            ///< said instead of an empty table ("无" ...)
};

struct Section {
    std::string id, title, title_en;
    std::vector<Fact> facts;
    std::vector<std::string> notes;  ///< a sentence or two under the facts
    std::vector<Table> tables;
};

/// "八里店镇 网格化服务管理报告" (the area's name and the report's name).
std::string report_title(const Report& r);
/// "乡镇（街道） 330502001 · 湖州市 吴兴区" and the period, one line.
std::string report_subtitle(const Report& r);
/// The sections in order: summary, coverage, size, staffing, events, assessment, changes.
std::vector<Section> build_sections(const Report& r);

}  // namespace wangge::report::detail
