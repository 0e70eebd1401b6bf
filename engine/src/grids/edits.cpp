// Edited grids taken back into the store: see wangge/edits.hpp for the rules.
#include "wangge/edits.hpp"

#include "geometry/geos.hpp"
#include "grids/checksum.hpp"
#include "store/grids_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"
#include "wangge/beidou.hpp"
#include "wangge/codes.hpp"
#include "wangge/coverage_index.hpp"
#include "wangge/error.hpp"
#include "wangge/events.hpp"
#include "wangge/store.hpp"
#include "wangge/testpoint.hpp"
#include "wangge/validate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

namespace wangge {

namespace {

constexpr double metres_per_degree = 6371007.2 * M_PI / 180.0;

struct FileGrid {
    std::int64_t fid = -1;
    std::string code, village, type = "base", name;
    std::optional<std::int64_t> version;
    std::string checksum;  ///< as in the file
    std::vector<unsigned char> wkb;
    bool touched = true;   ///< differs from its checksum (or has none)
};

std::string field(const SourceFeature& f, std::optional<int> idx) {
    if (!idx) return {};
    const auto& v = f.fields[static_cast<std::size_t>(*idx)];
    if (!v) return {};
    std::string s = *v;
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
    std::size_t b = 0;
    while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
    return s.substr(b);
}

std::pair<double, double> point_on(geos::Context& g, const GEOSGeometry* geom) {
    if (!geom || g.is_empty(geom)) return {0, 0};
    auto p = g.own(GEOSPointOnSurface_r(g.handle(), geom), "point on surface");
    double x = 0, y = 0;
    GEOSGeomGetX_r(g.handle(), p.get(), &x);
    GEOSGeomGetY_r(g.handle(), p.get(), &y);
    return {x, y};
}

struct Metrics {
    double area_m2 = 0, perimeter_m = 0, compactness = 0, label_lon = 0, label_lat = 0;
};

Metrics metrics_of(geos::Context& g, const GEOSGeometry* geom) {
    Metrics m;
    double miny = 0, maxy = 0, minx = 0, maxx = 0;
    GEOSGeom_getXMin_r(g.handle(), geom, &minx);
    GEOSGeom_getXMax_r(g.handle(), geom, &maxx);
    GEOSGeom_getYMin_r(g.handle(), geom, &miny);
    GEOSGeom_getYMax_r(g.handle(), geom, &maxy);
    const double kx = metres_per_degree * std::cos((miny + maxy) / 2 * M_PI / 180.0), ky = metres_per_degree;
    m.area_m2 = g.area(geom) * kx * ky;
    const int parts = GEOSGetNumGeometries_r(g.handle(), geom);
    auto ring_len = [&](const GEOSGeometry* r) {
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(g.handle(), r);
        unsigned n = 0;
        GEOSCoordSeq_getSize_r(g.handle(), seq, &n);
        double len = 0, px = 0, py = 0;
        for (unsigned i = 0; i < n; ++i) {
            double x = 0, y = 0;
            GEOSCoordSeq_getXY_r(g.handle(), seq, i, &x, &y);
            if (i > 0) len += std::hypot((x - px) * kx, (y - py) * ky);
            px = x;
            py = y;
        }
        return len;
    };
    for (int p = 0; p < parts; ++p) {
        const GEOSGeometry* poly = GEOSGetGeometryN_r(g.handle(), geom, p);
        m.perimeter_m += ring_len(GEOSGetExteriorRing_r(g.handle(), poly));
        for (int h = 0; h < GEOSGetNumInteriorRings_r(g.handle(), poly); ++h)
            m.perimeter_m += ring_len(GEOSGetInteriorRingN_r(g.handle(), poly, h));
    }
    m.compactness = m.perimeter_m > 0 ? 4 * M_PI * m.area_m2 / (m.perimeter_m * m.perimeter_m) : 0;
    const double tol = std::max(maxx - minx, maxy - miny) / 100.0;
    auto mic = g.own(GEOSMaximumInscribedCircle_r(g.handle(), geom, tol), "inscribed circle");
    auto centre = g.own(GEOSGeomGetStartPoint_r(g.handle(), mic.get()), "centre");
    GEOSGeomGetX_r(g.handle(), centre.get(), &m.label_lon);
    GEOSGeomGetY_r(g.handle(), centre.get(), &m.label_lat);
    return m;
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

std::string signed_int(std::int64_t v) { return v > 0 ? fmt::format("+{}", v) : fmt::format("{}", v); }

int beidou_level_of_store(Store& store) {
    if (const auto s = repo::latest_partition_settings(store)) {
        const auto at = s->find("beidou_level=");
        if (at != std::string::npos) {
            const int level = std::atoi(s->c_str() + at + 13);
            if (level >= 1 && level <= beidou::max_level) return level;
        }
    }
    return beidou::default_level;
}

/// Snapping of edited grids, vertex to vertex: a vertex that is exactly a vertex
/// of the reference (the outline, the grids before it) stays; one within the
/// tolerance of a reference vertex moves onto the nearest. GEOSSnap also moves
/// vertices that are already shared onto other reference vertices nearby (dense
/// outlines along roads), opening overlaps where the edges were exact.
class VertexSnapper {
public:
    explicit VertexSnapper(double tol) : tol_(tol > 0 ? tol : 1) {}
    void add(geos::Context& g, const GEOSGeometry* geom) {
        each_ring(g, geom, [&](const GEOSGeometry* ring) {
            const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(g.handle(), ring);
            unsigned n = 0;
            GEOSCoordSeq_getSize_r(g.handle(), seq, &n);
            for (unsigned i = 0; i < n; ++i) {
                double x = 0, y = 0;
                GEOSCoordSeq_getXY_r(g.handle(), seq, i, &x, &y);
                cells_[cell(x, y)].emplace_back(x, y);
            }
        });
    }
    geos::Geometry snap(geos::Context& g, const GEOSGeometry* geom) {
        std::vector<GEOSGeometry*> polys;
        const int parts = GEOSGetNumGeometries_r(g.handle(), geom);
        for (int p = 0; p < parts; ++p) {
            const GEOSGeometry* poly = GEOSGetGeometryN_r(g.handle(), geom, p);
            GEOSGeometry* shell = snap_ring(g, GEOSGetExteriorRing_r(g.handle(), poly));
            std::vector<GEOSGeometry*> holes;
            for (int h = 0; h < GEOSGetNumInteriorRings_r(g.handle(), poly); ++h)
                holes.push_back(snap_ring(g, GEOSGetInteriorRingN_r(g.handle(), poly, h)));
            polys.push_back(GEOSGeom_createPolygon_r(g.handle(), shell, holes.data(), static_cast<unsigned>(holes.size())));
        }
        return g.own(GEOSGeom_createCollection_r(g.handle(), GEOS_MULTIPOLYGON, polys.data(),
                                                 static_cast<unsigned>(polys.size())),
                     "snapped grid");
    }

private:
    template <class F>
    static void each_ring(geos::Context& g, const GEOSGeometry* geom, F&& f) {
        const int parts = GEOSGetNumGeometries_r(g.handle(), geom);
        for (int p = 0; p < parts; ++p) {
            const GEOSGeometry* poly = GEOSGetGeometryN_r(g.handle(), geom, p);
            if (GEOSGeomTypeId_r(g.handle(), poly) != GEOS_POLYGON) continue;
            f(GEOSGetExteriorRing_r(g.handle(), poly));
            for (int h = 0; h < GEOSGetNumInteriorRings_r(g.handle(), poly); ++h) f(GEOSGetInteriorRingN_r(g.handle(), poly, h));
        }
    }
    std::pair<long long, long long> cell(double x, double y) const {
        return {static_cast<long long>(std::floor(x / tol_)), static_cast<long long>(std::floor(y / tol_))};
    }
    std::pair<double, double> nearest(double x, double y) const {
        const auto [cx, cy] = cell(x, y);
        double best = tol_ * tol_, bx = x, by = y;
        for (long long i = cx - 1; i <= cx + 1; ++i)
            for (long long j = cy - 1; j <= cy + 1; ++j) {
                const auto it = cells_.find({i, j});
                if (it == cells_.end()) continue;
                for (const auto& [px, py] : it->second) {
                    if (px == x && py == y) return {x, y};  // shared exactly: stays
                    const double d = (px - x) * (px - x) + (py - y) * (py - y);
                    if (d <= best) best = d, bx = px, by = py;
                }
            }
        return {bx, by};
    }
    GEOSGeometry* snap_ring(geos::Context& g, const GEOSGeometry* ring) {
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(g.handle(), ring);
        unsigned n = 0;
        GEOSCoordSeq_getSize_r(g.handle(), seq, &n);
        GEOSCoordSequence* out = GEOSCoordSeq_create_r(g.handle(), n, 2);
        for (unsigned i = 0; i < n; ++i) {
            double x = 0, y = 0;
            GEOSCoordSeq_getXY_r(g.handle(), seq, i, &x, &y);
            const auto [sx, sy] = nearest(x, y);
            GEOSCoordSeq_setXY_r(g.handle(), out, i, sx, sy);
        }
        return GEOSGeom_createLinearRing_r(g.handle(), out);
    }
    double tol_;
    std::map<std::pair<long long, long long>, std::vector<std::pair<double, double>>> cells_;
};

/// One grid of an edited village as it will be written.
struct Outcome {
    const FileGrid* src = nullptr;
    geos::Geometry geom;
    std::string code, lineage, detail;
    int serial = 0;
    std::int64_t replaces_row = 0;
    std::int64_t households = 0;
    Metrics metrics;
    bool write = true;
};

struct VillageWork {
    repo::JurisdictionRow village;
    std::vector<FileGrid*> features;
    repo::VillageGrids stored;
    std::vector<Outcome> grids;
    std::vector<std::pair<const repo::CurrentGrid*, std::string>> retired;  // with detail
    struct Lineage {
        std::string old_code, new_code, kind;
        double shared_m2 = 0;
    };
    std::vector<Lineage> lineage;
    VillageEditSummary summary;
};

}  // namespace

EditImportReport import_edits(Store& store, const EditImportOptions& opt, const ProgressFn& progress) {
    if (!(opt.snap_m >= 0 && opt.snap_m <= 10))
        throw usage_error(fmt::format("--snap-m {} is not in 0..10 (metres)", opt.snap_m));
    EditImportReport rep;
    auto& g = geos::Context::local();

    // --- the file: the grid layer is "grids" when there are several
    SourceOptions so = opt.source;
    if (so.layer.empty()) so.preferred_layer = "grids";
    VectorSource src(so);
    rep.file = src.file_name();
    const auto i_code = src.field_index("code"), i_village = src.field_index("village"),
               i_version = src.field_index("version"), i_checksum = src.field_index("checksum"),
               i_type = src.field_index("type"), i_name = src.field_index("name");
    for (const auto& [idx, name] : {std::pair{i_code, "code"}, std::pair{i_version, "version"}})
        if (!idx)
            throw input_error(fmt::format("{}: has no field '{}': not a file of grids exported for editing (wangge "
                                          "export grids --township CODE --out FILE.gpkg writes one)",
                                          rep.file, name));
    std::vector<FileGrid> file;
    {
        SourceFeature f;
        while (src.next(f)) {
            ++rep.features;
            FileGrid fg;
            fg.fid = f.fid;
            for (std::size_t k = 0; k < f.field_errors.size(); ++k)
                if (!f.field_errors[k].empty())
                    rep.problems.push_back({f.fid, "", "", 0, 0,
                                            fmt::format("field {}: {}", src.field_names()[k], f.field_errors[k])});
            fg.code = field(f, i_code);
            fg.village = field(f, i_village);
            fg.checksum = field(f, i_checksum);
            if (const std::string t = field(f, i_type); !t.empty()) fg.type = t;
            fg.name = field(f, i_name);
            if (const std::string v = field(f, i_version); !v.empty()) {
                char* end = nullptr;
                const long long n = std::strtoll(v.c_str(), &end, 10);
                if (end && *end == 0 && n > 0) fg.version = n;
                else rep.problems.push_back({f.fid, fg.village, fg.code, 0, 0, fmt::format("version '{}' is not a number", v)});
            }
            if (fg.type != "base" && fg.type != "dedicated")
                rep.problems.push_back({f.fid, fg.village, fg.code, 0, 0,
                                        fmt::format("type '{}' is neither base nor dedicated", fg.type)});
            if (!f.geometry_error.empty()) {
                rep.problems.push_back({f.fid, fg.village, fg.code, 0, 0, f.geometry_error});
                continue;
            }
            if (f.wkb.empty()) {
                rep.problems.push_back({f.fid, fg.village, fg.code, 0, 0, "no geometry"});
                continue;
            }
            auto geom = g.from_wkb(f.wkb.data(), f.wkb.size());
            const int type = GEOSGeomTypeId_r(g.handle(), geom.get());
            if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) {
                rep.problems.push_back({f.fid, fg.village, fg.code, 0, 0,
                                        fmt::format("a grid must be a polygon, not a {}", f.geometry_type)});
                continue;
            }
            fg.wkb = f.wkb;
            if (!fg.checksum.empty() && !fg.code.empty())
                fg.touched = grid_checksum(g, fg.wkb, fg.type, fg.name) != fg.checksum;
            file.push_back(std::move(fg));
            if (progress && rep.features % 1000 == 0) progress(rep.features, 0, "reading");
        }
    }
    for (const auto& w : src.warnings()) rep.warnings.push_back(fmt::format("{}: {}", rep.file, w));

