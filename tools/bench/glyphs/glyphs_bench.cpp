// glyphs_bench [FONT]: how long `wangge serve` takes to make a glyph range from the
// local font (range 0, one CJK range 0x6700, then every range of the CJK Unified
// Ideographs 0x4E00-0x9FFF), and how many bytes the ranges are. Each range is made once
// by a fresh Glyphs (cold), then read again from its cache. Times are wall clock and,
// in brackets, this process's CPU time (the one to compare on a loaded machine).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>

#include "serve/glyphs.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Mark {
    Clock::time_point wall = Clock::now();
    std::clock_t cpu = std::clock();
};

// "W ms (C ms CPU)" since `m`, each divided by `n`.
std::string since(const Mark& m, double n = 1) {
    const double wall = std::chrono::duration<double, std::milli>(Clock::now() - m.wall).count();
    const double cpu = 1000.0 * static_cast<double>(std::clock() - m.cpu) / CLOCKS_PER_SEC;
    return fmt::format("{:.3f} ms ({:.3f} ms CPU)", wall / n, cpu / n);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Mark open;
        wangge::tiles::serve::Glyphs glyphs(argc > 1 ? argv[1] : "");
        fmt::print("font {} ({}) opened in {}\n", glyphs.file().string(), glyphs.fontstack(), since(open));

        for (const unsigned start : {0u, 0x6700u}) {
            const Mark cold;
            const auto pbf = glyphs.range(start);
            const std::string made = since(cold);
            const Mark cached;
            const auto again = glyphs.range(start);
            fmt::print("range {}-{}: {} bytes, made in {}, from the cache in {}\n", start, start + 255, pbf->size(),
                       made, since(cached));
        }

        // every range of the block once, fresh (0x6700 above was another instance's)
        wangge::tiles::serve::Glyphs fresh(glyphs.file());
        std::size_t total = 0;
        unsigned ranges = 0;
        const Mark all;
        for (unsigned start = 0x4E00; start < 0xA000; start += 256, ++ranges) total += fresh.range(start)->size();
        fmt::print("CJK Unified Ideographs 0x4E00-0x9FFF: {} ranges, {} bytes ({:.1f} MiB), {} a range\n", ranges,
                   total, static_cast<double>(total) / (1024.0 * 1024.0), since(all, ranges));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glyphs_bench: %s\n", e.what());
        return 1;
    }
}
