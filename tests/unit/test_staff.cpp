// Staff of grids (issue 17): import from CSV (UTF-8, GBK) and GDAL tables, every
// check with its line and nothing half-imported, re-import replacing the staff of the
// grids a file names and keeping history, and the readers (never a phone).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <iconv.h>

#include <wangge/error.hpp>
#include <wangge/grids.hpp>
#include <wangge/staff.hpp>
#include <wangge/store.hpp>

#include "store/sql.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

/// A copy of the partitioned sample store, and three of its grids (one village's).
struct Fixture {
    TempDir dir;
    std::string db;
    std::vector<std::string> grids;
    explicit Fixture(const char* name) : dir(name) {
        fs::copy_file(partitioned_sample_store(), dir / "s.sqlite");
        db = (dir / "s.sqlite").string();
        Store s(db);
        for (const auto& g : list_grids(s, "330502")) grids.push_back(g.code);
        REQUIRE(grids.size() >= 4);
    }
};

/// UTF-8 text in GBK (iconv), for a file as an office PC writes it.
std::string to_gbk(const std::string& utf8) {
    iconv_t cd = iconv_open("GBK", "UTF-8");
    REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
    std::string out(utf8.size() * 2 + 16, '\0');
    char* in = const_cast<char*>(utf8.data());
    std::size_t in_left = utf8.size(), out_left = out.size();
    char* o = out.data();
    REQUIRE(iconv(cd, &in, &in_left, &o, &out_left) != static_cast<std::size_t>(-1));
    iconv_close(cd);
    out.resize(out.size() - out_left);
    return out;
}

/// Everything of the staff table as text, to prove a failed import changed nothing.
std::string staff_digest(const std::string& db) {
    Store s(db, Store::Mode::read_only);
    std::string out;
    Statement st(s, "SELECT group_concat(id || '|' || grid_code || '|' || role || '|' || staff_id || '|' || "
                    "coalesce(valid_to, '-'), ';') FROM (SELECT * FROM staff ORDER BY id)");
    if (st.step() && !st.is_null(0)) out = st.text(0);
    return out + "#" + std::to_string(sql::query_int(s, "SELECT count(*) FROM import_runs"));
}

std::vector<std::string> describe(const std::vector<StaffMember>& staff) {
    std::vector<std::string> out;
    for (const auto& m : staff)
        out.push_back(m.grid_code + " " + m.role + " " + m.staff_id + " " + m.name + " " + m.employment +
                      (m.valid_to.empty() ? "" : " closed"));
    return out;
}

}  // namespace

TEST_CASE("staff: role and employment words", "[staff]") {
    std::string emp;
    CHECK(normalise_staff_role("网格长", emp) == "leader");
    CHECK(emp.empty());
    CHECK(normalise_staff_role(" Leader ", emp) == "leader");
    CHECK(normalise_staff_role("网格指导员", emp) == "instructor");
    CHECK(normalise_staff_role("INSTRUCTOR", emp) == "instructor");
    CHECK(normalise_staff_role("网格员", emp) == "worker");
    CHECK(normalise_staff_role("专职网格员", emp) == "worker");
    CHECK(emp == "full");
    CHECK(normalise_staff_role("兼职网格员", emp) == "worker");
    CHECK(emp == "part");
    CHECK(normalise_staff_role("组长", emp).empty());
    CHECK(normalise_employment("专职") == "full");
    CHECK(normalise_employment("Part") == "part");
    CHECK(normalise_employment("临时").empty());
}

