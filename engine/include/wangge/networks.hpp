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

#include "wangge/progress.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
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

// ------------------------------------------------------------------ crosswalk
//
// For every foreign grid of a network's current version and every current unified grid
// it overlaps: the shared area and its share of each. Overlaps below `min_share` of
// both grids are digitising slivers (two departments never draw a shared road the same
// way) and are left out. Each foreign grid gets a class, from its pairs:
//   straddles-township  its pairs lie in more than one township;
//   straddles-village   in more than one village of one township (it cannot become
//                       unified grids as it is: they never cross a village border);
//   same                one pair holds at least `same_share` of both grids;
//   contained           it lies (`same_share` of it) inside one unified grid;
//   contains            it is whole unified grids: each pair holds `same_share` of its
//                       unified grid, and the pairs `same_share` of the foreign grid;
//   split               across several unified grids, cutting some;
//   unmatched           no unified grid under it (outside the unified coverage).
// Shares are of areas on the ellipsoid's local scale (lon/lat areas scaled at each
// grid's latitude; within a grid the ratio is exact to well under 0.1%).

struct CrosswalkOptions {
    std::string network;
    std::string prefix;        ///< the unified grids under this code (township, county); "" = all
    double same_share = 0.9;
    double min_share = 0.01;
    int threads = 0;           ///< 0: all cores
};

struct CrosswalkPair {
    std::string foreign_code, unified_code, village, township;
    double shared_m2 = 0, share_of_foreign = 0, share_of_unified = 0;
    std::vector<unsigned char> wkb;  ///< the shared part (WKB, EPSG:4490)
};

struct CrosswalkGrid {
    std::string code, name, klass;
    double area_m2 = 0;
    double matched_share = 0;           ///< of its area under unified grids (the pairs summed)
    std::string best_unified;           ///< the pair with the largest shared area ("" when unmatched)
    double best_share_of_foreign = 0, best_share_of_unified = 0;
    std::vector<std::string> villages, townships;  ///< of its pairs, in code order
    std::vector<std::size_t> pairs;     ///< indexes into Crosswalk::pairs
    std::vector<unsigned char> wkb;     ///< its outline
};

struct Crosswalk {
    std::string network;
    int version = 0;
    std::int64_t unified_grids = 0;            ///< the unified grids in scope
    std::vector<CrosswalkGrid> grids;          ///< the foreign grids over the scope, by code
    std::vector<CrosswalkPair> pairs;          ///< by foreign code, then shared area (largest first)
    std::map<std::string, std::int64_t> by_class;
    std::map<std::string, double> area_by_class;  ///< m²
};

/// The crosswalk of network `options.network` against the current unified grids
/// under `options.prefix` (usage_error: no such network, a bad prefix; input_error:
/// no unified grids there). Foreign grids that touch none of them are left out,
/// except under an empty prefix (then they are "unmatched").
Crosswalk crosswalk(Store& store, const CrosswalkOptions& options, const ProgressFn& progress = {});

/// Write a crosswalk: `out` ending in .csv: the foreign grids with their class, and
/// OUT_pairs.csv beside it with every pair (UTF-8 with a BOM, RFC 4180); else a GIS
/// file by its extension (GeoPackage: layers foreign_grids with outlines and classes,
/// pairs with the shared parts, straddling_parts: the part of each straddling grid in
/// each village). The output rule of every export (refused when there, unless
/// `overwrite`). Returns the files written.
std::vector<std::filesystem::path> write_crosswalk(const Crosswalk& cw, const std::filesystem::path& out,
                                                   bool overwrite);

}  // namespace wangge
