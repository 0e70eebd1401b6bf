// The store summary of `wangge info`: counts of what each table holds, read
// through the repositories that own the tables.
#include "store/events_repo.hpp"
#include "store/grids_repo.hpp"
#include "store/inputs_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/networks_repo.hpp"
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
    info.household_points = repo::count_household_points(store);
    info.households = repo::sum_households(store);
    info.barriers = repo::count_barriers(store);
    info.grids = repo::count_current_grids(store);
    info.dedicated_grids = repo::count_current_dedicated_grids(store);
    info.retired_codes = repo::count_retired_codes(store);
    info.partition_runs = repo::count_partition_runs(store);
    info.events = repo::count_events(store);
    info.events_uncovered = repo::count_uncovered_events(store);
    info.event_types = repo::count_event_types(store);
    info.networks = repo::count_networks(store);
    return info;
}

} // namespace wangge
