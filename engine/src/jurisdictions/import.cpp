// Jurisdiction import: read all, check all, then write the accepted ones in one
// transaction (or nothing, when there are rejects and skip_invalid is off).
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <unordered_map>

#include "geometry/geos.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"
#include "wangge/csv.hpp"
#include "wangge/error.hpp"
#include "wangge/text.hpp"
#include "wangge/jurisdictions.hpp"
#include "wangge/store.hpp"

namespace wangge {

namespace {

struct Candidate {
    SourceFeature src;
    std::string raw_code;
    std::string name;
    ParsedCode code;
    geos::Geometry geom;
    std::string reject;  // empty while accepted
    bool repaired = false;
    bool exists_in_store = false;
};

int level_rank(Level l) {
    return static_cast<int>(l);
}

std::string field_text(const SourceFeature& f, std::optional<int> idx) {
    if (!idx) return {};
    const auto& v = f.fields[static_cast<std::size_t>(*idx)];
    return v ? *v : std::string();
}

using text::trim;

/// Check one feature's own properties (no cross-feature checks). Returns the
/// reason for rejecting it, or "" when it passes.
std::string check_feature(Candidate& c, const ImportOptions& opt, std::optional<int> level_idx,
                          std::optional<int> parent_idx, geos::Context& geos) {
    for (const auto& e : c.src.field_errors)
        if (!e.empty()) return e;
    if (!c.code.ok()) return c.code.error;
    if (opt.level && *opt.level != c.code.level)
        return fmt::format("code {} has {} digits, a {} code, but the file is imported as --level {}", c.code.code,
                           c.code.code.size(), level_name(c.code.level), level_name(*opt.level));
    if (level_idx) {
        const std::string lv = trim(field_text(c.src, level_idx));
        const auto parsed = level_from_name(lv);
        if (!parsed)
            return fmt::format("level '{}' in field '{}' is not county, township or village", lv, opt.level_field);
        if (*parsed != c.code.level)
            return fmt::format("code {} has {} digits, a {} code, but field '{}' says {}", c.code.code,
                               c.code.code.size(), level_name(c.code.level), opt.level_field, lv);
    }
    if (parent_idx) {
        const std::string raw_parent = trim(field_text(c.src, parent_idx));
        const auto expected = parent_code(c.code.code);
        const ParsedCode p = parse_division_code(raw_parent);
        const std::string parent = p.ok() ? p.code : raw_parent;
        if (c.code.level != Level::county && expected && parent != *expected)
            return fmt::format("code {} does not start with its parent's code {} (field '{}'); expected parent {}",
                               c.code.code, raw_parent.empty() ? "(empty)" : raw_parent, opt.parent_field, *expected);
    }
    if (!c.src.geometry_error.empty()) return c.src.geometry_error;
    if (c.src.wkb.empty()) return "empty geometry (the feature has no shape)";
    c.geom = geos.from_wkb(c.src.wkb.data(), c.src.wkb.size());
    const int type = GEOSGeomTypeId_r(geos.handle(), c.geom.get());
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
    {
        char* type_name = GEOSGeomType_r(geos.handle(), c.geom.get());
        std::string tn = type_name ? type_name : c.src.geometry_type;
        GEOSFree_r(geos.handle(), type_name);
        return fmt::format("geometry is a {}; a jurisdiction must be a polygon", tn);
    }
    if (geos.is_empty(c.geom.get())) return "empty geometry";
    const std::string invalid = geos.invalid_reason(c.geom.get());
    if (!invalid.empty()) {
        if (!opt.repair) return "invalid geometry: " + invalid + " (--repair fixes it with GEOS MakeValid)";
        auto fixed = geos.make_valid_polygonal(c.geom.get());
        if (geos.is_empty(fixed.get()) || geos.area(fixed.get()) <= 0)
            return "invalid geometry: " + invalid + "; repair left no polygon";
        c.geom = std::move(fixed);
        c.repaired = true;
    } else {
        c.geom = geos.polygonal_parts(c.geom.get());  // always store a MultiPolygon
    }
    if (geos.area(c.geom.get()) <= 0) return "geometry has zero area";
    return {};
}

} // namespace

ImportReport import_jurisdictions(Store& store, const ImportOptions& opt, const ProgressFn& progress) {
    auto& geos = geos::Context::local();
    VectorSource src(opt.source);
    ImportReport report;
    report.file = src.file_name();
    report.driver = src.driver();
    report.crs = src.crs_description();
    report.encoding = src.encoding_description();
    report.crs_operation = src.crs_operation().description + ", accuracy " + src.crs_operation().accuracy_text();
    for (const auto& w : src.warnings()) report.warnings.push_back({-1, "", "", w, ""});

    const int code_idx = src.require_field(opt.code_field, "--code-field");
    std::optional<int> name_idx = src.field_index(opt.name_field);
    if (!name_idx && opt.name_field != "name") src.require_field(opt.name_field, "--name-field");
    std::optional<int> level_idx, parent_idx;
    if (!opt.level_field.empty()) level_idx = src.require_field(opt.level_field, "--level-field");
    if (!opt.parent_field.empty()) parent_idx = src.require_field(opt.parent_field, "--parent-field");
    // What the checks read from the store (codes already there, parents, the code
    // table) is read inside the write transaction, so a second import waits for
    // this one and sees its rows instead of failing on a duplicate at the end. A
    // dry run writes nothing and takes no write lock.
    std::optional<Store::Transaction> tx;
    if (!opt.dry_run) tx.emplace(store);
    const bool have_code_table = code_table_size(store) > 0;
    if (!have_code_table)
        report.warnings.push_back({-1, "", "", "the code table is not loaded ('wangge codes load DIR'): codes are not "
                                                "checked against it and names are not filled from it", ""});

    // --- read and check each feature on its own
    const std::int64_t total = src.feature_count();
    std::vector<Candidate> cands;
    std::unordered_map<std::string, std::size_t> first_by_code;
    SourceFeature f;
    while (src.next(f)) {
        Candidate c;
        c.src = std::move(f);
        c.raw_code = trim(field_text(c.src, code_idx));
        c.name = trim(field_text(c.src, name_idx));
        c.code = parse_division_code(c.raw_code);
        c.reject = check_feature(c, opt, level_idx, parent_idx, geos);
        if (c.reject.empty()) {
            auto [it, fresh] = first_by_code.emplace(c.code.code, cands.size());
            if (!fresh)
                c.reject = fmt::format("duplicate code {}: feature {} of this file has it too", c.code.code,
                                       cands[it->second].src.fid);
        }
        if (c.reject.empty()) {
            if (const auto stored = repo::jurisdiction_origin(store, c.code.code)) {
                c.exists_in_store = true;
                if (!opt.replace)
                    c.reject = fmt::format(
                        "code {} is already in the store (imported from {} at {}); "
                        "--replace replaces it",
                        c.code.code, stored->source_file, stored->imported_at);
            }
        }
        if (c.reject.empty() && have_code_table) {
            const auto entry = lookup_code(store, c.code.code);
            if (!entry) {
                report.warnings.push_back({c.src.fid, c.code.code, c.name,
                                           fmt::format("code {} is not in the code table", c.code.code), ""});
            } else if (c.name.empty()) {
                c.name = entry->name;
            } else if (c.name != entry->name) {
                report.warnings.push_back(
                    {c.src.fid, c.code.code, c.name,
                     fmt::format("name '{}' differs from the code table's '{}' (the file's name is kept)", c.name,
                                 entry->name),
                     ""});
            }
        }
        if (c.reject.empty() && c.name.empty())
            c.reject = fmt::format("code {} has no name (field '{}' empty and the code is not in the code table)",
                                   c.code.code, opt.name_field);
        cands.push_back(std::move(c));
        if (progress && cands.size() % 200 == 0) progress(static_cast<std::int64_t>(cands.size()), total, "checking");
    }
    report.read = static_cast<std::int64_t>(cands.size());
    if (progress) progress(report.read, total, "checking");

    // --- containment in the parent (from this file if there, else from the store)
    std::unordered_map<std::string, const Candidate*> accepted_by_code;
    for (const auto& c : cands)
        if (c.reject.empty()) accepted_by_code.emplace(c.code.code, &c);
    struct ParentGeom {
        const GEOSGeometry* geom = nullptr;
        geos::Geometry owned;
        geos::Prepared prepared;
    };
    std::map<std::string, ParentGeom> parents;
    std::int64_t checked = 0;
    std::map<std::string, std::int64_t> unchecked_children;  // missing parent -> children
    for (auto& c : cands) {
        if (!c.reject.empty() || c.code.level == Level::county) continue;
        const std::string pcode = *parent_code(c.code.code);
        auto it = parents.find(pcode);
        if (it == parents.end()) {
            ParentGeom pg;
            if (auto a = accepted_by_code.find(pcode); a != accepted_by_code.end()) {
                pg.geom = a->second->geom.get();
            } else {
                if (const auto wkb = repo::jurisdiction_wkb(store, pcode)) {
                    pg.owned = geos.from_wkb(wkb->data(), wkb->size());
                    pg.geom = pg.owned.get();
                }
            }
            if (pg.geom) pg.prepared = geos.prepare(pg.geom);
            it = parents.emplace(pcode, std::move(pg)).first;
        }
        const ParentGeom& pg = it->second;
        if (!pg.geom) {
            ++unchecked_children[pcode];
            continue;
        }
        if (GEOSPreparedCovers_r(geos.handle(), pg.prepared.get(), c.geom.get()) == 1) continue;
        const double outside = geos.area(geos.difference(c.geom.get(), pg.geom).get()) / geos.area(c.geom.get());
        if (outside > opt.inside_tolerance)
            c.reject = fmt::format("{:.3f}% of its area lies outside its parent {} {} (tolerance {:.3f}%)",
                                   outside * 100, level_name(*level_from_code_length(pcode.size())), pcode,
                                   opt.inside_tolerance * 100);
        if (progress && ++checked % 200 == 0) progress(checked, report.read, "containment");
    }

    for (const auto& [pcode, n] : unchecked_children)
        report.warnings.push_back({-1, pcode, "",
                                   fmt::format("parent {} is neither in the store nor in this file: containment of "
                                               "its {} {} not checked",
                                               pcode, n, n == 1 ? "child" : "children"),
                                   ""});

    for (auto& c : cands) {
        if (!c.reject.empty()) {
            std::string wkt;
            if (!c.src.wkb.empty()) {
                try {
                    auto g = geos.from_wkb(c.src.wkb.data(), c.src.wkb.size());
                    wkt = geos.to_wkt(g.get(), 7);
                } catch (const geometry_error&) {
                }
            }
            report.rejects.push_back({c.src.fid, c.code.ok() ? c.code.code : c.raw_code, c.name, c.reject, wkt});
            continue;
        }
        if (c.repaired) ++report.repaired;
        switch (c.code.level) {
        case Level::county: ++report.counties; break;
        case Level::township: ++report.townships; break;
        default: ++report.villages; break;
        }
    }
    if (!opt.rejects_file.empty() && !report.rejects.empty()) write_rejects_csv(opt.rejects_file, report);
    if (opt.dry_run || (!report.rejects.empty() && !opt.skip_invalid)) return report;

    // --- write, all in one transaction
    std::vector<Candidate*> ordered;
    for (auto& c : cands)
        if (c.reject.empty()) ordered.push_back(&c);
    std::stable_sort(ordered.begin(), ordered.end(), [](const Candidate* a, const Candidate* b) {
        return level_rank(a->code.level) < level_rank(b->code.level);
    });
    report.import_id = repo::begin_import_run(
        store, "jurisdictions", report.file,
        fmt::format("code_field={} name_field={} repair={} skip_invalid={} replace={} crs={} encoding={}",
                    opt.code_field, opt.name_field, opt.repair, opt.skip_invalid, opt.replace, report.crs,
                    report.encoding));
    record_source_crs(store, report.import_id, src);
    repo::JurisdictionWriter writer(store);
    repo::JurisdictionRow row;
    row.source_file = report.file;
    std::int64_t written = 0;
    for (Candidate* c : ordered) {
        if (c->exists_in_store) {
            writer.remove(c->code.code);
            ++report.replaced;
        }
        row.code = c->code.code;
        row.level = level_name(c->code.level);
        row.name = c->name;
        row.parent_code = c->code.level != Level::county ? parent_code(c->code.code) : std::nullopt;
        row.wkb = geos.to_wkb(c->geom.get());
        writer.insert(row, c->src.fid, report.import_id);
        if (progress && ++written % 200 == 0)
            progress(written, static_cast<std::int64_t>(ordered.size()), "writing");
    }
    report.imported = static_cast<std::int64_t>(ordered.size());
    repo::finish_import_run(store, report.import_id, report.imported, report.replaced,
                            static_cast<std::int64_t>(report.rejects.size()));
    tx->commit();
    report.committed = true;
    return report;
}

void write_rejects_csv(const std::filesystem::path& path, const ImportReport& report) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw io_error(fmt::format("{}: cannot write the rejects file", path.string()));
    out << "file,feature,code,name,reason,wkt\n";
    for (const auto& r : report.rejects)
        out << csv_quote(report.file) << ',' << r.feature << ',' << csv_quote(r.code) << ',' << csv_quote(r.name)
            << ',' << csv_quote(r.reason) << ',' << csv_quote(r.wkt) << '\n';
    if (!out) throw io_error(fmt::format("{}: error writing the rejects file", path.string()));
}

} // namespace wangge
