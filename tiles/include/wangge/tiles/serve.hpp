// wangge/tiles/serve.hpp — the tile server of `wangge serve`: PMTiles and MBTiles
// archives, tiles from the store (live after edits), TileJSON, MapLibre styles,
// glyphs, the archive files with HTTP Range, the read-only data API and the viewer's
// static files, over HTTP/1.1 (Boost.Beast). Read-only: nothing changes data.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wangge::tiles {

struct ServeOptions {
    std::string bind = "127.0.0.1";
    unsigned short port = 8080;  ///< 0: a free port (on_listening tells which)
    /// PMTiles/MBTiles files, each served under its file name without extension.
    std::vector<std::filesystem::path> archives;
    /// The store: archives are served with its changes laid over them; with no
    /// archive, tiles come from the store alone (under the store file's stem). Also
    /// enables /api/....
    std::optional<std::filesystem::path> db;
    int threads = 0;  ///< 0: the number of cores (at least 2)
    /// Origins allowed by CORS ("*": any); empty: no CORS header (same origin only).
    std::vector<std::string> cors_origins;
    int max_connections = 1024;  ///< beyond it a connection gets a 503 and is closed
    /// A request must arrive whole within this time, and a connection idle between
    /// requests (keep-alive) is closed after it; a write making no progress for it too.
    double idle_timeout_s = 15;
    std::size_t max_header_bytes = 16 * 1024;  ///< request line and headers together (431 beyond)
    double shutdown_grace_s = 10;              ///< in-flight requests finish within this after SIGTERM
    int archive_max_age_s = 3600;              ///< Cache-Control max-age of archive tiles and files
    std::filesystem::path web_root;            ///< the viewer's files; empty: a "not built" page at /
    std::filesystem::path font;                ///< glyphs' font (empty: a system CJK font)
    /// Called once the socket listens, with the host and the port bound.
    std::function<void(const std::string& host, unsigned short port)> on_listening;
    /// The access log (one line per request); null: none. Called from several threads.
    std::function<void(const std::string&)> access_log;
    /// The server's notices (a missing font, a failing source, shutdown). Several threads.
    std::function<void(const std::string&)> notice;
};

/// Opens the archives and the store, listens, and serves until SIGTERM or SIGINT:
/// then stops accepting, lets in-flight requests finish (at most shutdown_grace_s)
/// and returns. Throws usage_error (two archives with one name, a bad option),
/// io_error (an unreadable archive, an address that cannot be bound), archive_error
/// (a corrupt archive).
void run_server(const ServeOptions& options);

}  // namespace wangge::tiles
