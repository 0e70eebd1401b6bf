// serve/http.cpp — the tile server's HTTP/1.1 layer on Boost.Beast (see http.hpp).
//
// Every connection is a Session on its own strand; all I/O is asynchronous, so a slow
// or idle client costs a socket and a little memory, never a thread. The io_context
// runs on N threads; the handler (the router) runs on them too, blocking only on file
// reads and on tiles made from the store.
#include "serve/http.hpp"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/optional.hpp>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "wangge/error.hpp"

namespace wangge::tiles::serve {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string log_escape(std::string_view s, std::size_t max) {
    std::string out;
    for (const char ch : s.substr(0, max)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            out += fmt::format("\\x{:02x}", c);
        else
            out.push_back(ch);
    }
    if (s.size() > max) out += "...";
    return out;
}

namespace {

/// A response body: a string, or a range of an open file read in 64 KiB chunks (an
/// archive of any size is sent without being held in memory); nothing for HEAD.
struct PayloadBody {
    struct value_type {
        std::string text;
        std::shared_ptr<const OpenFile> file;
        std::uint64_t offset = 0, length = 0;
        bool omit = false;  ///< HEAD
    };

    class writer {
    public:
        using const_buffers_type = net::const_buffer;

        template <bool isRequest, class Fields>
        writer(const http::header<isRequest, Fields>&, const value_type& b) : body_(b) {}

        void init(beast::error_code& ec) { ec = {}; }

        boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
            ec = {};
            if (body_.omit) return boost::none;
            if (!body_.file) {
                if (sent_ || body_.text.empty()) return boost::none;
                sent_ = true;
                return {{net::buffer(body_.text), false}};
            }
            const std::uint64_t left = body_.length - pos_;
            if (left == 0) return boost::none;
            if (!chunk_) chunk_ = std::make_unique<char[]>(chunk_size);
            const auto n = body_.file->read(
                chunk_.get(), static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk_size)), body_.offset + pos_);
            if (n <= 0) {  // the file shrank or failed under us: the connection is closed
                ec = boost::system::errc::make_error_code(boost::system::errc::io_error);
                return boost::none;
            }
            pos_ += static_cast<std::uint64_t>(n);
            return {{net::buffer(chunk_.get(), static_cast<std::size_t>(n)), pos_ < body_.length}};
        }

    private:
        static constexpr std::size_t chunk_size = 64 * 1024;
        const value_type& body_;
        std::uint64_t pos_ = 0;
        bool sent_ = false;
        std::unique_ptr<char[]> chunk_;
    };
};

using HttpResponse = http::response<PayloadBody>;

class Server;

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Server& server);
    ~Session();
    void start();
    /// Shutdown: close now when waiting for a request, else after the response.
    void stop();
    /// stop() on the session's strand.
    void stop_async() {
        net::post(stream_.get_executor(), [self = shared_from_this()] { self->stop(); });
    }

private:
    void read_request();
    void on_header(beast::error_code ec);
    void respond(Response r, std::string_view method, std::string target, unsigned version, bool keep_alive);
    void write_some();
    void on_written();
    void close();

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    Server& server_;
    std::string remote_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    std::optional<HttpResponse> res_;
    std::optional<http::response_serializer<PayloadBody>> sr_;
    bool reading_ = false;
    bool stopping_ = false;
    Clock::time_point started_;
    std::string log_line_;  // method and target of the request being answered
    int status_ = 0;
    bool cut_ = false;  // the response could not be written whole
    std::uint64_t bytes_ = 0;
};

class Server {
public:
    Server(const Handler& handler, const HttpOptions& opt) : handler_(handler), opt_(opt) {}

    void run();

    const Handler& handler_;
    const HttpOptions& opt_;
    std::atomic<bool> stopping_{false};

    void session_started(Session* s, const std::shared_ptr<Session>& p) {
        std::lock_guard lock(mutex_);
        sessions_[s] = p;
    }
    void session_ended(Session* s) {
        {
            std::lock_guard lock(mutex_);
            sessions_.erase(s);
            --active_;
        }
        cv_.notify_all();
    }
    void log(const std::string& line) const {
        if (opt_.access_log) opt_.access_log(line);
    }
    void notice(const std::string& line) const {
        if (opt_.notice) opt_.notice(line);
    }

private:
    void accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
    void reject(tcp::socket socket);
    void request_stop(bool force);

