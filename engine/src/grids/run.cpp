// A partition run: load villages and inputs from the store, partition villages in
// parallel (one GEOS context per thread), give codes with stability against the
// current grids, and write everything in one transaction (or nothing: --dry-run).
#include "wangge/grids.hpp"

#include "store/grids_repo.hpp"
#include "store/inputs_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"
#include "wangge/beidou.hpp"
#include "wangge/error.hpp"
#include "wangge/events.hpp"
#include "geometry/geos.hpp"
#include "wangge/store.hpp"
#include "wangge/testpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <map>
#include <optional>
#include <thread>

namespace wangge {

namespace {

using OldGrid = repo::CurrentGrid;

struct VillageJob {
    VillageInput input;
    std::vector<OldGrid> old;
    int max_serial = 0;
};

struct NewGrid {
    GridResult grid;
    std::string code;
    int serial = 0;
    std::string lineage;        // new, unchanged, reshaped, split, merged
    std::string detail;
    std::int64_t replaces_row = 0;  // old row closed by this version (unchanged-with-new-attributes, reshaped)
    bool write = true;          // false: identical to the stored version
};

struct LineageRow {
    std::string old_code, new_code, kind;
    double shared_m2 = 0;
};

struct VillageOutcome {
    VillagePartition partition;
    std::vector<NewGrid> grids;
    std::vector<std::pair<OldGrid, std::string>> retired;  // with detail
    std::vector<LineageRow> lineage;
};

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

VillageOutcome process(const VillageJob& job, const PartitionOptions& opt, geos::Context& g) {
    VillageOutcome out;
    out.partition = partition_village(job.input, opt.policy, g);
    const auto& grids = out.partition.grids;
    const double lat = grids.empty() ? 30.0 : grids.front().label_lat;
    const double to_m2 = std::pow(6371007.2 * M_PI / 180.0, 2) * std::cos(lat * M_PI / 180.0);

    std::vector<geos::Geometry> ng, og;
    std::vector<double> na, oa;
    for (const auto& gr : grids) {
        ng.push_back(g.from_wkb(gr.wkb.data(), gr.wkb.size()));
        na.push_back(g.area(ng.back().get()));
    }
    for (const auto& o : job.old) {
        og.push_back(g.from_wkb(o.wkb.data(), o.wkb.size()));
        oa.push_back(g.area(og.back().get()));
    }
    // shared area of every overlapping (new, old) pair
    std::vector<std::vector<double>> shared(ng.size(), std::vector<double>(og.size(), 0.0));
    for (std::size_t i = 0; i < ng.size(); ++i)
        for (std::size_t j = 0; j < og.size(); ++j) {
            if (GEOSIntersects_r(g.handle(), ng[i].get(), og[j].get()) != 1) continue;
            shared[i][j] = g.area(g.intersection(ng[i].get(), og[j].get()).get());
        }
    // a match needs at least half of both: so it is unique both ways
    constexpr double eps = 1e-9;
    std::vector<int> match_new(ng.size(), -1), match_old(og.size(), -1);
    for (std::size_t i = 0; i < ng.size(); ++i)
        for (std::size_t j = 0; j < og.size(); ++j)
            if (shared[i][j] >= 0.5 * na[i] * (1 - eps) && shared[i][j] >= 0.5 * oa[j] * (1 - eps) &&
                match_old[j] < 0 && match_new[i] < 0) {
                match_new[i] = static_cast<int>(j);
                match_old[j] = static_cast<int>(i);
            }
    int next_serial = job.max_serial;
    for (std::size_t i = 0; i < ng.size(); ++i) {
        NewGrid n;
        n.grid = grids[i];
        if (match_new[i] >= 0) {
            const OldGrid& o = job.old[static_cast<std::size_t>(match_new[i])];
            n.code = o.code;
            n.serial = o.serial;
            const bool same_shape =
                GEOSEqualsExact_r(g.handle(), ng[i].get(), og[static_cast<std::size_t>(match_new[i])].get(), 0) == 1;
            n.lineage = same_shape ? "unchanged" : "reshaped";
            n.write = !same_shape || n.grid.households != o.households;
            n.replaces_row = o.row_id;
            if (!same_shape)
                out.lineage.push_back({o.code, o.code, "reshaped", shared[i][static_cast<std::size_t>(match_new[i])] * to_m2});
        } else {
            if (++next_serial > max_grid_serial)
                throw input_error(
                    fmt::format("the partition gives {} grids, and only {} of the village's {} grid "
                                "serials are left (--grids N sets fewer)",
                                ng.size(), max_grid_serial - job.max_serial, max_grid_serial));
            n.serial = next_serial;
            n.code = make_grid_code(job.input.code, n.serial);
            std::vector<std::pair<double, std::size_t>> parents;
            for (std::size_t j = 0; j < og.size(); ++j)
                if (shared[i][j] > 0.01 * na[i]) parents.emplace_back(shared[i][j], j);
            std::sort(parents.rbegin(), parents.rend());
            if (parents.empty()) {
                n.lineage = "new";
            } else if (parents.front().first >= 0.5 * na[i]) {
                n.lineage = "split";
                n.detail = "from " + job.old[parents.front().second].code;
            } else {
                std::vector<std::string> from;
                for (const auto& p : parents) from.push_back(job.old[p.second].code);
                n.lineage = "merged";
                n.detail = "from " + join(from);
            }
            for (const auto& p : parents)
                out.lineage.push_back({job.old[p.second].code, n.code, n.lineage, p.first * to_m2});
        }
        out.grids.push_back(std::move(n));
    }
    for (std::size_t j = 0; j < og.size(); ++j) {
        if (match_old[j] >= 0) continue;
        std::vector<std::string> into;
        for (std::size_t i = 0; i < ng.size(); ++i)
            if (shared[i][j] > 0.01 * oa[j]) into.push_back(out.grids[i].code);
        out.retired.emplace_back(job.old[j], into.empty() ? std::string() : "into " + join(into));
        out.lineage.push_back({job.old[j].code, "", "retired", 0});
    }
    return out;
}

/// "village CODE (NAME): what", naming the village once: messages of the partition
/// itself may name it already.
std::string with_village(const VillageInput& v, std::string_view what) {
    std::string head = "village " + v.code;
    if (what.starts_with(head + ":")) what.remove_prefix(head.size() + 1);
    while (what.starts_with(" ")) what.remove_prefix(1);
    if (!v.name.empty()) head += " (" + v.name + ")";
    return fmt::format("{}: {}", head, what);
}

std::string thousands(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

/// Refuse a village whose policy gives more grids than its serials allow (docs/codes.md:
/// 3 digits, never given twice), from the totals alone and before any partitioning:
/// naming the village, the grids the policy gives, the limit, and the option that changes it.
void check_serial_limits(const std::vector<VillageJob>& jobs, const SizePolicy& policy) {
    auto& g = geos::Context::local();
    std::vector<std::string> over;
    std::string first;
    for (const auto& j : jobs) {
        std::int64_t households = 0;
        for (const auto& p : j.input.households) households += p.households;
        const bool by_area = households == 0;
        const double weight = by_area ? outline_area_m2(g, j.input.wkb) : double(households);
        const SizeRule rule = size_rule(policy, j.input.urban, by_area, weight);
        // dedicated areas inside the village are grids of their own, with serials too
        std::int64_t dedicated = 0;
        if (!j.input.dedicated.empty()) {
            auto village = g.from_wkb(j.input.wkb.data(), j.input.wkb.size());
            for (const auto& d : j.input.dedicated) {
                auto dg = g.from_wkb(d.wkb.data(), d.wkb.size());
                dedicated += GEOSRelatePattern_r(g.handle(), village.get(), dg.get(), "T********") == 1;
            }
        }
        // serials left: never used ones, plus those of current grids, which a grid may keep
        const std::int64_t current = static_cast<std::int64_t>(j.old.size());
        const std::int64_t left = max_grid_serial - j.max_serial + current;
        if (rule.grids + dedicated <= left) continue;
        over.push_back(j.input.code);
        if (over.size() > 1) continue;
        const std::int64_t base_left = left - dedicated;
        const std::string also = dedicated ? fmt::format(", and {} dedicated", dedicated) : std::string();
        std::string count;
        if (rule.fixed)
            count = fmt::format("{} grids ({} by --grids{})", thousands(rule.grids + dedicated), rule.grids, also);
        else if (rule.by_area)
            count = fmt::format("{} grids at {:g} km² per grid (area-based: no household data; {} km²{})",
                                thousands(rule.grids + dedicated), rule.target / 1e6,
                                thousands(std::llround(rule.weight / 1e6)), also);
        else
            count = fmt::format("{} grids at {:g} households per grid ({} households, band {:g}–{:g}{})",
                                thousands(rule.grids + dedicated), rule.target, thousands(households), rule.band_min,
                                rule.band_max, also);
        const std::string limit = j.max_serial == current
                                      ? fmt::format("at most {} grid serials per village", max_grid_serial)
                                      : fmt::format(
                                            "at most {} grids: {} of the village's {} grid serials are used already "
                                            "({} by its current grids, which they may keep)",
                                            left, j.max_serial, max_grid_serial, current);
        std::string remedy;
        if (base_left < 1) {
            remedy = "no serial is left for a new grid";
        } else if (rule.fixed) {
            remedy = fmt::format("partition with --grids N, N ≤ {}", base_left);
        } else if (rule.by_area) {
            const char* opt = j.input.urban ? "--urban-area-km2" : "--rural-area-km2";
            SizePolicy p = policy;
            double& km2 = j.input.urban ? p.urban_area_km2 : p.rural_area_km2;
            km2 = std::floor(weight / 1e6 / (double(base_left) + 0.5) * 100) / 100;
            while (size_rule(p, j.input.urban, true, weight).grids > base_left) km2 += 0.01;
            remedy = fmt::format("raise {} (≥ {:.2f} gives ≤ {} grids) or partition with --grids N, N ≤ {}", opt, km2,
                                 base_left, base_left);
        } else {
            const char* opts = j.input.urban ? "--urban-min/--urban-max" : "--rural-min/--rural-max";
            SizePolicy p = policy;
            int& lo = j.input.urban ? p.urban_min : p.rural_min;
            int& hi = j.input.urban ? p.urban_max : p.rural_max;
            const int lo0 = lo, hi0 = hi;
            double f = double(rule.grids) / double(base_left);
            for (int step = 0; step < 1000; ++step, f *= 1.01) {
                lo = static_cast<int>(std::ceil(lo0 * f));
                hi = static_cast<int>(std::ceil(hi0 * f));
                if (size_rule(p, j.input.urban, false, weight).grids <= base_left) break;
            }
            if (hi <= SizePolicy::max_households)
                remedy = fmt::format(
                    "raise the band {} (e.g. {} {} {} {} gives ≤ {} grids) or partition with --grids N, N ≤ {}", opts,
                    j.input.urban ? "--urban-min" : "--rural-min", lo, j.input.urban ? "--urban-max" : "--rural-max",
                    hi, base_left, base_left);
            else
                remedy = fmt::format("partition with --grids N, N ≤ {}", base_left);
        }
        first = with_village(j.input, fmt::format("{}; {} — {}", count, limit, remedy));
    }
    if (over.empty()) return;
    if (over.size() > 1) {
        std::string more;
        for (std::size_t i = 1; i < over.size() && i <= 5; ++i) more += (i > 1 ? ", " : "") + over[i];
        first += fmt::format(" (and {} more villages over the limit: {}{})", over.size() - 1, more,
                             over.size() > 6 ? ", ..." : "");
    }
    throw input_error(first);
}

} // namespace

PartitionReport run_partition(Store& store, const PartitionOptions& opt, const ProgressFn& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    opt.policy.validate();
    if (opt.beidou_level < 1 || opt.beidou_level > beidou::max_level)
        throw usage_error(fmt::format("--beidou-level {} is not in 1..{}", opt.beidou_level, beidou::max_level));
    if (!opt.scope.empty()) {
        const ParsedCode pc = parse_division_code(opt.scope);
        if (!pc.ok() || pc.code != opt.scope) throw usage_error(fmt::format("'{}' is not a county, township or village code", opt.scope));
    }

    // Everything the partition depends on (villages, households, barriers, the
    // current grids and the serials already used) is read inside the write
    // transaction, so a second writer waits for it instead of working from a store
    // that changes under it. A dry run writes nothing and takes no write lock.
    std::optional<Store::Transaction> tx;
    if (!opt.dry_run) tx.emplace(store);

    // --- villages
    std::vector<VillageJob> jobs;
    {
        repo::JurisdictionFilter villages;
        villages.level = "village";
        villages.prefix = opt.scope;
        repo::for_each_jurisdiction(store, villages, [&](const repo::JurisdictionRow& r) {
            VillageJob j;
            j.input.code = r.code;
            j.input.name = r.name;
            j.input.urban = is_urban_community(j.input.code, j.input.name);
            j.input.wkb = r.wkb;
            jobs.push_back(std::move(j));
        });
    }
    if (jobs.empty()) {
        if (opt.scope.size() == 12)
            throw input_error(fmt::format("village {} is not in the store (import the villages first: wangge import FILE)",
                                          opt.scope));
        throw input_error(opt.scope.empty() ? std::string("no villages in the store: import them first (wangge import FILE)")
                                            : fmt::format("no villages under {} in the store", opt.scope));
    }

    // --- inputs: each household point in exactly one village (lowest code where
    // villages overlap); barriers and dedicated areas with their envelopes
    VillageHouseholds households;
    {
        std::vector<CoverageIndex::Polygon> villages;
        for (const auto& j : jobs) villages.push_back({j.input.code, j.input.wkb});
        households = households_by_village(store, villages);
    }
    struct Env {
        double minx, miny, maxx, maxy;
        bool overlaps(const Env& o) const { return !(o.minx > maxx || o.maxx < minx || o.miny > maxy || o.maxy < miny); }
    };
    auto& g = geos::Context::local();
    auto env_of = [&](const std::vector<unsigned char>& wkb) {
        auto geom = g.from_wkb(wkb.data(), wkb.size());
        Env e{};
        GEOSGeom_getXMin_r(g.handle(), geom.get(), &e.minx);
        GEOSGeom_getYMin_r(g.handle(), geom.get(), &e.miny);
        GEOSGeom_getXMax_r(g.handle(), geom.get(), &e.maxx);
        GEOSGeom_getYMax_r(g.handle(), geom.get(), &e.maxy);
        return e;
    };
    std::vector<std::pair<Env, std::vector<unsigned char>>> barriers;
    repo::for_each_barrier_wkb(store,
                               [&](const std::vector<unsigned char>& wkb) { barriers.emplace_back(env_of(wkb), wkb); });
    std::vector<std::pair<Env, DedicatedArea>> dedicated;
    std::vector<std::string> source_notes;
    if (!opt.dedicated_file.empty()) {
        SourceOptions so;
        so.file = opt.dedicated_file;
        so.allow_ballpark = opt.allow_ballpark;
        VectorSource src(so);
        for (const auto& w : src.warnings()) source_notes.push_back(fmt::format("{}: {}", src.file_name(), w));
        const auto name_idx = src.field_index(opt.dedicated_name_field);
        SourceFeature f;
        while (src.next(f)) {
            if (!f.geometry_error.empty()) throw input_error(fmt::format("{}: feature {}: {}", src.file_name(), f.fid, f.geometry_error));
            if (f.wkb.empty()) throw input_error(fmt::format("{}: feature {}: no geometry", src.file_name(), f.fid));
            auto geom = g.from_wkb(f.wkb.data(), f.wkb.size());
            const int type = GEOSGeomTypeId_r(g.handle(), geom.get());
            if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
                throw input_error(fmt::format("{}: feature {}: a dedicated area must be a polygon, not a {}",
                                              src.file_name(), f.fid, f.geometry_type));
            const std::string why = g.invalid_reason(geom.get());
            if (!why.empty()) throw input_error(fmt::format("{}: feature {}: invalid geometry: {}", src.file_name(), f.fid, why));
            DedicatedArea d;
            d.name = name_idx && f.fields[static_cast<std::size_t>(*name_idx)] ? *f.fields[static_cast<std::size_t>(*name_idx)]
                                                                           : fmt::format("dedicated {}", f.fid);
            d.wkb = f.wkb;
            dedicated.emplace_back(env_of(d.wkb), std::move(d));
        }
    }
    {
        for (std::size_t k = 0; k < jobs.size(); ++k) {
            auto& j = jobs[k];
            const Env ve = env_of(j.input.wkb);
            j.input.households = std::move(households.points[k]);
            for (const auto& [e, wkb] : barriers)
                if (e.overlaps(ve)) j.input.barriers.push_back(wkb);
            for (const auto& [e, d] : dedicated)
                if (e.overlaps(ve)) j.input.dedicated.push_back(d);
            auto stored = repo::village_grids(store, j.input.code);
            j.old = std::move(stored.grids);
            j.max_serial = stored.max_serial;
        }
    }
    check_serial_limits(jobs, opt.policy);
    pause_point("partition:inputs-read");

    // --- partition in parallel; the calling thread works too and reports progress
    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int threads = std::clamp(opt.threads > 0 ? opt.threads : hw, 1, static_cast<int>(jobs.size()));
    std::vector<VillageOutcome> outcomes(jobs.size());
    std::vector<std::exception_ptr> errors(jobs.size());
    std::atomic<std::size_t> next{0}, done{0};
    auto work = [&](bool report) {
        auto& ctx = geos::Context::local();
        for (std::size_t i; (i = next.fetch_add(1)) < jobs.size();) {
            try {
                outcomes[i] = process(jobs[i], opt, ctx);
            } catch (...) {
                errors[i] = std::current_exception();
            }
            const auto d = done.fetch_add(1) + 1;
            if (report && progress) progress(static_cast<std::int64_t>(d), static_cast<std::int64_t>(jobs.size()), "partitioning");
        }
    };
    {
        std::vector<std::jthread> pool;
        for (int t = 1; t < threads; ++t) pool.emplace_back(work, false);
        work(true);
    }
    if (progress) progress(static_cast<std::int64_t>(jobs.size()), static_cast<std::int64_t>(jobs.size()), "partitioning");
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (!errors[i]) continue;
        try {
            std::rethrow_exception(errors[i]);
        } catch (const input_error& e) {
            throw input_error(with_village(jobs[i].input, e.what()));
        } catch (const std::exception& e) {
            throw geometry_error(with_village(jobs[i].input, e.what()));
        }
    }

