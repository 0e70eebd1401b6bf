// Text inputs past the limits (issue 14, items 2 and 5), through the real binary: a
// 10 MB header line refuses the file naming line 1 and the limit, a 10 MB line or a
// field past 64 KiB rejects its row with its line, and memory stays bounded by the
// limits (the child's peak RSS, measured by /usr/bin/time, against the same command
// on a small file); binary garbage is never echoed raw; coordinates that are not
// finite or outside lon/lat are rejected with a short form of the value.
#include <catch2/catch.hpp>
#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include "support.hpp"

using namespace wangge::test;

namespace {

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

struct Measured {
    RunResult run;
    std::int64_t peak_kb = -1;
};

/// Run wangge under /usr/bin/time: its result and the child's peak RSS.
Measured run_measured(const std::vector<std::string>& args) {
    std::string cmd = "/usr/bin/time -f 'peak_kb=%M' " + shell_quote(WANGGE_BIN);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    Measured m;
    m.run = run_shell(cmd);
    std::smatch sm;
    if (std::regex_search(m.run.err, sm, std::regex(R"(peak_kb=([0-9]+))"))) m.peak_kb = std::stoll(sm[1]);
    return m;
}

std::string copy_sample(const TempDir& dir) {
    const auto db = dir / "s.sqlite";
    fs::copy_file(partitioned_sample_store(), db);
    const fs::path wal = partitioned_sample_store() + "-wal";
    if (fs::exists(wal)) fs::copy_file(wal, db.string() + "-wal");
    return db.string();
}

const std::string header = "id,type,time,status,source,lon,lat\n";
std::string row(int id) {
    return "T" + std::to_string(id) + ",040401,2024-01-31T07:05:43+08:00,待受理,网格员上报,120.1,30.87\n";
}

/// True when every byte is printable UTF-8 text or a line break.
bool printable(const std::string& s) {
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\n') || c == 0x7F) return false;
    return true;
}

}  // namespace

TEST_CASE("text inputs: a 10 MB header line refuses the file with line 1 and the limit, memory bounded",
          "[e2e][text-inputs][slow]") {
    TempDir dir("text-header");
    const auto db = copy_sample(dir);
    const auto small = dir / "small.csv", big = dir / "big.csv";
    write_file(small, header + row(1));
    write_file(big, "id,type,time,status,source,lon,lat," + std::string(10 << 20, 'h') + "\n" + row(1));
    const auto base =
        run_measured({"--db", db, "events", "import", small.string(), "--rejects", (dir / "r.csv").string()});
    REQUIRE(base.run.exit_code == 0);
    const auto m = run_measured({"--db", db, "events", "import", big.string(), "--rejects", (dir / "r.csv").string()});
    INFO(m.run.err.substr(0, 2000));
    CHECK(m.run.exit_code == 3);
    CHECK_THAT(m.run.err, Catch::Contains("big.csv: line 1 (the header)") && Catch::Contains("64 KiB"));
    CHECK(m.run.err.size() < 1000);
    INFO("peak " << m.peak_kb << " KB, small file " << base.peak_kb << " KB");
    REQUIRE(m.peak_kb > 0);
    CHECK(m.peak_kb < base.peak_kb + 24 * 1024);
    CHECK(m.peak_kb < 400 * 1024);
    // the same for the classification
    const auto t = run_measured({"--db", db, "events", "types", "load", big.string()});
    CHECK(t.run.exit_code == 3);
    CHECK_THAT(t.run.err, Catch::Contains("line 1 (the header)") && Catch::Contains("64 KiB"));
    CHECK(t.peak_kb < base.peak_kb + 24 * 1024);
}