TEST_CASE("staff: a UTF-8 CSV is imported, a re-import replaces the grids it names and keeps history", "[staff]") {
    Fixture fx("staff-csv");
    const auto& g = fx.grids;
    const auto f1 = fx.dir / "staff.csv";
    write_file(f1, fmt::format("网格编码,岗位,姓名,工号,手机,专兼职\n"
                               "{0},网格长,张伟,S001,13800000001,专职\n"
                               "{0},专职网格员,李娜,S002,13800000002,\n"
                               "{0},网格员,王芳,S003,,兼职\n"
                               "{1},leader,刘洋,S101,,\n"
                               "{1},worker,陈静,S102,,full\n"
                               "{2},网格指导员,赵磊,S201,,\n",
                               g[0], g[1], g[2]));
    Store s(fx.db);
    StaffImportOptions opt;
    opt.file = f1;
    const auto r = import_staff(s, opt);
    INFO((r.rejects.empty() ? "" : r.rejects.front().reason));
    REQUIRE(r.committed);
    CHECK(r.format == "CSV");
    CHECK(r.encoding == "UTF-8");
    CHECK(r.read == 6);
    CHECK(r.grids == 3);
    CHECK(r.inserted == 6);
    CHECK(r.by_role.at("leader") == 2);
    CHECK(r.by_role.at("worker") == 3);
    CHECK(r.by_role.at("instructor") == 1);
    CHECK(describe(current_staff(s, g[0])) ==
          std::vector<std::string>{g[0] + " leader S001 张伟 full", g[0] + " worker S002 李娜 full",
                                   g[0] + " worker S003 王芳 part"});
    CHECK(current_staff(s, "330502").size() == 6);
    CHECK(current_staff(s, "330503").empty());

    // again: grid 0 gets a new leader and loses a worker, grid 1 is as before, grid 2
    // is not in the file (keeps its instructor), grid 3 is new
    const auto f2 = fx.dir / "staff2.csv";
    write_file(f2, fmt::format("grid_code,role,name,staff_id,phone\n"
                               "{0},网格长,周杰,S009,\n"
                               "{0},专职网格员,李娜,S002,13800000002\n"
                               "{1},leader,刘洋,S101,\n"
                               "{1},worker,陈静,S102,\n"
                               "{2},网格员,孙丽,S301,\n",
                               g[0], g[1], g[3]));
    opt.file = f2;
    const auto r2 = import_staff(s, opt);
    REQUIRE(r2.committed);
    CHECK(r2.grids == 3);
    // S101 stays open (same row); S102 lost its employment (a changed row); S002 is the same
    CHECK(r2.kept == 2);
    CHECK(r2.closed == 3);    // S001, S003 and S102 as it was
    CHECK(r2.inserted == 3);  // S009, S102 without employment, S301
    CHECK(describe(current_staff(s, g[0])) ==
          std::vector<std::string>{g[0] + " leader S009 周杰 ", g[0] + " worker S002 李娜 full"});
    CHECK(describe(current_staff(s, g[2])) == std::vector<std::string>{g[2] + " instructor S201 赵磊 "});
    CHECK(describe(current_staff(s, g[3])) == std::vector<std::string>{g[3] + " worker S301 孙丽 "});
    const auto hist = staff_history(s, g[0]);
    CHECK(hist.size() == 4);  // S001, S002, S003 of the first import, S009 of the second
    int closed = 0;
    for (const auto& m : hist) {
        CHECK_FALSE(m.valid_from.empty());
        if (!m.valid_to.empty()) {
            ++closed;
            CHECK(m.valid_to >= m.valid_from);
            CHECK((m.staff_id == "S001" || m.staff_id == "S003"));
        }
    }
    CHECK(closed == 2);
    CHECK(staff_history(s, g[1]).size() == 3);  // S101, S102 closed, S102 again
}

TEST_CASE("staff: a GBK CSV (no BOM, Chinese header and roles) is read as GB18030", "[staff]") {
    Fixture fx("staff-gbk");
    const auto f = fx.dir / "gbk.csv";
    write_file(f, to_gbk(fmt::format("网格代码;角色;姓名;人员编号\n{0};网格长;欧阳娜娜;G1\n{0};兼职网格员;钱多多;G2\n",
                                     fx.grids[0])));
    Store s(fx.db);
    StaffImportOptions opt;
    opt.file = f;
    const auto r = import_staff(s, opt);
    REQUIRE(r.committed);
    CHECK(r.encoding == "GB18030 (detected)");
    CHECK(describe(current_staff(s, fx.grids[0])) ==
          std::vector<std::string>{fx.grids[0] + " leader G1 欧阳娜娜 ", fx.grids[0] + " worker G2 钱多多 part"});
}

TEST_CASE("staff: GDAL tables without geometry (ODS, GeoPackage attribute table, DBF)", "[staff][slow]") {
    if (!require_or_skip(run_shell("ogr2ogr --version").exit_code == 0, "ogr2ogr")) return;
    Fixture fx("staff-gdal");
    const auto csv = fx.dir / "src.csv";
    // ids with leading zeros: a spreadsheet must not read them as numbers
    write_file(csv, fmt::format("grid_code,role,name,staff_id,phone\n{0},网格长,张伟,0012,13800000001\n"
                                "{0},网格员,李娜,0013,\n{1},网格员,王芳,0021,\n",
                                fx.grids[0], fx.grids[1]));
    struct Case {
        const char* file;
        const char* driver;
        const char* options;
    };
    for (const auto& c : {Case{"staff.ods", "ODS", ""}, Case{"staff.gpkg", "GPKG", ""},
                          Case{"staff.dbf", "ESRI Shapefile", "-lco ENCODING=UTF-8"}}) {
        DYNAMIC_SECTION(c.driver) {
            const auto out = fx.dir / c.file;
            const auto conv = run_shell(fmt::format("ogr2ogr -f '{}' '{}' '{}' -nln staff -oo AUTODETECT_TYPE=NO {}",
                                                    c.driver, out.string(), csv.string(), c.options));
            INFO(conv.err);
            REQUIRE(conv.exit_code == 0);
            Store s(fx.db);
            StaffImportOptions opt;
            opt.file = out;
            const auto r = import_staff(s, opt);
            INFO((r.rejects.empty() ? "" : r.rejects.front().reason));
            REQUIRE(r.committed);
            CHECK(r.format == c.driver);
            CHECK(r.read == 3);
            CHECK(describe(current_staff(s, fx.grids[0])) ==
                  std::vector<std::string>{fx.grids[0] + " leader 0012 张伟 ", fx.grids[0] + " worker 0013 李娜 "});
            CHECK(describe(current_staff(s, fx.grids[1])) ==
                  std::vector<std::string>{fx.grids[1] + " worker 0021 王芳 "});
        }
    }
}