    // --- report
    PartitionReport rep;
    rep.threads = threads;
    rep.villages = static_cast<int>(jobs.size());
    rep.notes = source_notes;
    rep.overlap_points = households.overlap_points;
    rep.overlap_households = households.overlap_households;
    rep.outside_points = households.outside_points;
    rep.outside_households = households.outside_households;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const auto& o = outcomes[i];
        const auto& p = o.partition;
        VillageRunSummary vs;
        vs.village_code = p.village_code;
        vs.village_name = jobs[i].input.name;
        vs.urban = jobs[i].input.urban;
        vs.grids = static_cast<int>(p.grids.size());
        vs.households = p.households;
        vs.target = p.target;
        vs.band_min = p.band_min;
        vs.band_max = p.band_max;
        vs.by_area = p.by_area;
        double mx = -INFINITY, mn = INFINITY;
        for (const auto& ng : o.grids) {
            const auto& gr = ng.grid;
            rep.compactness.push_back(gr.compactness);
            if (gr.dedicated) ++rep.dedicated;
            const double w = p.by_area ? gr.area_m2 : double(gr.households);
            if (!gr.dedicated) {
                const double dev = (w - p.target) / p.target;
                mx = std::max(mx, dev);
                mn = std::min(mn, dev);
                if (!p.by_area) rep.deviation.push_back(dev);
                // a village below the minimum is one grid by policy: that one is in band
                const bool in_band = (w >= p.band_min && w <= p.band_max) || (p.grids.size() == 1 && w < p.band_min);
                rep.in_band += in_band;
                (p.by_area ? rep.area_grids : rep.household_grids) += 1;
                (p.by_area ? rep.area_in_band : rep.household_in_band) += in_band;
            }
            if (ng.lineage == "unchanged") ++rep.kept;
            else if (ng.lineage == "reshaped") ++rep.reshaped;
            else ++rep.added;
            rep.changes.push_back({ng.code, ng.lineage, ng.detail});
        }
        for (const auto& [old, detail] : o.retired) rep.changes.push_back({old.code, "retired", detail});
        rep.retired += static_cast<int>(o.retired.size());
        vs.max_dev = std::isfinite(mx) ? mx : 0;
        vs.min_dev = std::isfinite(mn) ? mn : 0;
        rep.per_village.push_back(vs);
        rep.grids += static_cast<int>(p.grids.size());
        rep.households += p.households;
        if (p.barrier_length_m > 0) {
            ++rep.villages_with_barriers;
            rep.interior_edge_m += p.interior_edge_m;
            rep.barrier_edge_m += p.barrier_edge_m;
            rep.barrier_length_m += p.barrier_length_m;
        }
        for (const auto& n : p.notes) rep.notes.push_back(fmt::format("village {}: {}", p.village_code, n));
    }

