// Sources of a tile build: what the layers need, read from the store (through
// wangge/map_data.hpp) or from files (--grids-file, --events-file). See layers.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <wangge/codes.hpp>
#include <wangge/csv.hpp>
#include <wangge/error.hpp>
#include <wangge/source.hpp>

#include "geometry/geos.hpp"
#include "layers.hpp"

namespace wangge::tiles::detail {

void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& fn) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex mu;
    auto work = [&] {
        try {
            for (std::size_t i; (i = next.fetch_add(1)) < n;) fn(i);
        } catch (...) {
            std::lock_guard lock(mu);
            if (!error) error = std::current_exception();
            next = n;
        }
    };
    {
        std::vector<std::jthread> pool;
        const auto extra = std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), n);
        for (std::size_t i = 1; i < extra; ++i) pool.emplace_back(work);
        work();
    }
    if (error) std::rethrow_exception(error);
}

int thread_count(const BuildOptions& options) {
    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::clamp(options.threads > 0 ? options.threads : hw, 1, 64);
}

namespace {

AreaFilter area_of(const BuildOptions& o) {
    return {o.prefix, o.bbox};
}

void read_store(Store& store, const BuildOptions& opt, const InputNeeds& needs, Inputs& in) {
    const AreaFilter area = area_of(opt);
    for (const auto& level : needs.levels)
        for_each_jurisdiction(store, level, area,
                              [&](const JurisdictionFeature& j) { in.jurisdictions[level].push_back(j); });
    in.have_events = has_events(store);
    if (needs.grids) {
        in.counts = event_counts_per_grid(store);
        for_each_grid(store, area, [&](const GridFeature& g) { in.grids.push_back(g); });
    }
    if (needs.events && in.have_events) {
        for_each_event(store, area, [&](const EventPoint& e) { in.events.push_back(e); });
        for_each_grid_label(store, [&](const std::string& code, double lon, double lat) {
            in.label_of[code] = topology::to_mercator(lon, lat);
        });
    }
}

/// Grids from a GDAL polygon file: code, households when there, a point on surface
/// as the label.
void read_grids_file(const BuildOptions& opt, Inputs& in) {
    SourceOptions so;
    so.file = opt.grids_file;
    so.preferred_layer = "grids";  // an exported GeoPackage: grids, villages, layer_styles
    VectorSource src(so);
    const int ci = src.require_field(opt.grids_code_field, "--code-field");
    const auto hi = src.field_index("households");
    auto& g = geos::Context::local();
    SourceFeature f;
    while (src.next(f)) {
        if (f.wkb.empty() || !f.geometry_error.empty()) continue;
        GridFeature grid;
        grid.code = f.fields[static_cast<std::size_t>(ci)].value_or("");
        const bool has_hh = hi && f.fields[static_cast<std::size_t>(*hi)];
        if (has_hh) grid.households = std::stoll(*f.fields[static_cast<std::size_t>(*hi)]);
        auto geom = g.from_wkb(f.wkb.data(), f.wkb.size());
        auto pt = g.own(GEOSPointOnSurface_r(g.handle(), geom.get()), "label");
        GEOSGeomGetX_r(g.handle(), pt.get(), &grid.label_lon);
        GEOSGeomGetY_r(g.handle(), pt.get(), &grid.label_lat);
        in.label_of[grid.code] = topology::to_mercator(grid.label_lon, grid.label_lat);
        grid.wkb = std::move(f.wkb);
        in.grids.push_back(std::move(grid));
        in.grid_has_households.push_back(has_hh ? 1 : 0);
    }
    if (in.grids.empty()) throw input_error(fmt::format("{}: no grid polygons", opt.grids_file.string()));
}

/// Events from a CSV (lon, lat[, type_code]), each assigned to the file's grids; the
/// rows are split and located on all threads, in order.
void read_events_file(const BuildOptions& opt, int threads, Inputs& in) {
    std::vector<CoverageIndex::Polygon> polys;
    polys.reserve(in.grids.size());
    for (const auto& g : in.grids) polys.push_back({g.code, g.wkb});
    const CoverageIndex index(polys);
    CsvReader csv(opt.events_file);
    const auto cols =
        coordinate_columns(csv.header(), opt.events_x_field, opt.events_y_field, opt.events_file.string());
    std::optional<std::size_t> ct = find_column(csv.header(), "type_code");
    if (!ct) ct = find_column(csv.header(), "type");
    std::vector<CsvChunk> chunks(1);
    while (csv.read_chunk(chunks.back(), std::size_t{4} << 20)) chunks.emplace_back();
    chunks.pop_back();
    struct Part {
        std::vector<EventPoint> events;
        std::vector<char> has_type;
    };
    std::vector<Part> parts(chunks.size());
    parallel_for(chunks.size(), threads, [&](std::size_t c) {
        std::vector<std::string> fields;
        Part& part = parts[c];
        for_each_record(chunks[c], [&](std::string_view record, std::int64_t, const std::string& error) {
            if (!error.empty()) return;
            split_csv_record(record, chunks[c].delimiter, fields);
            if (fields.size() <= std::max(cols.x, cols.y)) return;
            char* end = nullptr;
            const double x = std::strtod(fields[cols.x].c_str(), &end), y = std::strtod(fields[cols.y].c_str(), &end);
            if (!(x >= -180 && x <= 180 && y >= -85 && y <= 85)) return;
            const int gi = index.locate(x, y);
            EventPoint e;
            e.lon = x;
            e.lat = y;
            const bool has_type = ct && *ct < fields.size();
            if (has_type) e.type = fields[*ct];
            if (gi >= 0) e.grid = index.code(gi);
            part.events.push_back(std::move(e));
            part.has_type.push_back(has_type ? 1 : 0);
        });
        chunks[c] = CsvChunk();
    });
    for (auto& p : parts) {
        in.events.insert(in.events.end(), std::make_move_iterator(p.events.begin()),
                         std::make_move_iterator(p.events.end()));
        in.event_has_type.insert(in.event_has_type.end(), p.has_type.begin(), p.has_type.end());
    }
    in.have_events = true;
}

}  // namespace

Inputs read_inputs(Store& store, const BuildOptions& opt, const InputNeeds& needs, int threads) {
    Inputs in;
    in.from_files = !opt.grids_file.empty();
    if (!opt.events_file.empty() && !in.from_files)
        throw usage_error("--events-file needs --grids-file (events are counted per grid)");
    if (!in.from_files) {
        read_store(store, opt, needs, in);
        return in;
    }
    // files: an empty store stands in for the jurisdictions
    const AreaFilter area = area_of(opt);
    for (const auto& level : needs.levels)
        for_each_jurisdiction(store, level, area,
                              [&](const JurisdictionFeature& j) { in.jurisdictions[level].push_back(j); });
    read_grids_file(opt, in);
    if (!opt.events_file.empty()) read_events_file(opt, threads, in);
    return in;
}

}  // namespace wangge::tiles::detail
