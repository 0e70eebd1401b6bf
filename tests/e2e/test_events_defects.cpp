// End-to-end: events files no one here made (issue 13). One CSV reader for `events
// import` and `assign`, so both agree on what a file holds: a quote left open rejects its
// row and no more; every documented coordinate column name; exit 3 when nothing was
// imported; a duplicate id inside a file is a rejected row; `assign` pads short rows and
// says why a row has no grid; an import that overlaps a partition never keeps an event
// on a grid the partition retired.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

/// A copy of the partitioned sample store (with the sample's events).
std::string store_copy(const TempDir& dir) {
    fs::copy_file(partitioned_sample_store(), dir / "s.sqlite");
    return (dir / "s.sqlite").string();
}

// Rows of the sample events file (GCJ-02), each in a grid of the sample.
const char* const row_a = "HZ2024000001,040401,2024-01-31T07:05:43+08:00,待受理,网格员上报,119.8493985,30.9364894";
const char* const row_b = "HZ2024000002,040102,2024-07-21T12:54:02+08:00,已办结,12345热线,120.2476623,30.7729615";
const char* const row_c = "HZ2024000004,030401,2024-02-16T22:26:03+08:00,处置中,群众随手拍,120.2284247,30.9037380";
const char* const header = "id,type,time,status,source,lon,lat";

RunResult import(const std::string& db, const fs::path& file, const TempDir& dir) {
    return run_wangge(
        {"--db", db, "events", "import", file.string(), "--crs", "gcj02", "--rejects", (dir / "rejects.csv").string()});
}

/// Import, check the exit code and the summary line, and return the rejects file.
std::string import_checked(const std::string& db, const fs::path& file, const TempDir& dir, int exit_code,
                           const std::string& summary) {
    const auto r = import(db, file, dir);
    INFO(r.out << r.err);
    CHECK(r.exit_code == exit_code);
    CHECK_THAT(r.out, Catch::Contains(summary));
    return read_file(dir / "rejects.csv");
}

RunResult assign(const std::string& db, const fs::path& in, const fs::path& out, bool nearest = false) {
    std::vector<std::string> args{"--db",       db,      "assign", "--in",      in.string(), "--out",
                                  out.string(), "--crs", "gcj02",  "--threads", "2",         "--overwrite"};
    if (nearest) args.push_back("--nearest");
    return run_wangge(args);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

std::size_t fields_of(const std::string& line) {
    return static_cast<std::size_t>(std::count(line.begin(), line.end(), ',')) + 1;
}

}  // namespace

TEST_CASE("events defects: an unterminated quote rejects its own row only, in import and assign alike",
          "[e2e][events][csv]") {
    TempDir dir("events-quote");
    const std::string db = store_copy(dir);
    const auto f = dir / "quote.csv";
    // line 3 opens a quote in its source field and never closes it
    write_file(f, fmt::format("{}\n{}\nHZX,040401,2024-01-31T07:05:43+08:00,待受理,\"网格员上报,119.85,30.93\n{}\n{}\n",
                              header, row_a, row_b, row_c));
    const auto rejects = import_checked(db, f, dir, 0, "4 rows read: 3 imported");
    CHECK_THAT(rejects, Catch::Contains(",3,HZX,"));
    CHECK_THAT(rejects, Catch::Contains("quoted field not closed before the end of the file"));
    Store s(db, Store::Mode::must_exist);
    CHECK(sql::query_int(s, "SELECT count(*) FROM events WHERE event_id IN ('HZX', 'HZ2024000004')") == 1);

    // assign reads the same rows: four, the third rejected by the reader
    const auto out = dir / "coded.csv";
    const auto a = assign(db, f, out);
    INFO(a.out << a.err);
    REQUIRE(a.exit_code == 0);
    CHECK_THAT(a.out, Catch::Contains("4 rows:"));
    const auto lines = lines_of(read_file(out));
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == std::string(header) + ",grid_code,grid_status");
    CHECK_THAT(lines[2], Catch::EndsWith(",,bad_record"));
    CHECK_THAT(lines[2], Catch::StartsWith("HZX,"));
    for (std::size_t i : {1u, 3u, 4u}) CHECK_THAT(lines[i], Catch::EndsWith(",assigned"));

    // a quoted field with a line break inside is one row, in both
    write_file(
        f,
        fmt::format("{}\n{}\nHZY,040401,2024-01-31T07:05:43+08:00,待受理,\"网格员\n上报\",119.8493985,30.9364894\n{}\n",
                    header, row_a, row_b));
    import_checked(db, f, dir, 0, "3 rows read: 3 imported");
    CHECK(sql::query_text(s, "SELECT source FROM events WHERE event_id = 'HZY'") ==
          std::optional<std::string>("网格员\n上报"));
    REQUIRE(assign(db, f, out).exit_code == 0);
    CHECK_THAT(read_file(out), Catch::Contains("\"网格员\n上报\",119.8493985,30.9364894,"));
    CHECK(lines_of(read_file(out)).size() == 5);  // header, 3 rows, one of them on two lines
}

