// Unit tests of the tile server's request handling without sockets: ETags, path
// parsing and percent-decoding, traversal, and the status and headers chosen for a
// request (serve/router.hpp works on a plain request struct).
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "serve/api.hpp"
#include "serve/router.hpp"
#include "serve/source.hpp"
#include "support.hpp"
#include "wangge/error.hpp"
#include "wangge/tiles/gzip.hpp"

using namespace wangge::tiles::serve;
using nlohmann::json;
using wangge::tiles::TileCoord;

TEST_CASE("serve: etag_of is a quoted strong tag of the bytes, stable, and differs when a byte does", "[serve]") {
    const std::string a(1000, 'a');
    std::string b = a;
    b[517] = 'b';
    CHECK(etag_of(a) == etag_of(std::string(1000, 'a')));
    CHECK(etag_of(a) != etag_of(b));
    CHECK(etag_of("") != etag_of(std::string(1, '\0')));
    // fixed constants: the same tag in every run and build (clients keep cached tiles)
    CHECK(etag_of("") == etag_of(std::string_view()));
    const auto t = etag_of("hello");
    REQUIRE(t.size() > 2);
    CHECK(t.front() == '"');
    CHECK(t.back() == '"');
    CHECK(t.find("W/") == std::string::npos);
    // every length up to a few lanes, every single-byte change gives a new tag
    std::set<std::string> seen;
    for (std::size_t n = 0; n < 80; ++n) {
        std::string s(n, 'x');
        REQUIRE(seen.insert(etag_of(s)).second);
        for (std::size_t i = 0; i < n; ++i) {
            std::string t2 = s;
            t2[i] = 'y';
            REQUIRE(seen.insert(etag_of(t2)).second);
        }
    }
}

// ---------------------------------------------------------------------------------
// The pieces: decoding, content negotiation, validators, ranges

TEST_CASE("serve: percent-decoding rejects bad escapes and decodes '+' only in queries", "[serve]") {
    CHECK(percent_decode("%2e%2E") == std::optional<std::string>(".."));
    CHECK(percent_decode("a%2Fb") == std::optional<std::string>("a/b"));
    CHECK(percent_decode("%E6%B9%96%E5%B7%9E") == std::optional<std::string>("湖州"));
    CHECK(percent_decode("a+b") == std::optional<std::string>("a+b"));
    CHECK(percent_decode("a+b", true) == std::optional<std::string>("a b"));
    CHECK(percent_decode("%00") == std::optional<std::string>(std::string(1, '\0')));
    CHECK_FALSE(percent_decode("%zz"));
    CHECK_FALSE(percent_decode("%2"));
    CHECK_FALSE(percent_decode("abc%"));
    CHECK_FALSE(percent_decode("%g0"));
}

TEST_CASE("serve: Accept-Encoding allows gzip by its q-value, else by '*'", "[serve]") {
    CHECK(accepts_gzip("gzip"));
    CHECK(accepts_gzip("GZip"));
    CHECK(accepts_gzip("gzip, deflate, br"));
    CHECK(accepts_gzip("br;q=1.0, gzip;q=0.5"));
    CHECK(accepts_gzip("*"));
    CHECK(accepts_gzip("x-gzip"));
    CHECK(accepts_gzip("gzip ; q=0.001"));
    CHECK_FALSE(accepts_gzip(""));
    CHECK_FALSE(accepts_gzip("identity"));
    CHECK_FALSE(accepts_gzip("deflate, br"));
    CHECK_FALSE(accepts_gzip("gzip;q=0"));
    CHECK_FALSE(accepts_gzip("gzip;q=0.0, deflate"));
    CHECK_FALSE(accepts_gzip("*;q=0"));
    CHECK_FALSE(accepts_gzip("gzip;q=0, *"));  // gzip named: its own q-value counts
    CHECK_FALSE(accepts_gzip("gzip;q=abc"));
    CHECK(accepts_gzip("identity;q=0, *;q=0.1"));
}

TEST_CASE("serve: If-None-Match matches '*', a tag in a list, and weak forms", "[serve]") {
    CHECK(etag_matches("\"a\"", "\"a\""));
    CHECK(etag_matches("*", "\"a\""));
    CHECK(etag_matches(" \"x\", \"a\" ,\"y\"", "\"a\""));
    CHECK(etag_matches("W/\"a\"", "\"a\""));
    CHECK_FALSE(etag_matches("\"b\"", "\"a\""));
    CHECK_FALSE(etag_matches("\"a-identity\"", "\"a\""));
    CHECK_FALSE(etag_matches("", "\"a\""));
    CHECK_FALSE(etag_matches("a", "\"a\""));
}