    std::mutex mutex_;
    std::condition_variable cv_;
    std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
    int active_ = 0;
    bool stop_requested_ = false, force_ = false;
    // declared last: destroyed first, while the bookkeeping above that the sessions'
    // destructors touch still lives
    std::optional<net::io_context> ioc_;
    std::optional<net::strand<net::io_context::executor_type>> strand_;
    std::optional<tcp::acceptor> acceptor_;
    std::optional<net::signal_set> signals_;
    std::optional<net::steady_timer> retry_;
};

// ---------------------------------------------------------------- Session

Session::Session(tcp::socket socket, Server& server) : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? std::string("-") : ep.address().to_string();
    stream_.socket().set_option(tcp::no_delay(true), ec);
}

Session::~Session() {
    server_.session_ended(this);
}

void Session::start() {
    server_.session_started(this, shared_from_this());
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
}

void Session::stop() {
    stopping_ = true;
    if (reading_) stream_.cancel();
}

void Session::read_request() {
    if (stopping_ || server_.stopping_) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.opt_.max_header_bytes));
    parser_->body_limit(0);
    reading_ = true;
    // the whole request must arrive within the timeout, not each byte of it
    stream_.expires_after(server_.opt_.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code ec) {
    reading_ = false;
    started_ = Clock::now();
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == http::error::partial_message || ec == net::error::eof)
        return close();
    const auto fail = [&](int status, const char* why) {
        Response r;
        r.status = status;
        r.headers.emplace_back("Content-Type", "application/json");
        r.body = fmt::format("{{\"error\":\"{}\"}}\n", why);
        respond(std::move(r), "-", "-", 11, false);
    };
    if (ec == http::error::header_limit) return fail(431, "request line and headers too large");
    if (ec == http::error::body_limit || ec == http::error::unexpected_body)
        return fail(413, "a request body is not accepted");
    if (ec) return fail(400, "malformed request");
    auto& req = parser_->get();
    if (req.target().size() > server_.opt_.max_target_bytes) return fail(414, "request target too long");
    if (!parser_->is_done()) return fail(413, "a request body is not accepted");
    Request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    Response out;
    try {
        out = server_.handler_(r);
    } catch (const std::exception& e) {
        server_.notice(fmt::format("{} {}: {}", log_escape(r.method, 32), log_escape(r.target, 200), e.what()));
        out = Response{};
        out.status = 500;
        out.headers.emplace_back("Content-Type", "application/json");
        out.body = "{\"error\":\"internal error\"}\n";
    }
    respond(std::move(out), r.method, r.target, req.version(), req.keep_alive());
}

void Session::respond(Response r, std::string_view method, std::string target, unsigned version, bool keep_alive) {
    log_line_ = fmt::format("{} \"{} {}\"", remote_, log_escape(method, 32), log_escape(target));
    status_ = r.status;
    cut_ = false;
    res_.emplace();
    auto& res = *res_;
    res.version(version == 10 ? 10 : 11);
    res.result(static_cast<unsigned>(r.status));
    res.set(http::field::server, "wangge");
    for (auto& [k, v] : r.headers) res.insert(k, v);
    const bool no_body = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
    if (!no_body) res.content_length(r.content_length());
    auto& body = res.body();
    body.omit = r.head || no_body;
    bytes_ = body.omit ? 0 : r.content_length();
    if (r.file) {
        body.file = std::move(r.file);
        body.offset = r.offset;
        body.length = r.length;
    } else {
        body.text = std::move(r.body);
    }
    res.keep_alive(keep_alive && !stopping_ && !server_.stopping_);
    sr_.emplace(res);
    write_some();
}

void Session::write_some() {
    // a write must make progress within the timeout (a client that stops reading)
    stream_.expires_after(server_.opt_.idle_timeout);
    http::async_write_some(stream_, *sr_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) {
            self->cut_ = true;
            self->on_written();
            return self->close();
        }
        if (!self->sr_->is_done()) return self->write_some();
        self->on_written();
        if (!self->res_->keep_alive()) return self->close();
        self->sr_.reset();
        self->res_.reset();
        self->read_request();
    });
}

void Session::on_written() {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    // "status!": the response was cut short (the client went away or stopped reading)
    server_.log(fmt::format("{} {}{} {} {:.1f}ms", log_line_, status_, cut_ ? "!" : "", bytes_, ms));
}

void Session::close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
}

// ---------------------------------------------------------------- Server

