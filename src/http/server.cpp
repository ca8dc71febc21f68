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
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <mutex>
#include <unordered_set>

#include "http/event_stream.hpp"

namespace jarip::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// The server's side of an EventStream, which keeps it private from handlers.
class EventStreamPort {
 public:
  static void attach(EventStream& s, std::function<void()> wake) { s.attach(std::move(wake)); }
  static EventStream::Taken take(EventStream& s) { return s.take(); }
  static void wrote(EventStream& s, std::size_t bytes) { s.wrote(bytes); }
  static void finish(EventStream& s, EventStream::End reason) { s.finish(reason); }
};

namespace {

// The connection side of one open event stream. wake() may be called from any thread (EventStream's
// send()/close(), stop_accepting()); everything else is touched on the connection's strand only.
struct StreamLink : std::enable_shared_from_this<StreamLink> {
  explicit StreamLink(asio::any_io_executor ex) : timer(std::move(ex), asio::steady_timer::time_point::max()) {}

  void wake() {
    asio::post(timer.get_executor(), [self = shared_from_this()] {
      self->timer.cancel();
      if (self->on_wake) self->on_wake();
    });
  }

  asio::steady_timer timer;     // what the stream's coroutine waits on; cancelled to wake it
  std::function<void()> on_wake;  // set by the coroutine while it streams
  bool peer_gone = false;       // the read side has ended: client gone, or cancelled by us
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  asio::io_context& io;
  ServerOptions options;
  Handler handler;
  tcp::acceptor acceptor;
  std::mutex tls_mutex;
  std::shared_ptr<asio::ssl::context> tls_context;  // null: plain HTTP
  ServerStats stats;
  std::atomic<bool> accepting{false};
  std::mutex streams_mutex;
  std::unordered_set<std::shared_ptr<StreamLink>> streams;  // open event streams, for stop_accepting()

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

  // With the co_await of serve_stream() inlined, GCC 12 pairs Asio's awaitable_frame_base::operator new
  // with the std::free of its recycling allocator and warns (-Wmismatched-new-delete): a false
  // positive, Asio's operator delete is the one called.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
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
      if (r.stream) {
        co_await serve_stream(stream, r, version);
        co_return;  // an event stream ends its connection
      }
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

#pragma GCC diagnostic pop

  void wake_streams() {
    std::lock_guard lock(streams_mutex);
    for (auto& link : streams) link->wake();
  }

  // Writes the response head, then whatever the handler's EventStream queues, until the stream ends
  // (see event_stream.hpp for the reasons). The connection is not reused afterwards.
  template <class Stream>
  asio::awaitable<void> serve_stream(Stream& stream, Response& r, unsigned version) {
    using End = EventStream::End;
    using clock = std::chrono::steady_clock;
    auto& socket_layer = beast::get_lowest_layer(stream);
    auto events = std::move(r.stream);
    auto link = std::make_shared<StreamLink>(stream.get_executor());
    // Whatever ends this coroutine, also its frame being destroyed with the io_context, the stream
    // ends, its on_close callbacks run, and stop_accepting() forgets it.
    struct Ending {
      std::shared_ptr<Impl> impl;
      std::shared_ptr<StreamLink> link;
      std::shared_ptr<EventStream> events;
      End reason = End::client_gone;
      ~Ending() {
        link->on_wake = nullptr;
        {
          std::lock_guard lock(impl->streams_mutex);
          impl->streams.erase(link);
        }
        EventStreamPort::finish(*events, reason);
        --impl->stats.streams_open;
      }
    } ending{shared_from_this(), link, events};
    ++stats.streams_open;
    {
      std::lock_guard lock(streams_mutex);
      streams.insert(link);
    }
    // After registering: a stop_accepting() from here on wakes us, one before it is seen below.
    EventStreamPort::attach(*events, [link] { link->wake(); });

    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(r.status), version};
    head.set(bhttp::field::server, "jarip");
    for (auto& h : r.headers) head.set(h.name, h.value);
    head.set(bhttp::field::content_type, "text/event-stream");
    head.set(bhttp::field::cache_control, "no-store");
    head.set("X-Accel-Buffering", "no");  // nginx would otherwise hold events back in its buffer
    head.keep_alive(false);
    const bool chunked = version >= 11;  // HTTP/1.0 has no chunks: there the body ends with the connection
    head.chunked(chunked);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    const auto write_timeout = std::chrono::seconds(options.request_timeout_s);
    socket_layer.expires_after(write_timeout);
    auto [ec_head, n_head] = co_await bhttp::async_write_header(stream, serializer, use_nothrow);
    if (ec_head) {
      socket_layer.close();
      co_return;
    }
    // No read timeout from here: a live stream may be quiet for hours. Writes get one each.
    socket_layer.expires_never();

