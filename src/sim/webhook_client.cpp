#include "sim/webhook_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <chrono>
#include <cstdio>

namespace jarip::sim {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct WebhookClient::Impl : std::enable_shared_from_this<WebhookClient::Impl> {
  asio::io_context& io;
  Simulator& sim;
  Stream stream;
  std::vector<std::pair<std::string, std::string>> headers;
  bool enabled = false;
  std::string host, port, target;
  int in_flight = 0;
  bool stopped = false;

  struct Post {
    std::vector<std::uint32_t> messages;
    std::string body;
    int attempt = 0;
  };

  Impl(asio::io_context& i, Simulator& s, Stream st) : io(i), sim(s), stream(st) {}

  void pump() {
    if (!enabled) {
      // Reports still become final (status queries see them); nothing is sent.
      while (!sim.take_due(stream, 10'000).empty()) {
      }
      return;
    }
    const auto max = static_cast<std::size_t>(sim.context().config.report_batch_max);
    while (in_flight < kWebhookMaxInFlight) {
      auto due = sim.take_due(stream, max);
      if (due.empty()) return;
      auto post = std::make_shared<Post>();
      post->body = sim.report_body(stream, due);
      post->messages = std::move(due);
      send(post);
    }
  }

  void send(std::shared_ptr<Post> post) {
    ++in_flight;
    ++post->attempt;
    auto self = shared_from_this();
    auto conn = std::make_shared<beast::tcp_stream>(io);
    auto req = std::make_shared<http::request<http::string_body>>(http::verb::post, target, 11);
    req->set(http::field::host, host + ":" + port);
    req->set(http::field::content_type, "application/json;charset=UTF-8");
    req->set(http::field::user_agent, "jarip-sim");
    for (const auto& [k, v] : headers) req->set(k, v);
    req->body() = post->body;
    req->keep_alive(false);
    req->prepare_payload();
    auto resolver = std::make_shared<tcp::resolver>(io);
    conn->expires_after(std::chrono::milliseconds(kWebhookTimeoutMs));
    resolver->async_resolve(host, port, [self, post, conn, req, resolver](beast::error_code ec, tcp::resolver::results_type r) {
      if (ec) return self->done(post, false);
      conn->async_connect(r, [self, post, conn, req](beast::error_code ec2, const tcp::endpoint&) {
        if (ec2) return self->done(post, false);
        http::async_write(*conn, *req, [self, post, conn, req](beast::error_code ec3, std::size_t) {
          if (ec3) return self->done(post, false);
          auto buf = std::make_shared<beast::flat_buffer>();
          auto res = std::make_shared<http::response<http::string_body>>();
          http::async_read(*conn, *buf, *res, [self, post, conn, buf, res](beast::error_code ec4, std::size_t) {
            beast::error_code ignored;
            conn->socket().shutdown(tcp::socket::shutdown_both, ignored);
            self->done(post, !ec4 && res->result_int() == 200);
          });
        });
      });
    });
  }

  void done(std::shared_ptr<Post> post, bool ok) {
    --in_flight;
    auto& c = sim.context().counters;
    if (ok) {
      ++c.report_posts;
      c.reports_posted += post->messages.size();
    } else {
      ++c.report_attempts_failed;
      if (post->attempt >= kWebhookAttempts) {
        c.reports_dropped += post->messages.size();
      } else if (!stopped) {
        auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100 << post->attempt));
        timer->async_wait([self = shared_from_this(), post, timer](beast::error_code ec) {
          if (!ec && !self->stopped) self->send(post);
        });
      }
    }
    pump();
  }
};

WebhookClient::WebhookClient(asio::io_context& io, Simulator& sim, Stream stream, const std::string& url,
                             std::vector<std::pair<std::string, std::string>> headers)
    : impl_(std::make_shared<Impl>(io, sim, stream)) {
  impl_->headers = std::move(headers);
  if (url.empty()) return;
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "http" || parsed->host().empty()) {
    std::fprintf(stderr, "jarip-sim: webhook URL for stream %d is not an http:// URL; reports are not sent\n",
                 static_cast<int>(stream));
    return;
  }
  impl_->host = std::string(parsed->host());
  impl_->port = parsed->has_port() ? std::string(parsed->port()) : "80";
  std::string t(parsed->encoded_path());
  if (t.empty()) t = "/";
  if (parsed->has_query()) t += "?" + std::string(parsed->encoded_query());
  impl_->target = t;
  impl_->enabled = true;
}

WebhookClient::~WebhookClient() { impl_->stopped = true; }
void WebhookClient::pump() { impl_->pump(); }
bool WebhookClient::enabled() const { return impl_->enabled; }

}  // namespace jarip::sim
