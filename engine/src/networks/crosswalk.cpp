// The crosswalk of a foreign network against the unified grids (wangge/networks.hpp).
//
// The unified grids in scope go in an R-tree of their envelopes; each foreign grid,
// prepared, is tested against the unified grids its envelope meets: a unified grid it
// contains is shared whole (no overlay), one it only meets is intersected. Threads
// take foreign grids in turn, each with its own GEOS context and its own parse of the
// unified grids (GEOS geometries are not shared across threads); the results go in
// the foreign grid's slot, so the output does not depend on the threads.
#include "wangge/networks.hpp"

#include "geometry/geos.hpp"
#include "io/csv_out.hpp"
#include "io/vector_writer.hpp"
#include "store/networks_repo.hpp"
#include "wangge/error.hpp"
#include "wangge/grids.hpp"
#include "wangge/store.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace wangge {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using Point = bg::model::d2::point_xy<double>;
using Box = bg::model::box<Point>;

constexpr double metres_per_degree = 6371007.2 * M_PI / 180.0;

using geos::Envelope;

/// m² of one square degree at the envelope's middle latitude.
double m2_per_deg2(const Envelope& e) {
    return metres_per_degree * metres_per_degree * std::cos((e.miny + e.maxy) / 2 * M_PI / 180.0);
}

struct Found {
    std::vector<CrosswalkPair> pairs;
    double area_deg = 0;
};

}  // namespace

