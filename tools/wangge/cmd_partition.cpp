// wangge partition [--village|--township|--county CODE]
#include "cli.hpp"

#include <wangge/error.hpp>
#include <wangge/grids.hpp>
#include <wangge/store.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace wangge::cli {

namespace {

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * double(v.size() - 1) + 0.5)];
}

/// A usage error (exit 2) when `path` cannot be written, found before the store is
/// touched: a bad output path never leaves grids written and the command failed.
/// A file that did not exist is not left behind by the check.
void check_output_path(const std::string& path, std::string_view option) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw usage_error(fmt::format("{} {}: is a directory, not a file", option, path));
    const bool existed = std::filesystem::exists(path, ec);
    {
        std::ofstream probe(path, std::ios::app);
        if (!probe) throw usage_error(fmt::format("{} {}: cannot be written: {}", option, path, std::strerror(errno)));
    }
    if (!existed) std::filesystem::remove(path, ec);
}

/// The size policy a run used, with units: households per grid and band for the kinds
/// of village that had household data, km² per grid for those that had none (named),
/// or the fixed count.
std::string policy_text(const SizePolicy& pol, const std::vector<VillageRunSummary>& villages) {
    if (pol.target_grids > 0) return fmt::format("fixed {} grids per village (no size band)", pol.target_grids);
    std::string text;
    auto add = [&](const std::string& part) { text += (text.empty() ? "" : "; ") + part; };
    for (const bool urban : {true, false}) {
        const char* kind = urban ? "urban communities" : "rural villages";
        std::vector<const VillageRunSummary*> by_hh, by_area;
        for (const auto& v : villages)
            if (v.urban == urban) (v.by_area ? by_area : by_hh).push_back(&v);
        const int lo = urban ? pol.urban_min : pol.rural_min, hi = urban ? pol.urban_max : pol.rural_max;
        if (!by_hh.empty())
            add(fmt::format("{:g} households per grid in {} (band {}–{})", 0.5 * (lo + hi), kind, lo, hi));
        if (by_area.empty()) continue;
        const double km2 = urban ? pol.urban_area_km2 : pol.rural_area_km2;
        std::string which;
        for (std::size_t i = 0; i < by_area.size() && i < 3; ++i)
            which += fmt::format("{}{}{}", i ? ", " : "", by_area[i]->village_code,
                                 by_area[i]->village_name.empty() ? "" : " (" + by_area[i]->village_name + ")");
        if (by_area.size() > 3) which += fmt::format(" and {} more", by_area.size() - 3);
        add(fmt::format("{:g} km² per grid in {} (band {:g}–{:g} km²; area-based: no household data for {} {})", km2,
                        kind, 0.5 * km2, 1.5 * km2,
                        by_area.size() == 1 ? (urban ? "community" : "village") : (urban ? "communities" : "villages"),
                        which));
    }
    return text;
}

} // namespace

