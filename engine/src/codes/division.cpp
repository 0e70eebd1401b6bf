#include "wangge/codes.hpp"

#include <algorithm>
#include <cctype>

namespace wangge {

std::string_view level_name(Level level) {
    switch (level) {
    case Level::province: return "province";
    case Level::city: return "city";
    case Level::county: return "county";
    case Level::township: return "township";
    case Level::village: return "village";
    }
    return "?";
}

std::string_view level_name_zh(Level level) {
    switch (level) {
    case Level::province: return "省级";
    case Level::city: return "地级";
    case Level::county: return "县级";
    case Level::township: return "乡级";
    case Level::village: return "村级";
    }
    return "?";
}

std::optional<Level> level_from_name(std::string_view n) {
    if (n == "province" || n == "2" || n == "省" || n == "省级") return Level::province;
    if (n == "city" || n == "4" || n == "市" || n == "地级") return Level::city;
    if (n == "county" || n == "6" || n == "县" || n == "县级" || n == "区县") return Level::county;
    if (n == "township" || n == "street" || n == "9" || n == "乡镇" || n == "街道" || n == "乡级")
        return Level::township;
    if (n == "village" || n == "community" || n == "12" || n == "村" || n == "社区" || n == "村级")
        return Level::village;
    return std::nullopt;
}

std::size_t level_code_length(Level level) {
    switch (level) {
    case Level::province: return 2;
    case Level::city: return 4;
    case Level::county: return 6;
    case Level::township: return 9;
    case Level::village: return 12;
    }
    return 0;
}

std::optional<Level> level_from_code_length(std::size_t length) {
    switch (length) {
    case 2: return Level::province;
    case 4: return Level::city;
    case 6: return Level::county;
    case 9: return Level::township;
    case 12: return Level::village;
    default: return std::nullopt;
    }
}

ParsedCode parse_division_code(std::string_view raw) {
    ParsedCode out;
    while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front()))) raw.remove_prefix(1);
    while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
    if (raw.empty()) {
        out.error = "no code (empty field)";
        return out;
    }
    // Numeric fields read as real numbers come back as "330502001.0".
    if (raw.size() > 2 && raw.substr(raw.size() - 2) == ".0") raw.remove_suffix(2);
    if (!std::all_of(raw.begin(), raw.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        out.error = "code '" + std::string(raw) + "' is malformed: digits only expected";
        return out;
    }
    std::string code(raw);
    if (code.size() == 12) {
        // Zero padding: 330502001000 is the township 330502001, 330502000000 the county.
        if (code.ends_with("000000")) code.resize(6);
        else if (code.ends_with("000")) code.resize(9);
    }
    const auto level = level_from_code_length(code.size());
    if (!level || *level == Level::province || *level == Level::city) {
        out.error = "code '" + std::string(raw) + "' has " + std::to_string(raw.size()) +
                    " digits: expected 6 (county), 9 (township/street) or 12 (village/community)";
        return out;
    }
    if (code.compare(0, 2, "00") == 0) {
        out.error = "code '" + std::string(raw) + "' is malformed: no province 00";
        return out;
    }
    out.code = std::move(code);
    out.level = *level;
    return out;
}

std::optional<std::string> parent_code(std::string_view code) {
    switch (code.size()) {
    case 12: return std::string(code.substr(0, 9));
    case 9: return std::string(code.substr(0, 6));
    case 6: return std::string(code.substr(0, 4));
    case 4: return std::string(code.substr(0, 2));
    default: return std::nullopt;
    }
}

} // namespace wangge