    // Everything the import depends on is read inside its write transaction (as a
    // partition run does), so a second editor waits and then sees this one's grids.
    std::optional<Store::Transaction> tx;
    if (!opt.dry_run) tx.emplace(store);
    pause_point("edits:locked");

    // --- villages: by field, by code, else by place
    std::map<std::string, VillageWork> villages;
    auto load_village = [&](const std::string& code) -> VillageWork* {
        if (auto it = villages.find(code); it != villages.end()) return &it->second;
        repo::JurisdictionFilter f;
        f.level = "village";
        f.prefix = code;
        std::optional<repo::JurisdictionRow> row;
        repo::for_each_jurisdiction(store, f, [&](const repo::JurisdictionRow& r) {
            if (r.code == code) row = r;
        });
        if (!row) return nullptr;
        VillageWork w;
        w.village = std::move(*row);
        return &villages.emplace(code, std::move(w)).first->second;
    };
    std::vector<FileGrid*> placeless;
    for (auto& fg : file) {
        std::string v = fg.village;
        if (v.empty() && !fg.code.empty()) v = fg.code.substr(0, std::min<std::size_t>(12, fg.code.size()));
        if (v.empty()) {
            placeless.push_back(&fg);
            continue;
        }
        const ParsedCode pc = parse_division_code(v);
        if (!pc.ok() || v.size() != 12) {
            rep.problems.push_back({fg.fid, v, fg.code, 0, 0, fmt::format("village '{}' is not a 12-digit village code", v)});
            continue;
        }
        VillageWork* w = load_village(v);
        if (!w) {
            rep.problems.push_back({fg.fid, v, fg.code, 0, 0, fmt::format("village {} is not in the store", v)});
            continue;
        }
        fg.village = v;
        w->features.push_back(&fg);
    }
    for (FileGrid* fg : placeless) {
        auto geom = g.from_wkb(fg->wkb.data(), fg->wkb.size());
        const auto [x, y] = point_on(g, geom.get());
        auto pt = g.own(GEOSGeom_createPointFromXY_r(g.handle(), x, y), "point");
        VillageWork* found = nullptr;
        for (auto& [code, w] : villages) {
            auto vg = g.from_wkb(w.village.wkb.data(), w.village.wkb.size());
            if (GEOSContains_r(g.handle(), vg.get(), pt.get()) == 1) {
                found = &w;
                break;
            }
        }
        if (!found) {
            rep.problems.push_back({fg->fid, "", "", x, y,
                                    "a new grid outside every village of the file: fill in its village field"});
            continue;
        }
        fg->village = found->village.code;
        found->features.push_back(fg);
    }

