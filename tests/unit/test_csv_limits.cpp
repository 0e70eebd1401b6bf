// The CSV reader's limits (issue 14, items 2 and 5): a header, a line, a field and the
// number of columns are bounded, a row past a limit is rejected with its line (the
// header: the file), and reading goes on; UTF-16 and files that are not text are
// refused; file contents shown in a message are quoted and cut; coordinates that are
// not finite or outside lon/lat are rejected with a short form of the value.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>
#include <wangge/csv.hpp>
#include <wangge/error.hpp>
#include <wangge/text.hpp>

using namespace wangge;

namespace {

struct Rec {
    std::int64_t line = 0;
    std::vector<std::string> fields;
    std::string error;
};

std::vector<Rec> all(const std::string& text) {
    CsvReader r(CsvText{text, "t.csv"});
    std::vector<Rec> out;
    Rec x;
    while (r.next(x.fields, x.line, x.error)) out.push_back(x);
    return out;
}

/// The same records through read_chunk / for_each_record (the path of `assign`).
std::vector<Rec> by_chunks(const std::string& text, std::size_t bytes) {
    CsvReader r(CsvText{text, "t.csv"});
    std::vector<Rec> out;
    CsvChunk chunk;
    while (r.read_chunk(chunk, bytes))
        for_each_record(chunk, [&](std::string_view rec, std::int64_t line, const std::string& error) {
            Rec x{line, {}, error};
            split_csv_record(rec, r.delimiter(), x.fields);
            out.push_back(x);
        });
    return out;
}

}  // namespace

TEST_CASE("csv limits: a header past 64 KiB refuses the file, naming line 1 and the limit", "[csv-limits]") {
    const std::string text = "id," + std::string(csv_max_header, 'h') + "\n1,2\n";
    CHECK_THROWS_AS(CsvReader(CsvText{text, "h.csv"}), input_error);
    CHECK_THROWS_WITH(CsvReader(CsvText{text, "h.csv"}),
                      Catch::Contains("h.csv: line 1 (the header)") && Catch::Contains("64 KiB"));
}

TEST_CASE("csv limits: a header of more than 1000 columns refuses the file", "[csv-limits]") {
    std::string text = "c0";
    for (std::size_t i = 1; i <= csv_max_columns; ++i) text += fmt::format(",c{}", i);
    text += "\n";
    CHECK_THROWS_WITH(CsvReader(CsvText{text, "c.csv"}),
                      Catch::Contains("c.csv: line 1 (the header)") && Catch::Contains("1000 columns"));
    // 1000 columns are fine
    std::string ok = "c0";
    for (std::size_t i = 1; i < csv_max_columns; ++i) ok += fmt::format(",c{}", i);
    CHECK(CsvReader(CsvText{ok + "\n", "c.csv"}).header().size() == csv_max_columns);
}

TEST_CASE("csv limits: a line past 1 MiB is a rejected row with its line, reading goes on", "[csv-limits]") {
    const std::string text = "id,x\n1,a\n2," + std::string(csv_max_record + 10, 'x') + "\n3,c\n";
    for (const auto& recs : {all(text), by_chunks(text, 64 * 1024), by_chunks(text, 4 << 20)}) {
        REQUIRE(recs.size() == 3);
        CHECK(recs[0].line == 2);
        CHECK(recs[0].error.empty());
        CHECK(recs[1].line == 3);
        CHECK_THAT(recs[1].error, Catch::Contains("line is longer than 1 MiB"));
        CHECK(recs[2].line == 4);
        CHECK(recs[2].fields == std::vector<std::string>{"3", "c"});
        CHECK(recs[2].error.empty());
    }
}

TEST_CASE("csv limits: a field past 64 KiB is a rejected row naming the field", "[csv-limits]") {
    const std::string text = "id,note,x\n1," + std::string(csv_max_field + 1, 'n') + ",z\n2,b,c\n";
    for (const auto& recs : {all(text), by_chunks(text, 1 << 20)}) {
        REQUIRE(recs.size() == 2);
        CHECK(recs[0].line == 2);
        CHECK_THAT(recs[0].error, Catch::Contains("field 2 is longer than 64 KiB"));
        CHECK(recs[1].error.empty());
        CHECK(recs[1].line == 3);
    }
    // exactly 64 KiB is fine
    const auto ok = all("id,note\n1," + std::string(csv_max_field, 'n') + "\n");
    REQUIRE(ok.size() == 1);
    CHECK(ok[0].error.empty());
}

TEST_CASE("csv limits: a row of more than 1000 fields is rejected", "[csv-limits]") {
    const std::string text = "id,x\n1" + std::string(csv_max_columns, ',') + "\n2,b\n";
    for (const auto& recs : {all(text), by_chunks(text, 1 << 20)}) {
        REQUIRE(recs.size() == 2);
        CHECK_THAT(recs[0].error, Catch::Contains("more than 1000 fields"));
        CHECK(recs[1].error.empty());
    }
}