Crosswalk crosswalk(Store& store, const CrosswalkOptions& opt, const ProgressFn& progress) {
    check_code_prefix(opt.prefix);
    if (!(opt.same_share > 0.5 && opt.same_share <= 1))
        throw usage_error(fmt::format("--same-share {}: a share above 0.5 and at most 1", opt.same_share));
    if (!(opt.min_share >= 0 && opt.min_share < 0.5))
        throw usage_error(fmt::format("--min-share {}: a share from 0 to below 0.5", opt.min_share));
    Crosswalk cw;
    cw.network = opt.network;
    std::vector<repo::NetworkGridRow> foreign;
    const auto version = repo::for_each_current_network_grid(
        store, opt.network, [&](repo::NetworkGridRow&& r) { foreign.push_back(std::move(r)); });
    if (!version) {
        std::vector<std::string> names;
        for (const auto& n : list_networks(store)) names.push_back(n.name);
        throw usage_error(fmt::format("no network '{}' in the store ({}; wangge import network NAME FILE)",
                                      opt.network, names.empty() ? "it has none" : "it has " + fmt::format("{}", fmt::join(names, ", "))));
    }
    cw.version = version->version;
    const auto unified = list_grids(store, opt.prefix, true);
    if (unified.empty())
        throw input_error(opt.prefix.empty() ? std::string("no unified grids in the store (run wangge partition first)")
                                             : fmt::format("no unified grids under {} (run wangge partition first)",
                                                           opt.prefix));
    cw.unified_grids = static_cast<std::int64_t>(unified.size());

    // the R-tree of the unified grids' envelopes, and their areas in square degrees
    std::vector<std::pair<Box, std::uint32_t>> boxes;
    std::vector<double> unified_area(unified.size());
    {
        auto& g = geos::Context::local();
        for (std::size_t i = 0; i < unified.size(); ++i) {
            auto geom = g.from_wkb(unified[i].wkb.data(), unified[i].wkb.size());
            const auto e = g.envelope(geom.get());
            boxes.push_back({Box(Point(e.minx, e.miny), Point(e.maxx, e.maxy)), static_cast<std::uint32_t>(i)});
            unified_area[i] = g.area(geom.get());
        }
    }
    const bgi::rtree<std::pair<Box, std::uint32_t>, bgi::rstar<16>> tree(boxes.begin(), boxes.end());

    std::vector<Found> found(foreign.size());
    std::atomic<std::size_t> next{0}, done{0};
    std::mutex fail_mu;
    std::exception_ptr failure;
    auto work = [&] {
        try {
            auto& g = geos::Context::local();
            std::vector<geos::Geometry> mine(unified.size());  // parsed on first use
            for (std::size_t i; (i = next++) < foreign.size();) {
                const auto& f = foreign[i];
                auto fg = g.from_wkb(f.wkb.data(), f.wkb.size());
                const auto fe = g.envelope(fg.get());
                const double scale = m2_per_deg2(fe);
                auto prepared = g.prepare(fg.get());
                Found& out = found[i];
                out.area_deg = g.area(fg.get());
                std::vector<std::pair<Box, std::uint32_t>> hits;
                tree.query(bgi::intersects(Box(Point(fe.minx, fe.miny), Point(fe.maxx, fe.maxy))),
                           std::back_inserter(hits));
                std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
                for (const auto& [box, u] : hits) {
                    if (!mine[u]) mine[u] = g.from_wkb(unified[u].wkb.data(), unified[u].wkb.size());
                    const GEOSGeometry* ug = mine[u].get();
                    if (GEOSPreparedIntersects_r(g.handle(), prepared.get(), ug) != 1) continue;
                    double shared = 0;
                    std::vector<unsigned char> part;
                    if (GEOSPreparedContains_r(g.handle(), prepared.get(), ug) == 1) {
                        shared = unified_area[u];
                        part = unified[u].wkb;
                    } else {
                        auto cut = g.polygonal_parts(g.intersection(fg.get(), ug).get());
                        if (g.is_empty(cut.get())) continue;
                        shared = g.area(cut.get());
                        part = g.to_wkb(cut.get());
                    }
                    if (shared <= 0) continue;
                    const double sf = out.area_deg > 0 ? shared / out.area_deg : 0;
                    const double su = unified_area[u] > 0 ? shared / unified_area[u] : 0;
                    if (sf < opt.min_share && su < opt.min_share) continue;  // a digitising sliver
                    CrosswalkPair p;
                    p.foreign_code = f.code;
                    p.unified_code = unified[u].code;
                    p.village = unified[u].village_code;
                    p.township = unified[u].township_code;
                    p.shared_m2 = shared * scale;
                    p.share_of_foreign = sf;
                    p.share_of_unified = su;
                    p.wkb = std::move(part);
                    out.pairs.push_back(std::move(p));
                }
                std::sort(out.pairs.begin(), out.pairs.end(),
                          [](const CrosswalkPair& a, const CrosswalkPair& b) { return a.shared_m2 > b.shared_m2; });
                ++done;
            }
        } catch (...) {
            std::lock_guard lock(fail_mu);
            if (!failure) failure = std::current_exception();
            next = foreign.size();
        }
    };
    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = std::clamp(opt.threads > 0 ? opt.threads : hw, 1, std::max(1, static_cast<int>(foreign.size())));
    {
        std::vector<std::thread> pool;
        for (int t = 1; t < threads; ++t) pool.emplace_back(work);
        work();
        for (auto& t : pool) t.join();
    }
    if (failure) std::rethrow_exception(failure);
    if (progress) progress(static_cast<std::int64_t>(done), static_cast<std::int64_t>(foreign.size()), "crosswalk");

    // classes, in the foreign grids' code order
    for (std::size_t i = 0; i < foreign.size(); ++i) {
        auto& f = foreign[i];
        Found& fo = found[i];
        if (fo.pairs.empty() && !opt.prefix.empty()) continue;  // outside the scope
        CrosswalkGrid c;
        c.code = f.code;
        c.name = f.name;
        c.area_m2 = f.area_m2;
        c.wkb = std::move(f.wkb);
        std::set<std::string> villages, townships;
        bool all_whole = !fo.pairs.empty();
        for (const auto& p : fo.pairs) {
            villages.insert(p.village);
            townships.insert(p.township);
            c.matched_share += p.share_of_foreign;
            all_whole = all_whole && p.share_of_unified >= opt.same_share;
        }
        c.villages.assign(villages.begin(), villages.end());
        c.townships.assign(townships.begin(), townships.end());
        if (!fo.pairs.empty()) {
            const auto& best = fo.pairs.front();
            c.best_unified = best.unified_code;
            c.best_share_of_foreign = best.share_of_foreign;
            c.best_share_of_unified = best.share_of_unified;
        }
        if (fo.pairs.empty()) c.klass = "unmatched";
        else if (townships.size() > 1) c.klass = "straddles-township";
        else if (villages.size() > 1) c.klass = "straddles-village";
        else if (c.best_share_of_foreign >= opt.same_share && c.best_share_of_unified >= opt.same_share) c.klass = "same";
        else if (c.best_share_of_foreign >= opt.same_share) c.klass = "contained";
        else if (all_whole && c.matched_share >= opt.same_share) c.klass = "contains";
        else c.klass = "split";
        ++cw.by_class[c.klass];
        cw.area_by_class[c.klass] += c.area_m2;
        for (auto& p : fo.pairs) {
            c.pairs.push_back(cw.pairs.size());
            cw.pairs.push_back(std::move(p));
        }
        cw.grids.push_back(std::move(c));
    }
    return cw;
}

namespace {

std::string share_text(double v) {
    return fmt::format("{:.4f}", v);
}

std::string joined(const std::vector<std::string>& v) {
    return fmt::format("{}", fmt::join(v, ";"));
}

bool is_csv(const std::filesystem::path& out) {
    auto ext = out.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".csv";
}

void refuse_existing(const std::filesystem::path& p, bool overwrite) {
    if (!overwrite && std::filesystem::exists(p))
        throw io_error(fmt::format("{}: exists already (--overwrite replaces it)", p.string()));
}

}  // namespace

