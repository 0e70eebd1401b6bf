// wangge/edits.hpp — grids redrawn outside wangge (in QGIS) taken back into the store.
//
// `export grids` writes each grid with its version (the id of its current version
// row) and a checksum (grids/checksum.hpp). `import_edits` reads such a file back:
//
// * Villages. A feature's village is its `village` field, else the first 12 digits
//   of its code, else the village its interior point lies in (a grid drawn new in
//   QGIS has empty fields). A village is *edited* when one of its features differs
//   from its checksum, has no code, repeats a code, or when one of its current grids
//   is missing from the file; a village with none of that is untouched and left as it
//   is, as is every village not in the file.
// * Stale edits. An edited village whose grids changed in the store after the export
//   (a feature's version is no longer current, or a current grid was made by a newer
//   run than every version in the file) is refused, naming the grids and the run that
//   changed them, unless `force` (then recorded in the run's settings).
// * Checks, after snapping (vertices of edited grids within `snap_m` of the village
//   outline or of a grid before them snap to it): the village's grids cover it with
//   no gap, no overlap and nothing outside it (validate_coverage), each valid,
//   polygonal and in one piece; a code must be a grid code of the feature's village
//   that is current in the store (blank: a new grid); a retired code is refused (codes
//   are never given out twice). Every problem of the file is reported, with the
//   feature, code, lon/lat and reason; then nothing is written.
// * Codes, by area (the file's codes are checked, not trusted for identity): a new
//   grid and an old one that are each other's largest overlap keep the old code
//   (reshaped; a split keeps it on the larger part, a merge keeps the largest
//   predecessor's); other grids get the next serial never used in the village; old
//   codes left without a grid are retired for good. Lineage is recorded as for
//   partition runs.
// * Writing: one transaction: a run of kind "edit" (author, message, file), new grid
//   versions (households recounted from the household points by the events' boundary
//   rule), retired serials, lineage, and the events inside changed villages reassigned.
//   A dry run reads the same and writes nothing.
#pragma once

#include "wangge/grids.hpp"
#include "wangge/progress.hpp"
#include "wangge/source.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace wangge {

class Store;

struct EditImportOptions {
    SourceOptions source;           ///< layer: empty = "grids" when the file has it, else its only layer
    std::string author, message;    ///< recorded with the run (author empty: the system user)
    bool dry_run = false;
    bool force = false;             ///< import villages changed in the store since the export
    double snap_m = 0.5;            ///< vertices this close to the outline or a neighbour snap to it
};

/// One problem of the file: nothing is written when there is any.
struct EditProblem {
    std::int64_t feature = -1;      ///< GDAL feature id; -1: about a village or the file
    std::string village, code;      ///< code empty for a new grid
    double lon = 0, lat = 0;        ///< where (0,0: no place)
    std::string reason;
};

/// What an import does (or would do) to one village.
struct VillageEditSummary {
    std::string village_code, village_name;
    std::string state;                    ///< untouched, edited, stale (refused), forced
    std::vector<CodeChange> changes;      ///< unchanged, reshaped, split, merged, new, retired (detail: area, households)
    std::vector<std::string> stale;       ///< why it is stale, a line a grid
    std::int64_t households_before = 0, households_after = 0;
    int grids_before = 0, grids_after = 0;
};

struct EditImportReport {
    std::string file;
    std::int64_t features = 0;
    std::vector<VillageEditSummary> villages;  ///< by village code
    std::vector<EditProblem> problems;         ///< by village, then feature
    std::vector<std::string> warnings;         ///< near misses, holes, slivers; the file's own
    int kept = 0, reshaped = 0, added = 0, retired = 0;
    std::int64_t run_id = 0;                   ///< the version written (0: none: dry run, problems, nothing edited)
    std::int64_t events_reassigned = 0;
    bool written() const noexcept { return run_id != 0; }
};

/// Import an edited grid file (see above). Problems are returned, not thrown; a file
/// that cannot be read at all, or has no grid fields, throws input_error.
EditImportReport import_edits(Store& store, const EditImportOptions& options, const ProgressFn& progress = {});

}  // namespace wangge
