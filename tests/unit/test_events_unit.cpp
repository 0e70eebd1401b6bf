// Event building blocks: ISO 8601 times, the CSV reader, the classification.
#include <catch2/catch.hpp>

#include "support.hpp"

#include <wangge/csv.hpp>
#include <wangge/error.hpp>
#include <wangge/events.hpp>
#include <wangge/store.hpp>

#include <set>

using namespace wangge;
using namespace wangge::test;

TEST_CASE("events: ISO 8601 times with a zone, normalised to UTC", "[events]") {
    std::string why;
    CHECK(parse_iso8601("2024-03-05T08:15:00+08:00", "", why) == std::optional<std::string>("2024-03-05T00:15:00Z"));
    CHECK(parse_iso8601("2024-03-05 08:15+0800", "", why) == std::optional<std::string>("2024-03-05T00:15:00Z"));
    CHECK(parse_iso8601("2024-01-01T03:00:00.250+08", "", why) == std::optional<std::string>("2023-12-31T19:00:00Z"));
    CHECK(parse_iso8601("2024-02-29T23:59:59Z", "", why) == std::optional<std::string>("2024-02-29T23:59:59Z"));
    CHECK(parse_iso8601("2024-05-01T09:30:00", "+08:00", why) == std::optional<std::string>("2024-05-01T01:30:00Z"));
    CHECK_FALSE(parse_iso8601("2024-05-01T09:30:00", "", why));
    CHECK_THAT(why, Catch::Contains("has no zone"));
    CHECK_FALSE(parse_iso8601("2023-02-29T10:00:00Z", "", why));
    CHECK_THAT(why, Catch::Contains("not a real date"));
    CHECK_FALSE(parse_iso8601("05/03/2024 08:15", "", why));
    CHECK_THAT(why, Catch::Contains("not ISO 8601"));
    CHECK_FALSE(parse_iso8601("2024-03-05T08:15:00+25:00", "", why));
    CHECK_FALSE(parse_iso8601("", "", why));
    CHECK_THAT(why, Catch::Contains("no reported time"));
}

TEST_CASE("events: the CSV reader handles quotes, delimiters, BOM, blank lines and counts lines", "[events][csv]") {
    TempDir dir("csv");
    const auto f = dir / "a.csv";
    write_file(f, "\xEF\xBB\xBFid;name;note\r\n1;\"a;b\";\"he said \"\"hi\"\"\"\r\n\r\n2;\"two\nlines\";x\n3;c;\n");
    CsvReader r(f);
    CHECK(r.delimiter() == ';');
    CHECK(r.header() == std::vector<std::string>{"id", "name", "note"});
    std::vector<std::string> fields;
    std::int64_t line = 0;
    REQUIRE(r.next(fields, line));
    CHECK(line == 2);
    CHECK(fields == std::vector<std::string>{"1", "a;b", "he said \"hi\""});
    REQUIRE(r.next(fields, line));
    CHECK(line == 4);
    CHECK(fields == std::vector<std::string>{"2", "two\nlines", "x"});
    REQUIRE(r.next(fields, line));
    CHECK(line == 6);
    CHECK(fields == std::vector<std::string>{"3", "c", ""});
    CHECK_FALSE(r.next(fields, line));
    CHECK(guess_delimiter("a\tb\tc") == '\t');
    CHECK(guess_delimiter("a|b|c") == '|');
}

TEST_CASE("events: the default classification covers the four platforms, a bad file is refused whole",
          "[events]") {
    TempDir dir("types");
    Store s(dir / "s.sqlite");
    const auto types = list_event_types(s);
    REQUIRE(types.size() >= 40);
    std::set<std::string> platforms;
    for (const auto& t : types) platforms.insert(t.platform);
    CHECK(platforms == std::set<std::string>{"综治工作", "市场监管", "综合执法", "便民服务"});
    CHECK(event_types_version(s) == "wangge default 1");

    write_file(dir / "bad.csv", "code,name,major_code,major_name,platform_code,platform,township_closable\n"
                                "010101,邻里纠纷,0101,矛盾纠纷,01,综治工作,1\n"
                                "050101,别的,0501,别的,05,别的平台,1\n");
    CHECK_THROWS_WITH(load_event_types(s, dir / "bad.csv", ""), Catch::Contains("bad.csv: line 3: platform 05"));
    CHECK(list_event_types(s).size() == types.size());  // unchanged
    write_file(dir / "good.csv", "code,name,major_code,major_name,platform_code,platform,township_closable\n"
                                 "010101,邻里纠纷,0101,矛盾纠纷,01,综治工作,1\n"
                                 "030201,违章搭建,0302,违法建设,03,综合执法,0\n");
    CHECK(load_event_types(s, dir / "good.csv", "v2") == 2);
    CHECK(event_types_version(s) == "v2");
    CHECK_FALSE(list_event_types(s)[1].township_closable);
}
