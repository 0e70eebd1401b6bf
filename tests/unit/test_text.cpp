#include <catch2/catch.hpp>

#include <wangge/error.hpp>
#include <wangge/text.hpp>

using namespace wangge;

TEST_CASE("text: UTF-8 validation", "[text]") {
    CHECK(text::is_valid_utf8("abc"));
    CHECK(text::is_valid_utf8("湖州市"));
    CHECK_FALSE(text::is_valid_utf8("\xba\xfe\xd6\xdd"));  // 湖州 in GBK
    CHECK_FALSE(text::is_valid_utf8("\xc0\xaf"));          // overlong
    CHECK_FALSE(text::is_valid_utf8("\xed\xa0\x80"));      // surrogate
    CHECK_FALSE(text::is_valid_utf8("\xe6\xb9"));          // truncated
}

TEST_CASE("text: GBK and GB18030 decode to UTF-8", "[text]") {
    CHECK(text::to_utf8("\xba\xfe\xd6\xdd", "GBK") == std::optional<std::string>("湖州"));
    CHECK(text::to_utf8("\xba\xfe\xd6\xdd", "cp936") == std::optional<std::string>("湖州"));
    CHECK(text::to_utf8("\xba\xfe\xd6\xdd", "GB18030") == std::optional<std::string>("湖州"));
    CHECK(text::to_utf8("plain", "GBK") == std::optional<std::string>("plain"));
    CHECK_FALSE(text::to_utf8("\xba", "GBK").has_value());  // truncated double-byte
    CHECK_THROWS_AS(text::to_utf8("\xba\xfe", "NO-SUCH-ENCODING"), usage_error);
}

TEST_CASE("text: encoding names from .cpg files and users", "[text]") {
    CHECK(text::canonical_encoding("936") == "GBK");
    CHECK(text::canonical_encoding("utf8") == "UTF-8");
    CHECK(text::canonical_encoding("gb-18030") == "GB18030");
}
