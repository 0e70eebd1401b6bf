// serve/router.cpp — routing and HTTP semantics of the tile server (see router.hpp).
#include "serve/router.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>

#include "serve/api.hpp"
#include "serve/glyphs.hpp"
#include "serve/style.hpp"
#include "wangge/error.hpp"
#include "wangge/tiles/gzip.hpp"

namespace wangge::tiles::serve {

namespace fs = std::filesystem;
using nlohmann::json;

// ---------------------------------------------------------------------------------
// Small pieces (declared in router.hpp for the tests)

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// Split on `sep` (empty parts kept).
std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto p = s.find(sep);
        out.push_back(s.substr(0, p));
        if (p == std::string_view::npos) return out;
        s.remove_prefix(p + 1);
    }
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// A decimal number of digits only (no sign, no space), at most `max`.
std::optional<std::uint64_t> parse_uint(std::string_view s, std::uint64_t max) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
    return v;
}

}  // namespace

std::optional<std::string_view> find_header(const Headers& h, std::string_view name) {
    for (const auto& [k, v] : h)
        if (iequals(k, name)) return std::string_view(v);
    return std::nullopt;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

bool accepts_gzip(std::string_view accept_encoding) {
    // the q-value of gzip: its own entry, else "*", else refused
    std::optional<double> gzip_q, star_q;
    for (auto item : split(accept_encoding, ',')) {
        const auto parts = split(item, ';');
        const auto coding = trim(parts[0]);
        double q = 1;
        for (std::size_t i = 1; i < parts.size(); ++i) {
            const auto p = trim(parts[i]);
            if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                const auto v = trim(p.substr(2));
                double d = 0;
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
                q = (ec == std::errc() && end == v.data() + v.size() && d >= 0 && d <= 1) ? d : 0;
            }
        }
        if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
            gzip_q = std::max(gzip_q.value_or(0.0), q);
        else if (coding == "*")
            star_q = q;
    }
    if (gzip_q) return *gzip_q > 0;
    return star_q && *star_q > 0;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    const auto opaque = [](std::string_view t) {
        t = trim(t);
        if (t.size() >= 2 && t[0] == 'W' && t[1] == '/') t.remove_prefix(2);
        return t;
    };
    if (trim(if_none_match) == "*") return true;
    const auto mine = opaque(etag);
    for (auto t : split(if_none_match, ','))
        if (!mine.empty() && opaque(t) == mine) return true;
    return false;
}

RangeRequest parse_range(std::string_view range, std::uint64_t size) {
    RangeRequest r;
    range = trim(range);
    if (range.size() < 6 || !iequals(range.substr(0, 6), "bytes=")) return r;
    const auto spec = trim(range.substr(6));
    if (spec.find(',') != std::string_view::npos) return r;  // several ranges: the whole body
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos) return r;
    const auto a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
    const auto max = std::numeric_limits<std::uint64_t>::max();
    if (a.empty()) {  // the last N bytes
        const auto n = parse_uint(b, max);
        if (!n) return r;
        if (*n == 0 || size == 0) return {RangeRequest::Kind::unsatisfiable, 0, 0};
        return {RangeRequest::Kind::satisfiable, size - std::min(*n, size), size - 1};
    }
    const auto first = parse_uint(a, max);
    if (!first) return r;
    std::uint64_t last = size == 0 ? 0 : size - 1;
    if (!b.empty()) {
        const auto l = parse_uint(b, max);
        if (!l || *l < *first) return r;
        last = std::min(*l, last);
    }
    if (*first >= size) return {RangeRequest::Kind::unsatisfiable, 0, 0};
    return {RangeRequest::Kind::satisfiable, *first, last};
}

