// The store summary of `wangge info`: counts of what each table holds, read
// through the repositories that own the tables.
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"
#include "wangge/codes.hpp"
#include "wangge/jurisdictions.hpp"
#include "wangge/store.hpp"

namespace wangge {

StoreInfo store_info(Store& store) {
    StoreInfo info;
    info.path = store.path().string();
    info.schema_version = store.schema_version();
    info.latest_schema_version = Store::latest_schema_version();
    for (const char* level : {"county", "township", "village"})
        info.jurisdictions.push_back({level, repo::count_jurisdictions(store, level)});
    info.extent = repo::jurisdictions_extent(store);
    info.code_table_entries = code_table_size(store);
    info.code_table_source = repo::get_meta(store, "code_table_source").value_or("");
    info.import_runs = repo::count_import_runs(store);
    info.household_points = store.query_int("SELECT count(*) FROM households");
    info.households = store.query_int("SELECT coalesce(sum(households), 0) FROM households");
    info.barriers = store.query_int("SELECT count(*) FROM barriers");
    info.grids = store.query_int("SELECT count(*) FROM grids WHERE valid_to IS NULL");
    info.dedicated_grids = store.query_int("SELECT count(*) FROM grids WHERE valid_to IS NULL AND type = 'dedicated'");
    info.retired_codes = store.query_int("SELECT count(*) FROM grid_serials WHERE state = 'retired'");
    info.partition_runs = store.query_int("SELECT count(*) FROM partition_runs");
    info.events = store.query_int("SELECT count(*) FROM events");
    info.events_uncovered = store.query_int("SELECT count(*) FROM events WHERE uncovered = 1");
    info.event_types = store.query_int("SELECT count(*) FROM event_types");
    return info;
}

} // namespace wangge
