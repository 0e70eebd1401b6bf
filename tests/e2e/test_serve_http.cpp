// End-to-end: the real `wangge serve` binary on an archive of one township built here,
// spoken to over raw sockets (so that hostile requests go out byte for byte): headers,
// gzip negotiation, 304, 204/404/400/405, HEAD, Range on /archives, traversal, limits
// (header size, connection count, a slow client), the access log and SIGTERM.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <wangge/tiles/gzip.hpp>
#include <wangge/tiles/mvt_reader.hpp>
#include <wangge/tiles/pmtiles.hpp>

#include "support.hpp"

extern char** environ;

using namespace wangge;
using namespace wangge::test;
using nlohmann::json;

namespace {

/// The archive of township 330502001 (z0-14), built once per run.
const fs::path& sample_archive() {
    static const fs::path path = [] {
        const fs::path dir = fs::path(partitioned_sample_store()).parent_path() / "serve-sample";
        fs::create_directories(dir);
        const fs::path out = dir / "huzhou.pmtiles";
        if (!fs::exists(out)) {
            const auto r = run_wangge({"--db", partitioned_sample_store(), "tiles", "build", "--out", out.string(),
                                       "--township", "330502001", "--maxzoom", "14"});
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
        }
        return out;
    }();
    return path;
}

/// `wangge serve ARGS --port 0` running; killed (SIGKILL) at the end unless stopped.
class Server {
public:
    explicit Server(std::vector<std::string> args, const fs::path& dir) : err_(dir / "serve.err") {
        args.insert(args.begin(), {WANGGE_BIN, "serve", "--port", "0"});
        int out[2];
        REQUIRE(pipe(out) == 0);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_addclose(&fa, out[0]);
        posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const int rc = posix_spawn(&child_.pid, WANGGE_BIN, &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        close(out[1]);
        child_.out = out[0];
        REQUIRE(rc == 0);
        // the first line tells the port
        std::string line;
        for (;;) {
            pollfd p{child_.out, POLLIN, 0};
            if (poll(&p, 1, 60000) <= 0) FAIL("no 'listening on' line within 60 s: " << read_file(err_));
            char c;
            if (read(child_.out, &c, 1) != 1) FAIL("wangge serve exited: " << read_file(err_));
            if (c == '\n') break;
            line.push_back(c);
        }
        listening_ = line;
        const auto colon = line.rfind(':');
        REQUIRE(line.rfind("wangge serve: listening on http://127.0.0.1:", 0) == 0);
        port_ = std::stoi(line.substr(colon + 1));
        REQUIRE(port_ > 0);
    }
    int port() const { return port_; }
    const std::string& listening() const { return listening_; }
    std::string log() const { return read_file(err_); }
    /// SIGTERM, then the exit code (-1: killed by a signal or still running after 30 s).
    int terminate() {
        kill(child_.pid, SIGTERM);
        for (int i = 0; i < 300; ++i) {
            int status = 0;
            if (waitpid(child_.pid, &status, WNOHANG) == child_.pid) {
                child_.pid = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return -1;
    }

private:
    /// The process, killed when the Server goes, or when its constructor fails.
    struct Child {
        pid_t pid = -1;
        int out = -1;  // its stdout
        ~Child() {
            if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, nullptr, 0);
            }
            if (out >= 0) close(out);
        }
    };
    Child child_;
    int port_ = 0;
    fs::path err_;
    std::string listening_;
};

/// A client connection (closed at the end).
class Conn {
public:
    explicit Conn(int port) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~Conn() { close(fd_); }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    bool send_all(std::string_view s) {
        while (!s.empty()) {
            const auto n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            s.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    /// Bytes received, waiting at most `ms` for each read; "" at EOF or timeout.
    std::string recv_some(int ms = 30000) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, ms) <= 0) return {};
        char buf[65536];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }
    /// True when the server closed the connection within `ms` (data before is dropped).
    bool closed_within(int ms) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 100) > 0) {
                char buf[4096];
                if (::recv(fd_, buf, sizeof buf, 0) <= 0) return true;
            }
        }
        return false;
    }

    struct Reply {
        int status = 0;
        std::map<std::string, std::string> headers;  // lower-case names
        std::string body;
        std::string header(const std::string& n) const {
            const auto it = headers.find(n);
            return it == headers.end() ? std::string() : it->second;
        }
        bool has(const std::string& n) const { return headers.count(n) > 0; }
    };
    /// Read one response (a body of Content-Length bytes, none for HEAD, 204, 304).
    Reply read_reply(bool head = false) {
        while (buf_.find("\r\n\r\n") == std::string::npos) {
            const auto more = recv_some();
            if (more.empty()) FAIL("connection closed before a whole response: " << buf_);
            buf_ += more;
        }
        const auto end = buf_.find("\r\n\r\n");
        const std::string head_text = buf_.substr(0, end);
        buf_.erase(0, end + 4);
        Reply r;
        std::size_t pos = head_text.find("\r\n");
        const std::string status_line = head_text.substr(0, pos);
        REQUIRE(status_line.rfind("HTTP/1.", 0) == 0);
        r.status = std::stoi(status_line.substr(9, 3));
        while (pos != std::string::npos) {
            const auto next = head_text.find("\r\n", pos + 2);
            const std::string line = head_text.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
            pos = next;
            const auto colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string name = line.substr(0, colon);
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers[name] = value;
        }
        std::size_t length = 0;
        if (!head && r.status != 204 && r.status != 304 && r.has("content-length"))
            length = std::stoul(r.header("content-length"));
        while (buf_.size() < length) {
            const auto more = recv_some();
            if (more.empty()) FAIL("connection closed in the body");
            buf_ += more;
        }
        r.body = buf_.substr(0, length);
        buf_.erase(0, length);
        return r;
    }