TEST_CASE("serve: Range: one range served, several or malformed ignored, beyond the end unsatisfiable", "[serve]") {
    using K = RangeRequest::Kind;
    const auto r = [](std::string_view s, std::uint64_t size = 10) { return parse_range(s, size); };
    CHECK(r("bytes=2-4").kind == K::satisfiable);
    CHECK(r("bytes=2-4").first == 2);
    CHECK(r("bytes=2-4").last == 4);
    CHECK(r("bytes=2-").last == 9);
    CHECK(r("bytes=2-100").last == 9);
    CHECK(r("bytes=-3").first == 7);
    CHECK(r("bytes=-3").last == 9);
    CHECK(r("bytes=-30").first == 0);
    CHECK(r("bytes=0-0").last == 0);
    CHECK(r("bytes=10-").kind == K::unsatisfiable);
    CHECK(r("bytes=10-20").kind == K::unsatisfiable);
    CHECK(r("bytes=-0").kind == K::unsatisfiable);
    CHECK(r("bytes=0-", 0).kind == K::unsatisfiable);
    CHECK(r("bytes=0-1,3-4").kind == K::none);
    CHECK(r("bytes=4-2").kind == K::none);
    CHECK(r("bytes=a-b").kind == K::none);
    CHECK(r("items=0-1").kind == K::none);
    CHECK(r("bytes=+1-2").kind == K::none);
    CHECK(r("bytes=99999999999999999999-").kind == K::none);
    CHECK(r("").kind == K::none);
}

TEST_CASE("serve: HTTP dates", "[serve]") {
    CHECK(http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == std::optional<std::int64_t>(784111777));
    CHECK_FALSE(parse_http_date("yesterday"));
    CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
}

// ---------------------------------------------------------------------------------
// The router on plain requests

namespace {

/// A tileset "t" of zooms 0-14 over (119-121 E, 30-31 N): 5/26/13 holds a gzip tile,
/// 5/26/12 is empty, everything else outside; 5/27/13 throws.
class FakeSource : public TileSource {
public:
    explicit FakeSource(std::filesystem::path file = {}, std::string name = "t") : name_(std::move(name)) {
        info_.tileset.name = "Test tiles";
        info_.tileset.attribution = "wangge";
        info_.tileset.bounds = wangge::tiles::LonLatBounds{119, 30, 121, 31};
        info_.tileset.center = std::array<double, 3>{120, 30.5, 5};
        wangge::tiles::VectorLayer l;
        l.id = "grids";
        l.minzoom = 10;
        l.maxzoom = 14;
        l.fields = {{"code", "String"}, {"households", "Number"}};
        info_.tileset.vector_layers.push_back(l);
        info_.minzoom = 0;
        info_.maxzoom = 14;
        info_.file = std::move(file);
    }
    const std::string& name() const override { return name_; }
    SourceInfo info() const override { return info_; }
    SourceTile tile(const TileCoord& c) override {
        SourceTile t;
        if (c == TileCoord{5, 27, 13}) throw wangge::io_error("disk on fire");
        if (c == TileCoord{5, 26, 13}) {
            t.kind = SourceTile::Kind::tile;
            t.bytes = wangge::tiles::gzip_compress(raw);
            t.gzip = true;
            t.etag = etag_of(t.bytes);
        } else if (c == TileCoord{5, 26, 12}) {
            t.kind = SourceTile::Kind::empty;
        }
        return t;
    }
    static constexpr const char* raw = "not really an MVT, but bytes all the same";

private:
    std::string name_;
    SourceInfo info_;
};

std::unique_ptr<Router> make_router(RouterOptions o = {}, std::filesystem::path archive = {}, bool live = false) {
    std::vector<ServedSource> v;
    v.push_back({std::make_unique<FakeSource>(std::move(archive)), live});
    return std::make_unique<Router>(std::move(v), nullptr, std::move(o));
}

Response get(Router& r, std::string target, Headers h = {}, std::string method = "GET") {
    Request q;
    q.method = std::move(method);
    q.target = std::move(target);
    q.headers = std::move(h);
    return r.handle(q);
}

std::string header(const Response& r, std::string_view name) {
    return std::string(r.header(name).value_or(""));
}

/// The body, from the string or the file range.
std::string body(const Response& r) {
    if (!r.file) return r.body;
    std::string out(r.length, '\0');
    REQUIRE(r.file->read(out.data(), out.size(), r.offset) == static_cast<long>(out.size()));
    return out;
}

}  // namespace