    // --- per village: edited or not, stale or not, then snap, check, recode
    const double snap_deg = opt.snap_m / metres_per_degree;
    validate::Tolerances tol;
    tol.near_miss_m = std::max(0.05, opt.snap_m);
    std::vector<std::string> forced;
    std::size_t done = 0;
    for (auto& [vcode, w] : villages) {
        if (progress) progress(static_cast<std::int64_t>(done++), static_cast<std::int64_t>(villages.size()), "checking");
        auto& sum = w.summary;
        sum.village_code = vcode;
        sum.village_name = w.village.name;
        w.stored = repo::village_grids(store, vcode);
        std::map<std::string, const repo::CurrentGrid*> current;
        for (const auto& c : w.stored.grids) current[c.code] = &c;
        sum.grids_before = static_cast<int>(w.stored.grids.size());
        for (const auto& c : w.stored.grids) sum.households_before += c.households;

        std::map<std::string, int> code_count;
        bool edited = false;
        for (FileGrid* fg : w.features) {
            if (!fg->code.empty()) ++code_count[fg->code];
            if (fg->touched || fg->code.empty()) edited = true;
        }
        for (const auto& [c, n] : code_count)
            if (n > 1) edited = true;
        std::int64_t newest_run = 0;
        for (FileGrid* fg : w.features)
            if (fg->version) {
                for (const auto& c : w.stored.grids)
                    if (c.row_id == *fg->version) newest_run = std::max(newest_run, c.run_id);
            }
        std::vector<const repo::CurrentGrid*> absent;
        for (const auto& c : w.stored.grids)
            if (!code_count.count(c.code)) absent.push_back(&c);
        if (!absent.empty()) edited = true;
        if (!edited) {
            sum.state = "untouched";
            sum.grids_after = sum.grids_before;
            sum.households_after = sum.households_before;
            continue;
        }

        // stale: a version in the file that is no longer current, or a current grid
        // the file does not know made by a run newer than the file's
        auto run_words = [&](std::int64_t run) {
            const auto r = repo::run_info(store, run);
            if (!r) return fmt::format("run {}", run);
            std::string s = fmt::format("version {} ({}{}, {})", r->id, r->kind, r->author.empty() ? "" : " by " + r->author,
                                        r->started_at);
            return s;
        };
        for (FileGrid* fg : w.features) {
            if (fg->code.empty() || !fg->version) continue;
            const auto it = current.find(fg->code);
            if (it == current.end()) {
                const auto st = repo::serial_state(store, fg->code);
                if (st.state == repo::SerialState::State::retired)
                    sum.stale.push_back(fmt::format("grid {} was retired on {} after this file was exported",
                                                    fg->code, st.retired_at));
            } else if (it->second->row_id != *fg->version) {
                sum.stale.push_back(fmt::format("grid {} changed since the export: the file has its version row {}, the "
                                                "store {}, made by {}",
                                                fg->code, *fg->version, it->second->row_id, run_words(it->second->run_id)));
            }
        }
        if (newest_run > 0)
            for (const repo::CurrentGrid* c : absent)
                if (c->run_id > newest_run)
                    sum.stale.push_back(fmt::format("grid {} was made after the export, by {}", c->code, run_words(c->run_id)));
        if (!sum.stale.empty()) {
            if (!opt.force) {
                sum.state = "stale";
                rep.problems.push_back({-1, vcode, "", 0, 0,
                                        fmt::format("village {} ({}) changed in the store since the file was exported: {}; "
                                                    "export it again and redo the edit, or --force to overwrite",
                                                    vcode, w.village.name, join(sum.stale))});
                continue;
            }
            forced.push_back(vcode);
            sum.state = "forced";
        } else {
            sum.state = "edited";
        }

        // codes: a current code of this village, or blank
        for (FileGrid* fg : w.features) {
            if (fg->code.empty()) continue;
            const auto gc = parse_grid_code(fg->code);
            if (!gc || gc->micro != 0) {
                rep.problems.push_back({fg->fid, vcode, fg->code, 0, 0,
                                        fmt::format("'{}' is not a 15-digit grid code (leave it blank for a new grid)", fg->code)});
                continue;
            }
            if (gc->village != vcode) {
                rep.problems.push_back(
                    {fg->fid, vcode, fg->code, 0, 0,
                     fmt::format("code {} belongs to village {}, not to village {} the grid is in", fg->code, gc->village, vcode)});
                continue;
            }
            if (current.count(fg->code)) continue;
            const auto st = repo::serial_state(store, fg->code);
            if (st.state == repo::SerialState::State::retired) {
                if (!opt.force || fg->version)
                    rep.problems.push_back({fg->fid, vcode, fg->code, 0, 0,
                                            fmt::format("code {} was retired on {}; a retired code is never given out "
                                                        "again (leave the code blank for a new grid)",
                                                        fg->code, st.retired_at)});
            } else {
                rep.problems.push_back({fg->fid, vcode, fg->code, 0, 0,
                                        fmt::format("code {} was never given in village {} (leave the code blank for a "
                                                    "new grid: it gets the next serial)",
                                                    fg->code, vcode)});
            }
        }

        // snap: the untouched grids stay as they are; each edited one snaps to the
        // outline and to the grids before it, vertex to vertex
        auto outline = g.from_wkb(w.village.wkb.data(), w.village.wkb.size());
        std::vector<geos::Geometry> geoms(w.features.size());
        VertexSnapper snapper(snap_deg);
        snapper.add(g, outline.get());
        for (std::size_t k = 0; k < w.features.size(); ++k)
            if (!w.features[k]->touched) {
                geoms[k] = g.from_wkb(w.features[k]->wkb.data(), w.features[k]->wkb.size());
                snapper.add(g, geoms[k].get());
            }
        for (std::size_t k = 0; k < w.features.size(); ++k) {
            if (geoms[k]) continue;
            auto raw = g.from_wkb(w.features[k]->wkb.data(), w.features[k]->wkb.size());
            geoms[k] = snap_deg > 0 ? snapper.snap(g, raw.get()) : std::move(raw);
            snapper.add(g, geoms[k].get());
        }

        // coverage of the village
        std::vector<validate::Item> items;
        std::vector<std::string> labels;
        std::map<std::string, FileGrid*> by_label;
        for (std::size_t k = 0; k < w.features.size(); ++k) {
            FileGrid* fg = w.features[k];
            std::string label = fg->code.empty() ? fmt::format("new grid (feature {})", fg->fid)
                                                 : (code_count[fg->code] > 1 ? fmt::format("{} (feature {})", fg->code, fg->fid)
                                                                             : fg->code);
            by_label[label] = fg;
            items.push_back({label, g.to_wkb(geoms[k].get())});
        }
        const auto result = validate::validate_coverage(validate::Item{vcode, w.village.wkb}, items, tol);
        bool village_ok = true;
        for (const auto& f : result.findings) {
            auto where = f.where.empty() ? geos::Geometry{} : g.from_wkb(f.where.data(), f.where.size());
            const auto [x, y] = where ? point_on(g, where.get()) : std::pair<double, double>{0, 0};
            std::vector<std::string> grids;
            for (const auto& c : f.codes)
                if (c != vcode) grids.push_back(c);
            const FileGrid* first = grids.empty() ? nullptr : by_label[grids.front()];
            std::string what;
            switch (f.kind) {
            case validate::Kind::gap:
                what = fmt::format("a gap of {:.1f} m² in no grid, beside {}", f.area_m2, grids.empty() ? "none" : join(grids));
                break;
            case validate::Kind::overlap:
                what = fmt::format("{} overlap by {:.1f} m²", join(grids), f.area_m2);
                break;
            case validate::Kind::outside:
                what = fmt::format("{} crosses out of village {} by {:.1f} m² (into a neighbour, or outside)", join(grids),
                                   vcode, f.area_m2);
                break;
            case validate::Kind::invalid:
                what = fmt::format("{} is not a valid polygon: {}", join(grids), f.detail);
                break;
            case validate::Kind::multipart:
                what = fmt::format("{} is in several pieces: a grid must be one piece", join(grids));
                break;
            default:
                // a warning between grids the editor did not touch is the store's, not the edit's
                if (std::none_of(grids.begin(), grids.end(), [&](const std::string& c) {
                        const auto it = by_label.find(c);
                        return it != by_label.end() && it->second->touched;
                    }))
                    continue;
                rep.warnings.push_back(fmt::format("village {}: {} {}: {}", vcode, to_string(f.kind), join(grids), f.detail));
                continue;
            }
            village_ok = false;
            rep.problems.push_back({first ? first->fid : -1, vcode, first ? first->code : "", x, y, what});
        }
        if (!village_ok) continue;

        // recode by area
        const auto& old = w.stored.grids;
        std::vector<geos::Geometry> og;
        std::vector<double> oa, na;
        for (const auto& o : old) {
            og.push_back(g.from_wkb(o.wkb.data(), o.wkb.size()));
            oa.push_back(g.area(og.back().get()));
        }
        for (auto& gm : geoms) na.push_back(g.area(gm.get()));
        const std::size_t N = geoms.size(), O = old.size();
        std::vector<std::vector<double>> shared(N, std::vector<double>(O, 0.0));
        for (std::size_t i = 0; i < N; ++i)
            for (std::size_t j = 0; j < O; ++j)
                if (GEOSIntersects_r(g.handle(), geoms[i].get(), og[j].get()) == 1)
                    shared[i][j] = g.area(g.intersection(geoms[i].get(), og[j].get()).get());
        std::vector<int> best_old(N, -1), best_new(O, -1);
        for (std::size_t i = 0; i < N; ++i)
            for (std::size_t j = 0; j < O; ++j) {
                if (shared[i][j] <= 0) continue;
                if (best_old[i] < 0 || shared[i][j] > shared[i][static_cast<std::size_t>(best_old[i])]) best_old[i] = int(j);
                if (best_new[j] < 0 || shared[i][j] > shared[static_cast<std::size_t>(best_new[j])][j]) best_new[j] = int(i);
            }
        double lat = 30;
        {
            const auto [x, y] = point_on(g, outline.get());
            (void)x;
            lat = y;
        }
        const double to_m2 = metres_per_degree * metres_per_degree * std::cos(lat * M_PI / 180.0);
        std::vector<int> keeps(N, -1);
        std::vector<bool> old_kept(O, false);
        for (std::size_t i = 0; i < N; ++i)
            if (best_old[i] >= 0 && best_new[static_cast<std::size_t>(best_old[i])] == int(i)) {
                keeps[i] = best_old[i];
                old_kept[static_cast<std::size_t>(best_old[i])] = true;
            }
        int next_serial = w.stored.max_serial;
        w.grids.resize(N);
        for (std::size_t i = 0; i < N; ++i) {
            Outcome& out = w.grids[i];
            out.src = w.features[i];
            out.geom = std::move(geoms[i]);
            std::vector<std::pair<double, std::size_t>> parents;
            for (std::size_t j = 0; j < O; ++j)
                if (shared[i][j] > 0.01 * na[i] || shared[i][j] > 0.01 * oa[j]) parents.emplace_back(shared[i][j], j);
            std::sort(parents.rbegin(), parents.rend());
            if (keeps[i] >= 0) {
                const auto j = static_cast<std::size_t>(keeps[i]);
                out.code = old[j].code;
                out.serial = old[j].serial;
                out.replaces_row = old[j].row_id;
                bool merged = false, split = false;
                for (const auto& [a, pj] : parents)
                    if (pj != j && !old_kept[pj]) merged = true;
                for (std::size_t i2 = 0; i2 < N; ++i2)
                    if (i2 != i && keeps[i2] < 0 && (shared[i2][j] > 0.01 * oa[j])) split = true;
                const bool same = GEOSEqualsExact_r(g.handle(), out.geom.get(), og[j].get(), 0) == 1;
                out.lineage = merged ? "merged" : split ? "split" : same ? "unchanged" : "reshaped";
                if (merged) {
                    std::vector<std::string> from;
                    for (const auto& [a, pj] : parents)
                        if (pj != j && !old_kept[pj]) from.push_back(old[pj].code);
                    out.detail = "with " + join(from);
                }
                out.write = !same || out.src->type != old[j].type || out.src->name != old[j].name;
                if (out.lineage != "unchanged")
                    w.lineage.push_back({old[j].code, old[j].code, out.lineage, shared[i][j] * to_m2});
                for (const auto& [a, pj] : parents)
                    if (pj != j && !old_kept[pj]) w.lineage.push_back({old[pj].code, out.code, "merged", a * to_m2});
            } else {
                if (++next_serial > max_grid_serial) {
                    rep.problems.push_back({out.src->fid, vcode, "", 0, 0,
                                            fmt::format("village {} has used all {} grid serials", vcode, max_grid_serial)});
                    village_ok = false;
                    break;
                }
                out.serial = next_serial;
                out.code = make_grid_code(vcode, out.serial);
                if (parents.empty()) {
                    out.lineage = "new";
                } else if (parents.front().first >= 0.5 * na[i] || parents.size() == 1) {
                    out.lineage = "split";
                    out.detail = "from " + old[parents.front().second].code;
                } else {
                    std::vector<std::string> from;
                    for (const auto& p : parents) from.push_back(old[p.second].code);
                    out.lineage = "merged";
                    out.detail = "from " + join(from);
                }
                for (const auto& [a, pj] : parents) w.lineage.push_back({old[pj].code, out.code, out.lineage, a * to_m2});
            }
            out.metrics = metrics_of(g, out.geom.get());
        }
        if (!village_ok) continue;
        for (std::size_t j = 0; j < O; ++j) {
            if (old_kept[j]) continue;
            std::vector<std::string> into;
            for (std::size_t i = 0; i < N; ++i)
                if (shared[i][j] > 0.01 * oa[j]) into.push_back(w.grids[i].code);
            w.retired.emplace_back(&old[j], into.empty() ? std::string() : "into " + join(into));
            w.lineage.push_back({old[j].code, "", "retired", 0});
        }
        // a code the file gave a grid that the area rule gave another: said, not refused
        for (const auto& out : w.grids)
            if (!out.src->code.empty() && out.src->code != out.code && code_count[out.src->code] == 1 &&
                current.count(out.src->code))
                rep.warnings.push_back(fmt::format("village {}: feature {} is marked {} in the file; by area it is {}",
                                                   vcode, out.src->fid, out.src->code, out.code));
    }
    for (auto& [vcode, w] : villages) rep.villages.push_back(w.summary);  // refreshed below for edited ones

