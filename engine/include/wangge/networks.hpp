// wangge/networks.hpp — other departments' grid systems (多网合一, one network).
//
// Before the unified full-function grids, each department drew its own grids: the
// comprehensive governance grids (综治网格), the unit grids of digital city management
// (城管单元网格, GB/T 30428), market-supervision grids, police beats (警格). Their
// staff, events and apps still use those codes. `import_network` keeps such a system
// as a named network beside the unified grids, so that it can be compared with them,
// grid by grid:
//
// * A network is a name (a department's word for it: 综治, police, cg-units...) and
//   versions: each import of a network is its next version (a department re-delivers
//   its layer); every version is kept, the newest is the current one.
// * A feature is a polygon with a code (`code_field`, required) and optionally a
//   name. Read through VectorSource (any GDAL format, any CRS, GBK...). The checks of
//   every import: a feature with no geometry, an empty one, one that is not polygonal,
//   an invalid one (GEOS's reason and place), one with zero area, an empty code, or a
//   code another feature of the file has is rejected, with its feature id, code and
//   reason; then nothing is written (all or nothing).
#pragma once

#include "wangge/grids.hpp"
#include "wangge/source.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace wangge {

class Store;

struct NetworkImportOptions {
    SourceOptions source;
    std::string network;            ///< the network's name
    std::string code_field;         ///< required
    std::string name_field;         ///< optional: empty = none
};

struct NetworkImportReport {
    InputImportReport input;        ///< file, CRS, encoding, warnings, read/imported, rejects; total = grids
    std::string network;
    int version = 0;                ///< the version written (0: nothing written)
    int previous_grids = -1;        ///< grids of the version before (-1: a new network)
    double area_m2 = 0;             ///< all grids summed
};

/// Check a network's name: 1 to 64 bytes of letters (any script), digits, '_', '-'
/// and '.'; returns why not ("" when it is fine).
std::string network_name_problem(const std::string& name);

/// Import a foreign grid system as the next version of network `options.network`
/// (see above). Throws usage_error for a bad name, input_error for a file that cannot
/// be read, a missing code field or a file without features; rejects are returned.
NetworkImportReport import_network(Store& store, const NetworkImportOptions& options);

/// One network as stored: its current version, and how many versions it has.
struct NetworkSummary {
    std::string name;
    int version = 0, versions = 0;
    std::int64_t grids = 0;
    double area_m2 = 0;
    std::string source_file, code_field, name_field, imported_at;
};

/// Every network, by name.
std::vector<NetworkSummary> list_networks(Store& store);

}  // namespace wangge
