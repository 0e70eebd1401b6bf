// What a map of the store is drawn from (wangge/map_data.hpp), for the tile builder
// and the tile server: each read goes to the repository that owns its table.
#include "wangge/map_data.hpp"

#include "store/events_repo.hpp"
#include "store/grids_repo.hpp"
#include "store/jurisdictions_repo.hpp"
#include "store/runs_repo.hpp"

namespace wangge {

void for_each_grid(Store& store, const AreaFilter& area, const std::function<void(const GridFeature&)>& fn) {
    repo::for_each_grid_feature(store, area, fn);
}

void for_each_grid_label(Store& store, const std::function<void(const std::string&, double, double)>& fn) {
    repo::for_each_grid_label(store, fn);
}

void for_each_jurisdiction(Store& store, std::string_view level, const AreaFilter& area,
                           const std::function<void(const JurisdictionFeature&)>& fn) {
    repo::JurisdictionFilter filter;
    filter.level = std::string(level);
    filter.prefix = area.code_prefix;
    filter.prefix_ancestors = true;  // a township's map keeps its county
    filter.bbox = area.bbox;
    JurisdictionFeature j;
    repo::for_each_jurisdiction(store, filter, [&](const repo::JurisdictionRow& r) {
        j.code = r.code;
        j.name = r.name;
        j.parent = r.parent_code.value_or("");
        j.wkb = r.wkb;
        fn(j);
    });
}

std::map<std::string, std::map<std::string, std::int64_t>> event_counts_per_grid(Store& store) {
    return repo::event_counts_per_grid(store);
}

bool has_events(Store& store) {
    return repo::count_events(store) > 0;
}

void for_each_event(Store& store, const AreaFilter& area, const std::function<void(const EventPoint&)>& fn) {
    repo::for_each_event_point(store, area, fn);
}

std::vector<std::array<double, 4>> changed_since(Store& store, const std::string& since) {
    // changed features, and every feature of the same layer touching one (the
    // topology step may cut their shared arcs anew); for changed events, the
    // current grid holding them (its event counts changed)
    std::vector<std::array<double, 4>> out;
    const auto add = [&](const std::array<double, 4>& b) { out.push_back(b); };
    repo::changed_grid_boxes(store, since, add);
    repo::changed_jurisdiction_boxes(store, since, add);
    repo::changed_event_boxes(store, since, add);
    repo::current_grid_boxes(store, repo::grids_of_events_assigned_since(store, since), add);
    return out;
}

std::string store_now(Store& store) {
    return repo::now_timestamp(store);
}

}  // namespace wangge