TEST_CASE("events defects: every documented coordinate column name, in import and assign", "[e2e][events][csv][slow]") {
    TempDir dir("events-columns");
    const std::string db = store_copy(dir);
    const std::vector<std::pair<std::string, std::string>> names{
        {"lon", "lat"},  {"lng", "latitude"}, {"longitude", "y"},        {"x", "纬度"},
        {"经度", "lat"}, {"LNG", "LAT"},      {"Longitude", "Latitude"}, {"X", "Y"}};
    for (const auto& [x, y] : names) {
        INFO(x << " / " << y);
        const auto f = dir / "cols.csv";
        write_file(
            f, fmt::format("id,type,time,{},{}\nC1,040401,2024-01-31T07:05:43+08:00,119.8493985,30.9364894\n", x, y));
        import_checked(db, f, dir, 0, "1 rows read: 1 imported");
        const auto out = dir / "cols.out.csv";
        const auto a = assign(db, f, out);
        INFO(a.out << a.err);
        CHECK(a.exit_code == 0);
        CHECK_THAT(a.out, Catch::Contains("1 rows: 1 assigned"));
    }
}

TEST_CASE("events defects: exit 3 when nothing was imported, a duplicate id in one file is a rejected row",
          "[e2e][events]") {
    TempDir dir("events-nothing");
    const std::string db = store_copy(dir);
    const auto f = dir / "bad.csv";
    write_file(
        f, fmt::format("{}\nB1,040401,not a time,,,119.85,30.93\nB2,040401,2024-01-31T07:05:43+08:00,,,x,y\n", header));
    Store s(db, Store::Mode::must_exist);
    const auto digest = [&] {
        return sql::query_int(s, "SELECT count(*) FROM events") * 1000 +
               sql::query_int(s, "SELECT count(*) FROM import_runs");
    };
    const auto before = digest();
    const auto rejects = import_checked(db, f, dir, 3, "2 rows read: 0 imported");
    CHECK_THAT(rejects, Catch::Contains(",2,B1,"));
    CHECK_THAT(rejects, Catch::Contains(",3,B2,"));
    CHECK(digest() == before);  // nothing written
    // a file with a header only: nothing imported either
    write_file(f, std::string(header) + "\n");
    CHECK(import(db, f, dir).exit_code == 3);

    // the same id on lines 2 and 4: the second is rejected, naming line 2; the first is kept
    std::string dup = row_a;
    dup.replace(dup.find("040401"), 6, "010101");
    write_file(f, fmt::format("{}\n{}\n{}\n{}\n", header, row_a, row_b, dup));
    const auto dr = import_checked(db, f, dir, 0, "3 rows read: 2 imported (0 new, 2 updated), 1 rejected");
    CHECK_THAT(dr, Catch::Contains(",4,HZ2024000001,duplicate id: line 2 has the same id"));
    CHECK(sql::query_text(s, "SELECT type_code FROM events WHERE event_id = 'HZ2024000001'") ==
          std::optional<std::string>("040401"));
}

