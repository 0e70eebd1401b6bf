// events_repo — the owner of the tables events and event_types (internal header).
//
// An event is one row per event_id: its type, time, reported and CGCS2000 position
// (geom), and where it was placed: in a grid (grid_code), or uncovered with the
// nearest grid and its distance. event_types is the classification, replaced whole.
// Writers that run once per event (import, reassign) are objects that keep their
// statements prepared; none of them opens a transaction (the caller does).
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

#include "wangge/events.hpp"
#include "wangge/map_data.hpp"

namespace wangge {
class Store;
}

namespace wangge::repo {

// ------------------------------------------------------------------ counts

/// A text that changes whenever an event whose grid or (in no grid) nearest grid
/// starts with `prefix` is imported, re-imported or placed again (for reports that
/// are redone only on change).
std::string events_stamp(Store& store, const std::string& prefix);
/// Events stored.
std::int64_t count_events(Store& store);
/// Events stored as uncovered (in no grid).
std::int64_t count_uncovered_events(Store& store);
/// Types of the classification.
std::int64_t count_event_types(Store& store);

// ------------------------------------------------------------- event_types

/// Replace the classification with `types` (delete all, insert these).
void replace_event_types(Store& store, const std::vector<EventType>& types);
/// The classification, ordered by code.
std::vector<EventType> event_types(Store& store);

// ------------------------------------------------------------------ events

/// Where an event is placed: in the grid `grid_code`, or uncovered (grid_code not
/// stored) with the nearest grid and its distance in metres (both stored only when
/// `nearest_m` is set; read back, nearest_grid is "" when there is none).
struct EventPlacement {
    bool uncovered = false;
    std::string grid_code;
    std::string nearest_grid;
    std::optional<double> nearest_m;
};

/// One event as an import writes it. Empty status/source and handling fields are
/// stored as NULL.
struct EventRecord {
    std::string event_id, type_code, reported_at, status, source, crs;
    std::string closed_at, closed_level, department, handler;  ///< how it was handled (v5)
    double lon_reported = 0, lat_reported = 0;  ///< as in the file
    double lon = 0, lat = 0;                    ///< CGCS2000 (the geometry)
    EventPlacement placement;
    std::int64_t import_id = 0;
    std::string assigned_at;
};

/// The writes of one events import: the lines of the ids seen in this import (a
/// temporary table, so memory stays flat) and the upsert of each event.
class EventImportWriter {
public:
    explicit EventImportWriter(Store& store);
    ~EventImportWriter();
    EventImportWriter(const EventImportWriter&) = delete;
    EventImportWriter& operator=(const EventImportWriter&) = delete;

    /// The line where this import saw `event_id` first, if it did.
    std::optional<std::int64_t> first_line(std::string_view event_id);
    /// Remember that this import saw `event_id` on `line`.
    void mark_line(std::string_view event_id, std::int64_t line);
    /// Whether the store holds an event `event_id` (from any import).
    bool exists(std::string_view event_id);
    /// Insert the event, or replace every column of the stored one with this id.
    void upsert(const EventRecord& event);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// A stored event's position (CGCS2000) and placement, for reassignment.
struct StoredPlacement {
    std::int64_t rowid = 0;
    double lon = 0, lat = 0;
    EventPlacement placement;
};

/// An area to select events by: their points' bounding boxes meet it.
struct Frame {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

/// Every event (no frame), or the events in `frame` (the spatial index) together
/// with every uncovered event and every event whose grid is not one of
/// `current_grids` (the codes of the current grids, from grids_repo: the grids
/// table is not this repository's). `fn` may update the events it is given
/// (EventPlacementWriter).
void for_each_event_to_place(Store& store, const std::optional<Frame>& frame,
                             const std::vector<std::string>& current_grids,
                             const std::function<void(const StoredPlacement&)>& fn);

/// Updates the placement of stored events.
class EventPlacementWriter {
public:
    explicit EventPlacementWriter(Store& store);
    ~EventPlacementWriter();
    EventPlacementWriter(const EventPlacementWriter&) = delete;
    EventPlacementWriter& operator=(const EventPlacementWriter&) = delete;

    void update(std::int64_t rowid, const EventPlacement& placement, std::string_view assigned_at);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Events per platform name ("(unknown type)" for a type not in the classification),
/// with how many are uncovered, of the events whose grid code starts with `prefix`
/// (empty: all events). Ordered by platform name.
struct PlatformCount {
    std::string platform;
    std::int64_t events = 0, uncovered = 0;
};
std::vector<PlatformCount> event_counts_by_platform(Store& store, const std::string& prefix);

/// The events of wangge::for_each_event_fact (same selection and order).
void for_each_event_fact(Store& store, const std::string& prefix, const std::string& from, const std::string& to,
                         const std::function<void(const EventFact&)>& fn);


// ------------------------------------------------------------------ maps

/// Events per grid code and platform ("" for a type of no platform) of the events
/// assigned to a grid.
std::map<std::string, std::map<std::string, std::int64_t>> event_counts_per_grid(Store& store);
/// Each event in the map area, in event id order.
void for_each_event_point(Store& store, const AreaFilter& area, const std::function<void(const EventPoint&)>& fn);
/// The bounding boxes of the events assigned at or after `since`.
void changed_event_boxes(Store& store, std::string_view since,
                         const std::function<void(const std::array<double, 4>&)>& box);
/// The grid codes (distinct) of the events assigned at or after `since`.
std::vector<std::string> grids_of_events_assigned_since(Store& store, std::string_view since);
}  // namespace wangge::repo
