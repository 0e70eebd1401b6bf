// End-to-end (issue 16 item 5): `wangge serve ARCHIVE --db STORE` answers a tile over a
// village; the village is partitioned anew with `wangge partition --village ... --grids
// N` while the server runs; the next answers hold the new grids with a new ETag, with
// no restart, and a tile elsewhere keeps its ETag. The same for grids redrawn in a GIS
// and taken back with `wangge import edits` (issue 18 item 4).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <set>
#include <thread>
#include <wangge/grids.hpp>
#include <wangge/store.hpp>
#include <wangge/tiles/mvt_reader.hpp>

#include "edit_files.hpp"
#include "support.hpp"

using namespace wangge;
using namespace wangge::test;

namespace {

struct Response {
    int status = 0;
    std::string etag, body;
};

/// GET `path` from 127.0.0.1:port (HTTP/1.1, gzip accepted, connection closed after).
Response get(int port, const std::string& path) {
    Response r;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string req =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
    REQUIRE(::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
    std::string all;
    char buf[65536];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) all.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    const auto end = all.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    const std::string head = all.substr(0, end);
    r.status = std::stoi(head.substr(head.find(' ') + 1, 3));
    for (std::size_t at = head.find("\r\n"); at != std::string::npos; at = head.find("\r\n", at + 2)) {
        const auto line = head.substr(at + 2, head.find("\r\n", at + 2) - at - 2);
        if (line.size() > 5 && (line.starts_with("ETag:") || line.starts_with("etag:")))
            r.etag = line.substr(line.find_first_not_of(' ', 5));
    }
    r.body = all.substr(end + 4);  // Connection: close: the body runs to the end (no chunks for tiles)
    return r;
}

/// GET `path` until `done` holds of the answer (at most 60 s); the last answer.
template <class Done>
Response get_until(int port, const std::string& path, Done done) {
    auto r = get(port, path);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done(r) && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        r = get(port, path);
    }
    return r;
}

std::string tile_path(const std::string& name, double lon, double lat, int z) {
    const double n = std::ldexp(1.0, z), rad = lat * M_PI / 180;
    const auto x = static_cast<std::uint32_t>((lon + 180) / 360 * n);
    const auto y = static_cast<std::uint32_t>((1 - std::log(std::tan(rad) + 1 / std::cos(rad)) / M_PI) / 2 * n);
    return "/tiles/" + name + "/" + std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y) + ".mvt";
}

std::set<std::string> grid_codes(const std::string& body) {
    std::set<std::string> out;
    const auto t = tiles::decode_tile(body);
    if (const auto* l = t.layer("grids"))
        for (const auto& f : l->features)
            if (const auto* v = f.property("code")) out.insert(std::get<std::string>(*v));
    return out;
}

