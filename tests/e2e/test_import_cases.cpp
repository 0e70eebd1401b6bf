// Data-driven bad-input cases of `wangge import` (tests/data/import/cases.tsv):
// each runs the real binary and checks the exit code, the message (file, feature,
// reason) and that a rejected import left the store exactly as it was.
#include <catch2/catch.hpp>

#include "support.hpp"

#include <fstream>
#include <sstream>

using namespace wangge::test;

namespace {

struct Case {
    std::string file;
    std::vector<std::string> args;
    int exit_code = 0;
    std::string expect;
    bool store_changes = false;
};

std::vector<Case> load_cases() {
    std::vector<Case> cases;
    std::ifstream in(data_dir() / "import" / "cases.tsv");
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> cols;
        std::stringstream ss(line);
        std::string col;
        while (std::getline(ss, col, '\t')) cols.push_back(col);
        REQUIRE(cols.size() == 5);
        Case c;
        c.file = cols[0];
        if (cols[1] != "-") {
            std::stringstream as(cols[1]);
            std::string a;
            while (as >> a) c.args.push_back(a);
        }
        c.exit_code = std::stoi(cols[2]);
        c.expect = cols[3];
        c.store_changes = cols[4] == "changed";
        cases.push_back(c);
    }
    return cases;
}

} // namespace

TEST_CASE("import: every bad-input case gives its message and leaves the store unchanged", "[e2e][import]") {
    const auto cases = load_cases();
    REQUIRE(cases.size() >= 15);
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.file << " " << (c.args.empty() ? "" : c.args.front())) {
            TempDir dir("import-case");
            const std::string db = (dir / "s.sqlite").string();
            REQUIRE(run_wangge({"--db", db, "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
            REQUIRE(run_wangge({"--db", db, "import", (data_dir() / "import" / "base_county.geojson").string()})
                        .exit_code == 0);
            const std::string before = store_digest(db);

            std::vector<std::string> args{"--db", db, "import", (data_dir() / "import" / c.file).string(),
                                          "--rejects", (dir / "rejects.csv").string()};
            args.insert(args.end(), c.args.begin(), c.args.end());
            const auto r = run_wangge(args);
            INFO("stdout: " << r.out << "\nstderr: " << r.err);
            CHECK(r.exit_code == c.exit_code);
            CHECK_THAT(r.out + r.err, Catch::Contains(c.expect));
            if (c.exit_code != 0) CHECK_THAT(r.err, Catch::Contains(c.file));
            if (c.store_changes) CHECK(store_digest(db) != before);
            else CHECK(store_digest(db) == before);
        }
    }
}

TEST_CASE("import: --skip-invalid writes the rejects with reasons and imports the rest", "[e2e][import]") {
    TempDir dir("import-skip");
    const std::string db = (dir / "s.sqlite").string();
    REQUIRE(run_wangge({"--db", db, "import", (data_dir() / "import" / "base_county.geojson").string()}).exit_code == 0);
    const auto rejects = dir / "rejects.csv";
    const auto r = run_wangge({"--db", db, "import", (data_dir() / "import" / "mixed.geojson").string(), "--skip-invalid",
                           "--rejects", rejects.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const std::string csv = read_file(rejects);
    CHECK_THAT(csv, Catch::StartsWith("file,feature,code,name,reason,wkt\n"));
    CHECK_THAT(csv, Catch::Contains(",1,330502002,朝阳街道,invalid geometry: Self-intersection"));
    CHECK_THAT(csv, Catch::Contains(",2,,无码,no code (empty field),\"POLYGON ((120 30.8"));
    // the good feature is in, the bad ones are not
    CHECK_THAT(store_digest(db), Catch::StartsWith("2:330502,"));
    CHECK_THAT(store_digest(db), Catch::Contains("330502001,月河街道,township,330502,"));
}

TEST_CASE("import: --replace replaces a stored jurisdiction, keeping the rest", "[e2e][import]") {
    TempDir dir("import-replace");
    const std::string db = (dir / "s.sqlite").string();
    const auto county = (data_dir() / "import" / "base_county.geojson").string();
    const auto towns = (data_dir() / "import" / "good_townships.geojson").string();
    REQUIRE(run_wangge({"--db", db, "import", county}).exit_code == 0);
    REQUIRE(run_wangge({"--db", db, "import", towns}).exit_code == 0);
    const auto before = store_digest(db);
    CHECK(run_wangge({"--db", db, "import", towns}).exit_code == 3);
    CHECK(store_digest(db) == before);
    const auto r = run_wangge({"--db", db, "import", towns, "--replace"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("(2 replaced)"));
    CHECK_THAT(store_digest(db), Catch::StartsWith("3:"));
}

TEST_CASE("import: names come from the code table when the file has none, padded codes are normalised",
          "[e2e][import]") {
    TempDir dir("import-names");
    const std::string db = (dir / "s.sqlite").string();
    REQUIRE(run_wangge({"--db", db, "codes", "load", (sample_dir() / "codes").string()}).exit_code == 0);
    REQUIRE(run_wangge({"--db", db, "import", (data_dir() / "import" / "base_county.geojson").string()}).exit_code == 0);
    const auto r = run_wangge(
        {"--db", db, "import", (data_dir() / "import" / "codes_only.geojson").string(), "--code-field", "DM"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(store_digest(db), Catch::Contains("330502001,月河街道,township,330502,"));
    CHECK_THAT(store_digest(db), Catch::Contains("330502002,朝阳街道,township,330502,"));
    // without the code table there is no name to be had: rejected, nothing written
    TempDir bare("import-names-bare");
    const std::string db2 = (bare / "s.sqlite").string();
    const auto r2 = run_wangge({"--db", db2, "import", (data_dir() / "import" / "codes_only.geojson").string(),
                                "--code-field", "dm", "--rejects", (bare / "r.csv").string()});
    CHECK(r2.exit_code == 3);
    CHECK_THAT(r2.err, Catch::Contains("code 330502001 has no name"));
}
