// serve_bench_tiles — inputs of the serve benchmark (tools/bench/serve/run.sh), from one
// PMTiles archive:
//  - OUT_DIR/z/x/y.mvt: every tile of the archive as a static file, the bytes as stored
//    (gzip), for nginx to serve with Content-Encoding: gzip;
//  - URLS: COUNT random tile paths /tiles/NAME/z/x/y.mvt of zooms MINZOOM-MAXZOOM (a zoom
//    drawn uniformly, then one of that zoom's tiles uniformly), one a line, for wrk;
//  - ALL (optional): every tile path of those zooms once, shuffled (the cold pass of tiles
//    made on demand: no tile asked twice until the list wraps);
//  - ONE (optional): the tile whose size is nearest the mean size of the URLS' tiles
//    (what an average request carries), for the HTTP layer servers.
// Prints how many tiles per zoom and their sizes. Seeded: the same archive and seed give
// the same lists.
//
// Usage: serve_bench_tiles ARCHIVE OUT_DIR URLS [--name NAME] [--count N] [--seed S]
//                          [--minzoom Z] [--maxzoom Z] [--all FILE] [--one FILE]
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "wangge/tiles/pmtiles.hpp"

namespace fs = std::filesystem;
using wangge::tiles::TileCoord;

namespace {

struct Args {
    fs::path archive, out_dir, urls, all, one;
    std::string name;
    std::size_t count = 10000;
    unsigned seed = 16;
    int minzoom = 10, maxzoom = 16;
};

[[noreturn]] void usage() {
    std::fputs(
        "usage: serve_bench_tiles ARCHIVE OUT_DIR URLS [--name NAME] [--count N] [--seed S]\n"
        "                         [--minzoom Z] [--maxzoom Z] [--all FILE] [--one FILE]\n",
        stderr);
    std::exit(2);
}

Args parse(int argc, char** argv) {
    Args a;
    std::vector<std::string> pos;
    for (int i = 1; i < argc; ++i) {
        std::string s = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (s == "--name")
            a.name = value();
        else if (s == "--count")
            a.count = std::stoul(value());
        else if (s == "--seed")
            a.seed = static_cast<unsigned>(std::stoul(value()));
        else if (s == "--minzoom")
            a.minzoom = std::stoi(value());
        else if (s == "--maxzoom")
            a.maxzoom = std::stoi(value());
        else if (s == "--all")
            a.all = value();
        else if (s == "--one")
            a.one = value();
        else if (!s.empty() && s[0] == '-')
            usage();
        else
            pos.push_back(s);
    }
    if (pos.size() != 3 || a.minzoom > a.maxzoom) usage();
    a.archive = pos[0];
    a.out_dir = pos[1];
    a.urls = pos[2];
    if (a.name.empty()) a.name = a.archive.stem().string();
    return a;
}

void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("cannot write " + p.string());
}

std::string url_of(const std::string& name, const TileCoord& c) {
    return fmt::format("/tiles/{}/{}/{}/{}.mvt", name, c.z, c.x, c.y);
}

}  // namespace

int main(int argc, char** argv) try {
    const Args a = parse(argc, argv);
    wangge::tiles::PmtilesReader reader(a.archive);
    fs::create_directories(a.out_dir);

    struct Stat {
        std::size_t tiles = 0, bytes = 0, largest = 0;
    };
    std::map<int, Stat> stats;
    std::map<int, std::vector<std::pair<TileCoord, std::size_t>>> by_zoom;  // tiles of the URL zooms
    fs::path last_dir;
    reader.for_each_tile([&](const TileCoord& c, const std::string& stored) {
        const fs::path dir = a.out_dir / std::to_string(c.z) / std::to_string(c.x);
        if (dir != last_dir) fs::create_directories(dir);
        last_dir = dir;
        write_file(dir / (std::to_string(c.y) + ".mvt"), stored);
        Stat& s = stats[c.z];
        ++s.tiles;
        s.bytes += stored.size();
        s.largest = std::max(s.largest, stored.size());
        if (c.z >= a.minzoom && c.z <= a.maxzoom) by_zoom[c.z].emplace_back(c, stored.size());
    });

    std::mt19937_64 rng(a.seed);
    std::vector<int> zooms;
    for (const auto& [z, tiles] : by_zoom) zooms.push_back(z);
    if (zooms.empty()) throw std::runtime_error("no tile in the zooms asked");
    std::size_t url_bytes = 0;
    {
        std::ofstream f(a.urls, std::ios::trunc);
        std::uniform_int_distribution<std::size_t> pick_zoom(0, zooms.size() - 1);
        for (std::size_t i = 0; i < a.count; ++i) {
            const auto& tiles = by_zoom[zooms[pick_zoom(rng)]];
            std::uniform_int_distribution<std::size_t> pick(0, tiles.size() - 1);
            const auto& t = tiles[pick(rng)];
            f << url_of(a.name, t.first) << '\n';
            url_bytes += t.second;
        }
        if (!f) throw std::runtime_error("cannot write " + a.urls.string());
    }
    if (!a.all.empty()) {
        std::vector<TileCoord> all;
        for (const auto& [z, tiles] : by_zoom)
            for (const auto& t : tiles) all.push_back(t.first);
        std::shuffle(all.begin(), all.end(), rng);
        std::ofstream f(a.all, std::ios::trunc);
        for (const auto& c : all) f << url_of(a.name, c) << '\n';
        if (!f) throw std::runtime_error("cannot write " + a.all.string());
    }
    const double mean = static_cast<double>(url_bytes) / static_cast<double>(std::max<std::size_t>(a.count, 1));
    fmt::print("URLs: {} of zooms {}-{}, mean tile {:.0f} bytes gzip\n", a.count, a.minzoom, a.maxzoom, mean);
    if (!a.one.empty()) {
        std::pair<TileCoord, std::size_t> best{};
        double best_gap = -1;
        for (const auto& [z, tiles] : by_zoom)
            for (const auto& t : tiles) {
                const double gap = std::abs(static_cast<double>(t.second) - mean);
                if (best_gap < 0 || gap < best_gap) best = t, best_gap = gap;
            }
        const TileCoord c = best.first;
        fs::copy_file(a.out_dir / std::to_string(c.z) / std::to_string(c.x) / (std::to_string(c.y) + ".mvt"), a.one,
                      fs::copy_options::overwrite_existing);
        fmt::print("one tile: {} ({} bytes gzip) -> {}\n", wangge::tiles::to_string(c), best.second, a.one.string());
    }
    fmt::print("zoom\ttiles\tMB(gz)\tlargest KB\tmean KB\n");
    for (const auto& [z, s] : stats)
        fmt::print("{}\t{}\t{:.2f}\t{:.1f}\t{:.1f}\n", z, s.tiles, s.bytes / 1048576.0, s.largest / 1024.0,
                   s.bytes / 1024.0 / static_cast<double>(s.tiles));
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "serve_bench_tiles: %s\n", e.what());
    return 1;
}