    if (tx) {
        const std::string now = repo::now_timestamp(store);
        const auto& pol = opt.policy;
        repo::PartitionRunRow run;
        run.started_at = now;
        run.scope = opt.scope.empty() ? std::string("all") : opt.scope;
        run.settings =
            fmt::format("urban={}-{} rural={}-{} target_grids={} area_km2={}/{} dedicated={} beidou_level={}",
                        pol.urban_min, pol.urban_max, pol.rural_min, pol.rural_max, pol.target_grids,
                        pol.urban_area_km2, pol.rural_area_km2, opt.dedicated_file.string(), opt.beidou_level);
        run.villages = rep.villages;
        run.grids = rep.grids;
        run.kept = rep.kept + rep.reshaped;
        run.added = rep.added;
        run.retired = rep.retired;
        rep.run_id = repo::insert_partition_run(store, run);
        repo::GridWriter writer(store);
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            const auto& o = outcomes[i];
            const std::string& village = jobs[i].input.code;
            for (const auto& ng : o.grids) {
                if (!ng.write) continue;
                if (ng.replaces_row) writer.close_version(ng.replaces_row, now, rep.run_id);
                const auto& gr = ng.grid;
                repo::GridVersionRow row;
                row.code = ng.code;
                row.village_code = village;
                row.serial = ng.serial;
                row.type = gr.dedicated ? "dedicated" : "base";
                row.name = gr.name;
                row.households = gr.households;
                row.area_m2 = gr.area_m2;
                row.perimeter_m = gr.perimeter_m;
                row.compactness = gr.compactness;
                row.label_lon = gr.label_lon;
                row.label_lat = gr.label_lat;
                row.beidou = beidou::encode(gr.label_lon, gr.label_lat, opt.beidou_level);
                row.lineage = ng.lineage;
                row.valid_from = now;
                row.run_id = rep.run_id;
                row.wkb = gr.wkb;
                writer.insert_version(row);
                if (!ng.replaces_row) writer.add_serial(village, ng.serial, ng.code, now);
            }
            for (const auto& [old, detail] : o.retired) {
                writer.close_version(old.row_id, now, rep.run_id);
                writer.retire_serial(old.code, now);
            }
            for (const auto& l : o.lineage) writer.add_lineage(rep.run_id, l.old_code, l.new_code, l.kind, l.shared_m2);
        }
        // events in villages whose grids changed follow their new grids, in the
        // same transaction
        std::vector<std::vector<unsigned char>> changed;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            const auto& o = outcomes[i];
            const bool moved = !o.retired.empty() || std::any_of(o.grids.begin(), o.grids.end(), [](const NewGrid& n) {
                                   return n.lineage != "unchanged";
                               });
            if (moved) changed.push_back(jobs[i].input.wkb);
        }
        pause_point("partition:written");
        rep.events_reassigned = reassign_events_within(store, changed).changed;
        tx->commit();
    }
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return rep;
}

} // namespace wangge
