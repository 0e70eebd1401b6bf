// Unified grid codes: a 12-digit village code and a 3-digit serial (docs/codes.md).
#include "wangge/codes.hpp"

#include <fmt/format.h>

namespace wangge {

std::optional<GridCode> parse_grid_code(std::string_view code) {
    if (code.size() != 15 && code.size() != 17) return std::nullopt;
    if (code.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    GridCode gc;
    gc.village = std::string(code.substr(0, 12));
    gc.serial = std::stoi(std::string(code.substr(12, 3)));
    if (code.size() == 17) gc.micro = std::stoi(std::string(code.substr(15, 2)));
    if (gc.serial < 1 || (code.size() == 17 && gc.micro < 1)) return std::nullopt;
    if (!parse_division_code(gc.village).ok() || gc.village.size() != 12) return std::nullopt;
    return gc;
}

std::string make_grid_code(const std::string& village, int serial) {
    return fmt::format("{}{:03d}", village, serial);
}
} // namespace wangge
