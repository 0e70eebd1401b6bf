// locate_bench — CoverageIndex::locate alone, for choosing the raster size: builds the
// index of a grids file at several raster sizes and locates the points of a CSV (its
// first two columns, lon,lat) with the batch locate, printing the index's build time,
// its cells and the CPU time of the lookups. Not installed; a benchmark target only.
//
//   locate_bench GRIDS.gpkg CODE_FIELD EVENTS.csv [CELLS...]   (0: the default size)
#include <fmt/format.h>

#include <charconv>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>
#include <wangge/coverage_index.hpp>
#include <wangge/source.hpp>

namespace {

double cpu_s() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        fmt::print(stderr, "usage: locate_bench GRIDS CODE_FIELD EVENTS.csv [CELLS...]\n");
        return 2;
    }
    wangge::SourceOptions so;
    so.file = argv[1];
    wangge::VectorSource src(so);
    const int ci = src.require_field(argv[2], "code field");
    std::vector<wangge::CoverageIndex::Polygon> polys;
    wangge::SourceFeature f;
    while (src.next(f))
        if (!f.wkb.empty()) polys.push_back({f.fields[std::size_t(ci)].value_or(""), std::move(f.wkb)});
    std::vector<double> xs, ys;
    {
        std::ifstream in(argv[3]);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
            double x = 0, y = 0;
            std::from_chars(line.data(), line.data() + c1, x);
            std::from_chars(line.data() + c1 + 1, line.data() + c2, y);
            xs.push_back(x);
            ys.push_back(y);
        }
    }
    std::vector<std::size_t> sizes;
    for (int i = 4; i < argc; ++i) sizes.push_back(std::stoul(argv[i]));
    if (sizes.empty()) sizes.push_back(0);
    std::vector<int> out(xs.size());
    for (const std::size_t cells : sizes) {
        const double c0 = cpu_s();
        const wangge::CoverageIndex index(polys, cells);
        const double c1 = cpu_s();
        index.locate(xs.data(), ys.data(), out.data(), xs.size());
        const double c2 = cpu_s();
        std::size_t found = 0, exact_differ = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            found += out[i] >= 0;
            if (i % 16 == 0 && out[i] != index.locate_exact(xs[i], ys[i])) ++exact_differ;
        }
        const auto& st = index.stats();
        fmt::print(
            "cells {} ({}x{}): {} boundary, {:.1f}% of their subcells exact; build {:.3f} s CPU; "
            "{} points in {:.3f} s CPU ({:.1f} ns each), {} in a grid, {} differ from locate_exact (1 in 16 checked)\n",
            st.columns * st.rows, st.columns, st.rows, st.boundary_cells,
            100.0 * double(st.exact_subcells) / double(std::max<std::size_t>(1, st.boundary_cells * 64)), c1 - c0,
            xs.size(), c2 - c1, (c2 - c1) * 1e9 / double(xs.size()), found, exact_differ);
    }
    return 0;
}