void add_partition(CLI::App& app, Registry& reg) {
    auto opt = std::make_shared<PartitionOptions>();
    auto village = std::make_shared<std::string>();
    auto township = std::make_shared<std::string>();
    auto county = std::make_shared<std::string>();
    auto dedicated = std::make_shared<std::string>();
    auto report_file = std::make_shared<std::string>();
    auto* p = app.add_subcommand(
        "partition",
        "Divide villages/communities into full-function grids (全科网格) of balanced households that cover each "
        "village exactly, follow barrier lines, and get unified 15-digit codes that stay stable across redraws. "
        "Without a scope, every village in the store.");
    p->add_option("--village", *village, "One village/community (12-digit code)");
    p->add_option("--township", *township, "All villages of a township/street (9-digit code)");
    p->add_option("--county", *county, "All villages of a county (6-digit code)");
    p->add_option("--urban-min", opt->policy.urban_min, "Households per grid in urban communities: minimum")->capture_default_str();
    p->add_option("--urban-max", opt->policy.urban_max, "... maximum")->capture_default_str();
    p->add_option("--rural-min", opt->policy.rural_min, "Households per grid in rural villages: minimum")->capture_default_str();
    p->add_option("--rural-max", opt->policy.rural_max, "... maximum")->capture_default_str();
    auto* grids = p->add_option("--grids", opt->policy.target_grids,
                                "Aim at this many grids per village (1-999) instead of the household band");
    p->add_option("--urban-area-km2", opt->policy.urban_area_km2, "Grid area aimed at in a community without household data")
        ->capture_default_str();
    p->add_option("--rural-area-km2", opt->policy.rural_area_km2, "... in a village without household data")->capture_default_str();
    p->add_option("--dedicated", *dedicated, "Polygons (schools, hospitals, parks, markets) that become dedicated grids (专属网格)");
    p->add_flag("--allow-ballpark", opt->allow_ballpark,
                "Read the dedicated areas even when their CRS reaches CGCS2000 only by a ballpark datum shift");
    p->add_option("--dedicated-name-field", opt->dedicated_name_field, "Name field of the dedicated areas")->capture_default_str();
    p->add_option("--beidou-level", opt->beidou_level, "Level of the BeiDou grid code of each grid's interior point (1-10)")
        ->capture_default_str();
    p->add_option("-j,--threads", opt->threads, "Worker threads (default: all cores)");
    p->add_option("--report", *report_file, "Write a per-village quality report (CSV: grids, households, target, band, max/min deviation)");
    p->add_flag("--dry-run", opt->dry_run, "Compute and print what would change, code by code; write nothing");
    p->callback([&reg, opt, village, township, county, dedicated, report_file, grids] {
        *reg.action = [&reg, opt, village, township, county, dedicated, report_file, grids] {
            const int scopes = !village->empty() + !township->empty() + !county->empty();
            if (scopes > 1) throw usage_error("give at most one of --village, --township, --county");
            opt->scope = !village->empty() ? *village : !township->empty() ? *township : *county;
            auto need_len = [](const std::string& v, std::size_t n, const char* what) {
                if (!v.empty() && (v.size() != n || v.find_first_not_of("0123456789") != std::string::npos))
                    throw usage_error(fmt::format("{} '{}' is not a {}-digit code", what, v, n));
            };
            need_len(*village, 12, "--village");
            need_len(*township, 9, "--township");
            need_len(*county, 6, "--county");
            // 0 stands for "no --grids" in the policy: given, it is out of range like any other
            if (grids->count() > 0 && opt->policy.target_grids < 1)
                throw usage_error(fmt::format("--grids {}: grids per village must be in 1..{}",
                                              opt->policy.target_grids, max_grid_serial));
            opt->policy.validate();
            opt->dedicated_file = *dedicated;
            if (!report_file->empty()) check_output_path(*report_file, "--report");
            Store store(reg.globals.db, Store::Mode::must_exist);
            PartitionReport r;
            {
                Progress progress(reg.globals);
                r = run_partition(store, *opt, progress.fn());
            }
            if (opt->dry_run || reg.globals.verbose) {
                for (const auto& c : r.changes)
                    fmt::print("{}  {:<9}  {}\n", c.code, c.kind, c.detail);
            }
            if (!reg.globals.quiet) {
                const auto& pol = opt->policy;
                fmt::print("{} {} villages into {} grids in {:.1f} s ({} threads){}\n",
                           opt->dry_run ? "would partition" : "partitioned", r.villages, r.grids, r.seconds, r.threads,
                           r.dedicated ? fmt::format(", {} dedicated", r.dedicated) : "");
                fmt::print("policy: {}\n", policy_text(pol, r.per_village));
                fmt::print("households: {} in all, {:.1f} per grid\n", r.households,
                           r.grids ? double(r.households) / r.grids : 0.0);
                auto share = [](std::int64_t n, std::int64_t of) { return of ? 100.0 * double(n) / double(of) : 0.0; };
                if (pol.target_grids > 0)
                    fmt::print("size band: none applies (fixed {} grids per village)\n", pol.target_grids);
                if (pol.target_grids == 0 && r.household_grids)
                    fmt::print("size band: {} of {} grids ({:.1f}%) inside their band of households per grid\n",
                               r.household_in_band, r.household_grids, share(r.household_in_band, r.household_grids));
                if (pol.target_grids == 0 && r.area_grids)
                    fmt::print("size band: {} of {} area-based grids ({:.1f}%) inside their band of km² per grid\n",
                               r.area_in_band, r.area_grids, share(r.area_in_band, r.area_grids));
                if (r.overlap_points)
                    fmt::print("households: {} points ({} households) lie where villages overlap; each is counted "
                               "once, in the village with the lowest code\n",
                               r.overlap_points, r.overlap_households);
                if (r.outside_points)
                    fmt::print("households: {} points ({} households) lie in no village and are in no grid\n",
                               r.outside_points, r.outside_households);
                if (!r.deviation.empty())
                    fmt::print("deviation from target households per grid: median {:+.1f}%, 5th pct {:+.1f}%, "
                               "95th pct {:+.1f}%, worst {:+.1f}% / {:+.1f}%\n",
                               100 * quantile(r.deviation, 0.5), 100 * quantile(r.deviation, 0.05),
                               100 * quantile(r.deviation, 0.95), 100 * quantile(r.deviation, 0.0),
                               100 * quantile(r.deviation, 1.0));
                fmt::print("compactness (Polsby-Popper): median {:.3f}, 10th pct {:.3f}\n",
                           quantile(r.compactness, 0.5), quantile(r.compactness, 0.1));
                if (r.villages_with_barriers)
                    fmt::print("barriers: {} villages crossed; {:.1f}% of their grid edges run along barriers, "
                               "and grid edges follow {:.1f}% of the barrier length\n",
                               r.villages_with_barriers,
                               r.interior_edge_m > 0 ? 100.0 * r.barrier_edge_m / r.interior_edge_m : 0.0,
                               r.barrier_length_m > 0 ? 100.0 * r.barrier_edge_m / r.barrier_length_m : 0.0);
                fmt::print("codes: {} new, {} kept unchanged, {} kept reshaped, {} retired\n", r.added, r.kept,
                           r.reshaped, r.retired);
                if (r.events_reassigned) fmt::print("events: {} moved to their new grid\n", r.events_reassigned);
                const std::size_t limit = reg.globals.verbose ? r.notes.size() : std::min<std::size_t>(r.notes.size(), 5);
                for (std::size_t i = 0; i < limit; ++i) fmt::print(stderr, "note: {}\n", r.notes[i]);
                if (limit < r.notes.size()) fmt::print(stderr, "note: ... and {} more (--verbose)\n", r.notes.size() - limit);
                if (opt->dry_run) fmt::print("dry run: nothing written\n");
            }
            if (!report_file->empty()) {
                std::ofstream out(*report_file);
                if (!out) throw io_error(fmt::format("{}: cannot write the report", *report_file));
                out << "village,grids,households,target,band_min,band_max,by_area,max_deviation,min_deviation,unit\n";
                for (const auto& v : r.per_village)
                    out << fmt::format("{},{},{},{:.1f},{},{},{},{:.4f},{:.4f},{}\n", v.village_code, v.grids,
                                       v.households, v.target, v.band_min, v.band_max, v.by_area ? 1 : 0, v.max_dev,
                                       v.min_dev, v.by_area ? "m2" : "households");
            }
            return ok;
        };
    });
}

} // namespace wangge::cli