    // --- households of the new grids, by the events' boundary rule
    std::vector<CoverageIndex::Polygon> edited_outlines;
    std::vector<VillageWork*> edited;
    for (auto& [vcode, w] : villages)
        if (!w.grids.empty() && (w.summary.state == "edited" || w.summary.state == "forced")) {
            edited.push_back(&w);
            edited_outlines.push_back({vcode, w.village.wkb});
        }
    std::sort(rep.problems.begin(), rep.problems.end(), [](const EditProblem& a, const EditProblem& b) {
        return std::tie(a.village, a.feature) < std::tie(b.village, b.feature);
    });
    if (!edited.empty()) {
        VillageHouseholds hh = households_by_village(store, edited_outlines);
        for (std::size_t k = 0; k < edited.size(); ++k) {
            VillageWork& w = *edited[k];
            std::vector<CoverageIndex::Polygon> polys;
            for (auto& o : w.grids) polys.push_back({o.code, g.to_wkb(o.geom.get())});
            CoverageIndex index(polys);
            for (const auto& p : hh.points[k]) {
                const int at = index.locate(p.lon, p.lat);
                if (at >= 0) w.grids[static_cast<std::size_t>(at)].households += p.households;
            }
            auto& sum = w.summary;
            sum.grids_after = static_cast<int>(w.grids.size());
            std::map<std::string, const repo::CurrentGrid*> by_code;
            for (const auto& c : w.stored.grids) by_code[c.code] = &c;
            for (auto& o : w.grids) {
                sum.households_after += o.households;
                const auto it = by_code.find(o.code);
                if (o.replaces_row && it != by_code.end() && it->second->households != o.households) o.write = true;
                const double before_m2 = it != by_code.end() && o.replaces_row ? metrics_of(g, g.from_wkb(it->second->wkb.data(), it->second->wkb.size()).get()).area_m2 : 0;
                const std::int64_t before_hh = it != by_code.end() && o.replaces_row ? it->second->households : 0;
                std::string d = o.detail;
                if (o.lineage != "unchanged")
                    d += fmt::format("{}{:.0f} m² ({} m²), {} households ({})", d.empty() ? "" : "; ", o.metrics.area_m2,
                                     signed_int(std::llround(o.metrics.area_m2 - before_m2)), o.households,
                                     signed_int(o.households - before_hh));
                sum.changes.push_back({o.code, o.lineage, d});
                if (!o.replaces_row)
                    ++rep.added;
                else if (o.lineage == "unchanged")
                    ++rep.kept;
                else
                    ++rep.reshaped;
            }
            for (const auto& [old, detail] : w.retired) sum.changes.push_back({old->code, "retired", detail});
            rep.retired += static_cast<int>(w.retired.size());
            for (auto& v : rep.villages)
                if (v.village_code == sum.village_code) v = sum;
        }
    }
    if (!rep.problems.empty() || opt.dry_run || edited.empty()) return rep;
    const bool any_change = std::any_of(edited.begin(), edited.end(), [](const VillageWork* w) {
        return !w->retired.empty() ||
               std::any_of(w->grids.begin(), w->grids.end(), [](const Outcome& o) { return o.write; });
    });
    if (!any_change) return rep;  // edited, but snapped back to what the store has: no version