TEST_CASE("serve: a tile stored gzipped goes out gzipped when accepted, decompressed otherwise", "[serve]") {
    auto r = make_router();
    const auto gz = get(*r, "/tiles/t/5/26/13.mvt", {{"Accept-Encoding", "gzip, deflate"}});
    CHECK(gz.status == 200);
    CHECK(header(gz, "Content-Type") == "application/vnd.mapbox-vector-tile");
    CHECK(header(gz, "Content-Encoding") == "gzip");
    CHECK(header(gz, "Vary") == "Accept-Encoding");
    CHECK(header(gz, "Cache-Control") == "public, max-age=3600");
    CHECK(wangge::tiles::gzip_decompress(body(gz)) == FakeSource::raw);
    for (const char* refuse : {"", "identity", "gzip;q=0", "br"}) {
        INFO(refuse);
        Headers h;
        if (*refuse) h.emplace_back("accept-encoding", refuse);
        const auto plain = get(*r, "/tiles/t/5/26/13.pbf", h);
        CHECK(plain.status == 200);
        CHECK(!plain.header("Content-Encoding"));
        CHECK(body(plain) == FakeSource::raw);
        CHECK(header(plain, "Vary") == "Accept-Encoding");
        // another representation, another strong tag
        CHECK(header(plain, "ETag") != header(gz, "ETag"));
        CHECK(header(plain, "ETag").front() == '"');
    }
}

TEST_CASE("serve: ETag and 304 on If-None-Match (the tag, a list holding it, '*'), HEAD without a body", "[serve]") {
    auto r = make_router();
    const Headers gzip = {{"Accept-Encoding", "gzip"}};
    const auto first = get(*r, "/tiles/t/5/26/13.mvt", gzip);
    const auto tag = header(first, "ETag");
    REQUIRE(tag.size() > 2);
    CHECK(get(*r, "/tiles/t/5/26/13.mvt", gzip).header("ETag") == tag);  // stable
    for (const std::string& inm : {tag, "\"other\", " + tag, std::string("*"), "W/" + tag}) {
        INFO(inm);
        const auto n = get(*r, "/tiles/t/5/26/13.mvt", {{"Accept-Encoding", "gzip"}, {"If-None-Match", inm}});
        CHECK(n.status == 304);
        CHECK(n.body.empty());
        CHECK(header(n, "ETag") == tag);
        CHECK(header(n, "Cache-Control") == "public, max-age=3600");
    }
    CHECK(get(*r, "/tiles/t/5/26/13.mvt", {{"Accept-Encoding", "gzip"}, {"If-None-Match", "\"other\""}}).status == 200);
    // the decompressed representation does not match the gzip one's tag
    CHECK(get(*r, "/tiles/t/5/26/13.mvt", {{"If-None-Match", tag}}).status == 200);

    const auto head = get(*r, "/tiles/t/5/26/13.mvt", gzip, "HEAD");
    CHECK(head.status == 200);
    CHECK(head.head);
    CHECK(head.content_length() == first.content_length());
    CHECK(header(head, "ETag") == tag);
}