void Server::run() {
    const int threads = std::max(1, opt_.threads);
    ioc_.emplace(threads);
    strand_.emplace(net::make_strand(*ioc_));
    acceptor_.emplace(*strand_);
    beast::error_code ec;
    tcp::resolver resolver(*ioc_);
    const auto results = resolver.resolve(opt_.bind, std::to_string(opt_.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty())
        throw io_error(fmt::format("cannot bind '{}': {}", opt_.bind, ec ? ec.message() : "no address"));
    const tcp::endpoint ep = *results.begin();
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw io_error(fmt::format("cannot listen on {}:{}: {}", opt_.bind, opt_.port, ec.message()));
    const unsigned short port = acceptor_->local_endpoint().port();

    signals_.emplace(*strand_, SIGINT, SIGTERM);
    std::function<void(beast::error_code, int)> on_signal = [&](beast::error_code e, int) {
        if (e) return;
        request_stop(stopping_.load());  // a second signal: stop at once
        signals_->async_wait(on_signal);
    };
    signals_->async_wait(on_signal);
    retry_.emplace(*strand_);
    accept();

    const std::string host = ep.address().is_v6() ? "[" + opt_.bind + "]" : opt_.bind;
    if (opt_.on_listening) opt_.on_listening(opt_.bind.find(':') != std::string::npos ? host : opt_.bind, port);

    auto guard = net::make_work_guard(*ioc_);
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back([this] { ioc_->run(); });
    {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stop_requested_; });
        // drain: in-flight requests finish; a second signal or the grace time cuts it
        cv_.wait_for(lock, opt_.shutdown_grace, [&] { return active_ == 0 || force_; });
        if (active_ > 0)
            notice(fmt::format("shutdown: {} connections still open after the grace time, closed", active_));
    }
    guard.reset();
    ioc_->stop();
    for (auto& t : pool) t.join();
    // the handlers left (and the sessions they hold) go before the bookkeeping
    retry_.reset();
    signals_.reset();
    acceptor_.reset();
    strand_.reset();
    ioc_.reset();
}

void Server::accept() {
    acceptor_->async_accept(net::make_strand(*ioc_),
                            [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::on_accept(beast::error_code ec, tcp::socket socket) {
    if (stopping_ || !acceptor_->is_open()) return;
    if (ec) {
        // out of file descriptors or the like: try again shortly, never spin
        retry_->expires_after(std::chrono::milliseconds(50));
        retry_->async_wait([this](beast::error_code e) {
            if (!e && !stopping_) accept();
        });
        return;
    }
    bool over = false;
    {
        std::lock_guard lock(mutex_);
        over = active_ >= opt_.max_connections;
        if (!over) ++active_;
    }
    if (over)
        reject(std::move(socket));
    else
        std::make_shared<Session>(std::move(socket), *this)->start();
    accept();
}

void Server::reject(tcp::socket socket) {
    // beyond the connection limit: a 503 and close, within a short time
    struct Rejected {
        beast::tcp_stream stream;
        std::string text;
    };
    auto r = std::make_shared<Rejected>(Rejected{beast::tcp_stream(std::move(socket)), {}});
    const std::string body = "{\"error\":\"too many connections\"}\n";
    r->text = fmt::format(
        "HTTP/1.1 503 Service Unavailable\r\nServer: wangge\r\nContent-Type: application/json\r\nRetry-After: "
        "1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
        body.size(), body);
    r->stream.expires_after(std::chrono::seconds(2));
    net::async_write(r->stream, net::buffer(r->text), [r](beast::error_code, std::size_t) {
        beast::error_code e;
        r->stream.socket().shutdown(tcp::socket::shutdown_send, e);
        r->stream.socket().close(e);
    });
    log("- \"- -\" 503 0 0.0ms (over --max-connections)");
}

void Server::request_stop(bool force) {
    if (!stopping_) notice("shutting down: no new connections, finishing the requests in flight");
    stopping_ = true;
    beast::error_code ec;
    acceptor_->close(ec);
    retry_->cancel();
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(mutex_);
        stop_requested_ = true;
        force_ = force_ || force;
        for (auto& [p, w] : sessions_)
            if (auto s = w.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) s->stop_async();
    cv_.notify_all();
}

}  // namespace

void run_http(const Handler& handler, const HttpOptions& options) {
    Server server(handler, options);
    server.run();
}

}  // namespace wangge::tiles::serve