private:
    int fd_ = -1;
    std::string buf_;
};

/// One request on a new connection.
Conn::Reply fetch(int port, const std::string& target, const std::vector<std::string>& headers = {},
                  const std::string& method = "GET") {
    Conn c(port);
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& h : headers) req += h + "\r\n";
    req += "Connection: close\r\n\r\n";
    REQUIRE(c.send_all(req));
    return c.read_reply(method == "HEAD");
}

/// Raw bytes on a new connection; the first response.
Conn::Reply raw(int port, const std::string& bytes) {
    Conn c(port);
    REQUIRE(c.send_all(bytes));
    return c.read_reply();
}

/// A tile the archive holds at zoom `z`, with its stored bytes.
std::pair<tiles::TileCoord, std::string> some_tile(const fs::path& archive, int z) {
    tiles::PmtilesReader r(archive);
    for (const auto& e : r.tile_entries()) {
        const auto c = tiles::tile_id_to_zxy(e.tile_id);
        if (c.z == z) return {c, *r.stored_tile(c)};
    }
    FAIL("no tile at zoom " << z);
    return {};
}

std::string tile_path(const tiles::TileCoord& c, const char* ext = ".mvt") {
    return fmt::format("/tiles/huzhou/{}/{}/{}{}", c.z, c.x, c.y, ext);
}

}  // namespace

