// jurisdictions_repo — the owner of the table jurisdictions (internal header).
//
// Counties, townships and villages with their geometry (WKB, CGCS2000 lon/lat).
// Readers stream rows through a callback; the writer keeps its statements for a
// whole import. Call the writing functions inside the caller's Store::Transaction.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge {
class Store;
}

namespace wangge::repo {

/// One stored jurisdiction. Readers fill what their query names (see each function).
struct JurisdictionRow {
    std::string code;
    std::string name;
    std::string level;                       ///< county, township or village
    std::optional<std::string> parent_code;  ///< none for counties
    std::string source_file;
    std::string imported_at;
    std::vector<unsigned char> wkb;  ///< ISO WKB, EPSG:4490
};

/// Which jurisdictions a reader streams. Empty fields do not filter.
struct JurisdictionFilter {
    std::string level;   ///< county, township or village
    std::string prefix;  ///< codes starting with this
    /// also the ancestors of `prefix` (codes `prefix` starts with), as the tile layers want
    bool prefix_ancestors = false;
    std::optional<std::array<double, 4>> bbox;  ///< minx, miny, maxx, maxy: bounding boxes intersecting it
};

/// Stream the jurisdictions matching `filter`, all columns, ordered by level
/// (county, township, village) then code.
void for_each_jurisdiction(Store& store, const JurisdictionFilter& filter,
                           const std::function<void(const JurisdictionRow&)>& row);

/// The names of those of `codes` that are stored jurisdictions (code -> name).
std::map<std::string, std::string> jurisdiction_names(Store& store, const std::vector<std::string>& codes);

/// Where the stored jurisdiction `code` came from (source_file, imported_at filled), if stored.
std::optional<JurisdictionRow> jurisdiction_origin(Store& store, std::string_view code);

/// The geometry of the stored jurisdiction `code` as WKB, if stored.
std::optional<std::vector<unsigned char>> jurisdiction_wkb(Store& store, std::string_view code);

/// A text that changes whenever a jurisdiction whose code starts with `prefix` is
/// imported, replaced or removed (for reports that are redone only on change).
std::string jurisdictions_stamp(Store& store, const std::string& prefix);

/// The number of jurisdictions of `level`.
std::int64_t count_jurisdictions(Store& store, std::string_view level);

/// The bounding box of all jurisdictions (minx, miny, maxx, maxy); none when there are none.
std::optional<std::array<double, 4>> jurisdictions_extent(Store& store);

/// The bounding boxes of the jurisdictions imported at or after `since` (a timestamp
/// as now_timestamp() writes it) and of every jurisdiction of the same level whose
/// box touches one of them: what a tile update must redraw.
void changed_jurisdiction_boxes(Store& store, std::string_view since,
                                const std::function<void(const std::array<double, 4>&)>& box);

/// Writes jurisdictions for one import; imported_at is the store's now and the
/// geometry is stored as a MULTIPOLYGON.
class JurisdictionWriter {
public:
    explicit JurisdictionWriter(Store& store);
    ~JurisdictionWriter();
    JurisdictionWriter(const JurisdictionWriter&) = delete;
    JurisdictionWriter& operator=(const JurisdictionWriter&) = delete;

    /// Delete the stored jurisdiction `code` (none: nothing happens).
    void remove(std::string_view code);
    /// Insert one jurisdiction: code, level, name, parent_code, source_file and wkb
    /// of `row`, with its source feature id and import run.
    void insert(const JurisdictionRow& row, std::int64_t source_feature, std::int64_t import_id);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wangge::repo