TEST_CASE("serve: tile statuses: 204 empty inside, 404 outside or unknown, 400 malformed, 500 failing", "[serve]") {
    auto r = make_router();
    CHECK(get(*r, "/tiles/t/5/26/12.mvt").status == 204);
    CHECK(get(*r, "/tiles/t/5/26/12.mvt").body.empty());
    CHECK(get(*r, "/tiles/t/5/0/0.mvt").status == 404);
    CHECK(get(*r, "/tiles/nope/5/26/13.mvt").status == 404);
    CHECK(get(*r, "/tiles/t/5/26/13.png").status == 404);
    CHECK(get(*r, "/tiles/t/5/26.mvt").status == 404);
    for (const char* bad : {"/tiles/t/5/x/13.mvt", "/tiles/t/5/26/-1.mvt", "/tiles/t/5/+26/13.mvt",
                            "/tiles/t/5/26/1 3.mvt", "/tiles/t/2/4/0.mvt", "/tiles/t/2/0/4.mvt", "/tiles/t/32/0/0.mvt",
                            "/tiles/t/5/26/99999999999999999999.mvt", "/tiles/t/5/26/.mvt", "/tiles/t%zz/5/26/13.mvt",
                            "/tiles/t%00/5/26/13.mvt", "/tiles/t/5/26/13.mvt%00", "/tiles/t%2f5/26/13/1.mvt"}) {
        INFO(bad);
        const auto e = get(*r, bad);
        CHECK(e.status == 400);
        CHECK(header(e, "Content-Type") == "application/json");
        CHECK(json::parse(e.body).at("error").get<std::string>().size() > 5);
    }
    const auto failing = get(*r, "/tiles/t/5/27/13.mvt");
    CHECK(failing.status == 500);
    CHECK(failing.body.find("disk on fire") == std::string::npos);  // the reason goes to the log
}

