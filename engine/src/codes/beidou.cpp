#include "wangge/beidou.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

#include "wangge/error.hpp"

namespace wangge::beidou {

namespace {

// All arithmetic is done in integer units of 1/2048 arc-second, the size of a level-10
// cell: every cell edge of every level is a whole number of units, so splitting is exact
// integer division and no boundary can be misplaced by floating-point noise.
constexpr std::int64_t units_per_second = 2048;
constexpr std::int64_t units_per_degree = 3600 * units_per_second;  // 7,372,800
constexpr std::int64_t max_lon_units = 180 * units_per_degree;
constexpr std::int64_t max_lat_units = 88 * units_per_degree;

struct LevelSpec {
    int cols;               // split of the parent along longitude (level 1: columns per hemisphere)
    int rows;               // split of the parent along latitude
    std::int64_t lon_size;  // cell size in units
    std::int64_t lat_size;
};

constexpr std::array<LevelSpec, max_level + 1> specs = {{
    {1, 1, 0, 0},  // level 0: the hemisphere letter, no split
    {30, 22, 6 * units_per_degree, 4 * units_per_degree},
    {12, 8, units_per_degree / 2, units_per_degree / 2},
    {2, 3, units_per_degree / 4, units_per_degree / 6},
    {15, 10, units_per_degree / 60, units_per_degree / 60},
    {15, 15, 4 * units_per_second, 4 * units_per_second},
    {2, 2, 2 * units_per_second, 2 * units_per_second},
    {8, 8, units_per_second / 4, units_per_second / 4},
    {8, 8, units_per_second / 32, units_per_second / 32},
    {8, 8, units_per_second / 256, units_per_second / 256},
    {8, 8, 1, 1},
}};

constexpr std::array<std::size_t, max_level + 1> lengths = {1, 4, 6, 7, 9, 11, 12, 14, 16, 18, 20};

// Levels whose fragment is one Z-order character (row * 2 + col) instead of a lon/lat pair.
constexpr bool is_z_order(int level) {
    return level == 3 || level == 6;
}

constexpr std::string_view digits = "0123456789ABCDE";

// A self-check of the table: each level must tile its parent exactly.
constexpr bool specs_tile_exactly() {
    for (int l = 2; l <= max_level; ++l) {
        const auto& s = specs[static_cast<std::size_t>(l)];
        const auto& p = specs[static_cast<std::size_t>(l - 1)];
        if (s.lon_size * s.cols != p.lon_size || s.lat_size * s.rows != p.lat_size) return false;
    }
    return specs[1].lon_size * specs[1].cols == max_lon_units && specs[1].lat_size * specs[1].rows == max_lat_units;
}
static_assert(specs_tile_exactly());

void check_level(int level) {
    if (level < 1 || level > max_level)
        throw usage_error(fmt::format("BeiDou grid level {} is out of range: levels are 1 to {}", level, max_level));
}

// |degrees| -> units, clamped to [0, limit - 1]. Why not plain rounding to the nearest unit: that would move every
// point up to half a unit, so a point just below a level-9 or level-10 edge would land in the next cell and
// decode(encode(p)) would no longer contain p. Why not plain floor: a boundary typed in decimal degrees
// (39.833333333333336 for 39°50') is a hair below the edge after the multiplication, and would fall in the wrong cell.
// So: floor, after snapping values within `snap` of a whole unit up to it. The worst double error of a degree value up
// to 180° times 7,372,800 is about 3e-7 units; snap is 300 times that and still only 1.4e-11° (1.5 nm) — any point
// that close below an edge is on the edge for every practical purpose. The clamp puts the outer edges (±180°, ±88°)
// into the outermost cells instead of a nonexistent column 61 / row W.
std::int64_t to_units(double abs_degrees, std::int64_t limit) {
    constexpr double snap = 1e-4;
    const auto units =
        static_cast<std::int64_t>(std::floor(abs_degrees * static_cast<double>(units_per_degree) + snap));
    return std::clamp<std::int64_t>(units, 0, limit - 1);
}

double to_degrees(std::int64_t units) {
    return static_cast<double>(units) / static_cast<double>(units_per_degree);
}

// The result of parsing a code: hemisphere signs and the |lon|/|lat| offset of the cell's corner nearest the origin.
struct Parsed {
    int level = 0;
    bool north = true, east = true;
    std::int64_t lon_units = 0, lat_units = 0;
};

int digit_value(char c) {
    const auto pos = digits.find(c);
    return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// Parse without throwing, so that looks_like_code() costs no exception; `why` receives the message for decode().
std::optional<Parsed> parse(std::string_view code, std::string& why) {
    const auto level_it = std::find(lengths.begin() + 1, lengths.end(), code.size());
    if (level_it == lengths.end()) {
        why = fmt::format(
            "bad BeiDou grid code '{}': {} characters, but a code has 4, 6, 7, 9, 11, 12, 14, 16, 18 or 20 (levels "
            "1-10)",
            code, code.size());
        return std::nullopt;
    }
    Parsed p;
    p.level = static_cast<int>(level_it - lengths.begin());

    // Positions in messages are 1-based, as a person counts characters.
    auto bad = [&](std::size_t index, std::string_view expected) {
        why = fmt::format("bad BeiDou grid code '{}': character {} '{}' is not {}", code, index + 1, code[index],
                          expected);
        return std::nullopt;
    };

    if (code[0] != 'N' && code[0] != 'S') return bad(0, "a hemisphere letter ('N' or 'S')");
    p.north = code[0] == 'N';

    for (std::size_t i = 1; i <= 2; ++i)
        if (code[i] < '0' || code[i] > '9') return bad(i, "a digit of the level-1 column (01-60)");
    const int column = (code[1] - '0') * 10 + (code[2] - '0');
    if (column < 1 || column > 60) {
        why = fmt::format("bad BeiDou grid code '{}': characters 2-3 '{}' are not a level-1 column (01-60)", code,
                          code.substr(1, 2));
        return std::nullopt;
    }
    if (code[3] < 'A' || code[3] >= 'A' + specs[1].rows) return bad(3, "a level-1 row letter (A-V)");
    p.east = column >= 31;
    const int col_away = p.east ? column - 31 : 30 - column;  // column index counted away from the prime meridian
    p.lon_units = col_away * specs[1].lon_size;
    p.lat_units = (code[3] - 'A') * specs[1].lat_size;

    std::size_t pos = lengths[1];
    for (int l = 2; l <= p.level; ++l) {
        const auto& s = specs[static_cast<std::size_t>(l)];
        int col = 0, row = 0;
        if (is_z_order(l)) {
            const int v = digit_value(code[pos]);
            const int count = s.cols * s.rows;
            if (v < 0 || v >= count)
                return bad(pos, fmt::format("a level-{} digit (0-{})", l, digits[static_cast<std::size_t>(count - 1)]));
            col = v % s.cols;
            row = v / s.cols;
            pos += 1;
        } else {
            col = digit_value(code[pos]);
            if (col < 0 || col >= s.cols)
                return bad(pos, fmt::format("a level-{} longitude digit (0-{})", l,
                                            digits[static_cast<std::size_t>(s.cols - 1)]));
            row = digit_value(code[pos + 1]);
            if (row < 0 || row >= s.rows)
                return bad(pos + 1, fmt::format("a level-{} latitude digit (0-{})", l,
                                                digits[static_cast<std::size_t>(s.rows - 1)]));
            pos += 2;
        }
        p.lon_units += col * s.lon_size;
        p.lat_units += row * s.lat_size;
    }
    return p;
}

}  // namespace

std::size_t code_length(int level) {
    check_level(level);
    return lengths[static_cast<std::size_t>(level)];
}

CellSize cell_size(int level) {
    check_level(level);
    const auto& s = specs[static_cast<std::size_t>(level)];
    return {to_degrees(s.lon_size), to_degrees(s.lat_size)};
}

std::string encode(double lon, double lat, int level) {
    check_level(level);
    // Written so that NaN fails the test too.
    if (!(lon >= -180.0 && lon <= 180.0) || !(lat >= -88.0 && lat <= 88.0))
        throw input_error(fmt::format(
            "point (lon {}, lat {}) is outside the area of BeiDou grid codes: longitude -180..180, latitude -88..88 "
            "(the polar caps are not covered)",
            lon, lat));

    // -0.0 compares equal to 0.0, so it counts as north/east like 0.
    const bool north = lat >= 0.0;
    const bool east = lon >= 0.0;
    std::int64_t x = to_units(std::fabs(lon), max_lon_units);
    std::int64_t y = to_units(std::fabs(lat), max_lat_units);

    std::string code;
    code.reserve(lengths[static_cast<std::size_t>(level)]);
    code += north ? 'N' : 'S';

    // Level 1: the column is numbered west to east from 180°W; inside a hemisphere its index counts away from the
    // prime meridian like every later index, which keeps lon -6° (a boundary) in column 29 with offset 0 rather than
    // in column 30 at offset 6°, outside that cell's digits.
    const auto col_away = static_cast<int>(x / specs[1].lon_size);
    const auto row1 = static_cast<int>(y / specs[1].lat_size);
    code += fmt::format("{:02d}", east ? 31 + col_away : 30 - col_away);
    code += static_cast<char>('A' + row1);
    x %= specs[1].lon_size;
    y %= specs[1].lat_size;

    for (int l = 2; l <= level; ++l) {
        const auto& s = specs[static_cast<std::size_t>(l)];
        const auto col = x / s.lon_size;
        const auto row = y / s.lat_size;
        x %= s.lon_size;
        y %= s.lat_size;
        if (is_z_order(l)) {
            code += digits[static_cast<std::size_t>(row * s.cols + col)];
        } else {
            code += digits[static_cast<std::size_t>(col)];
            code += digits[static_cast<std::size_t>(row)];
        }
    }
    return code;
}

double Cell::center_lon() const {
    return (min_lon + max_lon) / 2.0;
}
double Cell::center_lat() const {
    return (min_lat + max_lat) / 2.0;
}

Cell decode(std::string_view code) {
    std::string why;
    const auto p = parse(code, why);
    if (!p) throw input_error(why);
    const auto& s = specs[static_cast<std::size_t>(p->level)];
    // The parsed offsets are the corner nearest the origin; the far corner is one cell further out. In the west/south
    // the far corner is the minimum.
    const double lon_near = to_degrees(p->lon_units), lon_far = to_degrees(p->lon_units + s.lon_size);
    const double lat_near = to_degrees(p->lat_units), lat_far = to_degrees(p->lat_units + s.lat_size);
    Cell cell;
    cell.level = p->level;
    cell.min_lon = p->east ? lon_near : -lon_far;
    cell.max_lon = p->east ? lon_far : -lon_near;
    cell.min_lat = p->north ? lat_near : -lat_far;
    cell.max_lat = p->north ? lat_far : -lat_near;
    return cell;
}

bool looks_like_code(std::string_view code) {
    std::string why;
    return parse(code, why).has_value();
}

}  // namespace wangge::beidou
