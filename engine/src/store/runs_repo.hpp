// runs_repo — the owner of the tables import_runs and meta (internal header).
//
// One import run is one row: started when an import begins (inside the caller's
// write transaction), given the source file's reference system once it is known,
// and finished with its counts. meta is the store's key/value table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wangge {
class Store;
}

namespace wangge::repo {

/// The store's UTC now, 'YYYY-MM-DDTHH:MM:SSZ' (the form every timestamp column holds).
std::string now_timestamp(Store& store);

/// The value of `key` in meta (nullopt when the key is absent or NULL).
std::optional<std::string> get_meta(Store& store, std::string_view key);
/// Set `key` to `value` in meta (insert or replace).
void set_meta(Store& store, std::string_view key, std::string_view value);

/// Start an import run of `kind` ("jurisdictions", "events", "households",
/// "barriers", ...) from `source_file` with its options in words; started_at is
/// the store's now. Returns the run's id.
std::int64_t begin_import_run(Store& store, std::string_view kind, std::string_view source_file,
                              std::string_view options);

/// Record the reference system a run's source was read in: its description, the
/// operation that took it to CGCS2000 and that operation's accuracy in metres
/// (nullopt: unknown).
void set_import_run_crs(Store& store, std::int64_t run, std::string_view source_crs, std::string_view crs_operation,
                        std::optional<double> accuracy_m);

/// Set a run's counts of imported, replaced and rejected records.
void finish_import_run(Store& store, std::int64_t run, std::int64_t imported, std::int64_t replaced,
                       std::int64_t rejected);

/// The number of import runs recorded.
std::int64_t count_import_runs(Store& store);

}  // namespace wangge::repo