namespace {
// IMF-fixdate names, not the locale's
constexpr const char* day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace

std::string http_date(std::int64_t seconds) {
    const std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", day_names[tm.tm_wday % 7], tm.tm_mday,
                       month_names[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::int64_t> parse_http_date(std::string_view s) {
    const std::string text(trim(s));
    char day[4] = {}, month[4] = {}, zone[4] = {};
    int mday = 0, year = 0, hour = 0, min = 0, sec = 0, used = 0;
    if (std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d %3s%n", day, &mday, month, &year, &hour, &min, &sec, zone,
                    &used) != 8 ||
        static_cast<std::size_t>(used) != text.size() || std::string_view(zone) != "GMT")
        return std::nullopt;
    const auto m = std::find_if(std::begin(month_names), std::end(month_names),
                                [&](const char* n) { return std::string_view(n) == month; });
    if (m == std::end(month_names) || mday < 1 || mday > 31 || hour > 23 || min > 59 || sec > 60) return std::nullopt;
    std::tm tm{};
    tm.tm_mday = mday;
    tm.tm_mon = static_cast<int>(m - std::begin(month_names));
    tm.tm_year = year - 1900;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    return static_cast<std::int64_t>(timegm(&tm));
}

// ---------------------------------------------------------------------------------
// OpenFile

std::shared_ptr<const OpenFile> OpenFile::open(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return nullptr;
    std::shared_ptr<OpenFile> f(new OpenFile);
    f->fd_ = fd;
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
    f->size_ = static_cast<std::uint64_t>(st.st_size);
    f->mtime_ns_ = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return f;
}

OpenFile::~OpenFile() {
    if (fd_ >= 0) ::close(fd_);
}

long OpenFile::read(char* out, std::size_t n, std::uint64_t offset) const {
    for (;;) {
        const auto got = ::pread(fd_, out, n, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) continue;
        return static_cast<long>(got);
    }
}

// ---------------------------------------------------------------------------------
// The router

namespace {

constexpr std::string_view mvt_type = "application/vnd.mapbox-vector-tile";
constexpr std::string_view json_type = "application/json";
constexpr std::string_view allow_methods = "GET, HEAD, OPTIONS";

std::string content_type_of(const fs::path& p) {
    static const std::map<std::string, std::string> types = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".webp", "image/webp"},
        {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"},
        {".pbf", "application/x-protobuf"},
        {".mvt", "application/vnd.mapbox-vector-tile"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
        {".ttf", "font/ttf"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
        {".pmtiles", "application/octet-stream"},
        {".mbtiles", "application/vnd.sqlite3"},
    };
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    const auto it = types.find(ext);
    return it == types.end() ? "application/octet-stream" : it->second;
}

Response error_response(int status, std::string_view reason) {
    Response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", std::string(json_type));
    r.headers.emplace_back("Cache-Control", "no-store");
    r.body = json{{"error", std::string(reason)}}.dump() + "\n";
    return r;
}

/// The path of a request-target split into decoded segments, and its query.
struct ParsedTarget {
    std::vector<std::string> segments;  ///< empty segments dropped ("//a" is "/a")
    bool trailing_slash = false;
    std::string_view query;
};

/// nullopt with `why` set: a malformed target (400).
std::optional<ParsedTarget> parse_target(std::string_view target, std::string& why) {
    // absolute-form (a proxy's request): drop scheme and authority
    for (std::string_view scheme : {"http://", "https://"})
        if (target.size() > scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
            const auto slash = target.find('/', scheme.size());
            target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
        }
    if (target.empty() || target[0] != '/') {
        why = "the request target is not an absolute path";
        return std::nullopt;
    }
    ParsedTarget p;
    if (const auto q = target.find('?'); q != std::string_view::npos) {
        p.query = target.substr(q + 1);
        target = target.substr(0, q);
    }
    if (target.find('#') != std::string_view::npos) {
        why = "a fragment in the request target";
        return std::nullopt;
    }
    p.trailing_slash = target.size() > 1 && target.back() == '/';
    for (auto raw : split(target.substr(1), '/')) {
        if (raw.empty()) continue;
        auto seg = percent_decode(raw);
        if (!seg) {
            why = "bad percent-encoding in the path";
            return std::nullopt;
        }
        if (seg->find('\0') != std::string::npos) {
            why = "NUL in the path";
            return std::nullopt;
        }
        if (seg->find('/') != std::string::npos || seg->find('\\') != std::string::npos) {
            why = "an encoded slash or backslash in the path";
            return std::nullopt;
        }
        if (*seg == "." || *seg == "..") {
            why = "'.' or '..' in the path";
            return std::nullopt;
        }
        p.segments.push_back(std::move(*seg));
    }
    return p;
}

/// The decoded value of `key` in a query string ("" when absent; nullopt when the
/// encoding is bad).
std::optional<std::string> query_value(std::string_view query, std::string_view key) {
    for (auto pair : split(query, '&')) {
        const auto eq = pair.find('=');
        const auto k = percent_decode(pair.substr(0, eq), true);
        if (!k) return std::nullopt;
        if (*k != key) continue;
        if (eq == std::string_view::npos) return std::string();
        return percent_decode(pair.substr(eq + 1), true);
    }
    return std::string();
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// Host[:port] usable in an absolute URL: letters, digits, '.', '-', ':', '[', ']'.
bool valid_host(std::string_view h) {
    if (h.empty() || h.size() > 255) return false;
    return std::all_of(h.begin(), h.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
    });
}

bool lies_within(const fs::path& p, const fs::path& root) {
    const auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
    return r == root.end();
}

const char* not_built_page =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>wangge serve</title></head>\n"
    "<body><h1>wangge serve</h1>\n"
    "<p>The map viewer is not built, so there is nothing to show here; tiles, TileJSON and styles are "
    "served (see <a href=\"/healthz\">/healthz</a> for the tilesets).</p>\n"
    "<p>Build the viewer with <code>bash tiles/web/setup.sh</code> in the source tree "
    "(it writes <code>tiles/web/dist/</code>), or give its files with <code>--web-root DIR</code>.</p>\n"
    "</body></html>\n";

}  // namespace

struct Router::Impl {
    RouterOptions opt;
    std::map<std::string, ServedSource, std::less<>> sources;
    /// archive file name -> the file (served by these names only)
    std::map<std::string, fs::path, std::less<>> archives;
    std::unique_ptr<DataApi> api;
    fs::path root;  ///< the web root, canonical; empty when none

    std::mutex glyphs_mutex;
    bool glyphs_tried = false;
    std::unique_ptr<Glyphs> glyphs;
    std::string glyphs_error;

    void notice(const std::string& line) const {
        if (opt.notice) opt.notice(line);
    }

    std::string base_url(const Request& req) const {
        std::string host = opt.default_host;
        if (const auto h = req.header("Host"); h && valid_host(trim(*h))) host = std::string(trim(*h));
        std::string scheme = "http";
        if (const auto p = req.header("X-Forwarded-Proto"); p && (trim(*p) == "https" || trim(*p) == "http"))
            scheme = std::string(trim(*p));
        return scheme + "://" + host;
    }

    /// CORS headers for a request with an Origin the options allow.
    void add_cors(const Request& req, Response& r) const {
        if (opt.cors_origins.empty()) return;
        const auto origin = req.header("Origin");
        const bool any = std::find(opt.cors_origins.begin(), opt.cors_origins.end(), "*") != opt.cors_origins.end();
        if (any) {
            r.headers.emplace_back("Access-Control-Allow-Origin", "*");
        } else {
            r.headers.emplace_back("Vary", "Origin");
            if (!origin ||
                std::find(opt.cors_origins.begin(), opt.cors_origins.end(), *origin) == opt.cors_origins.end())
                return;
            r.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
        }
        r.headers.emplace_back("Access-Control-Expose-Headers",
                               "ETag, Content-Length, Content-Range, Content-Encoding, Accept-Ranges, Last-Modified");
    }

    Response preflight(const Request& req) const {
        Response r;
        r.status = 204;
        r.headers.emplace_back("Allow", std::string(allow_methods));
        add_cors(req, r);
        if (r.header("Access-Control-Allow-Origin") && req.header("Access-Control-Request-Method")) {
            r.headers.emplace_back("Access-Control-Allow-Methods", std::string(allow_methods));
            if (const auto h = req.header("Access-Control-Request-Headers");
                h && std::all_of(h->begin(), h->end(), [](unsigned char c) {
                    return std::isalnum(c) || c == '-' || c == '_' || c == ',' || c == ' ';
                }))
                r.headers.emplace_back("Access-Control-Allow-Headers", std::string(*h));
            r.headers.emplace_back("Access-Control-Max-Age", "86400");
        }
        return r;
    }

    /// A 200 with `body`, or a 304 when If-None-Match holds its tag.
    static Response bytes_response(const Request& req, std::string body, std::string_view type,
                                   std::string_view cache_control, std::string etag = {}) {
        Response r;
        if (etag.empty()) etag = etag_of(body);
        r.headers.emplace_back("ETag", etag);
        r.headers.emplace_back("Cache-Control", std::string(cache_control));
        if (const auto inm = req.header("If-None-Match"); inm && etag_matches(*inm, etag)) {
            r.status = 304;
            return r;
        }
        r.headers.emplace_back("Content-Type", std::string(type));
        r.body = std::move(body);
        return r;
    }

    static Response json_response(const Request& req, const json& j) {
        return bytes_response(req, j.dump() + "\n", json_type, "no-cache");
    }

    /// A file, with Range, ETag and Last-Modified. `gzip`: the file holds the gzip of
    /// what `type` names (a precompressed static file).
    static Response file_response(const Request& req, std::shared_ptr<const OpenFile> f, std::string_view type,
                                  std::string_view cache_control, bool gzip = false) {
        Response r;
        const std::string etag = fmt::format("\"{:x}-{:x}{}\"", f->size(), f->mtime_ns(), gzip ? "-gz" : "");
        const std::int64_t mtime_s = f->mtime_ns() / 1000000000;
        r.headers.emplace_back("ETag", etag);
        r.headers.emplace_back("Last-Modified", http_date(mtime_s));
        r.headers.emplace_back("Cache-Control", std::string(cache_control));
        r.headers.emplace_back("Accept-Ranges", "bytes");
        if (gzip) {
            r.headers.emplace_back("Content-Encoding", "gzip");
            r.headers.emplace_back("Vary", "Accept-Encoding");
        }
        if (const auto inm = req.header("If-None-Match")) {
            if (etag_matches(*inm, etag)) {
                r.status = 304;
                return r;
            }
        } else if (const auto ims = req.header("If-Modified-Since")) {
            if (const auto t = parse_http_date(*ims); t && mtime_s <= *t) {
                r.status = 304;
                return r;
            }
        }
        r.headers.emplace_back("Content-Type", std::string(type));
        r.file = std::move(f);
        r.offset = 0;
        r.length = r.file->size();
        const auto range = req.header("Range");
        if (!range) return r;
        // If-Range: the range only when the client's copy is this one
        if (const auto ir = req.header("If-Range")) {
            const auto v = trim(*ir);
            const bool same = (!v.empty() && v.front() == '"') ? v == etag : parse_http_date(v).value_or(-1) == mtime_s;
            if (!same) return r;
        }
        const auto rr = parse_range(*range, r.file->size());
        if (rr.kind == RangeRequest::Kind::none) return r;
        if (rr.kind == RangeRequest::Kind::unsatisfiable) {
            Response e = error_response(416, "range not satisfiable");
            e.headers.emplace_back("Content-Range", fmt::format("bytes */{}", r.file->size()));
            e.headers.emplace_back("Accept-Ranges", "bytes");
            return e;
        }
        r.status = 206;
        r.offset = rr.first;
        r.length = rr.last - rr.first + 1;
        r.headers.emplace_back("Content-Range", fmt::format("bytes {}-{}/{}", rr.first, rr.last, r.file->size()));
        return r;
    }

    Response tile(const Request& req, const std::vector<std::string>& s) {
        const auto it = sources.find(s[1]);
        const auto z = parse_uint(s[2], max_zoom);
        const auto x = parse_uint(s[3], 0xffffffffULL);
        std::string_view last = s[4];
        if (!ends_with(last, ".mvt") && !ends_with(last, ".pbf")) return error_response(404, "no such tile path");
        const auto y = parse_uint(last.substr(0, last.size() - 4), 0xffffffffULL);
        if (!z || !x || !y) return error_response(400, "z/x/y must be whole numbers, z at most 31");
        const std::uint64_t n = std::uint64_t{1} << *z;
        if (*x >= n || *y >= n) return error_response(400, "x and y must be below 2^z");
        if (it == sources.end()) return error_response(404, fmt::format("no tileset '{}'", s[1]));
        const TileCoord c{static_cast<std::uint8_t>(*z), static_cast<std::uint32_t>(*x),
                          static_cast<std::uint32_t>(*y)};
        SourceTile t = it->second.source->tile(c);
        const std::string cache =
            it->second.live ? std::string("no-cache") : fmt::format("public, max-age={}", opt.archive_max_age_s);
        if (t.kind == SourceTile::Kind::outside)
            return error_response(404,
                                  fmt::format("tile {} is outside the bounds or zooms of '{}'", to_string(c), s[1]));
        if (t.kind == SourceTile::Kind::empty || t.bytes.empty()) {
            Response r;
            r.status = 204;
            r.headers.emplace_back("Cache-Control", cache);
            return r;
        }
        if (t.etag.empty()) t.etag = etag_of(t.bytes);
        const auto ae = req.header("Accept-Encoding");
        const bool send_gzip = t.gzip && ae && accepts_gzip(*ae);
        std::string etag = t.etag;
        std::string body;
        if (t.gzip && !send_gzip) {
            // another representation: another strong tag
            etag.insert(etag.size() - 1, "-identity");
            body = gzip_decompress(t.bytes, max_inflated_tile_bytes);
        } else {
            body = std::move(t.bytes);
        }
        Response r = bytes_response(req, std::move(body), mvt_type, cache, etag);
        r.headers.emplace_back("Vary", "Accept-Encoding");
        if (send_gzip && r.status == 200) r.headers.emplace_back("Content-Encoding", "gzip");
        return r;
    }

    json tilejson(const Request& req, const std::string& name, const SourceInfo& info) const {
        const auto& ts = info.tileset;
        json j = {{"tilejson", "3.0.0"},
                  {"name", ts.name.empty() ? name : ts.name},
                  {"scheme", "xyz"},
                  {"tiles", json::array({base_url(req) + "/tiles/" + name + "/{z}/{x}/{y}.mvt"})},
                  {"minzoom", info.minzoom},
                  {"maxzoom", info.maxzoom},
                  {"vector_layers", to_json(ts.vector_layers)}};
        if (!ts.description.empty()) j["description"] = ts.description;
        if (!ts.attribution.empty()) j["attribution"] = ts.attribution;
        if (!ts.version.empty()) j["version"] = ts.version;
        if (ts.bounds) j["bounds"] = {ts.bounds->min_lon, ts.bounds->min_lat, ts.bounds->max_lon, ts.bounds->max_lat};
        if (ts.center) j["center"] = {(*ts.center)[0], (*ts.center)[1], (*ts.center)[2]};
        if (!info.built_at.empty()) j["wangge:built_at"] = info.built_at;
        return j;
    }

    /// The glyphs, made once; null (and the reason logged once) when there is no font.
    Glyphs* get_glyphs() {
        std::lock_guard lock(glyphs_mutex);
        if (!glyphs_tried) {
            glyphs_tried = true;
            try {
                glyphs = std::make_unique<Glyphs>(opt.font);
            } catch (const std::exception& e) {
                glyphs_error = e.what();
                notice(fmt::format("no font for /fonts (labels will not show): {}", glyphs_error));
            }
        }
        return glyphs.get();
    }

    Response fonts(const Request& req, const std::vector<std::string>& s) {
        std::string_view range = s[2];
        if (!ends_with(range, ".pbf")) return error_response(404, "no such font path");
        range.remove_suffix(4);
        const auto dash = range.find('-');
        const auto start = parse_uint(range.substr(0, dash), 65535);
        const auto end = dash == std::string_view::npos ? std::nullopt : parse_uint(range.substr(dash + 1), 65535);
        if (!start || !end || *start % 256 != 0 || *end != *start + 255)
            return error_response(400, "a glyph range is START-END.pbf, START a multiple of 256, END = START + 255");
        Glyphs* g = get_glyphs();
        if (!g) return error_response(404, "no font: " + glyphs_error);
        auto pbf = g->range(static_cast<unsigned>(*start));
        if (!pbf) return error_response(404, "no such glyph range");
        return bytes_response(req, std::move(*pbf), "application/x-protobuf", "public, max-age=86400");
    }

    Response api_call(const Request& req, const std::vector<std::string>& s, std::string_view query) {
        if (!api) return error_response(404, "no store: the data API needs --db");
        const auto reply = [&](const JsonReply& j) {
            Response r = j.status == 200 ? bytes_response(req, j.body, json_type, "no-cache") : Response{};
            if (j.status != 200) {
                r.status = j.status;
                r.headers.emplace_back("Content-Type", std::string(json_type));
                r.headers.emplace_back("Cache-Control", "no-store");
                r.body = j.body;
            }
            return r;
        };
        if (s.size() == 3 && s[1] == "grids") return reply(api->grid(s[2]));
        if (s.size() == 2 && (s[1] == "locate" || s[1] == "search")) {
            std::vector<std::string> v;
            for (const char* k : s[1] == "locate" ? std::vector<const char*>{"lon", "lat", "crs"}
                                                  : std::vector<const char*>{"q", "limit"}) {
                auto val = query_value(query, k);
                if (!val) return error_response(400, "bad percent-encoding in the query");
                v.push_back(std::move(*val));
            }
            return reply(s[1] == "locate" ? api->locate(v[0], v[1], v[2]) : api->search(v[0], v[1]));
        }
        return error_response(404, "no such API path");
    }

    Response static_file(const Request& req, const ParsedTarget& t) {
        if (root.empty()) {
            if (!t.segments.empty() && !(t.segments.size() == 1 && t.segments[0] == "index.html"))
                return error_response(404, "no such path (the viewer is not built)");
            return bytes_response(req, not_built_page, "text/html; charset=utf-8", "no-cache");
        }
        fs::path p = root;
        for (const auto& seg : t.segments) p /= seg;
        std::error_code ec;
        fs::path real = fs::canonical(p, ec);
        if (ec || !lies_within(real, root)) return error_response(404, "no such file");
        if (fs::is_directory(real, ec)) {
            real = fs::canonical(real / "index.html", ec);
            if (ec || !lies_within(real, root)) return error_response(404, "no such file");
        }
        const std::string type = content_type_of(real);
        const bool html = type.rfind("text/html", 0) == 0;
        const std::string cache = html ? "no-cache" : "public, max-age=3600";
        // a precompressed copy beside the file (FILE.gz), as nginx's gzip_static
        if (const auto ae = req.header("Accept-Encoding"); ae && accepts_gzip(*ae) && !req.header("Range")) {
            const fs::path gz = fs::path(real.string() + ".gz");
            const fs::path gz_real = fs::canonical(gz, ec);
            if (!ec && lies_within(gz_real, root))
                if (auto f = OpenFile::open(gz_real)) return file_response(req, std::move(f), type, cache, true);
        }
        auto f = OpenFile::open(real);
        if (!f) return error_response(404, "no such file");
        Response r = file_response(req, std::move(f), type, cache);
        if (fs::exists(real.string() + ".gz", ec)) r.headers.emplace_back("Vary", "Accept-Encoding");
        return r;
    }

    Response route(const Request& req) {
        if (req.method == "OPTIONS") return preflight(req);
        if (req.method != "GET" && req.method != "HEAD") {
            Response r = error_response(405, fmt::format("method {} not allowed", req.method.substr(0, 32)));
            r.headers.emplace_back("Allow", std::string(allow_methods));
            return r;
        }
        std::string why;
        const auto t = parse_target(req.target, why);
        if (!t) return error_response(400, why);
        const auto& s = t->segments;
        const std::string_view first = s.empty() ? std::string_view() : std::string_view(s[0]);
        if (first == "tiles") {
            if (s.size() == 5) return tile(req, s);
            if (s.size() == 2 && ends_with(s[1], ".json")) {
                const std::string name = s[1].substr(0, s[1].size() - 5);
                const auto it = sources.find(name);
                if (it == sources.end()) return error_response(404, fmt::format("no tileset '{}'", name));
                return json_response(req, tilejson(req, name, it->second.source->info()));
            }
            return error_response(404, "no such tiles path");
        }
        if (first == "styles") {
            if (s.size() == 2 && ends_with(s[1], ".json")) {
                const std::string name = s[1].substr(0, s[1].size() - 5);
                const auto it = sources.find(name);
                if (it == sources.end()) return error_response(404, fmt::format("no tileset '{}'", name));
                const std::string base = base_url(req);
                // labels in the font the server has (a wqy fallback has another name)
                const Glyphs* g = get_glyphs();
                return json_response(req, map_style(it->second.source->info(), base + "/tiles/" + name + ".json",
                                                    base + "/fonts/{fontstack}/{range}.pbf",
                                                    g ? g->fontstack() : std::string(default_fontstack)));
            }
            return error_response(404, "no such style path");
        }
        if (first == "fonts") {
            if (s.size() == 3) return fonts(req, s);
            return error_response(404, "no such font path");
        }
        if (first == "archives") {
            if (s.size() != 2) return error_response(404, "no such archive path");
            const auto it = archives.find(s[1]);
            if (it == archives.end()) return error_response(404, fmt::format("no archive '{}'", s[1]));
            auto f = OpenFile::open(it->second);
            if (!f) return error_response(404, fmt::format("archive '{}' cannot be read", s[1]));
            return file_response(req, std::move(f), content_type_of(it->second),
                                 fmt::format("public, max-age={}", opt.archive_max_age_s));
        }
        if (first == "api") return api_call(req, s, t->query);
        if (first == "healthz" && s.size() == 1) {
            json names = json::array();
            for (const auto& [n, src] : sources) names.push_back(n);
            Response r =
                bytes_response(req, json{{"ok", true}, {"sources", names}, {"api", api != nullptr}}.dump() + "\n",
                               json_type, "no-store");
            return r;
        }
        return static_file(req, *t);
    }
};

Router::Router(std::vector<ServedSource> sources, std::unique_ptr<DataApi> api, RouterOptions options)
    : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.opt = std::move(options);
    m.api = std::move(api);
    for (auto& s : sources) {
        const std::string name = s.source->name();
        const auto file = s.source->info().file;
        if (m.sources.count(name)) throw usage_error(fmt::format("two tilesets named '{}'", name));
        if (!file.empty()) {
            if (m.archives.count(file.filename().string()))
                throw usage_error(fmt::format("two archives named '{}'", file.filename().string()));
            m.archives.emplace(file.filename().string(), file);
        }
        m.sources.emplace(name, std::move(s));
    }
    if (!m.opt.web_root.empty()) {
        std::error_code ec;
        m.root = fs::canonical(m.opt.web_root, ec);
        if (ec || !fs::is_directory(m.root))
            throw usage_error(fmt::format("web root '{}' is not a directory", m.opt.web_root.string()));
    }
}

Router::~Router() = default;

std::vector<std::string> Router::names() const {
    std::vector<std::string> out;
    for (const auto& [n, s] : impl_->sources) out.push_back(n);
    return out;
}

void Router::set_default_host(std::string host) {
    impl_->opt.default_host = std::move(host);
}

Response Router::handle(const Request& req) {
    Response r;
    try {
        r = impl_->route(req);
    } catch (const std::exception& e) {
        impl_->notice(fmt::format("{} {}: {}", req.method.substr(0, 32), req.target.substr(0, 200), e.what()));
        r = error_response(500, "internal error (see the server's log)");
    }
    if (req.method != "OPTIONS") impl_->add_cors(req, r);
    if (req.method == "HEAD") r.head = true;
    return r;
}

}  // namespace wangge::tiles::serve
