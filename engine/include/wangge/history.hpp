// wangge/history.hpp — the versions of the grids: every partition run, edit import
// and rollback is one, with its time, kind, author, message and the codes it
// changed. History is never rewritten: a rollback is a new version that restores
// the grids of the villages a version changed as they stood just before it.
#pragma once

#include "wangge/grids.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace wangge {

class Store;

struct HistoryEntry {
    std::int64_t version = 0;
    std::string at, kind, author, message, scope, file, settings;
    std::int64_t villages = 0, grids = 0, kept = 0, added = 0, retired = 0;
};

/// The versions that changed grids whose code starts with `prefix` (a county,
/// township or village code; empty: all), oldest first.
std::vector<HistoryEntry> grid_history_of(Store& store, const std::string& prefix);

/// One version in full: what became of each code (lineage), the grid versions it
/// wrote and those it closed.
struct VersionDetail {
    HistoryEntry entry;
    std::vector<CodeChange> changes;  ///< code = old code (or the new one when none); kind; detail "-> NEW (m²)"
    struct Grid {
        std::string code, lineage;
        std::int64_t households = 0;
        double area_m2 = 0;
    };
    std::vector<Grid> written, closed;
};
/// Throws input_error when there is no such version.
VersionDetail history_version(Store& store, std::int64_t version);

struct RollbackOptions {
    std::int64_t version = 0;
    std::string author, message;
    bool dry_run = false;
    bool force = false;  ///< also when later versions changed the same villages (they are undone there too)
};

struct RollbackReport {
    std::int64_t run_id = 0;                  ///< the new version (0: dry run or nothing to do)
    std::vector<std::string> villages;        ///< the villages the version changed
    std::vector<std::string> later;           ///< "version N (kind, at) changed village V too"
    std::vector<CodeChange> changes;          ///< restored, retired (kind), code by code
    int restored = 0, retired = 0, unchanged = 0;
    std::int64_t events_reassigned = 0;
};
/// Undo a version (see above). Refused (input_error) when later versions changed
/// the same villages, unless `force`; nothing is written on any error.
RollbackReport rollback_version(Store& store, const RollbackOptions& options);

}  // namespace wangge
