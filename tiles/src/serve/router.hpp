// serve/router.hpp — what the tile server answers to a request, without sockets: the
// path parsed and percent-decoded, the route chosen, the HTTP semantics (methods,
// status codes, ETag and 304, Range, gzip negotiation, Cache-Control, CORS) decided
// on a plain request struct, so that tests can call it directly. The HTTP layer
// (serve/http.hpp) only moves bytes. Internal to the server.
//
// Nothing outside what is served is ever read: archives are served by the file names
// given on the command line only (no file system lookup), and static files only from
// inside the web root (each path segment decoded on its own: an encoded '/', '\',
// NUL, '.' or '..' segment is a 400; the resolved path, symlinks followed, must lie
// inside the root's, else 404).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serve/source.hpp"

namespace wangge::tiles::serve {

class DataApi;
class Glyphs;

using Headers = std::vector<std::pair<std::string, std::string>>;

/// The value of the first header named `name` (case-insensitive), or nullopt.
std::optional<std::string_view> find_header(const Headers& h, std::string_view name);

/// A request as the HTTP layer received it (a body is never accepted).
struct Request {
    std::string method;  ///< "GET", "HEAD", ...
    std::string target;  ///< the raw request-target ("/tiles/a/1/2/3.mvt?x=1")
    Headers headers;
    std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
};

/// A file opened read-only, shared by a response and the HTTP layer writing it.
class OpenFile {
public:
    /// Opens `path` (a regular file); nullptr when it cannot be opened or is not one.
    static std::shared_ptr<const OpenFile> open(const std::filesystem::path& path);
    ~OpenFile();
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    std::uint64_t size() const { return size_; }
    std::int64_t mtime_ns() const { return mtime_ns_; }
    /// Reads up to `n` bytes at `offset` (pread); the count read, 0 at the end, -1 on error.
    long read(char* out, std::size_t n, std::uint64_t offset) const;

private:
    OpenFile() = default;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::int64_t mtime_ns_ = 0;
};

struct Response {
    int status = 200;
    Headers headers;
    std::string body;  ///< the body, unless `file` is set
    /// The body is bytes [offset, offset + length) of this file.
    std::shared_ptr<const OpenFile> file;
    std::uint64_t offset = 0, length = 0;
    /// HEAD: the headers of the GET, Content-Length included, and no body.
    bool head = false;

    std::uint64_t content_length() const { return file ? length : body.size(); }
    std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }
};

/// Percent-decoding (RFC 3986); `plus_as_space` for query values. nullopt for a '%'
/// not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space = false);

/// Whether an Accept-Encoding value allows gzip (q-values honoured: "gzip;q=0" and
/// "*;q=0" without gzip refuse it; "*" allows it).
bool accepts_gzip(std::string_view accept_encoding);

/// Whether an If-None-Match value ("*", or a list of tags, weak ones included) matches
/// `etag` (weak comparison, as RFC 7232 asks for If-None-Match).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

/// A Range header against a body of `size` bytes.
struct RangeRequest {
    enum class Kind {
        none,           ///< absent, malformed or several ranges: send the whole body (200)
        satisfiable,    ///< bytes [first, last] (206)
        unsatisfiable,  ///< 416
    };
    Kind kind = Kind::none;
    std::uint64_t first = 0, last = 0;
};
RangeRequest parse_range(std::string_view range, std::uint64_t size);

/// An HTTP date (RFC 7231 IMF-fixdate) of seconds since the epoch, and back (nullopt
/// when it is not one).
std::string http_date(std::int64_t seconds);
std::optional<std::int64_t> parse_http_date(std::string_view s);

/// A tile source as served.
struct ServedSource {
    std::unique_ptr<TileSource> source;
    /// Tiles may change while served (made from the store): Cache-Control no-cache
    /// instead of the archive's max-age.
    bool live = false;
};

struct RouterOptions {
    /// Origins allowed by CORS ("*": any). Empty: no CORS header at all.
    std::vector<std::string> cors_origins;
    /// The viewer's files; empty: `/` answers a page saying the viewer is not built.
    std::filesystem::path web_root;
    /// The font of /fonts (empty: Glyphs' default search).
    std::filesystem::path font;
    /// Host[:port] of absolute URLs when a request has no usable Host header.
    std::string default_host = "127.0.0.1";
    /// Cache-Control max-age of archive tiles and archive files.
    int archive_max_age_s = 3600;
    /// One line for the server's log (a missing font, a failing source); may be null.
    std::function<void(const std::string&)> notice;
};

class Router {
public:
    /// `api`: answers /api/... (null: those are 404). Two sources with one name are a
    /// usage_error.
    Router(std::vector<ServedSource> sources, std::unique_ptr<DataApi> api, RouterOptions options);
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    /// The response to `r`. Never throws: a failure of a source is a 500 (and a notice).
    Response handle(const Request& r);

    std::vector<std::string> names() const;
    /// RouterOptions::default_host, once the port is known (before serving starts).
    void set_default_host(std::string host);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace wangge::tiles::serve