TEST_CASE("serve: other methods are 405 with Allow, OPTIONS answers 204", "[serve]") {
    auto r = make_router();
    for (const char* m : {"POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "BREW"}) {
        INFO(m);
        const auto e = get(*r, "/tiles/t/5/26/13.mvt", {}, m);
        CHECK(e.status == 405);
        CHECK(header(e, "Allow") == "GET, HEAD, OPTIONS");
    }
    const auto o = get(*r, "/tiles/t/5/26/13.mvt", {}, "OPTIONS");
    CHECK(o.status == 204);
    CHECK(header(o, "Allow") == "GET, HEAD, OPTIONS");
    CHECK(!o.header("Access-Control-Allow-Origin"));
}

TEST_CASE("serve: CORS only for the origins given", "[serve]") {
    SECTION("none given: no CORS header") {
        auto r = make_router();
        CHECK(!get(*r, "/healthz", {{"Origin", "https://a.example"}}).header("Access-Control-Allow-Origin"));
    }
    SECTION("a list: the origin echoed when listed, Vary: Origin") {
        RouterOptions o;
        o.cors_origins = {"https://a.example", "http://b.example:8000"};
        auto r = make_router(o);
        const auto a = get(*r, "/tiles/t/5/26/13.mvt", {{"Origin", "https://a.example"}});
        CHECK(header(a, "Access-Control-Allow-Origin") == "https://a.example");
        CHECK(header(a, "Access-Control-Expose-Headers").find("ETag") != std::string::npos);
        const auto c = get(*r, "/tiles/t/5/26/13.mvt", {{"Origin", "https://c.example"}});
        CHECK(!c.header("Access-Control-Allow-Origin"));
        CHECK(c.status == 200);
        const auto pre = get(*r, "/tiles/t/5/26/13.mvt",
                             {{"Origin", "http://b.example:8000"},
                              {"Access-Control-Request-Method", "GET"},
                              {"Access-Control-Request-Headers", "range, if-none-match"}},
                             "OPTIONS");
        CHECK(pre.status == 204);
        CHECK(header(pre, "Access-Control-Allow-Origin") == "http://b.example:8000");
        CHECK(header(pre, "Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS");
        CHECK(header(pre, "Access-Control-Allow-Headers") == "range, if-none-match");
        const auto refused =
            get(*r, "/x", {{"Origin", "https://c.example"}, {"Access-Control-Request-Method", "GET"}}, "OPTIONS");
        CHECK(!refused.header("Access-Control-Allow-Origin"));
        CHECK(!refused.header("Access-Control-Allow-Methods"));
    }
    SECTION("'*': any origin") {
        RouterOptions o;
        o.cors_origins = {"*"};
        auto r = make_router(o);
        CHECK(header(get(*r, "/healthz", {{"Origin", "https://z.example"}}), "Access-Control-Allow-Origin") == "*");
        CHECK(header(get(*r, "/tiles/t/9/0/0.mvt", {{"Origin", "https://z.example"}}), "Access-Control-Allow-Origin") ==
              "*");  // errors too, so that a page can read why
    }
}

TEST_CASE("serve: TileJSON 3.0.0 with absolute tile URLs from the Host header", "[serve]") {
    RouterOptions o;
    o.default_host = "127.0.0.1:8080";
    auto r = make_router(o);
    const auto res = get(*r, "/tiles/t.json", {{"Host", "maps.example.org:9000"}});
    REQUIRE(res.status == 200);
    CHECK(header(res, "Content-Type") == "application/json");
    const auto j = json::parse(res.body);
    CHECK(j["tilejson"] == "3.0.0");
    CHECK(j["tiles"][0] == "http://maps.example.org:9000/tiles/t/{z}/{x}/{y}.mvt");
    CHECK(j["name"] == "Test tiles");
    CHECK(j["attribution"] == "wangge");
    CHECK(j["minzoom"] == 0);
    CHECK(j["maxzoom"] == 14);
    CHECK(j["bounds"] == json::array({119, 30, 121, 31}));
    CHECK(j["center"] == json::array({120, 30.5, 5}));
    CHECK(j["vector_layers"][0]["id"] == "grids");
    CHECK(j["vector_layers"][0]["fields"]["households"] == "Number");
    // a Host that could inject into the URL is not used
    const auto evil = json::parse(get(*r, "/tiles/t.json", {{"Host", "a.example/\"><script>"}}).body);
    CHECK(evil["tiles"][0] == "http://127.0.0.1:8080/tiles/t/{z}/{x}/{y}.mvt");
    CHECK(json::parse(get(*r, "/tiles/t.json").body)["tiles"][0] == "http://127.0.0.1:8080/tiles/t/{z}/{x}/{y}.mvt");
    CHECK(get(*r, "/tiles/u.json").status == 404);
    const auto h = json::parse(get(*r, "/healthz").body);
    CHECK(h["ok"] == true);
    CHECK(h["sources"] == json::array({"t"}));
    // no store: no API
    const auto api = get(*r, "/api/search?q=x");
    CHECK(api.status == 404);
    CHECK(json::parse(api.body)["error"].get<std::string>().find("--db") != std::string::npos);
}

TEST_CASE("serve: a live source's tiles are no-cache", "[serve]") {
    auto r = make_router({}, {}, true);
    CHECK(header(get(*r, "/tiles/t/5/26/13.mvt"), "Cache-Control") == "no-cache");
}

TEST_CASE("serve: /archives serves the archive by name only, with Range, ETag and Last-Modified", "[serve]") {
    wangge::test::TempDir dir("serve-router-archives");
    const auto file = dir / "t.pmtiles";
    wangge::test::write_file(file, "0123456789");
    auto r = make_router({}, file);
    const auto whole = get(*r, "/archives/t.pmtiles");
    CHECK(whole.status == 200);
    CHECK(body(whole) == "0123456789");
    CHECK(header(whole, "Accept-Ranges") == "bytes");
    CHECK(header(whole, "Last-Modified").find(" GMT") != std::string::npos);
    const auto tag = header(whole, "ETag");
    CHECK(tag.size() > 2);
    const auto part = get(*r, "/archives/t.pmtiles", {{"Range", "bytes=2-4"}});
    CHECK(part.status == 206);
    CHECK(body(part) == "234");
    CHECK(header(part, "Content-Range") == "bytes 2-4/10");
    CHECK(body(get(*r, "/archives/t.pmtiles", {{"Range", "bytes=-3"}})) == "789");
    const auto beyond = get(*r, "/archives/t.pmtiles", {{"Range", "bytes=10-"}});
    CHECK(beyond.status == 416);
    CHECK(header(beyond, "Content-Range") == "bytes */10");
    CHECK(get(*r, "/archives/t.pmtiles", {{"Range", "bytes=0-1,4-5"}}).status == 200);
    CHECK(get(*r, "/archives/t.pmtiles", {{"If-None-Match", tag}}).status == 304);
    CHECK(get(*r, "/archives/t.pmtiles", {{"If-Modified-Since", header(whole, "Last-Modified")}}).status == 304);
    // If-Range: the range only for the same copy
    CHECK(get(*r, "/archives/t.pmtiles", {{"Range", "bytes=2-4"}, {"If-Range", tag}}).status == 206);
    CHECK(get(*r, "/archives/t.pmtiles", {{"Range", "bytes=2-4"}, {"If-Range", "\"old\""}}).status == 200);
    const auto head = get(*r, "/archives/t.pmtiles", {{"Range", "bytes=2-4"}}, "HEAD");
    CHECK(head.status == 206);
    CHECK(head.content_length() == 3);
    // other files beside it: never
    wangge::test::write_file(dir / "secret.txt", "secret");
    CHECK(get(*r, "/archives/secret.txt").status == 404);
    CHECK(get(*r, "/archives/..%2fsecret.txt").status == 400);
    CHECK(get(*r, "/archives/%2e%2e/secret.txt").status == 400);
    CHECK(get(*r, "/archives/").status == 404);
}

TEST_CASE("serve: static files only from inside the web root", "[serve]") {
    namespace fs = std::filesystem;
    wangge::test::TempDir dir("serve-router-static");
    const auto root = dir / "root";
    fs::create_directories(root / "assets");
    fs::create_directories(root / "sub");
    wangge::test::write_file(root / "index.html", "<h1>viewer</h1>");
    wangge::test::write_file(root / "assets" / "app.js", "console.log(1)");
    wangge::test::write_file(root / "assets" / "app.css", "body{}");
    wangge::test::write_file(root / "sub" / "index.html", "sub");
    wangge::test::write_file(dir / "secret.txt", "secret");
    fs::create_symlink(dir / "secret.txt", root / "link.txt");
    fs::create_directory_symlink(dir.path(), root / "up");
    RouterOptions o;
    o.web_root = root;
    auto r = make_router(o);
    const auto index = get(*r, "/");
    CHECK(index.status == 200);
    CHECK(body(index) == "<h1>viewer</h1>");
    CHECK(header(index, "Content-Type") == "text/html; charset=utf-8");
    CHECK(header(index, "Cache-Control") == "no-cache");
    CHECK(header(get(*r, "/assets/app.js"), "Content-Type") == "text/javascript; charset=utf-8");
    CHECK(header(get(*r, "/assets/app.css"), "Content-Type") == "text/css; charset=utf-8");
    CHECK(body(get(*r, "/assets/app.js?v=1")) == "console.log(1)");
    CHECK(body(get(*r, "/sub/")) == "sub");
    CHECK(body(get(*r, "/%61ssets/app.js")) == "console.log(1)");
    CHECK(get(*r, "/nope.js").status == 404);
    for (const char* bad : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
                            "/assets%2f..%2f..%2fsecret.txt", "/..%5csecret.txt", "/%5c..%5csecret.txt",
                            "/index.html%00.js", "/%00", "/.", "/assets/./app.js", "/%zz"}) {
        INFO(bad);
        CHECK(get(*r, bad).status == 400);
    }
    for (const char* out : {"//etc/passwd", "/etc/passwd", "/link.txt", "/up/secret.txt"}) {
        INFO(out);
        const auto res = get(*r, out);
        CHECK(res.status == 404);
        CHECK(body(res).find("secret") == std::string::npos);
    }
    // absolute-form targets are paths too
    CHECK(body(get(*r, "http://x.example/assets/app.js")) == "console.log(1)");
    CHECK(get(*r, "*").status == 400);
}

TEST_CASE("serve: without a web root, / says the viewer is not built", "[serve]") {
    auto r = make_router();
    const auto res = get(*r, "/");
    CHECK(res.status == 200);
    CHECK(header(res, "Content-Type") == "text/html; charset=utf-8");
    CHECK(res.body.find("not built") != std::string::npos);
    CHECK(get(*r, "/assets/app.js").status == 404);
}

TEST_CASE("serve: glyph ranges must be START-(START+255).pbf", "[serve]") {
    auto r = make_router();
    for (const char* bad : {"/fonts/Noto/1-256.pbf", "/fonts/Noto/0-256.pbf", "/fonts/Noto/a-b.pbf",
                            "/fonts/Noto/65536-65791.pbf", "/fonts/Noto/0255.pbf"}) {
        INFO(bad);
        CHECK(get(*r, bad).status == 400);
    }
    CHECK(get(*r, "/fonts/Noto/0-255.png").status == 404);
}

TEST_CASE("serve: two tilesets with one name are refused", "[serve]") {
    std::vector<ServedSource> v;
    v.push_back({std::make_unique<FakeSource>(), false});
    v.push_back({std::make_unique<FakeSource>(), false});
    CHECK_THROWS_AS(Router(std::move(v), nullptr, {}), wangge::usage_error);
}
