#include "http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <variant>

#include <sys/socket.h>
#include <cerrno>

namespace jarip::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

struct Origin {
  bool tls = false;
  std::string host;
  std::string port;
  auto operator<=>(const Origin&) const = default;
};

struct Connection {
  std::variant<beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>> stream;
  std::chrono::steady_clock::time_point idle_since;
  beast::flat_buffer buffer;
  beast::tcp_stream& lowest() {
    if (auto* p = std::get_if<0>(&stream)) return *p;
    return beast::get_lowest_layer(std::get<1>(stream));
  }
};

// A connection the server closed while it sat idle reads EOF at once. Writing a request to it would
// turn a provider's ordinary keep-alive close (or a listener going away) into an ambiguous attempt,
// so it is dropped before use instead. MSG_PEEK leaves any bytes for the parser.
bool still_open(Connection& conn) {
  char byte;
  ssize_t n = ::recv(conn.lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;                                       // orderly close
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;      // nothing to read: alive
  return false;  // unsolicited bytes on an idle HTTP/1.1 connection: not safe to reuse
}

struct Job {
  ClientRequest request;
  std::function<void(ClientResult)> done;
  std::string target;
  std::chrono::steady_clock::time_point started;
};

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  asio::any_io_executor executor;
  ClientOptions options;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  struct Pool {
    std::vector<std::unique_ptr<Connection>> idle;
    std::size_t active = 0;
    std::deque<Job> waiting;
  };
  std::map<Origin, Pool> pools;
  std::size_t waiting_total = 0;

  Impl(asio::any_io_executor ex, ClientOptions o) : executor(std::move(ex)), options(o) {
    tls.set_default_verify_paths();
    tls.set_verify_mode(options.verify_tls ? asio::ssl::verify_peer : asio::ssl::verify_none);
  }

  void submit(Job job) {
    auto parsed = boost::urls::parse_absolute_uri(job.request.url);
    if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") || parsed->host().empty()) {
      ClientResult r;
      r.kind = ClientResult::Kind::invalid_url;
      r.error = "invalid URL";
      job.done(std::move(r));
      return;
    }
    Origin origin;
    origin.tls = parsed->scheme() == "https";
    origin.host = std::string(parsed->host());
    origin.port = parsed->has_port() ? std::string(parsed->port()) : (origin.tls ? "443" : "80");
    job.target = std::string(parsed->encoded_path());
    if (job.target.empty()) job.target = "/";
    if (parsed->has_query()) job.target += "?" + std::string(parsed->encoded_query());
    job.started = std::chrono::steady_clock::now();
    auto& pool = pools[origin];
    if (pool.active >= options.max_connections_per_origin) {
      pool.waiting.push_back(std::move(job));
      ++waiting_total;
      return;
    }
    start(origin, pool, std::move(job));
  }

  void start(const Origin& origin, Pool& pool, Job job) {
    ++pool.active;
    std::unique_ptr<Connection> conn;
    auto now = std::chrono::steady_clock::now();
    while (!pool.idle.empty()) {
      conn = std::move(pool.idle.back());
      pool.idle.pop_back();
      if (now - conn->idle_since < std::chrono::milliseconds(options.idle_keepalive_ms) && still_open(*conn)) break;
      conn.reset();  // too old, or the server closed it while idle
    }
    asio::co_spawn(executor, run(origin, std::move(conn), std::move(job)), asio::detached);
  }

  void finish(const Origin& origin, std::unique_ptr<Connection> reusable) {
    auto& pool = pools[origin];
    --pool.active;
    if (reusable) {
      reusable->idle_since = std::chrono::steady_clock::now();
      pool.idle.push_back(std::move(reusable));
    }
    if (!pool.waiting.empty()) {
      Job next = std::move(pool.waiting.front());
      pool.waiting.pop_front();
      --waiting_total;
      start(origin, pool, std::move(next));
    }
  }

  asio::awaitable<void> run(Origin origin, std::unique_ptr<Connection> conn, Job job) {
    auto self = shared_from_this();
    ClientResult result;
    auto deadline = job.started + std::chrono::milliseconds(job.request.timeout_ms);
    auto remaining = [&] {
      auto left = deadline - std::chrono::steady_clock::now();
      return left < std::chrono::milliseconds(1) ? std::chrono::steady_clock::duration(std::chrono::milliseconds(1)) : left;
    };
    bool reused = conn != nullptr;
    bool keep = false;
    bool sent = false;
    do {
      if (!conn) {
        // The resolver has no deadline of its own (getaddrinfo runs on Asio's resolver thread): a
        // timer cancels it so that a stuck DNS server cannot hold the request past its timeout.
        auto resolver = std::make_shared<tcp::resolver>(executor);
        auto resolve_timer = std::make_shared<asio::steady_timer>(executor, remaining());
        resolve_timer->async_wait([resolver](boost::system::error_code ec) {
          if (!ec) resolver->cancel();
        });
        auto [ec_r, endpoints] = co_await resolver->async_resolve(origin.host, origin.port, use_nothrow);
        const bool resolve_timed_out = resolve_timer->expiry() <= std::chrono::steady_clock::now();
        resolve_timer->cancel();
        if (ec_r) {
          result.kind = resolve_timed_out && ec_r == asio::error::operation_aborted ? ClientResult::Kind::timeout_not_sent
                                                                                   : ClientResult::Kind::not_sent;
          result.error = "resolve " + origin.host + ": " + ec_r.message();
          break;
        }
        if (options.address_filter) {
          std::string refused;
          for (const auto& entry : endpoints) {
            if (!options.address_filter(entry.endpoint().address())) {
              refused = entry.endpoint().address().to_string();
              break;
            }
          }
          if (!refused.empty()) {
            result.kind = ClientResult::Kind::not_sent;
            result.address_refused = true;
            result.error = "address " + refused + " of " + origin.host + " is not allowed (non-public address)";
            break;
          }
        }
        conn = std::make_unique<Connection>(Connection{beast::tcp_stream(executor), {}, {}});
        if (origin.tls) conn->stream.emplace<1>(beast::tcp_stream(executor), tls);
        conn->lowest().expires_after(remaining());
        auto [ec_c, ep] = co_await conn->lowest().async_connect(endpoints, use_nothrow);
        if (ec_c) {
          result.kind = ec_c == beast::error::timeout ? ClientResult::Kind::timeout_not_sent : ClientResult::Kind::not_sent;
          result.error = "connect " + origin.host + ":" + origin.port + ": " + ec_c.message();
          conn.reset();
          break;
        }
        conn->lowest().socket().set_option(tcp::no_delay(true));
        if (origin.tls) {
          auto& s = std::get<1>(conn->stream);
          SSL_set_tlsext_host_name(s.native_handle(), origin.host.c_str());
          s.set_verify_callback(asio::ssl::host_name_verification(origin.host));
          auto [ec_t] = co_await s.async_handshake(asio::ssl::stream_base::client, use_nothrow);
          if (ec_t) {
            result.kind = ClientResult::Kind::not_sent;
            result.error = "TLS handshake with " + origin.host + ": " + ec_t.message();
            conn.reset();
            break;
          }
        }
      }
      bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(job.request.method), job.target, 11};
      req.set(bhttp::field::host, origin.host);
      req.set(bhttp::field::user_agent, "jarip");
      for (auto& h : job.request.headers) req.set(h.name, h.value);
      req.body() = job.request.body;
      req.keep_alive(true);
      req.prepare_payload();
      conn->lowest().expires_after(remaining());
      sent = true;
      boost::system::error_code ec_w;
      if (auto* p = std::get_if<0>(&conn->stream)) {
        std::tie(ec_w, std::ignore) = co_await bhttp::async_write(*p, req, use_nothrow);
      } else {
        std::tie(ec_w, std::ignore) = co_await bhttp::async_write(std::get<1>(conn->stream), req, use_nothrow);
      }
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(16 << 20);
      boost::system::error_code ec_rd;
      if (!ec_w) {
        if (auto* p = std::get_if<0>(&conn->stream)) {
          std::tie(ec_rd, std::ignore) = co_await bhttp::async_read(*p, conn->buffer, parser, use_nothrow);
        } else {
          std::tie(ec_rd, std::ignore) = co_await bhttp::async_read(std::get<1>(conn->stream), conn->buffer, parser, use_nothrow);
        }
      }
      auto ec = ec_w ? ec_w : ec_rd;
      if (ec) {
        result.kind = ec == beast::error::timeout ? ClientResult::Kind::timeout_after_send
                                                  : ClientResult::Kind::failed_after_send;
        result.error = (ec_w ? "write: " : "read: ") + ec.message() + (reused ? " (reused connection)" : "");
        conn.reset();
        break;
      }
      auto response = parser.release();
      result.kind = ClientResult::Kind::response;
      result.status = static_cast<int>(response.result_int());
      for (const auto& field : response) {
        result.headers.push_back(Header{std::string(field.name_string()), std::string(field.value())});
      }
      result.body = std::move(response.body());
      keep = response.keep_alive();
    } while (false);
    (void)sent;
    result.elapsed_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - job.started)
                                             .count());
    if (conn && keep) {
      conn->lowest().expires_never();
    } else {
      conn.reset();
    }
    finish(origin, std::move(conn));
    job.done(std::move(result));
  }
};

std::string_view ClientResult::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

HttpClient::HttpClient(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), options)) {}

HttpClient::~HttpClient() = default;

void HttpClient::send(ClientRequest request, std::function<void(ClientResult)> done) {
  asio::dispatch(impl_->executor, [impl = impl_, request = std::move(request), done = std::move(done)]() mutable {
    impl->submit(Job{std::move(request), std::move(done), {}, {}});
  });
}

std::size_t HttpClient::queued() const { return impl_->waiting_total; }

void HttpClient::close_idle() {
  asio::dispatch(impl_->executor, [impl = impl_] {
    for (auto& [origin, pool] : impl->pools) pool.idle.clear();
  });
}

}  // namespace jarip::http
