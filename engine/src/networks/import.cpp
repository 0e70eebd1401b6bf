// Foreign grid systems imported as named, versioned networks (wangge/networks.hpp).
#include "wangge/networks.hpp"

#include "geometry/geos.hpp"
#include "store/networks_repo.hpp"
#include "store/runs_repo.hpp"
#include "wangge/error.hpp"
#include "wangge/partition.hpp"
#include "wangge/store.hpp"
#include "wangge/text.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <optional>

namespace wangge {

namespace {

std::string field_value(const SourceFeature& f, std::optional<int> idx) {
    if (!idx) return {};
    const auto& v = f.fields[static_cast<std::size_t>(*idx)];
    return v ? text::trim(*v) : std::string();
}

/// Why a foreign grid's shape cannot be taken ("" when it can); `geom` becomes its
/// polygonal parts as a MultiPolygon.
std::string check_shape(geos::Context& g, const SourceFeature& f, geos::Geometry& geom) {
    if (!f.geometry_error.empty()) return f.geometry_error;
    if (f.wkb.empty()) return "no geometry (the feature has no shape)";
    geom = g.from_wkb(f.wkb.data(), f.wkb.size());
    const int type = GEOSGeomTypeId_r(g.handle(), geom.get());
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
        return fmt::format("geometry is a {}; a grid must be a polygon", f.geometry_type);
    if (g.is_empty(geom.get())) return "empty geometry";
    const std::string invalid = g.invalid_reason(geom.get());
    if (!invalid.empty())
        return "invalid geometry: " + invalid + " (repair it in the GIS, e.g. QGIS \"Fix geometries\", and deliver again)";
    geom = g.polygonal_parts(geom.get());
    if (g.area(geom.get()) <= 0) return "geometry has zero area";
    return {};
}

}  // namespace

std::string network_name_problem(const std::string& name) {
    if (name.empty()) return "a network needs a name";
    if (name.size() > 64) return fmt::format("'{}' is longer than 64 bytes", name);
    for (const unsigned char c : name) {
        const bool ok = c >= 0x80 || std::isalnum(c) || c == '_' || c == '-' || c == '.';
        if (!ok)
            return fmt::format("'{}': a network name is letters, digits, '_', '-' and '.' (no spaces or '/')", name);
    }
    if (!text::is_valid_utf8(name)) return fmt::format("'{}' is not valid UTF-8", name);
    return {};
}

NetworkImportReport import_network(Store& store, const NetworkImportOptions& opt) {
    if (const auto why = network_name_problem(opt.network); !why.empty()) throw usage_error(why);
    if (opt.code_field.empty()) throw usage_error("--code-field: name the field that holds each grid's code");
    auto& g = geos::Context::local();
    VectorSource src(opt.source);
    NetworkImportReport rep;
    rep.network = opt.network;
    auto& in = rep.input;
    in.file = src.file_name();
    in.crs = src.crs_description();
    in.encoding = src.encoding_description();
    in.crs_operation = src.crs_operation().description + ", accuracy " + src.crs_operation().accuracy_text();
    const int code_idx = src.require_field(opt.code_field, "--code-field");
    std::optional<int> name_idx;
    if (!opt.name_field.empty()) name_idx = src.require_field(opt.name_field, "--name-field");

    std::vector<repo::NetworkGridRow> rows;
    std::map<std::string, std::int64_t> first_of_code;
    SourceFeature f;
    while (src.next(f)) {
        ++in.read;
        const std::string code = field_value(f, code_idx);
        auto reject = [&](const std::string& why) {
            in.rejects.push_back(code.empty() ? fmt::format("feature {}: {}", f.fid, why)
                                              : fmt::format("feature {} (code {}): {}", f.fid, code, why));
        };
        for (const auto& e : f.field_errors)
            if (!e.empty()) {
                reject(e);
                goto next_feature;
            }
        {
            if (code.empty()) {
                reject(fmt::format("no code (field '{}' is empty)", opt.code_field));
                continue;
            }
            if (code.size() > 64) {
                reject(fmt::format("code is longer than 64 bytes"));
                continue;
            }
            if (const auto [it, fresh] = first_of_code.emplace(code, f.fid); !fresh) {
                reject(fmt::format("duplicate code: feature {} of this file has it too", it->second));
                continue;
            }
            geos::Geometry geom;
            if (const auto why = check_shape(g, f, geom); !why.empty()) {
                reject(why);
                continue;
            }
            repo::NetworkGridRow row;
            row.code = code;
            row.name = field_value(f, name_idx);
            row.source_feature = f.fid;
            row.wkb = g.to_wkb(geom.get());
            row.area_m2 = outline_area_m2(g, row.wkb);
            rep.area_m2 += row.area_m2;
            rows.push_back(std::move(row));
        }
    next_feature:;
    }
    in.warnings = src.warnings();
    if (in.read == 0) throw input_error(fmt::format("{}: no features", src.file_name()));
    if (!in.rejects.empty()) return rep;  // all or nothing
    const auto before = repo::network_versions(store, opt.network);
    if (!before.empty()) rep.previous_grids = static_cast<int>(before.back().grids);
    Store::Transaction tx(store);
    const auto run = repo::begin_import_run(store, "network", in.file,
                                            fmt::format("network={} code_field={} name_field={}", opt.network,
                                                        opt.code_field, opt.name_field));
    record_source_crs(store, run, src);
    rep.version = repo::add_network_version(store, opt.network, run, in.file, opt.code_field, opt.name_field,
                                            rep.area_m2, rows);
    in.imported = static_cast<std::int64_t>(rows.size());
    in.total = in.imported;
    repo::finish_import_run(store, run, in.imported, 0, 0);
    tx.commit();
    return rep;
}

std::vector<NetworkSummary> list_networks(Store& store) {
    std::vector<NetworkSummary> out;
    for (const auto& v : repo::current_network_versions(store)) {
        NetworkSummary s;
        s.name = v.network;
        s.version = v.version;
        s.versions = static_cast<int>(repo::network_versions(store, v.network).size());
        s.grids = v.grids;
        s.area_m2 = v.area_m2;
        s.source_file = v.source_file;
        s.code_field = v.code_field;
        s.name_field = v.name_field;
        s.imported_at = v.imported_at;
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace wangge
