// serve_bench_beast — the HTTP layer alone, on Boost.Beast/Asio: answers every GET with
// one fixed gzip tile (the same bytes and headers as serve_bench_mhd and nginx in
// tools/bench/serve/run.sh), keep-alive, asynchronous sessions, THREADS threads laid
// out one of two ways:
//   shared      one io_context run by all threads, one strand per connection (the usual
//               Beast example, and the layout of `wangge serve`);
//   per-thread  one io_context per thread (concurrency hint 1), each with its own
//               acceptor on the port (SO_REUSEPORT: the kernel spreads connections), so
//               that threads share nothing, as nginx's workers.
//
// Usage: serve_bench_beast PORT TILE_FILE [THREADS] [shared|per-thread]
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string tile;  // the body, read once

// The Date header (nginx and libmicrohttpd send one), formatted once a second per thread.
const std::string& http_date() {
    thread_local std::time_t last = 0;
    thread_local std::string text;
    const std::time_t now = std::time(nullptr);
    if (now != last) {
        char buf[64];
        std::tm tm{};
        gmtime_r(&now, &tm);
        text.assign(buf, std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm));
        last = now;
    }
    return text;
}

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket&& s) : stream_(std::move(s)) {}
    void start() {
        asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read, shared_from_this()));
    }

private:
    void read() {
        req_ = {};
        stream_.expires_after(std::chrono::seconds(30));
        http::async_read(stream_, buffer_, req_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }
    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return close();
        res_ = {};
        res_.version(req_.version());
        res_.keep_alive(req_.keep_alive());
        if (req_.method() != http::verb::get && req_.method() != http::verb::head) {
            res_.result(http::status::method_not_allowed);
            res_.prepare_payload();
        } else {
            res_.result(http::status::ok);
            res_.set(http::field::server, "bench-beast");
            res_.set(http::field::date, http_date());
            res_.set(http::field::content_type, "application/vnd.mapbox-vector-tile");
            res_.set(http::field::content_encoding, "gzip");
            res_.set(http::field::etag, "\"bench-tile\"");
            res_.set(http::field::cache_control, "public, max-age=60");
            res_.set(http::field::access_control_allow_origin, "*");
            res_.body() = tile;
            res_.prepare_payload();
        }
        http::async_write(stream_, res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
    }
    void on_write(beast::error_code ec, std::size_t) {
        if (ec || !res_.keep_alive()) return close();
        read();
    }
    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::empty_body> req_;
    http::response<http::string_body> res_;
};

void accept(tcp::acceptor& acceptor, asio::io_context& ioc, bool strand) {
    auto on_accept = [&acceptor, &ioc, strand](beast::error_code ec, tcp::socket s) {
        if (!ec) std::make_shared<Session>(std::move(s))->start();
        accept(acceptor, ioc, strand);
    };
    if (strand)
        acceptor.async_accept(asio::make_strand(ioc), on_accept);
    else
        acceptor.async_accept(ioc, on_accept);
}

tcp::acceptor listen(asio::io_context& ioc, unsigned short port, bool reuse_port) {
    tcp::acceptor a(ioc);
    const tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), port};
    a.open(ep.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    if (reuse_port) {
        const int one = 1;
        ::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    a.bind(ep);
    a.listen(asio::socket_base::max_listen_connections);
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fputs("usage: serve_bench_beast PORT TILE_FILE [THREADS]\n", stderr);
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    std::ifstream f(argv[2], std::ios::binary);
    tile.assign(std::istreambuf_iterator<char>(f), {});
    if (tile.empty()) {
        std::fprintf(stderr, "serve_bench_beast: cannot read %s\n", argv[2]);
        return 1;
    }
    const int threads = std::max(1, argc > 3 ? std::atoi(argv[3]) : 2);
    const std::string layout = argc > 4 ? argv[4] : "shared";
    if (layout != "shared" && layout != "per-thread") {
        std::fputs("serve_bench_beast: layout is shared or per-thread\n", stderr);
        return 2;
    }
    const bool shared = layout == "shared";
    // shared: one context for all threads; per-thread: one each (hint 1: no locking needed)
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (int i = 0; i < (shared ? 1 : threads); ++i)
        contexts.push_back(std::make_unique<asio::io_context>(shared ? threads : 1));
    std::vector<tcp::acceptor> acceptors;
    acceptors.reserve(contexts.size());  // accept() keeps a reference to its acceptor
    for (auto& ioc : contexts) {
        acceptors.push_back(listen(*ioc, port, !shared));
        accept(acceptors.back(), *ioc, shared);
    }
    asio::signal_set signals(*contexts.front(), SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) {
        for (auto& ioc : contexts) ioc->stop();
    });
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) {
        asio::io_context& ioc = *contexts[shared ? 0 : static_cast<std::size_t>(i)];
        pool.emplace_back([&ioc] { ioc.run(); });
    }
    for (auto& t : pool) t.join();
    return 0;
}
