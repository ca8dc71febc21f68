#include "sim/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>
#include <vector>

namespace jarip::sim {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kBodyLimit = 64 * 1024 * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(300);
}  // namespace

class Session;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  asio::io_context& io;
  std::string host;
  int port;
  std::string name;
  Handler handler;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::weak_ptr<Session>> sessions;

  Impl(asio::io_context& i, std::string h, int p, std::string n, Handler hd)
      : io(i), host(std::move(h)), port(p), name(std::move(n)), handler(std::move(hd)) {}
  void accept();
  void close_all();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> owner)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), owner_(std::move(owner)) {}

  void start() { read(); }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

 private:
  void read() {
    if (closed_) return;
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec || closed_) return close();
    auto& req = parser_->get();
    HttpIn in;
    in.method = std::string(req.method_string());
    in.target = std::string(req.target());
    for (const auto& f : req) in.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    in.body = std::move(req.body());
    keep_alive_ = req.keep_alive();
    Handled h;
    try {
      h = owner_->handler(in);
    } catch (const std::exception&) {
      h.how = Disposition::respond;
      h.out = HttpOut{500, "{\"error\":\"internal simulator error\"}"};
    }
    switch (h.how) {
      case Disposition::close: return close();
      case Disposition::hang: return hang();
      case Disposition::respond: break;
    }
    if (h.delay_ms > 0) {
      stream_.expires_never();
      timer_.expires_after(std::chrono::milliseconds(h.delay_ms));
      timer_.async_wait([self = shared_from_this(), out = std::move(h.out)](beast::error_code e) mutable {
        if (!e) self->write(std::move(out));
      });
      return;
    }
    write(std::move(h.out));
  }

  void write(HttpOut out) {
    if (closed_) return;
    res_ = {};
    res_.version(11);
    res_.result(static_cast<http::status>(out.status));
    res_.set(http::field::server, "jarip-sim");
    res_.set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) res_.set(name, value);
    res_.keep_alive(keep_alive_);
    res_.body() = std::move(out.body);
    res_.prepare_payload();
    stream_.expires_after(kIdleTimeout);
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->keep_alive_) return self->close();
      self->read();
    });
  }

  // Accepted, never answered: wait until the client gives up (or the idle timeout), then close.
  void hang() {
    stream_.expires_after(std::chrono::minutes(10));
    stream_.async_read_some(asio::buffer(sink_), [self = shared_from_this()](beast::error_code, std::size_t) { self->close(); });
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::shared_ptr<HttpServer::Impl> owner_;
  char sink_[512];
  bool keep_alive_ = true;
  bool closed_ = false;
};

void HttpServer::Impl::accept() {
  if (!acceptor) return;
  acceptor->async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (!self->acceptor) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      auto s = std::make_shared<Session>(std::move(socket), self);
      if (self->sessions.size() > 256) std::erase_if(self->sessions, [](const auto& w) { return w.expired(); });
      self->sessions.push_back(s);
      s->start();
    } else if (ec == asio::error::operation_aborted) {
      return;
    }
    self->accept();
  });
}

void HttpServer::Impl::close_all() {
  if (acceptor) {
    beast::error_code ec;
    acceptor->close(ec);
    acceptor.reset();
  }
  for (auto& w : sessions)
    if (auto s = w.lock()) s->close();
  sessions.clear();
}

HttpServer::HttpServer(asio::io_context& io, std::string host, int port, std::string name, Handler handler)
    : impl_(std::make_shared<Impl>(io, std::move(host), port, std::move(name), std::move(handler))) {}

HttpServer::~HttpServer() { impl_->close_all(); }

bool HttpServer::open(std::string* error) {
  if (impl_->acceptor) return true;
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->host, ec);
  if (ec) {
    if (error) *error = "bad listen_host '" + impl_->host + "': " + ec.message();
    return false;
  }
  tcp::endpoint ep(address, static_cast<unsigned short>(impl_->port));
  tcp::acceptor acc(impl_->io);
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    if (error) *error = impl_->name + ": cannot listen on " + impl_->host + ":" + std::to_string(impl_->port) + ": " + ec.message();
    return false;
  }
  // Port 0 binds any free port; keep it, so that a reopened listener (after "down") is the same one.
  if (impl_->port == 0) impl_->port = acc.local_endpoint().port();
  impl_->acceptor.emplace(std::move(acc));
  impl_->accept();
  return true;
}

void HttpServer::close() { impl_->close_all(); }
bool HttpServer::is_open() const { return impl_->acceptor.has_value(); }
const std::string& HttpServer::name() const { return impl_->name; }
int HttpServer::port() const { return impl_->port; }

}  // namespace jarip::sim