TEST_CASE("serve http: tiles with their headers, gzip negotiated, 304, HEAD, statuses, TileJSON", "[e2e][serve][slow]") {
    TempDir dir("serve-http-tiles");
    const auto& archive = sample_archive();
    Server s({archive.string()}, dir.path());
    const auto [c, stored] = some_tile(archive, 12);
    REQUIRE(tiles::is_gzip(stored));

    // gzip accepted: the stored bytes as they are
    const auto gz = fetch(s.port(), tile_path(c), {"Accept-Encoding: gzip, deflate"});
    CHECK(gz.status == 200);
    CHECK(gz.header("content-type") == "application/vnd.mapbox-vector-tile");
    CHECK(gz.header("content-encoding") == "gzip");
    CHECK(gz.header("vary") == "Accept-Encoding");
    CHECK(gz.header("cache-control").find("max-age=") != std::string::npos);
    CHECK(gz.body == stored);
    const std::string tag = gz.header("etag");
    REQUIRE(tag.size() > 2);

    // not accepted (absent, or q=0): decompressed, and it decodes as the archive's tile
    for (const std::vector<std::string>& h : {std::vector<std::string>{}, {"Accept-Encoding: gzip;q=0, br"}}) {
        const auto plain = fetch(s.port(), tile_path(c, ".pbf"), h);
        CHECK(plain.status == 200);
        CHECK(!plain.has("content-encoding"));
        CHECK(plain.body == tiles::gzip_decompress(stored));
        const auto decoded = tiles::decode_tile(plain.body);
        CHECK(!decoded.layers.empty());
        CHECK(decoded.layers.size() == tiles::decode_tile(stored).layers.size());
        CHECK(plain.header("etag") != tag);
    }

    // 304 for the tag, a list holding it, '*'
    for (const std::string& inm : {tag, "\"x\", " + tag, std::string("*")}) {
        const auto n = fetch(s.port(), tile_path(c), {"Accept-Encoding: gzip", "If-None-Match: " + inm});
        CHECK(n.status == 304);
        CHECK(n.body.empty());
        CHECK(n.header("etag") == tag);
    }

    // HEAD then GET on one keep-alive connection: same length, no body in between
    {
        Conn k(s.port());
        REQUIRE(k.send_all("HEAD " + tile_path(c) + " HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"));
        const auto h = k.read_reply(true);
        CHECK(h.status == 200);
        CHECK(h.header("content-length") == std::to_string(stored.size()));
        REQUIRE(k.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        const auto health = k.read_reply();
        CHECK(health.status == 200);
        CHECK(json::parse(health.body)["sources"] == json::array({"huzhou"}));
    }

    // 204: a tile inside the bounds and zooms that the archive lacks
    {
        tiles::PmtilesReader r(archive);
        const auto& h = r.header();
        const tiles::LonLatBounds b{h.min_lon_e7 / 1e7, h.min_lat_e7 / 1e7, h.max_lon_e7 / 1e7, h.max_lat_e7 / 1e7};
        std::optional<tiles::TileCoord> missing;
        const std::uint8_t z = h.max_zoom;
        const double n = std::pow(2.0, z);
        const auto tx = [&](double lon) { return static_cast<std::uint32_t>((lon + 180) / 360 * n); };
        const auto ty = [&](double lat) {
            const double r2 = lat * M_PI / 180;
            return static_cast<std::uint32_t>((1 - std::asinh(std::tan(r2)) / M_PI) / 2 * n);
        };
        for (auto x = tx(b.min_lon) + 1; x < tx(b.max_lon) && !missing; ++x)
            for (auto y = ty(b.max_lat) + 1; y < ty(b.min_lat) && !missing; ++y)
                if (!r.stored_tile({z, x, y})) missing = tiles::TileCoord{z, x, y};
        REQUIRE(missing);
        const auto e = fetch(s.port(), tile_path(*missing));
        CHECK(e.status == 204);
        CHECK(e.body.empty());
    }
    // 404: outside the bounds, beyond the zooms, an unknown name
    CHECK(fetch(s.port(), "/tiles/huzhou/14/0/0.mvt").status == 404);
    CHECK(fetch(s.port(), "/tiles/huzhou/20/0/0.mvt").status == 404);
    CHECK(fetch(s.port(), "/tiles/other/12/0/0.mvt").status == 404);
    // 400: malformed
    for (const char* bad : {"/tiles/huzhou/12/a/1.mvt", "/tiles/huzhou/2/4/0.mvt", "/tiles/huzhou/12/1/1%00.mvt",
                            "/tiles/huzhou/12/1/1%zz.mvt"}) {
        INFO(bad);
        const auto e = fetch(s.port(), bad);
        CHECK(e.status == 400);
        CHECK(json::parse(e.body).contains("error"));
    }
    // 405 with Allow
    for (const char* m : {"POST", "PUT", "DELETE"}) {
        const auto e =
            raw(s.port(), fmt::format("{} {} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", m, tile_path(c)));
        CHECK(e.status == 405);
        CHECK(e.header("allow") == "GET, HEAD, OPTIONS");
    }

    // TileJSON with the tiles URL of the Host asked
    const auto tj = fetch(s.port(), "/tiles/huzhou.json");
    REQUIRE(tj.status == 200);
    const auto j = json::parse(tj.body);
    CHECK(j["tilejson"] == "3.0.0");
    CHECK(j["tiles"][0] == "http://127.0.0.1/tiles/huzhou/{z}/{x}/{y}.mvt");
    CHECK(j["maxzoom"] == 14);
    CHECK(j["bounds"].size() == 4);
    CHECK(j["center"].size() == 3);
    bool grids = false;
    for (const auto& l : j["vector_layers"]) grids = grids || (l["id"] == "grids" && !l["fields"].empty());
    CHECK(grids);
    CHECK(fetch(s.port(), "/styles/huzhou.json").status == 200);

    // the access log: a line per request
    const auto log = s.log();
    CHECK(log.find("\"GET /tiles/huzhou.json\" 200 ") != std::string::npos);
    CHECK(log.find("\"HEAD " + tile_path(c) + "\" 200 0 ") != std::string::npos);
    CHECK(s.terminate() == 0);
}

TEST_CASE("serve http: /archives with Range, never a file outside what is served", "[e2e][serve]") {
    TempDir dir("serve-http-files");
    const auto& archive = sample_archive();
    const auto root = dir / "web";
    fs::create_directories(root / "assets");
    write_file(root / "index.html", "<!doctype html><title>viewer</title>");
    write_file(root / "assets" / "app.js", "console.log('viewer')");
    write_file(dir / "secret.txt", "SECRET");
    fs::create_symlink(dir / "secret.txt", root / "link.txt");
    Server s({archive.string(), "--web-root", root.string(), "-q"}, dir.path());
    const std::string bytes = read_file(archive);

    const auto head = fetch(s.port(), "/archives/huzhou.pmtiles", {"Range: bytes=0-126"});
    CHECK(head.status == 206);
    CHECK(head.body == bytes.substr(0, 127));
    CHECK(head.header("content-range") == fmt::format("bytes 0-126/{}", bytes.size()));
    CHECK(head.header("accept-ranges") == "bytes");
    const auto tail = fetch(s.port(), "/archives/huzhou.pmtiles", {"Range: bytes=-10"});
    CHECK(tail.body == bytes.substr(bytes.size() - 10));
    const auto whole = fetch(s.port(), "/archives/huzhou.pmtiles");
    CHECK(whole.status == 200);
    CHECK(whole.body == bytes);
    CHECK(!whole.header("last-modified").empty());
    CHECK(fetch(s.port(), "/archives/huzhou.pmtiles", {"If-None-Match: " + whole.header("etag")}).status == 304);
    const auto beyond = fetch(s.port(), "/archives/huzhou.pmtiles", {fmt::format("Range: bytes={}-", bytes.size())});
    CHECK(beyond.status == 416);
    CHECK(beyond.header("content-range") == fmt::format("bytes */{}", bytes.size()));
    CHECK(fetch(s.port(), "/archives/huzhou.pmtiles", {"Range: bytes=0-1"}, "HEAD").header("content-length") == "2");

    CHECK(fetch(s.port(), "/").body == "<!doctype html><title>viewer</title>");
    CHECK(fetch(s.port(), "/assets/app.js").header("content-type") == "text/javascript; charset=utf-8");
    // byte for byte, as an attacker sends them
    for (const char* target : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/.%2e/secret.txt",
                               "/assets%2f..%2f..%2fsecret.txt", "/%5c..%5csecret.txt", "/..\\secret.txt",
                               "/index.html%00", "/archives/..%2fsecret.txt", "/archives/%2e%2e/secret.txt"}) {
        INFO(target);
        const auto r = raw(s.port(), fmt::format("GET {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target));
        CHECK(r.status == 400);
        CHECK(r.body.find("SECRET") == std::string::npos);
    }
    for (const std::string& target :
         {"//" + (dir / "secret.txt").string(), (dir / "secret.txt").string(), std::string("/link.txt"),
          std::string("/archives/secret.txt"), std::string("/archives/") + archive.parent_path().filename().string()}) {
        INFO(target);
        const auto r = raw(s.port(), fmt::format("GET {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target));
        CHECK(r.status == 404);
        CHECK(r.body.find("SECRET") == std::string::npos);
    }
    CHECK(s.log().find("\"GET ") == std::string::npos);  // -q: no access log
    CHECK(s.terminate() == 0);
}

TEST_CASE("serve http: limits: header size, request body, a slow client", "[e2e][serve][slow]") {
    TempDir dir("serve-http-limits");
    Server s({sample_archive().string(), "--idle-timeout-s", "1"}, dir.path());

    // request line and headers beyond 16 KiB
    CHECK(raw(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n").status ==
          431);
    const auto long_target = raw(s.port(), "GET /" + std::string(6000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK((long_target.status == 414 || long_target.status == 431));
    // a body is not accepted
    CHECK(raw(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello").status == 413);
    CHECK(raw(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
              .status == 413);
    CHECK(raw(s.port(), "NOT HTTP AT ALL\r\n\r\n").status == 400);

    // a client sending a byte at a time cannot hold its connection past the timeout,
    // and a normal request is served meanwhile
    {
        Conn slow(s.port());
        REQUIRE(slow.send_all("GET /healthz HTTP/1.1\r\n"));
        CHECK(fetch(s.port(), "/healthz").status == 200);
        bool cut = false;
        const std::string rest = "X-Slow: " + std::string(100, 'a');
        for (std::size_t i = 0; i < rest.size() && !cut; ++i) {
            if (!slow.send_all(rest.substr(i, 1))) cut = true;
            if (!cut) cut = slow.closed_within(250);  // 100 bytes would take 25 s
        }
        CHECK(cut);
    }
    CHECK(s.terminate() == 0);
}

TEST_CASE("serve http: beyond --max-connections a connection gets 503, the others are served", "[e2e][serve]") {
    TempDir dir("serve-http-maxconn");
    Server s({sample_archive().string(), "--idle-timeout-s", "60", "--max-connections", "3"}, dir.path());
    {
        std::vector<std::unique_ptr<Conn>> held;
        for (int i = 0; i < 3; ++i) {
            held.push_back(std::make_unique<Conn>(s.port()));
            REQUIRE(held.back()->send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
            CHECK(held.back()->read_reply().status == 200);  // accepted and counted
        }
        Conn extra(s.port());
        const auto r = extra.read_reply();
        CHECK(r.status == 503);
        CHECK(r.header("retry-after") == "1");
        // the ones held keep working
        REQUIRE(held[0]->send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        CHECK(held[0]->read_reply().status == 200);
    }
    // the held ones closed: served again (once the server has seen them go)
    bool served = false;
    for (int i = 0; i < 50 && !served; ++i) {
        served = fetch(s.port(), "/healthz").status == 200;
        if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(served);
    CHECK(s.terminate() == 0);
}

TEST_CASE("serve http: SIGTERM with a keep-alive connection open: exit 0", "[e2e][serve]") {
    TempDir dir("serve-http-term");
    Server s({sample_archive().string()}, dir.path());
    Conn idle(s.port());
    REQUIRE(idle.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK(idle.read_reply().status == 200);
    CHECK(s.terminate() == 0);
    CHECK(idle.closed_within(5000));
    CHECK(s.log().find("shutting down") != std::string::npos);
}

TEST_CASE("serve http: command line errors", "[e2e][serve][slow]") {
    TempDir dir("serve-http-cli");
    const auto a = dir / "a";
    fs::create_directories(a);
    fs::copy_file(sample_archive(), a / "huzhou.pmtiles");
    const auto two = run_wangge({"serve", "--port", "0", sample_archive().string(), (a / "huzhou.pmtiles").string()});
    CHECK(two.exit_code == 2);
    CHECK(two.err.find("huzhou") != std::string::npos);
    write_file(dir / "x.geojson", "{}");
    CHECK(run_wangge({"serve", "--port", "0", (dir / "x.geojson").string()}).exit_code == 2);
    CHECK(run_wangge({"serve", "--port", "0"}).exit_code == 2);
    write_file(dir / "bad.pmtiles", std::string(200, 'x'));
    CHECK(run_wangge({"serve", "--port", "0", (dir / "bad.pmtiles").string()}).exit_code != 0);
}