std::vector<std::filesystem::path> write_crosswalk(const Crosswalk& cw, const std::filesystem::path& out,
                                                   bool overwrite) {
    if (is_csv(out)) {
        const std::filesystem::path pairs_path =
            out.parent_path() / (out.stem().string() + "_pairs" + out.extension().string());
        refuse_existing(out, overwrite);
        refuse_existing(pairs_path, overwrite);
        io::CsvText grids({"network", "version", "code", "name", "class", "area_m2", "matched_share", "best_unified",
                           "best_share_of_foreign", "best_share_of_unified", "villages", "townships"});
        for (const auto& g : cw.grids)
            grids.row({cw.network, std::to_string(cw.version), g.code, g.name, g.klass, fmt::format("{:.1f}", g.area_m2),
                       share_text(g.matched_share), g.best_unified, share_text(g.best_share_of_foreign),
                       share_text(g.best_share_of_unified), joined(g.villages), joined(g.townships)});
        io::CsvText pairs({"foreign_code", "unified_code", "village", "township", "shared_m2", "share_of_foreign",
                           "share_of_unified"});
        for (const auto& p : cw.pairs)
            pairs.row({p.foreign_code, p.unified_code, p.village, p.township, fmt::format("{:.1f}", p.shared_m2),
                       share_text(p.share_of_foreign), share_text(p.share_of_unified)});
        pairs.write(pairs_path);
        grids.write(out);
        return {out, pairs_path};
    }

    using T = VectorField::Type;
    VectorWriterOptions o{out,
                          "",
                          overwrite,
                          {{"code", T::string, 64},
                           {"name", T::string, 254},
                           {"class", T::string, 20},
                           {"area_m2", T::real, 16, 1},
                           {"matched", T::real, 8, 4},
                           {"best", T::string, 15},
                           {"best_f", T::real, 8, 4},
                           {"best_u", T::real, 8, 4},
                           {"villages", T::string, 254},
                           {"townships", T::string, 254}},
                          "foreign grid",
                          "foreign_grids",
                          {}};
    o.more.push_back({"pairs",
                      {{"foreign", T::string, 64},
                       {"unified", T::string, 15},
                       {"village", T::string, 12},
                       {"township", T::string, 9},
                       {"shared_m2", T::real, 16, 1},
                       {"share_f", T::real, 8, 4},
                       {"share_u", T::real, 8, 4}},
                      "pair",
                      true,
                      {}});
    o.more.push_back({"straddling_parts",
                      {{"foreign", T::string, 64}, {"class", T::string, 20}, {"village", T::string, 12},
                       {"township", T::string, 9}, {"area_m2", T::real, 16, 1}},
                      "part",
                      true,
                      {}});
    VectorWriter w(o);
    auto& g = geos::Context::local();
    for (const auto& c : cw.grids) {
        const std::string villages = joined(c.villages), townships = joined(c.townships);
        w.write({c.code, c.name, c.klass, c.area_m2, c.matched_share, c.best_unified, c.best_share_of_foreign,
                 c.best_share_of_unified, villages, townships},
                c.wkb);
        for (const std::size_t i : c.pairs) {
            const auto& p = cw.pairs[i];
            w.write(1, {p.foreign_code, p.unified_code, p.village, p.township, p.shared_m2, p.share_of_foreign,
                        p.share_of_unified},
                    p.wkb);
        }
        if (c.klass.rfind("straddles", 0) != 0) continue;
        // the part of the grid in each village: its pairs there, united
        std::map<std::string, std::vector<std::size_t>> by_village;
        for (const std::size_t i : c.pairs) by_village[cw.pairs[i].village].push_back(i);
        for (const auto& [village, idx] : by_village) {
            std::vector<geos::Geometry> parts;
            std::vector<const GEOSGeometry*> raw;
            double m2 = 0;
            for (const std::size_t i : idx) {
                parts.push_back(g.from_wkb(cw.pairs[i].wkb.data(), cw.pairs[i].wkb.size()));
                raw.push_back(parts.back().get());
                m2 += cw.pairs[i].shared_m2;
            }
            auto united = g.polygonal_parts(g.unary_union(g.collect(raw).get()).get());
            w.write(2, {c.code, c.klass, village, cw.pairs[idx.front()].township, m2}, g.to_wkb(united.get()));
        }
    }
    w.finish();
    std::vector<std::filesystem::path> files{w.path_of(0)};
    for (std::size_t l = 1; l < 3; ++l)
        if (w.path_of(l) != files.front()) files.push_back(w.path_of(l));
    return files;
}

}  // namespace wangge
