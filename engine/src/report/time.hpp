// Times of the report: the store's UTC timestamps ("YYYY-MM-DDTHH:MM:SSZ") as
// seconds since 1970 and back (internal header).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wangge::report {

/// Seconds since 1970-01-01T00:00:00Z of "YYYY-MM-DDTHH:MM:SSZ" (or a date alone,
/// "YYYY-MM-DD", at midnight UTC); nullopt for anything else.
std::optional<std::int64_t> seconds_of(std::string_view utc);
/// "YYYY-MM-DDTHH:MM:SSZ" of seconds since 1970.
std::string timestamp_of(std::int64_t seconds);

}  // namespace wangge::report
