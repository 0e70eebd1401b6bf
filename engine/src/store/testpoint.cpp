// Named pause points. See wangge/testpoint.hpp.
#include "wangge/testpoint.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace wangge {

void pause_point(std::string_view name) {
    const char* at = std::getenv("WANGGE_PAUSE_AT");
    const char* file = std::getenv("WANGGE_PAUSE_FILE");
    if (!at || !file || name != at) return;
    const std::filesystem::path flag(file);
    std::ofstream(flag) << name << '\n';
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    std::error_code ec;
    while (std::filesystem::exists(flag, ec) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

} // namespace wangge
