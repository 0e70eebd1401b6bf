// The inputs kept from fuzzing (tests/fuzz/regressions/<target>/: each once made a
// fuzz target crash, hang or break an invariant) and the seed corpora, run through
// the same functions as the libFuzzer targets, so the normal build checks them. A
// regression aborts (a sanitizer report in the ASan build) or throws something other
// than a wangge::error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "fuzz/targets.cpp"  // the targets' bodies, without libFuzzer
#include "support.hpp"

using namespace wangge::test;

TEST_CASE("fuzz: kept regression inputs and seed corpora are read or rejected cleanly", "[fuzz]") {
    std::size_t inputs = 0;
    for (const auto& t : wangge::fuzz::targets()) {
        for (const char* kind : {"regressions", "corpus"}) {
            const auto folder = source_dir() / "tests" / "fuzz" / kind / t.name;
            if (!fs::is_directory(folder)) continue;
            for (const auto& f : fs::directory_iterator(folder)) {
                if (!f.is_regular_file()) continue;
                INFO(f.path().string());
                // in a buffer of exactly its size, as libFuzzer passes it: a read one byte
                // past the end is an AddressSanitizer report (a std::string has a 0 there)
                const std::string bytes = read_file(f.path());
                const std::unique_ptr<char[]> exact(new char[bytes.size()]);
                std::copy(bytes.begin(), bytes.end(), exact.get());
                CHECK_NOTHROW(t.run(std::string_view(exact.get(), bytes.size())));
                ++inputs;
            }
        }
    }
    CHECK(inputs > 0);
}

// Not run by default: `wangge_tests "[.fuzz-seeds]"` writes the seed corpora of the
// archive and tile targets from a real build of the sample (counties, z0-5: small).
TEST_CASE("fuzz: write the seed corpora of the archive targets from a sample build", "[.fuzz-seeds]") {
    const auto corpus = source_dir() / "tests" / "fuzz" / "corpus";
    const auto db = partitioned_sample_store();
    for (const char* ext : {"pmtiles", "mbtiles"}) {
        const auto out = corpus / ext / (std::string("sample_counties_z0-5.") + ext);
        fs::create_directories(out.parent_path());
        REQUIRE(run_wangge({"--db", db, "tiles", "build", "--out", out.string(), "--layers", "counties", "--minzoom",
                            "0", "--maxzoom", "5", "-q", "--overwrite"})
                    .exit_code == 0);
    }
    wangge::tiles::PmtilesReader r(corpus / "pmtiles" / "sample_counties_z0-5.pmtiles");
    int n = 0;
    for (const auto& e : r.tile_entries()) {
        const auto c = wangge::tiles::tile_id_to_zxy(e.tile_id);
        if (c.z % 2 == 1) continue;
        write_file(corpus / "mvt" / fmt::format("sample_{}_{}_{}.mvt", c.z, c.x, c.y), *r.tile(c));
        if (++n == 4) break;
    }
}