/// `wangge serve` started in the background, stopped with SIGTERM at the end.
class Server {
public:
    Server(const TempDir& dir, const std::vector<std::string>& args) {
        std::string cmd = "'" WANGGE_BIN "'";
        for (const auto& a : args) cmd += " '" + a + "'";
        const auto out = dir / "serve.out";
        const auto r = run_shell(cmd + " >'" + out.string() + "' 2>'" + (dir / "serve.err").string() + "' & echo $!");
        pid_ = std::stoi(r.out);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (std::chrono::steady_clock::now() < until) {
            const auto text = read_file(out);
            if (const auto at = text.find("listening on http://127.0.0.1:"); at != std::string::npos) {
                port_ = std::stoi(text.substr(at + 30));
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL("wangge serve did not start: " << read_file(dir / "serve.err"));
    }
    ~Server() {
        if (pid_ > 0) ::kill(pid_, SIGTERM);
    }
    int port() const { return port_; }

private:
    int pid_ = -1, port_ = 0;
};

}  // namespace

TEST_CASE("serve: a village partitioned anew while the server runs is served anew, tiles elsewhere keep their ETag",
          "[e2e][serve][live][slow]") {
    TempDir dir("serve-live-http");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const std::string village = "330502001005";
    GridRow near, far;
    std::size_t count = 0;
    {
        Store store(db, Store::Mode::read_only);
        const auto grids = list_grids(store, village);
        near = grids.front();
        count = grids.size();
        double best = -1;  // the grid farthest from the village
        for (const auto& g : list_grids(store, ""))
            if (const double d = std::hypot(g.label_lon - near.label_lon, g.label_lat - near.label_lat); d > best) {
                best = d;
                far = g;
            }
    }
    const auto archive = dir / "huzhou.pmtiles";
    const auto b = run_wangge({"--db", db, "tiles", "build", "--out", archive.string(), "--maxzoom", "14", "-q"});
    INFO(b.out << b.err);
    REQUIRE(b.exit_code == 0);
    // stored times have a resolution of one second: let the edit come after the build
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    Server server(dir, {"--db", db, "serve", archive.string(), "--port", "0", "-q"});

    const auto near_path = tile_path("huzhou", near.label_lon, near.label_lat, 14);
    const auto far_path = tile_path("huzhou", far.label_lon, far.label_lat, 14);
    INFO(near_path << " " << far_path);
    REQUIRE(near_path != far_path);
    const auto n0 = get(server.port(), near_path), f0 = get(server.port(), far_path);
    REQUIRE(n0.status == 200);
    REQUIRE(f0.status == 200);
    REQUIRE(!n0.etag.empty());
    CHECK(grid_codes(n0.body).count(near.code));

    const auto p = run_wangge({"--db", db, "partition", "--village", village, "--grids", std::to_string(count + 2)});
    INFO(p.out << p.err);
    REQUIRE(p.exit_code == 0);
    std::set<std::string> now;
    {
        Store store(db, Store::Mode::read_only);
        for (const auto& g : list_grids(store, village)) now.insert(g.code);
    }
    REQUIRE(now.size() == count + 2);

    // the server notices by itself (it polls the store every second; a reading of the
    // sample takes seconds on a loaded machine)
    const auto n1 = get_until(server.port(), near_path, [&](const Response& r) { return r.etag != n0.etag; });
    REQUIRE(n1.status == 200);
    CHECK(n1.etag != n0.etag);
    CHECK(n1.body != n0.body);
    std::set<std::string> drawn;
    for (const auto& code : grid_codes(n1.body))
        if (code.starts_with(village)) drawn.insert(code);
    CHECK(!drawn.empty());
    for (const auto& code : drawn) CHECK(now.count(code));
    // the API follows too
    const auto api =
        get_until(server.port(), "/api/grids/" + *now.rbegin(), [](const Response& r) { return r.status == 200; });
    CHECK(api.status == 200);
    // elsewhere: the archive's tile as it was
    const auto f1 = get(server.port(), far_path);
    CHECK(f1.status == 200);
    CHECK(f1.etag == f0.etag);
    CHECK(f1.body == f0.body);
}

TEST_CASE("serve: grids redrawn and taken back with import edits while the server runs are served on the next requests",
          "[e2e][serve][live][edits][slow]") {
    TempDir dir("serve-live-edits");
    const auto db = (dir / "s.sqlite").string();
    fs::copy_file(partitioned_sample_store(), db);
    const std::string village = "330502001005";
    auto feats = export_grids(db, dir / "v.gpkg", "--village", village);
    const auto [a, b] = neighbours(feats, village);
    const auto edge = gx().intersection(by_code(feats, a)->geom.get(), by_code(feats, b)->geom.get());
    const auto [lon, lat] = inside_point(edge.get());
    const auto archive = dir / "huzhou.pmtiles";
    const auto built = run_wangge({"--db", db, "tiles", "build", "--out", archive.string(), "--maxzoom", "14", "-q"});
    INFO(built.out << built.err);
    REQUIRE(built.exit_code == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // stored times: one second
    Server server(dir, {"--db", db, "serve", archive.string(), "--port", "0", "-q"});
    const auto path = tile_path("huzhou", lon, lat, 14);
    INFO(path);
    const auto t0 = get(server.port(), path);
    REQUIRE(t0.status == 200);
    REQUIRE(!t0.etag.empty());
    CHECK(grid_codes(t0.body).count(a));

    // the QGIS user's edit: a takes a 40 m square of b's side of their shared boundary
    move_boundary(feats, a, b);
    write_grids(dir / "e.gpkg", feats);
    const auto r = run_wangge({"--db", db, "import", "edits", (dir / "e.gpkg").string(), "--author", "乙"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);

    // the server notices by itself: the tile over the moved boundary is made anew, with
    // both grids still in it under their codes (a reshaped grid keeps its code)
    const auto t1 = get_until(server.port(), path, [&](const Response& x) { return x.etag != t0.etag; });
    REQUIRE(t1.status == 200);
    CHECK(t1.etag != t0.etag);
    CHECK(t1.body != t0.body);
    const auto codes = grid_codes(t1.body);
    CHECK(codes.count(a));
    CHECK(codes.count(b));
    const auto api = get(server.port(), "/api/grids/" + a);
    CHECK(api.status == 200);
}
