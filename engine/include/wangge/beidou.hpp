// wangge/beidou.hpp — BeiDou grid location codes (北斗网格位置码, GB/T 39409-2020), 2D.
//
// The standard cuts the non-polar Earth (88°S-88°N, CGCS2000 longitude/latitude) into
// ten nested levels of lon/lat cells and names a cell by concatenating one fragment
// per level:
//
//   level  split of parent (lon x lat)  cell            fragment                   code length
//     0    hemisphere                   -               'N' (lat >= 0) or 'S'      1
//     1    1:1,000,000 map sheet        6° x 4°         column 01-60, row A-V      4
//     2    12 x 8                       30' x 30'       lon 0-B, lat 0-7           6
//     3    2 x 3                        15' x 10'       row*2+col, 0-5             7
//     4    15 x 10                      1' x 1'         lon 0-E, lat 0-9           9
//     5    15 x 15                      4" x 4"         lon 0-E, lat 0-E           11
//     6    2 x 2                        2" x 2"         row*2+col, 0-3             12
//     7-10 8 x 8 each                   1/4" ... 1/2048" lon 0-7, lat 0-7          14, 16, 18, 20
//
// Two-character fragments are longitude digit first, then latitude digit (the worked
// example of the standard, 39°59′35.38″N 116°18′45.37″E -> N50J47539B825534, pins this).
// The level-1 column counts west to east from 180°W (01 = 180°W-174°W, 31 = 0°-6°E).
// Every other index counts away from the equator (rows, level-1 letter included) and,
// from level 2 on, away from the prime meridian: a code's digits describe |lon| and
// |lat| offsets, so the four quadrants are mirror images of one another.
//
// Cells are half-open on the side away from the origin: a point exactly on a boundary
// belongs to the cell farther from the equator / prime meridian, i.e. to the north/east
// cell in the northern/eastern hemisphere and to the south/west cell in the southern/
// western one. The outer edges (±180°, ±88°) belong to the outermost cells.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wangge::beidou {

inline constexpr int default_level = 8;
inline constexpr int max_level = 10;

/// Length of a code at a level (4, 6, 7, 9, 11, 12, 14, 16, 18, 20).
/// Throws wangge::usage_error for a level outside 1..max_level.
std::size_t code_length(int level);

/// Size of a cell at a level, in degrees of longitude and latitude (6 x 4 at level 1,
/// 1/(2048*3600) x 1/(2048*3600) at level 10). Throws wangge::usage_error like code_length.
struct CellSize {
    double lon = 0, lat = 0;
};
CellSize cell_size(int level);

/// Encode a CGCS2000 lon/lat point at `level` (1..10). Throws wangge::usage_error (from wangge/error.hpp) for a level
/// out of range and wangge::input_error for a point outside [-180,180] x [-88,88] or NaN.
std::string encode(double lon, double lat, int level = default_level);

struct Cell {
    int level = 0;
    double min_lon = 0, min_lat = 0, max_lon = 0, max_lat = 0;  // degrees
    double center_lon() const;
    double center_lat() const;
};

/// Decode a code to its cell. Throws wangge::input_error naming the code and the position of the bad character for
/// malformed codes (wrong length, bad hemisphere letter, column out of 01-60, row letter out of range, digit out of
/// range for its level). Letters must be upper case, as the standard writes them.
Cell decode(std::string_view code);

/// True if `code` is syntactically a BeiDou grid code (any level) — for the CLI to tell BeiDou codes from grid codes.
/// Exactly the codes decode() accepts.
bool looks_like_code(std::string_view code);

}  // namespace wangge::beidou