TEST_CASE("csv limits: UTF-16 (either byte order) is refused with what to do", "[csv-limits]") {
    const std::string le("\xFF\xFEi\0d\0,\0x\0\n\0", 12);
    const std::string be("\xFE\xFF\0i\0d\0,\0x\0\n", 12);
    CHECK_THROWS_AS(CsvReader(CsvText{le, "u.csv"}), input_error);
    CHECK_THROWS_WITH(CsvReader(CsvText{le, "u.csv"}), Catch::Contains("u.csv is UTF-16; save it as UTF-8 or GBK"));
    CHECK_THROWS_WITH(CsvReader(CsvText{be, "u.csv"}), Catch::Contains("u.csv is UTF-16; save it as UTF-8 or GBK"));
    // without a byte order mark: NUL bytes in the header
    const std::string nul("i\0d\0,\0x\0\n\0", 10);
    CHECK_THROWS_WITH(CsvReader(CsvText{nul, "n.csv"}), Catch::Contains("n.csv is not a text CSV"));
}

TEST_CASE("csv limits: a file that is not CSV is named for what it is", "[csv-limits]") {
    CHECK_THROWS_WITH(CsvReader(CsvText{"{\"type\": \"FeatureCollection\", \"features\": []}\n", "g.csv"}),
                      Catch::Contains("g.csv is not a CSV file: it looks like JSON"));
    CHECK_THROWS_WITH(CsvReader(CsvText{std::string("SQLite format 3\0\x10\x00", 18), "s.csv"}),
                      Catch::Contains("looks like an SQLite database"));
    CHECK_THROWS_WITH(CsvReader(CsvText{std::string("PK\x03\x04\x14\0\0\0", 8), "z.csv"}),
                      Catch::Contains("looks like a ZIP archive"));
}

TEST_CASE("quote_for_message: control and invalid bytes escaped, cut with an ellipsis", "[csv-limits]") {
    CHECK(text::quote_for_message("abc", 10) == "'abc'");
    CHECK(text::quote_for_message(std::string("a\0b\x1b[2J\n", 8), 20) == "'a\\x00b\\x1b[2J\\n'");
    CHECK(text::quote_for_message("\xFF\xFEi", 20) == "'\\xff\\xfei'");
    CHECK(text::quote_for_message("经度纬度", 20) == "'经度纬度'");
    CHECK(text::quote_for_message("经度纬度", 2) == "'经度…'");
    CHECK(text::quote_for_message(std::string(10000, 'x'), 40) == "'" + std::string(40, 'x') + "…'");
    // the bytes of a cut UTF-8 sequence are escaped, never half a character
    CHECK(text::quote_for_message("a\xE7\xBB", 10) == "'a\\xe7\\xbb'");
    // C1 controls and bidirectional overrides are escaped too
    CHECK(text::quote_for_message("a\xE2\x80\xAE"
                                  "b",
                                  10) == "'a\\u202eb'");
}

TEST_CASE("csv limits: the columns listed in a message are quoted and cut", "[csv-limits]") {
    std::vector<std::string> header{std::string("\xFF\xFEi\0d", 5)};
    for (int i = 0; i < 100; ++i) header.push_back(std::string(500, 'c'));
    try {
        coordinate_columns(header, "", "", "f.csv");
        FAIL("no throw");
    } catch (const input_error& e) {
        const std::string m = e.what();
        CHECK_THAT(m, Catch::Contains("its columns are: \\xff\\xfei\\x00d, ccc"));
        CHECK_THAT(m, Catch::Contains("(101 columns)"));
        CHECK(m.size() < 1500);
        CHECK(m.find('\0') == std::string::npos);
    }
}

TEST_CASE("coordinates: not finite or outside lon/lat is rejected, the value in short form", "[csv-limits]") {
    double v = 0;
    CHECK(parse_coordinate("120.5", false, v).empty());
    CHECK(v == 120.5);
    CHECK(parse_coordinate(" +30.25 ", true, v).empty());
    CHECK(v == 30.25);
    CHECK(parse_coordinate("nan", false, v) == "longitude 'nan' is not a number (not finite)");
    CHECK(parse_coordinate("-inf", true, v) == "latitude '-inf' is not a number (not finite)");
    CHECK(parse_coordinate("1e308", false, v) == "longitude 1e+308 is out of range (-180..180)");
    CHECK(parse_coordinate("1e400", true, v) == "latitude '1e400' is out of range (-90..90)");
    CHECK(parse_coordinate("abc", false, v) == "longitude 'abc' is not a number");
    CHECK(parse_coordinate("-90.0000001", true, v) == "latitude -90.0000001 is out of range (-90..90)");
    CHECK(parse_coordinate(std::string(5000, '9'), false, v).size() < 120);
    CHECK(lon_lat_problem(120, 30).empty());
    CHECK(lon_lat_problem(std::nan(""), 30) == "longitude nan is not a number (not finite)");
    CHECK(lon_lat_problem(120, 1e300) == "latitude 1e+300 is out of range (-90..90)");
}
