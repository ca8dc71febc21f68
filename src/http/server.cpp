#include "http/server.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <mutex>

namespace jarip::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  asio::io_context& io;
  ServerOptions options;
  Handler handler;
  tcp::acceptor acceptor;
  std::mutex tls_mutex;
  std::shared_ptr<asio::ssl::context> tls_context;  // null: plain HTTP
  ServerStats stats;
  std::atomic<bool> accepting{false};

  Impl(asio::io_context& io_, ServerOptions o, Handler h)
      : io(io_), options(std::move(o)), handler(std::move(h)), acceptor(io_) {}

  Result<std::shared_ptr<asio::ssl::context>> load_tls() {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    ctx->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) return make_error("tls_config", "cannot load certificate '" + options.tls_cert_file + "': " + ec.message());
    ctx->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) return make_error("tls_config", "cannot load private key '" + options.tls_key_file + "': " + ec.message());
    return ctx;
  }

  std::shared_ptr<asio::ssl::context> current_tls() {
    std::lock_guard lock(tls_mutex);
    return tls_context;
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (accepting) {
      // Each connection runs on its own strand: with several I/O threads, a Responder firing on
      // another thread must not race the coroutine that waits for it.
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), use_nothrow);
      if (ec) {
        if (!accepting || ec == asio::error::operation_aborted) break;
        // Out of descriptors (EMFILE) and the like: pause briefly instead of spinning.
        asio::steady_timer pause(io, std::chrono::milliseconds(50));
        co_await pause.async_wait(use_nothrow);
        continue;
      }
      if (stats.connections_open.load() >= options.max_connections) {
        socket.close();
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto tls = current_tls();
      if (tls) {
        auto ex = socket.get_executor();
        asio::co_spawn(ex, tls_session(std::move(socket), tls), asio::detached);
      } else {
        auto ex = socket.get_executor();
        asio::co_spawn(ex, plain_session(std::move(socket)), asio::detached);
      }
    }
  }

  asio::awaitable<void> plain_session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream);
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> tls_session(tcp::socket socket, std::shared_ptr<asio::ssl::context> tls) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(options.request_timeout_s));
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_nothrow);
    if (ec) co_return;
    co_await serve(stream);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    (void)co_await stream.async_shutdown(use_nothrow);
  }

  // Waits for a Responder that may fire on another thread: the timer is the wake-up.
  struct Pending {
    explicit Pending(asio::any_io_executor ex) : timer(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    std::optional<Response> response;
  };

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream) {
    auto self = shared_from_this();
    ++stats.connections_open;
    struct Closing {
      ServerStats& s;
      ~Closing() { --s.connections_open; }
    } closing{stats};
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(16 * 1024);
      // Beast checks Content-Length against the body limit as soon as the headers are read, before we
      // know the path: start from the largest limit, then narrow it to the path's own below.
      parser.body_limit(std::max(options.body_limit, options.large_body_limit));
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(options.idle_timeout_s));
      auto [ec_h, n_h] = co_await bhttp::async_read_header(stream, buffer, parser, use_nothrow);
      if (ec_h) {
        if (ec_h == bhttp::error::header_limit) co_await write_error(stream, 431, "header_too_large", "request headers exceed 16 KiB");
        else if (ec_h == bhttp::error::body_limit) {
          ++stats.rejected_oversize;
          co_await write_error(stream, 413, "body_too_large", "request body exceeds " +
                                   std::to_string(std::max(options.body_limit, options.large_body_limit)) + " bytes");
        }
        else if (ec_h != bhttp::error::end_of_stream && ec_h != asio::error::eof &&
                 ec_h != beast::error::timeout && ec_h != asio::error::connection_reset &&
                 ec_h != asio::error::operation_aborted) {
          co_await write_error(stream, 400, "bad_request", "malformed HTTP request");
        }
        co_return;
      }
      std::string_view target = parser.get().target();
      std::string_view path = target.substr(0, target.find('?'));
      bool large = std::find(options.large_body_paths.begin(), options.large_body_paths.end(), path) !=
                   options.large_body_paths.end();
      std::size_t limit = large ? options.large_body_limit : options.body_limit;
      parser.body_limit(limit);
      if (auto len = parser.content_length(); len && *len > limit) {
        ++stats.rejected_oversize;
        co_await write_error(stream, 413, "body_too_large",
                             "request body exceeds " + std::to_string(limit) + " bytes");
        co_return;
      }
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(options.request_timeout_s));
      auto [ec_b, n_b] = co_await bhttp::async_read(stream, buffer, parser, use_nothrow);
      if (ec_b) {
        if (ec_b == bhttp::error::body_limit) {
          ++stats.rejected_oversize;
          co_await write_error(stream, 413, "body_too_large", "request body exceeds " + std::to_string(limit) + " bytes");
        } else if (ec_b != beast::error::timeout && ec_b != asio::error::eof) {
          co_await write_error(stream, 400, "bad_request", "malformed HTTP request body");
        }
        co_return;
      }
      ++stats.requests;
      auto message = parser.release();
      bool keep_alive = message.keep_alive();
      unsigned version = message.version();

      Request request;
      request.method = std::string(message.method_string());
      request.target = std::string(message.target());
      auto q = request.target.find('?');
      request.path = percent_decode(std::string_view(request.target).substr(0, q), false);
      if (q != std::string::npos) request.query = request.target.substr(q + 1);
      request.headers.reserve(8);
      for (const auto& field : message) {
        request.headers.push_back(Header{std::string(field.name_string()), std::string(field.value())});
      }
      request.body = std::move(message.body());
      request.remote_address = remote;

      auto pending = std::make_shared<Pending>(stream.get_executor());
      beast::get_lowest_layer(stream).expires_never();
      handler(std::move(request), [pending](Response response) {
        asio::post(pending->timer.get_executor(), [pending, response = std::move(response)]() mutable {
          pending->response = std::move(response);
          pending->timer.cancel();
        });
      });
      while (!pending->response) {
        (void)co_await pending->timer.async_wait(use_nothrow);
      }
      Response& r = *pending->response;
      bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(r.status), version};
      out.set(bhttp::field::server, "jarip");
      out.set(bhttp::field::content_type, r.content_type);
      for (auto& h : r.headers) out.set(h.name, h.value);
      out.body() = std::move(r.body);
      out.keep_alive(keep_alive);
      out.prepare_payload();
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(options.request_timeout_s));
      auto [ec_w, n_w] = co_await bhttp::async_write(stream, out, use_nothrow);
      if (ec_w || !keep_alive || !accepting) co_return;
    }
  }

  template <class Stream>
  asio::awaitable<void> write_error(Stream& stream, int status, std::string code, std::string message) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(status), 11};
    out.set(bhttp::field::server, "jarip");
    out.set(bhttp::field::content_type, "application/json");
    out.body() = "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}";
    out.keep_alive(false);
    out.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    (void)co_await bhttp::async_write(stream, out, use_nothrow);
  }
};

