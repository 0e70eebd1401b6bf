// serve/api.hpp — the server's read-only JSON API on a store: a grid's details,
// locating a point, searching codes and names. Internal to the server.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace wangge::tiles::serve {

/// A JSON answer: HTTP status and body (a JSON document; for errors
/// {"error": "..."}).
struct JsonReply {
    int status = 200;
    std::string body;
};

/// Answers /api/... from a store, opened read-only. Thread-safe.
///
/// The grids (with their names and event counts) and the jurisdictions are read into
/// memory at start and read anew, in the background, whenever another process
/// commits a change to the store (checked every `poll`, as the live tile source
/// does): answers never wait for the store, and follow an edit within a poll or two.
/// Each answer's JSON fields are in docs/cli.md (wangge serve).
class DataApi {
public:
    explicit DataApi(const std::filesystem::path& store, std::chrono::milliseconds poll = std::chrono::seconds(1));
    ~DataApi();
    DataApi(const DataApi&) = delete;
    DataApi& operator=(const DataApi&) = delete;

    /// /api/grids/{code}
    JsonReply grid(std::string_view code);
    /// /api/locate?lon=&lat=&crs= (crs: wgs84, cgcs2000, gcj02, bd09; default wgs84)
    JsonReply locate(std::string_view lon, std::string_view lat, std::string_view crs);
    /// /api/search?q=&limit=
    JsonReply search(std::string_view q, std::string_view limit);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wangge::tiles::serve
