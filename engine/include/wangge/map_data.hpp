// wangge/map_data.hpp — what a map of the store is drawn from: the current grids,
// the jurisdictions, the events and their counts per grid, in an area; and where the
// store changed since a time. Read by the tile builder and the tile server; plain C++
// values only (no SQLite or GEOS type), so a second store backend can implement them.
//
// Each function reads the store on its own (no state between calls) and says which
// tables it reads. Geometry is WKB in lon/lat (CGCS2000, EPSG:4490).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge {

class Store;

/// An area of the map: the features under a code prefix (and the features above it:
/// a township's prefix keeps its county), optionally only those whose bounding box
/// meets a lon/lat box.
struct AreaFilter {
    std::string code_prefix;                    ///< digits; "" for every code
    std::optional<std::array<double, 4>> bbox;  ///< min lon, min lat, max lon, max lat
};

/// A current grid (one not replaced by a later partition).
struct GridFeature {
    std::string code, type;
    std::int64_t households = 0;
    std::string village;  ///< the village code
    std::string name;     ///< "" when the grid has none
    double label_lon = 0, label_lat = 0;
    std::vector<unsigned char> wkb;
};

/// Each current grid in the area, in code order (reads grids).
void for_each_grid(Store& store, const AreaFilter& area, const std::function<void(const GridFeature&)>& fn);

/// The label point of each current grid, everywhere (reads grids): code, lon, lat.
void for_each_grid_label(Store& store, const std::function<void(const std::string& code, double lon, double lat)>& fn);

/// A county, township or village outline.
struct JurisdictionFeature {
    std::string code, name;
    std::string parent;  ///< the parent's code; "" when none
    std::vector<unsigned char> wkb;
};

/// Each jurisdiction of `level` ("county", "township", "village") in the area, in code
/// order (reads jurisdictions).
void for_each_jurisdiction(Store& store, std::string_view level, const AreaFilter& area,
                           const std::function<void(const JurisdictionFeature&)>& fn);

/// Events per grid code and platform ("" for a type of no platform), of the events
/// assigned to a grid (reads events, event_types).
std::map<std::string, std::map<std::string, std::int64_t>> event_counts_per_grid(Store& store);

/// Whether the store holds any event (reads events).
bool has_events(Store& store);

/// An event point.
struct EventPoint {
    double lon = 0, lat = 0;
    std::string id, type;
    std::string platform;  ///< of its type; "" when none
    std::string grid;      ///< the grid it is assigned to; "" when none
    bool uncovered = false;
};

/// Each event in the area (by its grid's code; an event of no grid is in every
/// prefix's area), in event id order (reads events, event_types).
void for_each_event(Store& store, const AreaFilter& area, const std::function<void(const EventPoint&)>& fn);

/// The lon/lat envelopes (min lon, min lat, max lon, max lat) of what changed since
/// `since` (a 'YYYY-MM-DDTHH:MM:SSZ' timestamp), for redrawing: grids made or replaced
/// since then and every current grid touching one; jurisdictions imported since and
/// every one of the same level touching one; events assigned since and their current
/// grids (reads grids, jurisdictions, events).
std::vector<std::array<double, 4>> changed_since(Store& store, const std::string& since);

/// The store's UTC now, 'YYYY-MM-DDTHH:MM:SSZ' (reads nothing).
std::string store_now(Store& store);

/// The lon/lat envelope (min lon, min lat, max lon, max lat) of a WKB geometry as the
/// store holds them (ISO or extended WKB, either byte order, any type, Z and M
/// ignored); nullopt for an empty or unreadable geometry (reads nothing).
std::optional<std::array<double, 4>> wkb_bounds(const std::vector<unsigned char>& wkb);

}  // namespace wangge