TEST_CASE("staff: every bad row is rejected with its line and nothing is imported", "[staff]") {
    Fixture fx("staff-rejects");
    const auto& g = fx.grids;
    {
        // something imported before, which the failed import must leave as it was
        write_file(fx.dir / "first.csv", fmt::format("grid,role,name,id\n{},网格长,张伟,S001\n", g[0]));
        Store s(fx.db);
        StaffImportOptions opt;
        opt.file = fx.dir / "first.csv";
        REQUIRE(import_staff(s, opt).committed);
    }
    const std::string before = staff_digest(fx.db);
    const auto f = fx.dir / "bad.csv";
    write_file(f, fmt::format("grid_code,role,name,staff_id,employment\n"
                              "{0},网格员,好人,S010,\n"         // 2: fine
                              "330502999999001,网格员,甲,S011,\n"  // 3: not a grid
                              "{0},组长,乙,S012,\n"             // 4: unknown role
                              "{1},网格长,丙,S013,\n"           // 5: fine (leader)
                              "{1},网格长,丁,S014,\n"           // 6: second leader
                              "{1},网格员,,S015,\n"             // 7: no name
                              "{1},网格员,戊,,\n"               // 8: no staff id
                              "{2},网格员,己,S016,\n"           // 9: fine
                              "{2},网格员,庚,S016,\n"           // 10: S016 twice in grid 2
                              "{2},专职网格员,辛,S017,兼职\n"   // 11: full-time role, part-time column
                              "{2},网格员,壬,S018,临时\n"       // 12: unknown employment
                              "{0},,癸,S019,\n",                // 13: no role
                              g[0], g[1], g[2]));
    const auto rejects = fx.dir / "rejects.csv";
    Store s(fx.db);
    StaffImportOptions opt;
    opt.file = f;
    opt.rejects_file = rejects;
    const auto r = import_staff(s, opt);
    CHECK_FALSE(r.committed);
    CHECK(r.read == 12);
    std::map<std::int64_t, std::string> why;
    for (const auto& x : r.rejects) why[x.line] = x.reason;
    CHECK(why.size() == 9);
    CHECK_THAT(why[3], Catch::Contains("'330502999999001' is not a current grid"));
    CHECK_THAT(why[4], Catch::Contains("unknown role '组长'"));
    CHECK_THAT(why[6], Catch::Contains("a second leader (网格长) for grid " + g[1] + ": line 5 is its leader"));
    CHECK(why[7] == "no name");
    CHECK(why[8] == "no staff id");
    CHECK_THAT(why[10], Catch::Contains("staff id 'S016' twice in grid " + g[2] + ": line 9 has it too"));
    CHECK_THAT(why[11], Catch::Contains("full-time but employment '兼职' says part-time"));
    CHECK_THAT(why[12], Catch::Contains("unknown employment '临时'"));
    CHECK(why[13] == "no role");
    const std::string listed = read_file(rejects);
    CHECK_THAT(listed, Catch::StartsWith("file,line,grid_code,staff_id,reason\n"));
    CHECK_THAT(listed, Catch::Contains(",10," + g[2] + ",S016,"));
    CHECK(staff_digest(fx.db) == before);

    // a file the importer cannot read as a staff list is refused, naming what it lacks
    write_file(fx.dir / "nocol.csv", "grid_code,name,staff_id\n" + g[0] + ",甲,S1\n");
    opt.file = fx.dir / "nocol.csv";
    CHECK_THROWS_WITH(import_staff(s, opt), Catch::Contains("no role column (looked for role, 岗位, 角色; name it "
                                                            "with --role-field)"));
    opt.role_field = "职务";
    CHECK_THROWS_WITH(import_staff(s, opt), Catch::Contains("no column '职务' (--role-field"));
    CHECK(staff_digest(fx.db) == before);
}
