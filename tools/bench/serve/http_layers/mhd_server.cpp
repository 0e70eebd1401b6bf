// serve_bench_mhd — the HTTP layer alone, on libmicrohttpd: answers every GET with one
// fixed gzip tile (the same bytes and headers as serve_bench_beast and nginx in
// tools/bench/serve/run.sh), keep-alive, a pool of THREADS threads on epoll (libmicrohttpd's
// fastest mode), the response built once and queued for every request.
//
// Usage: serve_bench_mhd PORT TILE_FILE [THREADS]
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace {

MHD_Response* ok = nullptr;
MHD_Response* not_allowed = nullptr;
volatile std::sig_atomic_t stop = 0;

int request_marker;

MHD_Result answer(void*, MHD_Connection* c, const char*, const char* method, const char*, const char*, size_t*,
                  void** req_cls) {
    // The first call comes with the headers only: answering there makes libmicrohttpd
    // close the connection after the response (the body might not have been read).
    if (*req_cls == nullptr) {
        *req_cls = &request_marker;
        return MHD_YES;
    }
    if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0)
        return MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed);
    return MHD_queue_response(c, MHD_HTTP_OK, ok);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fputs("usage: serve_bench_mhd PORT TILE_FILE [THREADS]\n", stderr);
        return 2;
    }
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[1]));
    std::ifstream f(argv[2], std::ios::binary);
    const std::string tile((std::istreambuf_iterator<char>(f)), {});
    if (tile.empty()) {
        std::fprintf(stderr, "serve_bench_mhd: cannot read %s\n", argv[2]);
        return 1;
    }
    const unsigned threads = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 2;
    ok = MHD_create_response_from_buffer(tile.size(), const_cast<char*>(tile.data()), MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(ok, "Server", "bench-mhd");
    MHD_add_response_header(ok, "Content-Type", "application/vnd.mapbox-vector-tile");
    MHD_add_response_header(ok, "Content-Encoding", "gzip");
    MHD_add_response_header(ok, "ETag", "\"bench-tile\"");
    MHD_add_response_header(ok, "Cache-Control", "public, max-age=60");
    MHD_add_response_header(ok, "Access-Control-Allow-Origin", "*");
    not_allowed = MHD_create_response_from_buffer(0, nullptr, MHD_RESPMEM_PERSISTENT);

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    MHD_Daemon* d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO, port, nullptr, nullptr,
                         &answer, nullptr, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, threads,
                         MHD_OPTION_CONNECTION_LIMIT, 10000u, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (d == nullptr) {
        std::fprintf(stderr, "serve_bench_mhd: cannot listen on port %u\n", port);
        return 1;
    }
    std::signal(SIGTERM, [](int) { stop = 1; });
    std::signal(SIGINT, [](int) { stop = 1; });
    while (stop == 0) pause();
    MHD_stop_daemon(d);
    MHD_destroy_response(ok);
    MHD_destroy_response(not_allowed);
    return 0;
}
