// End-to-end: `wangge import staff` and `wangge grids show` with the real CLI. The
// grid's staff are listed by role with their staff ids; names only with
// --with-names; a phone number never.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <wangge/grids.hpp>
#include <wangge/store.hpp>

#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

TEST_CASE("staff e2e: import staff, grids show lists roles and ids, names only on request, never the phone",
          "[e2e][staff][slow]") {
    TempDir dir("staff-e2e");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    std::vector<std::string> grids;
    {
        Store s(db, Store::Mode::read_only);
        for (const auto& g : list_grids(s, "330503")) grids.push_back(g.code);
    }
    REQUIRE(grids.size() >= 2);
    const auto f = dir / "staff.csv";
    write_file(f, fmt::format("grid_code,role,name,staff_id,phone,employment\n"
                              "{0},网格长,张伟,HZ-L-0001,13912345678,专职\n"
                              "{0},网格员,李娜,HZ-W-0001,13987654321,兼职\n"
                              "{0},网格员,王芳,HZ-W-0002,,\n"
                              "{0},网格指导员,赵磊,HZ-I-0001,0572-1234567,\n",
                              grids[0]));
    const auto r = run_wangge({"--db", db, "import", "staff", f.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("4 rows for 1 grids"));
    CHECK_THAT(r.out, Catch::Contains("1 leaders, 2 workers, 1 instructors"));

    const auto show = run_wangge({"--db", db, "grids", "show", grids[0]});
    INFO(show.out << show.err);
    REQUIRE(show.exit_code == 0);
    CHECK_THAT(show.out, Catch::Contains("网格长 leader") && Catch::Contains("1: HZ-L-0001 (专职 full-time)"));
    CHECK_THAT(show.out, Catch::Contains("2: HZ-W-0001 (兼职 part-time), HZ-W-0002"));
    CHECK_THAT(show.out, Catch::Contains("1: HZ-I-0001"));
    for (const char* hidden : {"张伟", "李娜", "王芳", "赵磊", "13912345678", "13987654321", "1234567"})
        CHECK_THAT(show.out, !Catch::Contains(hidden));

    const auto named = run_wangge({"--db", db, "grids", "show", grids[0], "--with-names"});
    REQUIRE(named.exit_code == 0);
    CHECK_THAT(named.out, Catch::Contains("HZ-L-0001 张伟") && Catch::Contains("HZ-W-0002 王芳") &&
                              Catch::Contains("HZ-I-0001 赵磊"));
    for (const char* hidden : {"13912345678", "13987654321", "1234567"})
        CHECK_THAT(named.out, !Catch::Contains(hidden));

    // a grid without staff says so
    const auto none = run_wangge({"--db", db, "grids", "show", grids[1]});
    CHECK_THAT(none.out, Catch::Contains("staff       none"));

    // a bad file: exit 3, each bad row with its line, the store unchanged
    const auto bad = dir / "bad.csv";
    write_file(bad, fmt::format("grid_code,role,name,staff_id\n{0},网格长,甲,X1\n{0},网格长,乙,X2\n{1},队长,丙,X3\n",
                                grids[1], grids[0]));
    const auto rb = run_wangge({"--db", db, "import", "staff", bad.string(), "--rejects", (dir / "rj.csv").string()});
    INFO(rb.err);
    CHECK(rb.exit_code == 3);
    CHECK_THAT(rb.err, Catch::Contains("line 3 (staff id X2): a second leader (网格长) for grid " + grids[1] +
                                       ": line 2 is its leader"));
    CHECK_THAT(rb.err, Catch::Contains("line 4 (staff id X3): unknown role '队长'"));
    CHECK_THAT(rb.err, Catch::Contains("nothing imported"));
    CHECK(read_file(dir / "rj.csv").find("X3") != std::string::npos);
    const auto still = run_wangge({"--db", db, "grids", "show", grids[1]});
    CHECK_THAT(still.out, Catch::Contains("staff       none"));
    const auto same = run_wangge({"--db", db, "grids", "show", grids[0]});
    CHECK(same.out == show.out);

    // a missing staff list column is refused naming it and the file's columns
    write_file(dir / "cols.csv", "code,who\n1,2\n");
    const auto rc = run_wangge({"--db", db, "import", "staff", (dir / "cols.csv").string()});
    CHECK(rc.exit_code == 3);
    CHECK_THAT(rc.err, Catch::Contains("no grid code column") && Catch::Contains("its columns are: code, who"));
}
