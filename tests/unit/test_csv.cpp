// The one CSV reader: a quote left open takes no more than its own line, chunks read
// for worker threads hold exactly the records that next() gives, and the coordinate
// columns are found by every documented name.
#include <catch2/catch.hpp>

#include "support.hpp"

#include <wangge/csv.hpp>
#include <wangge/error.hpp>

#include <fmt/format.h>

using namespace wangge;
using namespace wangge::test;

namespace {

struct Rec {
    std::int64_t line;
    std::vector<std::string> fields;
    std::string error;
    bool operator==(const Rec& o) const { return line == o.line && fields == o.fields && error == o.error; }
};

std::vector<Rec> all(const std::string& text) {
    CsvReader r(CsvText{text, "t.csv"});
    std::vector<Rec> out;
    Rec x;
    while (r.next(x.fields, x.line, x.error)) out.push_back(x);
    return out;
}

std::vector<Rec> by_chunks(const std::string& text, std::size_t bytes) {
    CsvReader r(CsvText{text, "t.csv"});
    std::vector<Rec> out;
    CsvChunk chunk;
    while (r.read_chunk(chunk, bytes)) {
        for_each_record(chunk, [&](std::string_view rec, std::int64_t line, const std::string& error) {
            Rec x{line, {}, error};
            split_csv_record(rec, r.delimiter(), x.fields);
            out.push_back(std::move(x));
        });
    }
    return out;
}

}  // namespace

TEST_CASE("csv: a quote not closed before the end of the file rejects its own line only", "[csv]") {
    const auto recs = all("id,name,x\n1,a,b\n2,\"open,c\n3,d,e\n\n4,f,g\n");
    REQUIRE(recs.size() == 4);
    CHECK(recs[0] == Rec{2, {"1", "a", "b"}, ""});
    CHECK(recs[1].line == 3);
    CHECK(recs[1].fields.front() == "2");
    CHECK_THAT(recs[1].error, Catch::Contains("quoted field not closed before the end of the file"));
    CHECK(recs[2] == Rec{4, {"3", "d", "e"}, ""});
    CHECK(recs[3] == Rec{6, {"4", "f", "g"}, ""});
}

TEST_CASE("csv: a quoted field past 64 KiB rejects its line, reading goes on at the next line", "[csv]") {
    std::string text = "id,note,x\n1,a,b\n2,\"";
    for (int i = 0; i < 1200; ++i) text += std::string(60, 'n') + "\n";  // ~72 KiB, 1200 lines
    text += "end\",c\n3,d,e\n";
    const auto recs = all(text);
    REQUIRE(recs.size() == 1 + 1 + 1199 + 1 + 1);  // line 3 holds the quote and the first n line
    CHECK(recs[0] == Rec{2, {"1", "a", "b"}, ""});
    CHECK(recs[1].line == 3);
    CHECK_THAT(recs[1].error, Catch::Contains("runs past 64 KiB"));
    CHECK(recs[2] == Rec{4, {std::string(60, 'n')}, ""});
    CHECK(recs[1201] == Rec{1203, {"end\"", "c"}, ""});  // a quote inside a field is text
    CHECK(recs[1202] == Rec{1204, {"3", "d", "e"}, ""});
    // the reader that skips rejected records
    CsvReader r(CsvText{text, "t.csv"});
    std::vector<std::string> f;
    std::int64_t line = 0, n = 0;
    while (r.next(f, line)) ++n;
    CHECK(n == 1202);
    CHECK(r.skipped() == 1);
}

TEST_CASE("csv: quotes open a field only at its start, long and multi-line quoted fields within the limit", "[csv]") {
    const std::string big(60 * 1024, 'q');
    const auto recs = all(fmt::format("id,note,x\n1,5\"3 tall,b\n2,\"{}\nmore \"\"quoted\"\"\",c\n3,\"\",e\n", big));
    REQUIRE(recs.size() == 3);
    CHECK(recs[0] == Rec{2, {"1", "5\"3 tall", "b"}, ""});
    CHECK(recs[1] == Rec{3, {"2", big + "\nmore \"quoted\"", "c"}, ""});
    CHECK(recs[2] == Rec{5, {"3", "", "e"}, ""});
}

TEST_CASE("csv: chunks hold exactly the records next() gives, at any chunk size", "[csv]") {
    std::string quoted = "id;note;x\r\n";
    std::string plain = "id;note;x\n";
    for (int i = 0; i < 300; ++i) {
        plain += fmt::format("{};n{};{}\n", i, i, i * 2);
        if (i % 7 == 0) plain += "\n";
        quoted += i % 5 == 0 ? fmt::format("{};\"a;{}\nb\";x\r\n", i, i) : fmt::format("{};n;{}\r\n", i, i);
    }
    quoted += "bad;\"never closed;x\r\ntail;1;2\r\n";
    plain += "last;no;newline";
    for (const auto* text : {&plain, &quoted}) {
        const auto want = all(*text);
        CHECK(want.size() >= 301);
        for (std::size_t bytes : {1u, 10u, 100u, 4096u, 1u << 20}) CHECK(by_chunks(*text, bytes) == want);
    }
    const auto q = all(quoted);
    CHECK(std::count_if(q.begin(), q.end(), [](const Rec& r) { return !r.error.empty(); }) == 1);
}

TEST_CASE("csv: the header, BOM and delimiter, quoting for any delimiter", "[csv]") {
    CsvReader r(CsvText{"\xEF\xBB\xBFid|\"a|b\"|c\n1|2|3\n", "t.csv"});
    CHECK(r.had_bom());
    CHECK(r.delimiter() == '|');
    CHECK(r.header() == std::vector<std::string>{"id", "a|b", "c"});
    CHECK(r.header_line() == "id|\"a|b\"|c");
    CHECK(csv_quote("a;b", ';') == "\"a;b\"");
    CHECK(csv_quote("a;b") == "a;b");
    CHECK(csv_quote("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK_THROWS_AS(CsvReader(CsvText{"", "e.csv"}), input_error);
    CHECK_THROWS_WITH(CsvReader(CsvText{"id,\"open\n", "h.csv"}), Catch::Contains("h.csv: line 1 (the header)"));
}

TEST_CASE("csv: coordinate columns by every documented name, case-insensitive", "[csv]") {
    for (const char* x : {"lon", "lng", "longitude", "x", "经度", "LON", "Lng", "LONGITUDE", "X", " lon "})
        for (const char* y : {"lat", "latitude", "y", "纬度", "LAT", "Latitude", "Y"}) {
            INFO(x << " " << y);
            const auto c = coordinate_columns({"id", y, "type", x}, "", "", "f.csv");
            CHECK(c.x == 3);
            CHECK(c.y == 1);
        }
    // the first documented name present wins; named fields win over the guess
    CHECK(coordinate_columns({"x", "lon", "lat"}, "", "", "f.csv").x == 1);
    const auto named = coordinate_columns({"lon", "lat", "east", "north"}, "East", "north", "f.csv");
    CHECK(named.x == 2);
    CHECK(named.y == 3);
    CHECK_THROWS_WITH(
        coordinate_columns({"id", "lat"}, "", "", "f.csv"),
        Catch::Contains("f.csv: no longitude column (one of lon, lng, longitude, x, 经度; or name it with "
                        "--x-field); its columns are: id, lat"));
    CHECK_THROWS_WITH(coordinate_columns({"lon", "lat"}, "", "north", "f.csv"),
                      Catch::Contains("f.csv: no column 'north' (--y-field)"));
}
