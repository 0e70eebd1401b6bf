// End-to-end: `export` follows the output-file rule (docs/cli.md, "Output files"): it
// writes beside its target and moves the result into place, so a failed export leaves
// no half file and an --overwrite that fails leaves the old file whole.
#include <catch2/catch.hpp>
#include <set>

#include "support.hpp"

using namespace wangge::test;

namespace {

std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
    return out;
}

}  // namespace

TEST_CASE("export: a failed export leaves no file, and an --overwrite that fails keeps the old one", "[e2e][export]") {
    TempDir dir("export-failed");
    const auto& db = partitioned_sample_store();
    // GPX holds points and lines only: GDAL creates the file, then refuses the polygon layer.
    const auto out = dir / "v.gpx";
    for (const char* layer : {"villages", "grids"}) {
        DYNAMIC_SECTION(layer) {
            const std::vector<std::string> args{"--db",      db,         "export", layer,   "--prefix",
                                                "330502001", "--format", "GPX",    "--out", out.string()};
            const auto r = run_wangge(args);
            INFO(r.err);
            CHECK(r.exit_code == 1);
            CHECK_THAT(r.err, Catch::Contains(out.string() + ": cannot create layer"));
            CHECK_THAT(r.err, !Catch::Contains(".tmp"));
            CHECK(names_in(dir.path()).empty());

            const std::string old = "an older export\n";
            write_file(out, old);
            auto with = args;
            with.push_back("--overwrite");
            CHECK(run_wangge(with).exit_code == 1);
            CHECK(read_file(out) == old);
            CHECK(names_in(dir.path()) == std::set<std::string>{"v.gpx"});
        }
    }
}

TEST_CASE("export: the temporary folder a killed export left is removed, a Shapefile replaced whole", "[e2e][export]") {
    TempDir dir("export-left");
    const auto& db = partitioned_sample_store();
    const auto out = dir / "g.shp";
    fs::create_directory(dir / "g.shp.tmp");
    write_file(dir / "g.shp.tmp" / "g.dbf", "left by a killed run");
    REQUIRE(run_wangge({"--db", db, "export", "grids", "--prefix", "330502001", "--out", out.string()}).exit_code == 0);
    const auto first = feature_count(out);
    CHECK(first > 0);
    // the grids and their villages' sibling Shapefile (docs/cli.md, export grids)
    const std::set<std::string> parts{"g.cpg",          "g.dbf",          "g.prj",          "g.shp",
                                      "g.shx",          "g_villages.cpg", "g_villages.dbf", "g_villages.prj",
                                      "g_villages.shp", "g_villages.shx"};
    CHECK(names_in(dir.path()) == parts);
    // a stale part of the old Shapefile goes with it
    write_file(dir / "g.qix", "an old spatial index");
    REQUIRE(run_wangge({"--db", db, "export", "grids", "--prefix", "330502002", "--out", out.string(), "--overwrite"})
                .exit_code == 0);
    CHECK(feature_count(out) > 0);
    CHECK(feature_count(out) != first);
    CHECK(names_in(dir.path()) == parts);
}
