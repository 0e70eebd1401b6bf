// The stages of a tile build (internal): sources (the store or files) are read into
// Inputs; each layer type makes its LayerData from them; tile.cpp makes one tile from
// the layers; build.cpp drives the pyramid. A layer is one LayerType (its name, zooms,
// attributes, groups for the size rules), registered once in layers.cpp.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>
#include <wangge/coverage_index.hpp>
#include <wangge/map_data.hpp>
#include <wangge/topology.hpp>

#include "wangge/tiles/build.hpp"
#include "wangge/tiles/mvt.hpp"

namespace wangge::tiles::detail {

inline constexpr double world = 2 * M_PI * 6378137.0;
inline constexpr double origin = world / 2;
inline constexpr std::uint32_t extent = 4096;
inline constexpr double buffer_units = 64;

/// What the layers wanted need read (each layer type adds to it).
struct InputNeeds {
    std::set<std::string> levels;  ///< jurisdiction levels
    bool grids = false;            ///< current grids (or --grids-file)
    bool events = false;           ///< events (or --events-file) with the grid labels
};

/// What was read from the store or the files, for the layer types.
struct Inputs {
    bool from_files = false;  ///< --grids-file (and --events-file) instead of the store
    int threads = 1;          ///< for the layer types' own parallel work
    std::map<std::string, std::vector<JurisdictionFeature>> jurisdictions;  ///< level -> features
    /// current grids; from a file: code, households (when the file has them) and a
    /// point on surface as the label; ids from the code
    std::vector<GridFeature> grids;
    std::vector<char> grid_has_households;                              ///< files: whether each grid has households
    std::map<std::string, std::map<std::string, std::int64_t>> counts;  ///< grid -> platform -> events
    bool have_events = false;
    std::vector<EventPoint> events;
    std::vector<char> event_has_type;  ///< files: whether each event's row has a type
    /// grid code -> label (Web Mercator): where events below the points zoom are drawn
    std::map<std::string, topology::XY> label_of;
};

enum class Kind { polygons, points, events };

class LayerType;

/// One layer, ready for tiling.
struct LayerData {
    const LayerType* type = nullptr;
    std::string name;
    Kind kind = Kind::points;
    LayerZooms zooms;
    std::unique_ptr<topology::Coverage> coverage;  // polygons
    std::vector<topology::XY> points;              // point layers (Web Mercator)
    std::vector<Properties> props;
    std::vector<std::uint64_t> ids;  // polygons: the numeric code, stable across edits
    std::map<std::string, std::string> fields;
    /// events: the index into Layers::labels of each point's grid label, -1 for none
    std::vector<std::int32_t> label_index;
    /// events: each point's grid code
    std::vector<std::string> grid_of;
    // polygons: the group each feature is merged into when a tile stays over the size
    // limit (grids: their village; villages, townships: their parent)
    std::string group_field;                                  // "village", "township", "county"
    std::vector<std::string> group_of;                        // per feature; empty: no groups
    std::map<std::string, std::vector<std::size_t>> members;  // group -> features
    std::string coverage_note;                                // how the coverage was made clean

    bool polygons() const { return kind == Kind::polygons; }
    void add_field(const std::string& field, const Value& v);
    void add_fields(const Properties& p) {
        for (const auto& [k, v] : p) add_field(k, v);
    }
};

/// A layer: its name and default zooms, what it needs read, how its features and
/// attributes are made, and how its polygons are grouped when a tile is too large.
class LayerType {
public:
    virtual ~LayerType() = default;
    virtual std::string_view name() const = 0;
    virtual LayerZooms default_zooms() const = 0;
    virtual void need(InputNeeds& needs) const = 0;
    /// Fill `out` (kind, features, props, fields) from the inputs; out.name and
    /// out.zooms are set.
    virtual void make(const Inputs& in, LayerData& out) const = 0;
    /// The field polygons are grouped by in a tile over the size limit ("" none), and
    /// each feature's group.
    virtual std::string_view group_field() const { return {}; }
    virtual std::string group_of(const Properties&) const { return {}; }
};

/// Every layer type, in the order of the layers in a tile.
const std::vector<const LayerType*>& layer_types();

/// The village of a grid code (docs/codes.md); "" for a code of another form.
std::string village_of(const std::string& grid);

/// How a polygon layer was made a clean coverage, for the summary.
std::string describe(const topology::Coverage::Method& m);

/// A coverage of the WKB polygons, with how it was made clean.
void make_coverage(LayerData& out, const std::vector<std::vector<unsigned char>>& wkbs);

/// Run fn(i) for i in [0, n) on up to `threads` threads (the calling one included);
/// the first exception is rethrown.
void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& fn);

/// The build's thread count (options.threads, or all cores), 1-64.
int thread_count(const BuildOptions& options);

/// Read what the layers need from the store or the files (sources.cpp).
Inputs read_inputs(Store& store, const BuildOptions& options, const InputNeeds& needs, int threads);

}  // namespace wangge::tiles::detail
