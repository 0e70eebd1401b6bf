// wangge/progress.hpp — how long work tells its caller how far it is.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace wangge {

/// Progress callback: (done, total, what). total may be 0 when unknown. The library
/// never prints: the CLI passes a function that draws a progress line.
using ProgressFn = std::function<void(std::int64_t done, std::int64_t total, std::string_view what)>;

} // namespace wangge