TEST_CASE("text inputs: a 10 MB line and a field past 64 KiB reject their rows with their lines, memory bounded",
          "[e2e][text-inputs][slow]") {
    TempDir dir("text-field");
    const auto db = copy_sample(dir);
    const auto small = dir / "small.csv", big = dir / "big.csv";
    write_file(small, header + row(1) + row(2));
    std::string text = header + row(1);                                                                      // line 2
    text += "T2,040401,2024-01-31T07:05:43+08:00,待受理," + std::string(10 << 20, 's') + ",120.1,30.87\n";   // line 3
    text += "T3,040401,2024-01-31T07:05:43+08:00,待受理," + std::string(100 << 10, 'f') + ",120.1,30.87\n";  // line 4
    text += row(4);                                                                                          // line 5
    write_file(big, text);
    const auto base =
        run_measured({"--db", db, "events", "import", small.string(), "--rejects", (dir / "r.csv").string()});
    REQUIRE(base.run.exit_code == 0);
    const auto m = run_measured({"--db", db, "events", "import", big.string(), "--rejects", (dir / "r.csv").string()});
    INFO(m.run.err.substr(0, 2000));
    CHECK(m.run.exit_code == 0);
    CHECK_THAT(m.run.out, Catch::Contains("4 rows read: 2 imported"));
    CHECK_THAT(m.run.err, Catch::Contains("big.csv: line 3") && Catch::Contains("line is longer than 1 MiB"));
    CHECK_THAT(m.run.err, Catch::Contains("big.csv: line 4") && Catch::Contains("field 5 is longer than 64 KiB"));
    CHECK(m.run.err.size() < 2000);
    INFO("peak " << m.peak_kb << " KB, small file " << base.peak_kb << " KB");
    REQUIRE(m.peak_kb > 0);
    CHECK(m.peak_kb < base.peak_kb + 24 * 1024);

    // assign: the same rows are bad_record rows, in bounded memory
    const auto out = dir / "out.csv";
    const auto abase = run_measured({"--db", db, "assign", "--in", small.string(), "--out", out.string()});
    REQUIRE(abase.run.exit_code == 0);
    const auto a =
        run_measured({"--db", db, "assign", "--in", big.string(), "--out", out.string(), "-j", "2", "--overwrite"});
    INFO(a.run.err.substr(0, 2000));
    CHECK(a.run.exit_code == 0);
    CHECK_THAT(a.run.out, Catch::Contains("4 rows: 2 assigned") && Catch::Contains("2 unreadable records"));
    CHECK_THAT(a.run.err, Catch::Contains("line 3: line is longer than 1 MiB"));
    CHECK_THAT(a.run.err, Catch::Contains("line 4: field 5 is longer than 64 KiB"));
    CHECK(fs::file_size(out) < 200 * 1024);  // the long line is not copied to the output
    INFO("assign peak " << a.peak_kb << " KB, small file " << abase.peak_kb << " KB");
    CHECK(a.peak_kb < abase.peak_kb + 24 * 1024);
}

TEST_CASE("text inputs: binary garbage is never echoed raw, what is shown is quoted and cut", "[e2e][text-inputs]") {
    TempDir dir("text-binary");
    const auto db = copy_sample(dir);
    std::string junk;
    std::uint32_t x = 12345;
    for (int i = 0; i < 8192; ++i) {
        x = x * 1103515245u + 12345u;
        char c = static_cast<char>((x >> 16) & 0xFF);
        if (c == 0 || c == '"' || c == '\n' || c == '\r') c = '\x1b';  // no NUL (not text), quotes or line ends
        junk += c;
    }
    // a first line of binary bytes that holds commas: a "header" of garbage columns
    const auto f = dir / "junk.csv";
    write_file(f, "id,type,time," + junk + "\n1,2,3,4\n");
    const auto r = run_wangge({"--db", db, "events", "import", f.string(), "--rejects", (dir / "r.csv").string()});
    INFO(r.err.substr(0, 3000));
    CHECK(r.exit_code == 3);
    CHECK(r.err.size() < 2000);
    CHECK(printable(r.err));
    // a row of garbage: the reasons shown are quoted and cut too
    for (char& c : junk)
        if (c == ',') c = ';';
    const auto g = dir / "rows.csv";
    write_file(g, header + "T1," + junk.substr(0, 300) + ",2024-01-31T07:05:43+08:00,a,b,120.1,30.87\n" + "T2,040401," +
                      junk.substr(300, 300) + ",a,b,120.1,30.87\n" + "T3,040401,2024-01-31T07:05:43+08:00,a,b," +
                      junk.substr(600, 300) + ",30.87\n");
    const auto r2 = run_wangge({"--db", db, "events", "import", g.string(), "--rejects", (dir / "r.csv").string()});
    INFO(r2.err.substr(0, 3000));
    CHECK(r2.exit_code == 3);
    CHECK(r2.err.size() < 2000);
    CHECK(printable(r2.err));
}

TEST_CASE("text inputs: CSV coordinates that are not finite or outside lon/lat are rejected in short form",
          "[e2e][text-inputs][slow]") {
    TempDir dir("text-coords");
    const auto db = copy_sample(dir);
    const auto f = dir / "c.csv";
    write_file(f, header + row(1) +
                      "T2,040401,2024-01-31T07:05:43+08:00,a,b,nan,nan\n"
                      "T3,040401,2024-01-31T07:05:43+08:00,a,b,inf,30\n"
                      "T4,040401,2024-01-31T07:05:43+08:00,a,b,1e308,30\n"
                      "T5,040401,2024-01-31T07:05:43+08:00,a,b,120,1e400\n");
    const auto r = run_wangge({"--db", db, "events", "import", f.string(), "--rejects", (dir / "r.csv").string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("line 3 (id T2): longitude 'nan' is not a number (not finite)"));
    CHECK_THAT(r.err, Catch::Contains("line 4 (id T3): longitude 'inf' is not a number (not finite)"));
    CHECK_THAT(r.err, Catch::Contains("line 5 (id T4): longitude 1e+308 is out of range (-180..180)"));
    CHECK_THAT(r.err, Catch::Contains("line 6 (id T5): latitude '1e400' is out of range (-90..90)"));
    const auto out = dir / "out.csv";
    const auto a = run_wangge({"--db", db, "assign", "--in", f.string(), "--out", out.string(), "--overwrite"});
    CHECK(a.exit_code == 0);
    CHECK_THAT(a.out, Catch::Contains("5 rows: 1 assigned, 0 in no grid, 4 without readable coordinates"));
}