    // --- write: one run, the versions, serials, lineage; then events follow
    const std::string now = repo::now_timestamp(store);
    const int level = beidou_level_of_store(store);
    repo::PartitionRunRow run;
    run.kind = "edit";
    run.started_at = now;
    {
        std::vector<std::string> codes;
        for (VillageWork* w : edited) codes.push_back(w->village.code);
        run.scope = join(codes);
    }
    run.settings = fmt::format("snap_m={}{}", opt.snap_m, forced.empty() ? "" : " forced=" + join(forced));
    run.villages = static_cast<std::int64_t>(edited.size());
    run.kept = rep.kept + rep.reshaped;
    run.added = rep.added;
    run.retired = rep.retired;
    run.author = opt.author.empty() ? (std::getenv("USER") ? std::getenv("USER") : "") : opt.author;
    run.message = opt.message;
    run.source_file = rep.file;
    for (VillageWork* w : edited) run.grids += static_cast<std::int64_t>(w->grids.size());
    rep.run_id = repo::insert_partition_run(store, run);
    repo::GridWriter writer(store);
    std::vector<std::vector<unsigned char>> changed;
    for (VillageWork* w : edited) {
        bool any = !w->retired.empty();
        for (const auto& o : w->grids) {
            if (!o.write) continue;
            any = true;
            if (o.replaces_row) writer.close_version(o.replaces_row, now, rep.run_id);
            repo::GridVersionRow row;
            row.code = o.code;
            row.village_code = w->village.code;
            row.serial = o.serial;
            row.type = o.src->type;
            row.name = o.src->name;
            row.households = o.households;
            row.area_m2 = o.metrics.area_m2;
            row.perimeter_m = o.metrics.perimeter_m;
            row.compactness = o.metrics.compactness;
            row.label_lon = o.metrics.label_lon;
            row.label_lat = o.metrics.label_lat;
            row.beidou = beidou::encode(o.metrics.label_lon, o.metrics.label_lat, level);
            row.lineage = o.lineage;
            row.valid_from = now;
            row.run_id = rep.run_id;
            row.wkb = g.to_wkb(g.polygonal_parts(o.geom.get()).get());
            writer.insert_version(row);
            if (!o.replaces_row) writer.add_serial(w->village.code, o.serial, o.code, now);
        }
        for (const auto& [old, detail] : w->retired) {
            writer.close_version(old->row_id, now, rep.run_id);
            writer.retire_serial(old->code, now);
        }
        for (const auto& l : w->lineage) writer.add_lineage(rep.run_id, l.old_code, l.new_code, l.kind, l.shared_m2);
        if (any) changed.push_back(w->village.wkb);
    }
    pause_point("edits:written");
    rep.events_reassigned = reassign_events_within(store, changed).changed;
    pause_point("edits:events");
    tx->commit();
    return rep;
}

}  // namespace wangge