TEST_CASE("events defects: assign pads short rows and gives every row a status", "[e2e][events][assign]") {
    TempDir dir("events-assign-status");
    const std::string db = store_copy(dir);
    const auto f = dir / "in.csv";
    write_file(f,
               "id,lon,lat,note\n"
               "A,119.8493985,30.9364894,x\n"
               "B,119.8493985,30.9364894\n"  // short: no note
               "C,119.8493985,95.5,bad\n"    // latitude out of range
               "D,100.0,20.0,far\n"          // in no grid
               "E,abc,30.93\n");             // not a number, and short
    const auto out = dir / "out.csv";
    for (bool nearest : {false, true}) {
        const auto a = assign(db, f, out, nearest);
        INFO(a.out << a.err);
        REQUIRE(a.exit_code == 0);
        const auto lines = lines_of(read_file(out));
        REQUIRE(lines.size() == 6);
        const std::string head = nearest ? "id,lon,lat,note,grid_code,grid_status,nearest_grid,nearest_m"
                                         : "id,lon,lat,note,grid_code,grid_status";
        CHECK(lines[0] == head);
        for (const auto& l : lines) CHECK(fields_of(l) == fields_of(head));
        auto status = [&](std::size_t i) {
            auto v = lines[i];
            for (int k = 0; k < (nearest ? 2 : 0); ++k) v = v.substr(0, v.rfind(','));
            return v.substr(v.rfind(',') + 1);
        };
        CHECK(status(1) == "assigned");
        CHECK(status(2) == "assigned");
        CHECK_THAT(lines[2], Catch::StartsWith("B,119.8493985,30.9364894,,"));
        CHECK(status(3) == "bad_coordinates");
        CHECK(status(4) == "uncovered");
        CHECK(status(5) == "bad_coordinates");
        if (nearest) CHECK_THAT(lines[4], !Catch::EndsWith(",,"));
    }
}

TEST_CASE("events defects: an import overlapping a partition keeps no event on a retired grid",
          "[e2e][events][concurrency][slow]") {
    TempDir dir("events-race");
    const std::string db = store_copy(dir);
    const auto q = [](const std::string& s) { return "'" + s + "'"; };
    const std::string bin = q(WANGGE_BIN), flag = (dir / "pause.flag").string();
    const auto retired = [&] {
        Store s(db, Store::Mode::must_exist);
        return sql::query_int(s, "SELECT count(*) FROM grids WHERE valid_to IS NOT NULL");
    };
    const auto retired_before = retired();
    // the import stops right after reading the grids; meanwhile a partition with another
    // band retires and redraws the grids of a township full of the file's events
    const std::string imp = "WANGGE_PAUSE_AT=events-import:grids-read WANGGE_PAUSE_FILE=" + q(flag) + " " + bin +
                            " --db " + q(db) + " events import " +
                            q((sample_dir() / "huzhou_events_gcj02.csv").string()) + " --crs gcj02 --rejects " +
                            q((dir / "r.csv").string());
    const std::string part =
        bin + " --db " + q(db) +
        " partition --township 330502001 --urban-min 150 --urban-max 250 --rural-min 50 --rural-max 150";
    const auto r = run_shell(imp + " > " + q((dir / "import.log").string()) + " 2>&1 & a=$!; n=0; while [ ! -f " +
                             q(flag) + " ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done; " + part + " > " +
                             q((dir / "partition.log").string()) + " 2>&1 & b=$!; sleep 1; rm -f " + q(flag) +
                             "; wait $a; ra=$?; wait $b; rb=$?; echo \"import=$ra partition=$rb\"");
    INFO("import: " << read_file(dir / "import.log") << "\npartition: " << read_file(dir / "partition.log"));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("import=0 partition=0"));
    CHECK(retired() > retired_before);  // the partition did retire grids
    Store s(db, Store::Mode::must_exist);
    CHECK(sql::query_int(s, "SELECT count(*) FROM events") > 5000);
    CHECK(
        sql::query_int(s,
                       "SELECT count(*) FROM events WHERE grid_code IS NOT NULL AND grid_code NOT IN (SELECT code FROM "
                       "grids WHERE valid_to IS NULL)") == 0);
}
