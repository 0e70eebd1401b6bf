// wangge assign
#include <fmt/format.h>

#include <memory>
#include <wangge/assign.hpp>
#include <wangge/error.hpp>
#include <wangge/events.hpp>
#include <wangge/source.hpp>
#include <wangge/store.hpp>

#include "cli.hpp"
#include "output.hpp"

namespace wangge::cli {

namespace {

/// Grids from the store, or from any GDAL polygon file with a code field.
CoverageIndex index_from(const std::string& source, const std::string& code_field, const std::string& db,
                         bool allow_ballpark) {
    if (source.empty() || source == "store") {
        Store store(db, Store::Mode::read_only);
        return grid_index(store);
    }
    SourceOptions so;
    so.file = source;
    so.allow_ballpark = allow_ballpark;
    VectorSource src(so);
    const int ci = src.require_field(code_field, "--code-field");
    std::vector<CoverageIndex::Polygon> polys;
    SourceFeature f;
    while (src.next(f)) {
        if (!f.geometry_error.empty())
            throw input_error(fmt::format("{}: feature {}: {}", source, f.fid, f.geometry_error));
        if (f.wkb.empty()) continue;
        const auto& code = f.fields[static_cast<std::size_t>(ci)];
        polys.push_back({code ? *code : std::string(), std::move(f.wkb)});
    }
    if (polys.empty()) throw input_error(fmt::format("{}: no grid polygons", source));
    return CoverageIndex(polys);
}

}  // namespace

void add_assign(CLI::App& app, Registry& reg) {
    auto opt = std::make_shared<AssignOptions>();
    auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
    auto grids = std::make_shared<std::string>("store");
    auto code_field = std::make_shared<std::string>("code");
    auto crs = std::make_shared<std::string>("wgs84");
    auto delim = std::make_shared<std::string>();
    auto ballpark = std::make_shared<bool>(false);
    auto overwrite = std::make_shared<bool>(false);
    auto* a = app.add_subcommand(
        "assign",
        "Batch: give every row of an events CSV the code of the grid holding it, streaming to another CSV; "
        "nothing is written to the store");
    a->add_option("--grids", *grids, "Grids: 'store' (the --db store's current grids) or any GDAL polygon file")
        ->capture_default_str();
    a->add_option("--code-field", *code_field, "Code field of a grids file")->capture_default_str();
    a->add_flag("--allow-ballpark", *ballpark,
                "Read a grids file whose datum reaches CGCS2000 only by a ballpark offset (tens of metres off)");
    a->add_option("--in", *in, "Input CSV")->required();
    a->add_option("--out", *out, "Output CSV (written whole, then moved into place)")->required();
    a->add_option("--crs", *crs, "Datum of the coordinates: wgs84, cgcs2000, gcj02, bd09")->capture_default_str();
    a->add_option("--x-field", opt->x_field, "Longitude column (default: lon, lng, longitude, x or 经度, any case)");
    a->add_option("--y-field", opt->y_field, "Latitude column (default: lat, latitude, y or 纬度, any case)");
    a->add_option("--delimiter", *delim, "Delimiter (default: guessed from the header)");
    a->add_option("-j,--threads", opt->threads, "Worker threads (default: all cores)");
    a->add_flag("--nearest", opt->nearest, "Add nearest_grid and nearest_m (metres) for points in no grid");
    add_overwrite_flag(a, *overwrite);
    a->callback([&reg, opt, in, out, grids, code_field, crs, delim, ballpark, overwrite] {
        *reg.action = [&reg, opt, in, out, grids, code_field, crs, delim, ballpark, overwrite] {
            opt->in = *in;
            opt->out = *out;
            opt->crs = chinacrs::parse_datum(*crs);
            opt->delimiter = delimiter_of(*delim);
            refuse_non_csv_input(opt->in);  // before the grids are read
            check_output(opt->out, *overwrite);
            const auto index = index_from(*grids, *code_field, reg.globals.db, *ballpark);
            AssignReport r;
            {
                Progress progress(reg.globals);
                r = assign_csv(index, *opt, progress.fn());
            }
            const std::size_t limit =
                reg.globals.verbose ? r.first_rejects.size() : std::min<std::size_t>(r.first_rejects.size(), 10);
            for (std::size_t i = 0; i < limit; ++i)
                fmt::print(stderr, "rejected: {}: line {}: {}\n", *in, r.first_rejects[i].line,
                           r.first_rejects[i].reason);
            if (limit < static_cast<std::size_t>(r.rejected))
                fmt::print(stderr, "rejected: ... {} in all (grid_status bad_record in {})\n", r.rejected, *out);
            if (reg.globals.verbose) {
                const auto& st = index.stats();
                fmt::print(stderr,
                           "index: {} polygons, {} vertices; raster {}x{}: {} interior, {} empty, {} boundary cells "
                           "({} candidates; {} of their {} subcells left to the exact test)\n",
                           st.polygons, st.vertices, st.columns, st.rows, st.interior_cells, st.empty_cells,
                           st.boundary_cells, st.candidates, st.exact_subcells, st.boundary_cells * 64);
            }
            if (!reg.globals.quiet) {
                fmt::print(
                    "{} rows: {} assigned, {} in no grid, {} without readable coordinates, {} unreadable records; "
                    "{} grids; {:.2f} s ({} threads, index {:.2f} s)\n",
                    r.rows, r.assigned, r.uncovered, r.bad, r.rejected, index.size(), r.seconds, r.threads,
                    index.stats().build_seconds);
            }
            return ok;
        };
    });
}

}  // namespace wangge::cli
