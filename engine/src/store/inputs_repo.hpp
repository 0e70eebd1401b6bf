// inputs_repo — the owner of the tables households and barriers (internal header):
// the inputs of partitioning, household points with a count and barrier lines.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wangge/partition.hpp"

namespace wangge {
class Store;
}

namespace wangge::repo {

/// Household points stored.
std::int64_t count_household_points(Store& store);
/// Households summed over all points (0 when none).
std::int64_t sum_households(Store& store);
/// Barrier lines stored.
std::int64_t count_barriers(Store& store);

// ----------------------------------------------------------------- reading

/// Stream the household points (lon/lat, EPSG:4490, and count) inside `box` (minx, miny, maxx, maxy; edges included),
/// in the order they were stored.
void for_each_household_in(Store& store, const std::array<double, 4>& box,
                           const std::function<void(const HouseholdPoint&)>& point);

/// Stream every barrier line's geometry (WKB, EPSG:4490), in the order stored.
void for_each_barrier_wkb(Store& store, const std::function<void(const std::vector<unsigned char>&)>& wkb);

/// The length of all barrier lines in metres (geodesic), as a whole number.
std::int64_t barriers_length_m(Store& store);

// ----------------------------------------------------------------- writing
// Call inside the caller's Store::Transaction.

struct HouseholdRow {
    std::int64_t households = 0;
    std::int64_t source_feature = 0;
    std::vector<unsigned char> wkb;  ///< a point, EPSG:4490
};
/// Delete every household point.
void clear_households(Store& store);
/// Insert household points read from `source_file` by import run `import_id`.
void insert_households(Store& store, const std::string& source_file, std::int64_t import_id,
                       const std::vector<HouseholdRow>& rows);

struct BarrierRow {
    std::int64_t source_feature = 0;
    std::string kind, name;
    std::vector<unsigned char> wkb;  ///< a line or multiline, EPSG:4490; stored as a MULTILINESTRING
};
/// Delete every barrier line.
void clear_barriers(Store& store);
/// Insert barrier lines read from `source_file` by import run `import_id`.
void insert_barriers(Store& store, const std::string& source_file, std::int64_t import_id,
                     const std::vector<BarrierRow>& rows);

}  // namespace wangge::repo