Server::Server(asio::io_context& io, ServerOptions options, Handler handler)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handler))) {}

Server::~Server() { stop_accepting(); }

Status Server::start() {
  auto& o = impl_->options;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
      return make_error("tls_config", "TLS needs both server.tls_cert_file and server.tls_key_file");
    }
    auto ctx = impl_->load_tls();
    if (!ctx) return ctx.error();
    impl_->tls_context = *ctx;
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(o.host, ec);
  if (ec) return make_error("config_invalid", "server.host '" + o.host + "' is not an IP address", "server.host");
  tcp::endpoint endpoint(address, o.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error("listen_failed", "cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message());
  }
  impl_->accepting = true;
  asio::co_spawn(acceptor.get_executor(), impl_->accept_loop(), asio::detached);
  return {};
}

void Server::stop_accepting() {
  if (!impl_->accepting.exchange(false)) return;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
}

Status Server::reload_tls() {
  if (!impl_->current_tls()) return make_error("tls_config", "server runs without TLS");
  auto ctx = impl_->load_tls();
  if (!ctx) return ctx.error();
  std::lock_guard lock(impl_->tls_mutex);
  impl_->tls_context = *ctx;
  return {};
}

std::uint16_t Server::port() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

bool Server::tls() const { return impl_->current_tls() != nullptr; }

const ServerStats& Server::stats() const { return impl_->stats; }

}  // namespace jarip::http
