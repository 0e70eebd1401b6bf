// serve/http.hpp — the HTTP/1.1 layer of the tile server on Boost.Beast and Asio:
// the accept loop, N threads, keep-alive, limits (header size, no request body,
// connection count), timeouts (a request must arrive whole within the idle timeout,
// so a client sending a byte a second holds nothing but its socket), graceful
// shutdown on SIGTERM/SIGINT and the access log. What to answer is the handler's
// business (serve/router.hpp). Internal to the server.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "serve/router.hpp"

namespace wangge::tiles::serve {

struct HttpOptions {
    std::string bind = "127.0.0.1";
    unsigned short port = 8080;
    int threads = 2;
    int max_connections = 1024;
    std::chrono::milliseconds idle_timeout{15000};
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_target_bytes = 4096;  ///< longer request-targets: 414
    std::chrono::milliseconds shutdown_grace{10000};
    std::function<void(const std::string& host, unsigned short port)> on_listening;
    std::function<void(const std::string&)> access_log;  ///< null: none
    std::function<void(const std::string&)> notice;
};

using Handler = std::function<Response(const Request&)>;

/// Serves `handler` until SIGTERM or SIGINT, then drains and returns. Throws io_error
/// when the address cannot be bound.
void run_http(const Handler& handler, const HttpOptions& options);

/// `s` with bytes outside printable ASCII (and '"', '\') as \xHH, at most `max` bytes
/// of it: safe in a log line.
std::string log_escape(std::string_view s, std::size_t max = 512);

}  // namespace wangge::tiles::serve
