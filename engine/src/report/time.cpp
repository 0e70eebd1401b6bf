#include "report/time.hpp"

#include "text/civil_date.hpp"

#include <fmt/format.h>

#include <charconv>

namespace wangge::report {

namespace {

bool number(std::string_view s, std::size_t pos, std::size_t len, int& out) {
    if (pos + len > s.size()) return false;
    for (std::size_t i = pos; i < pos + len; ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    return std::from_chars(s.data() + pos, s.data() + pos + len, out).ec == std::errc();
}

}  // namespace

std::optional<std::int64_t> seconds_of(std::string_view t) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!number(t, 0, 4, y) || t.size() < 10 || t[4] != '-' || !number(t, 5, 2, mo) || t[7] != '-' ||
        !number(t, 8, 2, d))
        return std::nullopt;
    if (t.size() == 10) {
        // a date alone
    } else if (t.size() == 20 && t[10] == 'T' && number(t, 11, 2, h) && t[13] == ':' && number(t, 14, 2, mi) &&
               t[16] == ':' && number(t, 17, 2, s) && t[19] == 'Z') {
    } else {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
    return civil::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + s;
}

std::string timestamp_of(std::int64_t seconds) {
    std::int64_t days = seconds / 86400, rem = seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    int y = 0, m = 0, d = 0;
    civil::civil_from_days(days, y, m, d);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, rem / 3600, rem % 3600 / 60, rem % 60);
}

}  // namespace wangge::report
