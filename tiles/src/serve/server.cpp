// serve/server.cpp — `wangge serve` wired: archives and the store as tile sources,
// the data API, the router and the HTTP layer (see wangge/tiles/serve.hpp).
#include <fmt/format.h>

#include <set>
#include <thread>

#include "serve/api.hpp"
#include "serve/archive_source.hpp"
#include "serve/http.hpp"
#include "serve/router.hpp"
#include "serve/store_source.hpp"
#include "wangge/error.hpp"
#include "wangge/tiles/serve.hpp"

namespace wangge::tiles {

void run_server(const ServeOptions& o) {
    using namespace serve;
    std::vector<ServedSource> sources;
    std::set<std::string> names;
    for (const auto& file : o.archives) {
        const std::string name = file.stem().string();
        if (!names.insert(name).second)
            throw usage_error(fmt::format("two archives served as '{}' ({}): give archives with different file names",
                                          name, file.string()));
        auto archive = make_archive_source(file, name);
        if (o.db)
            sources.push_back({make_live_source(*o.db, name, std::move(archive), {}), true});
        else
            sources.push_back({std::move(archive), false});
    }
    if (o.db && o.archives.empty())
        sources.push_back({make_live_source(*o.db, o.db->stem().string(), nullptr, {}), true});
    if (sources.empty()) throw usage_error("nothing to serve: give ARCHIVE files, --db STORE, or both");
    std::unique_ptr<DataApi> api;
    if (o.db) api = std::make_unique<DataApi>(*o.db);

    RouterOptions ro;
    ro.cors_origins = o.cors_origins;
    ro.web_root = o.web_root;
    ro.font = o.font;
    ro.archive_max_age_s = o.archive_max_age_s;
    ro.notice = o.notice;
    Router router(std::move(sources), std::move(api), std::move(ro));

    HttpOptions ho;
    ho.bind = o.bind;
    ho.port = o.port;
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    ho.threads = o.threads > 0 ? o.threads : std::max(2, cores);
    ho.max_connections = o.max_connections;
    ho.idle_timeout = std::chrono::milliseconds(static_cast<long>(o.idle_timeout_s * 1000));
    ho.max_header_bytes = o.max_header_bytes;
    ho.shutdown_grace = std::chrono::milliseconds(static_cast<long>(o.shutdown_grace_s * 1000));
    ho.on_listening = [&](const std::string& host, unsigned short port) {
        router.set_default_host(fmt::format("{}:{}", host, port));
        if (o.on_listening) o.on_listening(host, port);
    };
    ho.access_log = o.access_log;
    ho.notice = o.notice;
    run_http([&router](const Request& r) { return router.handle(r); }, ho);
}

}  // namespace wangge::tiles