    // The client sends nothing more, so a completed read means it has gone (EOF, reset, TLS
    // close_notify): that ends the stream now rather than at the next failed write.
    asio::co_spawn(stream.get_executor(), watch_peer(stream, link), asio::detached);

    bool writing = false;
    link->on_wake = [&] {
      // A write stuck on a client that does not read must not hold up a drop or a shutdown.
      if (writing && (!accepting || events->end_reason() == End::slow_consumer)) socket_layer.cancel();
    };
    const auto ping_every = std::chrono::milliseconds(std::max(1, options.stream_ping_interval_ms));
    auto last_write = clock::now();
    End reason = End::client_gone;
    bool write_failed = false;
    for (;;) {
      if (link->peer_gone) {
        reason = End::client_gone;
        break;
      }
      if (!accepting) {
        reason = End::server_stopping;
        break;
      }
      auto taken = EventStreamPort::take(*events);
      if (taken.end == End::slow_consumer || (taken.data.empty() && taken.end != End::open)) {
        reason = taken.end;
        break;
      }
      std::string out = std::move(taken.data);
      const bool ping = out.empty();
      if (ping) {
        if (clock::now() < last_write + ping_every) {
          link->timer.expires_at(last_write + ping_every);
          (void)co_await link->timer.async_wait(use_nothrow);
          continue;
        }
        out = ": ping\n\n";
      }
      writing = true;
      socket_layer.expires_after(write_timeout);
      auto ec = co_await write_stream_bytes(stream, out, chunked);
      socket_layer.expires_never();
      writing = false;
      if (!ping) EventStreamPort::wrote(*events, out.size());
      if (ec) {
        write_failed = true;
        auto current = events->end_reason();
        reason = !accepting ? End::server_stopping : current == End::slow_consumer ? End::slow_consumer : End::client_gone;
        break;
      }
      last_write = clock::now();
    }
    link->on_wake = nullptr;
    ending.reason = reason;

    bool graceful = !write_failed && (reason == End::closed || reason == End::server_stopping);
    if (graceful && chunked) {
      socket_layer.expires_after(std::chrono::seconds(2));
      auto [ec_last, n_last] = co_await asio::async_write(stream, bhttp::make_chunk_last(), use_nothrow);
      socket_layer.expires_never();
      graceful = !ec_last;
    }
    // watch_peer uses `stream`, which the caller destroys after we return: wait until it has ended.
    socket_layer.cancel();
    link->timer.expires_at(asio::steady_timer::time_point::max());
    while (!link->peer_gone) (void)co_await link->timer.async_wait(use_nothrow);
    // Cut off mid-stream: no use waiting for a TLS close_notify or an orderly FIN from this client.
    if (!graceful) socket_layer.close();
  }

  template <class Stream>
  static asio::awaitable<void> watch_peer(Stream& stream, std::shared_ptr<StreamLink> link) {
    std::array<char, 512> scratch;
    for (;;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), use_nothrow);
      if (ec) break;  // anything the client sends meanwhile is ignored
    }
    link->peer_gone = true;
    link->timer.cancel();
  }

  template <class Stream>
  static asio::awaitable<boost::system::error_code> write_stream_bytes(Stream& stream, std::string_view bytes,
                                                                        bool chunked) {
    auto buffer = asio::buffer(bytes.data(), bytes.size());
    if (chunked) {
      auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk(buffer), use_nothrow);
      co_return ec;
    }
    auto [ec, n] = co_await asio::async_write(stream, buffer, use_nothrow);
    co_return ec;
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
  impl_->wake_streams();
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
