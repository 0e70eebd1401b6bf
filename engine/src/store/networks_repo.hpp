// networks_repo — the owner of the tables networks, network_versions and
// network_grids (internal header): other departments' grid systems, each delivery
// of a network a version, kept beside the unified grids.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wangge {
class Store;
}

namespace wangge::repo {

struct NetworkVersionRow {
    std::string network;
    int version = 0;
    std::int64_t import_id = 0;
    std::string source_file, code_field, name_field, imported_at;
    std::int64_t grids = 0;
    double area_m2 = 0;
};

/// The current (newest) version of each network, by name.
std::vector<NetworkVersionRow> current_network_versions(Store& store);
/// Every version of one network, oldest first (empty: no such network).
std::vector<NetworkVersionRow> network_versions(Store& store, const std::string& name);
/// How many networks are stored.
std::int64_t count_networks(Store& store);

struct NetworkGridRow;
/// Each grid of the current version of network `name`, in code order, and that
/// version (nullopt, and no call: no such network).
std::optional<NetworkVersionRow> for_each_current_network_grid(Store& store, const std::string& name,
                                                               const std::function<void(NetworkGridRow&&)>& fn);

// ----------------------------------------------------------------- writing
// Call inside the caller's Store::Transaction.

struct NetworkGridRow {
    std::string code, name;
    std::int64_t source_feature = 0;
    double area_m2 = 0;
    std::vector<unsigned char> wkb;  ///< a polygon or multipolygon, EPSG:4490; stored as a MULTIPOLYGON
};

/// Add the next version of network `name` (made when new) with its grids; returns the version number.
int add_network_version(Store& store, const std::string& name, std::int64_t import_id, const std::string& source_file,
                        const std::string& code_field, const std::string& name_field, double area_m2,
                        const std::vector<NetworkGridRow>& grids);

}  // namespace wangge::repo
