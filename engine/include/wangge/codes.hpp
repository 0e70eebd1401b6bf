// wangge/codes.hpp — statistical division codes (统计用区划代码) and the national
// code table.
//
// A division code is 2 digits province, 4 city, 6 county (GB/T 2260), 9 township
// (乡镇/街道, + 3 digits) and 12 village/community (村/社区, + 3 digits). Files often
// pad codes to 12 digits with zeros ("330502000000" is the county 330502); parsing
// strips such padding, since no real township or village serial is 000.
#pragma once

#include "wangge/progress.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge {

class Store;

enum class Level { province, city, county, township, village };

std::string_view level_name(Level level);          // "county"
std::string_view level_name_zh(Level level);       // "县级"
std::optional<Level> level_from_name(std::string_view name);  // accepts "county", "township", "village", "6", "9", "12", Chinese
std::size_t level_code_length(Level level);        // 2, 4, 6, 9, 12
std::optional<Level> level_from_code_length(std::size_t length);

/// Result of parsing a division code from a file.
struct ParsedCode {
    std::string code;    ///< normalised (padding stripped)
    Level level{};
    std::string error;   ///< empty when the code is well formed
    bool ok() const noexcept { return error.empty(); }
};

/// Parse and normalise a code: digits only (surrounding blanks ignored), length 6,
/// 9 or 12 after stripping zero padding of a 12-digit code. Only jurisdiction
/// levels (county, township, village) are accepted.
ParsedCode parse_division_code(std::string_view raw);

/// The code one level up: village -> township -> county -> city -> province.
std::optional<std::string> parent_code(std::string_view code);

/// One entry of the national code table.
struct CodeEntry {
    std::string code;
    Level level{};
    std::string name;
};

struct CodeTableLoadReport {
    std::int64_t provinces = 0, cities = 0, counties = 0, townships = 0, villages = 0;
    std::int64_t total() const { return provinces + cities + counties + townships + villages; }
};

/// Load the five CSVs (provinces.csv, cities.csv, areas.csv, streets.csv,
/// villages.csv: the layout of the china-division data set) from `dir`, replacing
/// the code table in one transaction. Throws input_error naming file and line on
/// bad rows.
CodeTableLoadReport load_code_table(Store& store, const std::filesystem::path& dir, const ProgressFn& progress = {});

/// Look a code up in the store's code table.
std::optional<CodeEntry> lookup_code(Store& store, std::string_view code);

/// Province > city > county > township > village chain for a code, from the code
/// table; only the levels present in the table are returned.
std::vector<CodeEntry> code_chain(Store& store, std::string_view code);

/// Number of entries in the code table (0 when not loaded).
std::int64_t code_table_size(Store& store);

/// A 15-digit unified grid code (17 with a micro-grid suffix): village code + serial.
struct GridCode {
    std::string village;  ///< 12 digits
    int serial = 0;       ///< 1..999
    int micro = 0;        ///< 0 = none, else 1..99
};
/// Parse a grid code; nullopt when malformed.
std::optional<GridCode> parse_grid_code(std::string_view code);
/// The code of serial `serial` (1..999) in `village`.
std::string make_grid_code(const std::string& village, int serial);

} // namespace wangge
