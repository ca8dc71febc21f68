// Server-Sent Events end to end: a real http::Server on 127.0.0.1:0 (two I/O threads) and a raw
// client with its own io_context, so that every read has a deadline and the client sees the bytes on
// the wire (chunk framing included). Waits are on conditions with generous deadlines, never on time
// alone, except where the point is that time passes (the timeout test).
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "http/event_stream.hpp"
#include "support/test_certificate.hpp"
#include "http/server.hpp"

namespace jarip::http {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using End = EventStream::End;

constexpr auto kDeadline = 10s;

// Polls a condition that has no notification of its own (server stats), every 2 ms.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = kDeadline) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// ---- A self-signed certificate for the TLS test --------------------------------------------------

struct Certificate {
  std::string cert_file;
  std::string key_file;
  ~Certificate() {
    std::error_code ec;
    std::filesystem::remove(cert_file, ec);
    std::filesystem::remove(key_file, ec);
  }
};

std::unique_ptr<Certificate> make_certificate() {
  auto pem = testing::make_test_certificate("localhost");
  auto out = std::make_unique<Certificate>();
  auto base = std::filesystem::temp_directory_path() / ("jarip-sse-test-" + std::to_string(::getpid()));
  out->cert_file = base.string() + "-cert.pem";
  out->key_file = base.string() + "-key.pem";
  std::ofstream(out->cert_file, std::ios::binary) << pem.cert_pem;
  std::ofstream(out->key_file, std::ios::binary) << pem.key_pem;
  return out;
}

// ---- The client ----------------------------------------------------------------------------------

// Reads raw bytes and takes apart the response head and the chunked body itself.
class Client {
 public:
  Client(std::uint16_t port, bool tls, int receive_buffer = 0) : socket_(io_), tls_context_(ssl::context::tls_client) {
    if (receive_buffer > 0) {
      // Before connect, so that the window the server sees is small from the start.
      socket_.open(tcp::v4());
      socket_.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    }
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    if (tls) {
      tls_context_.set_verify_mode(ssl::verify_none);
      tls_.emplace(socket_, tls_context_);
      tls_->handshake(ssl::stream_base::client);
    }
  }

  void send_request(const std::string& target, const std::string& version = "HTTP/1.1") {
    std::string request = "GET " + target + " " + version + "\r\nHost: 127.0.0.1\r\n\r\n";
    if (tls_) asio::write(*tls_, asio::buffer(request));
    else asio::write(socket_, asio::buffer(request));
  }

  // Reads until `done` holds or the connection ends; false when the deadline passes first.
  bool read_until(const std::function<bool()>& done, std::chrono::milliseconds limit = kDeadline) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (eof_) return false;
      bool finished = false;
      std::array<char, 16384> chunk;
      auto on_read = [&](boost::system::error_code ec, std::size_t n) {
        finished = true;
        raw_.append(chunk.data(), n);
        if (ec) eof_ = true;
      };
      if (tls_) tls_->async_read_some(asio::buffer(chunk), on_read);
      else socket_.async_read_some(asio::buffer(chunk), on_read);
      io_.restart();
      io_.run_until(until);
      if (!finished) {
        socket_.cancel();
        io_.restart();
        io_.run();
        return false;
      }
      parse();
    }
    return true;
  }
  bool read_head() {
    return read_until([&] { return head_done_; });
  }
  bool read_to_end() {
    read_until([] { return false; });
    return eof_;
  }

  void close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  const std::string& head() const { return head_; }
  const std::string& body() const { return body_; }
  bool last_chunk_seen() const { return last_chunk_; }
  bool eof() const { return eof_; }

 private:
  void parse() {
    if (!head_done_) {
      auto end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_ = raw_.substr(0, end + 2);
      pos_ = end + 4;
      head_done_ = true;
      chunked_ = head_.find("Transfer-Encoding: chunked") != std::string::npos;
    }
    if (!chunked_) {
      body_ += raw_.substr(pos_);
      pos_ = raw_.size();
      return;
    }
    while (!last_chunk_) {
      auto line_end = raw_.find("\r\n", pos_);
      if (line_end == std::string::npos) return;
      std::size_t size = std::stoul(raw_.substr(pos_, line_end - pos_), nullptr, 16);
      if (raw_.size() < line_end + 2 + size + 2) return;
      body_ += raw_.substr(line_end + 2, size);
      pos_ = line_end + 2 + size + 2;
      if (size == 0) last_chunk_ = true;
    }
  }

  asio::io_context io_;
  tcp::socket socket_;
  ssl::context tls_context_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
  std::string raw_;
  std::size_t pos_ = 0;
  bool head_done_ = false;
  bool chunked_ = false;
  bool last_chunk_ = false;
  bool eof_ = false;
  std::string head_;
  std::string body_;
};

// ---- The server ----------------------------------------------------------------------------------

// GET /events answers with a new EventStream (kept in `streams`); anything else with 200 "ok".
class Harness {
 public:
  explicit Harness(ServerOptions options = {}, std::size_t bound = EventStream::default_max_buffered_bytes)
      : bound_(bound) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(io_, std::move(options), [this](Request&& request, Responder respond) {
      if (request.path != "/events") return respond(Response::text(200, "ok"));
      auto stream = std::make_shared<EventStream>(bound_);
      stream->on_close([this] {
        std::lock_guard lock(mutex_);
        ++closes_;
        changed_.notify_all();
      });
      {
        std::lock_guard lock(mutex_);
        streams_.push_back(stream);
        changed_.notify_all();
      }
      auto response = Response::event_stream(stream);
      response.headers.push_back({"X-Stream-Test", "yes"});
      respond(std::move(response));
    });
    auto started = server_->start();
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  ~Harness() {
    server_->stop_accepting();
    guard_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  std::uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }

  // The n-th stream (0-based) once its request has reached the handler.
  std::shared_ptr<EventStream> stream(std::size_t n) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, kDeadline, [&] { return streams_.size() > n; })) return nullptr;
    return streams_[n];
  }
  bool wait_closes(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [&] { return closes_ >= n; });
  }
  int closes() {
    std::lock_guard lock(mutex_);
    return closes_;
  }

 private:
  // Declared before io_: callbacks from coroutine frames the io_context destroys may still use them.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<EventStream>> streams_;
  int closes_ = 0;
  std::size_t bound_;
  asio::io_context io_{2};
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  std::unique_ptr<Server> server_;
  std::vector<std::thread> threads_;
};

ServerOptions quiet() {
  ServerOptions o;
  o.stream_ping_interval_ms = 60'000;  // no pings in the way of exact comparisons
  return o;
}

// Opens GET /events and reads the response head.
std::unique_ptr<Client> open_stream(Harness& h, bool tls = false, int receive_buffer = 0) {
  auto client = std::make_unique<Client>(h.port(), tls, receive_buffer);
  client->send_request("/events");
  EXPECT_TRUE(client->read_head());
  return client;
}

// Sends to a client that does not read until the server's write to it no longer completes (the socket
// buffers are full), staying under half the bound.
bool fill_until_stuck(EventStream& stream, std::size_t bound) {
  const std::string data(8 * 1024, 'x');
  auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    while (stream.buffered_bytes() + data.size() < bound / 2) {
      if (!stream.send("bulk", data)) return false;
    }
    if (!eventually([&] { return stream.buffered_bytes() == 0; }, 200ms)) return true;
  }
  return false;
}

// ---- Tests ---------------------------------------------------------------------------------------

TEST(EventStream, HeadersAndEventsArriveInOrderAndFormatted) {
  Harness h(quiet());
  auto client = open_stream(h);
  const std::string& head = client->head();
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Cache-Control: no-store\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Accel-Buffering: no\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Stream-Test: yes\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;

  auto stream = h.stream(0);
  ASSERT_TRUE(stream);
  EXPECT_EQ(h.server().stats().streams_open.load(), 1u);
  EXPECT_TRUE(stream->send("greeting", "hello"));
  EXPECT_TRUE(stream->send("", "line1\nline2\r\nline3\rline4"));
  EXPECT_TRUE(stream->send("update", "{\"n\":1}", "42"));
  EXPECT_TRUE(stream->send("in\r\nject", "trailing\n"));
  EXPECT_TRUE(stream->send("empty", ""));
  const std::string expected =
      "event: greeting\ndata: hello\n\n"
      "data: line1\ndata: line2\ndata: line3\ndata: line4\n\n"
      "id: 42\nevent: update\ndata: {\"n\":1}\n\n"
      "event: inject\ndata: trailing\ndata: \n\n"
      "event: empty\ndata: \n\n";
  ASSERT_TRUE(client->read_until([&] { return client->body().size() >= expected.size(); })) << client->body();
  EXPECT_EQ(client->body(), expected);

  // close(): what is queued is still written, then the chunked body ends and the connection closes.
  EXPECT_TRUE(stream->send("last", "bye"));
  stream->close();
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->send("late", "never"));
  EXPECT_TRUE(client->read_to_end());
  EXPECT_TRUE(client->last_chunk_seen());
  EXPECT_EQ(client->body(), expected + "event: last\ndata: bye\n\n");
  EXPECT_TRUE(h.wait_closes(1));
  EXPECT_EQ(stream->end_reason(), End::closed);
  EXPECT_TRUE(eventually([&] { return h.server().stats().streams_open.load() == 0; }));
}

TEST(EventStream, EventsSentFromOtherThreadsArrive) {
  Harness h(quiet());
  auto client = open_stream(h);
  auto stream = h.stream(0);
  ASSERT_TRUE(stream);
  constexpr int kThreads = 4, kEach = 200;
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) EXPECT_TRUE(stream->send("t" + std::to_string(t), std::to_string(i)));
    });
  }
  for (auto& s : senders) s.join();
  ASSERT_TRUE(client->read_until([&] { return count(client->body(), "\n\n") == kThreads * kEach; }));
  // Each thread's events in its own order.
  std::map<std::string, int> next;
  std::size_t at = 0;
  const std::string& body = client->body();
  while (at < body.size()) {
    auto end = body.find("\n\n", at);
    ASSERT_NE(end, std::string::npos);
    std::string event = body.substr(at, end - at);
    auto newline = event.find('\n');
    ASSERT_EQ(event.rfind("event: t", 0), 0u) << event;
    std::string thread = event.substr(7, newline - 7);
    EXPECT_EQ(event.substr(newline + 1), "data: " + std::to_string(next[thread]++)) << event;
    at = end + 2;
  }
  EXPECT_EQ(next.size(), static_cast<std::size_t>(kThreads));
  for (auto& [thread, n] : next) EXPECT_EQ(n, kEach) << thread;
}

TEST(EventStream, PingCommentsKeepAQuietStreamAlive) {
  ServerOptions o;
  o.stream_ping_interval_ms = 30;
  Harness h(o);
  auto client = open_stream(h);
  ASSERT_TRUE(client->read_until([&] { return count(client->body(), ": ping\n\n") >= 2; })) << client->body();
  EXPECT_EQ(client->body().find(": ping\n\n"), 0u);
  auto stream = h.stream(0);
  ASSERT_TRUE(stream);
  EXPECT_TRUE(stream->send("after", "ping"));
  ASSERT_TRUE(client->read_until([&] { return client->body().find("event: after\ndata: ping\n\n") != std::string::npos; }));
}

TEST(EventStream, RequestTimeoutsDoNotCutALiveStream) {
  ServerOptions o;
  o.idle_timeout_s = 1;
  o.request_timeout_s = 1;
  o.stream_ping_interval_ms = 100;
  Harness h(o);
  auto client = open_stream(h);
  auto stream = h.stream(0);
  ASSERT_TRUE(stream);
  auto opened = std::chrono::steady_clock::now();
  // Past both timeouts, with only pings on the wire.
  ASSERT_TRUE(client->read_until([&] { return std::chrono::steady_clock::now() - opened > 1500ms; }, 5s));
  EXPECT_FALSE(client->eof());
  EXPECT_GE(count(client->body(), ": ping\n\n"), 5u);
  EXPECT_FALSE(stream->closed());
  EXPECT_TRUE(stream->send("still", "here"));
  ASSERT_TRUE(client->read_until([&] { return client->body().find("event: still\ndata: here\n\n") != std::string::npos; }));
}

TEST(EventStream, ClientDisconnectEndsTheStream) {
  Harness h(quiet());
  auto client = open_stream(h);
  auto stream = h.stream(0);
  ASSERT_TRUE(stream);
  EXPECT_TRUE(stream->send("one", "1"));
  ASSERT_TRUE(client->read_until([&] { return client->body() == "event: one\ndata: 1\n\n"; }));
  client->close();
  // Noticed by the server's read side, without any write to fail.
  ASSERT_TRUE(h.wait_closes(1));
  EXPECT_TRUE(stream->closed());
  EXPECT_EQ(stream->end_reason(), End::client_gone);
  EXPECT_FALSE(stream->send("two", "2"));
  EXPECT_TRUE(eventually([&] { return h.server().stats().streams_open.load() == 0; }));
}

TEST(EventStream, SlowClientIsDroppedAtTheBound) {
  constexpr std::size_t kBound = 64 * 1024;
  ServerOptions o = quiet();
  o.request_timeout_s = 60;  // the write timeout: only the drop itself may end the stream in time
  Harness h(o, kBound);
  auto client = open_stream(h, false, 4096);  // reads the head, then nothing more
  auto stream = h.stream(0);
  ASSERT_TRUE(stream);
  ASSERT_TRUE(fill_until_stuck(*stream, kBound));
  EXPECT_FALSE(stream->closed());
  const std::string data(8 * 1024, 'x');
  // Now queue up to the bound and past it.
  bool dropped = false;
  for (std::size_t i = 0; i <= kBound / data.size() + 1 && !dropped; ++i) {
    dropped = !stream->send("bulk", data);
    ASSERT_LE(stream->buffered_bytes(), kBound);
  }
  ASSERT_TRUE(dropped);
  EXPECT_EQ(stream->end_reason(), End::slow_consumer);
  // The server was stuck in a write to this client: the drop has to cut it, long before its timeout.
  ASSERT_TRUE(h.wait_closes(1));
  EXPECT_TRUE(eventually([&] { return h.server().stats().streams_open.load() == 0; }));
  EXPECT_EQ(stream->buffered_bytes(), 0u);
  EXPECT_FALSE(stream->send("after", "drop"));
}

TEST(EventStream, StopAcceptingEndsOpenStreams) {
  constexpr std::size_t kBound = 64 * 1024;
  ServerOptions o = quiet();
  o.request_timeout_s = 60;  // a write stuck on the slow client must not be what ends it
  Harness h(o, kBound);
  auto a = open_stream(h);
  auto b = open_stream(h);
  auto slow = open_stream(h, false, 4096);
  auto sa = h.stream(0), sb = h.stream(1), sslow = h.stream(2);
  ASSERT_TRUE(sa && sb && sslow);
  EXPECT_TRUE(sa->send("x", "1"));
  ASSERT_TRUE(a->read_until([&] { return !a->body().empty(); }));
  ASSERT_TRUE(fill_until_stuck(*sslow, kBound));
  EXPECT_TRUE(eventually([&] { return h.server().stats().streams_open.load() == 3; }));
  auto stopping = std::chrono::steady_clock::now();
  h.server().stop_accepting();
  ASSERT_TRUE(h.wait_closes(3));
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 5s);
  EXPECT_EQ(sa->end_reason(), End::server_stopping);
  EXPECT_EQ(sb->end_reason(), End::server_stopping);
  EXPECT_EQ(sslow->end_reason(), End::server_stopping);
  EXPECT_FALSE(sa->send("x", "2"));
  // Both clients see a proper end of the body, then the connection closes.
  EXPECT_TRUE(a->read_to_end());
  EXPECT_TRUE(a->last_chunk_seen());
  EXPECT_TRUE(b->read_to_end());
  EXPECT_TRUE(b->last_chunk_seen());
  EXPECT_TRUE(eventually([&] { return h.server().stats().streams_open.load() == 0; }));
}

TEST(EventStream, OrdinaryRequestsAreUnaffectedByOpenStreams) {
  Harness h(quiet());
  auto a = open_stream(h);
  auto b = open_stream(h);
  auto sa = h.stream(0), sb = h.stream(1);
  ASSERT_TRUE(sa && sb);
  EXPECT_TRUE(eventually([&] { return h.server().stats().streams_open.load() == 2; }));

  Client other(h.port(), false);
  other.send_request("/v1/health");
  ASSERT_TRUE(other.read_until([&] { return other.body() == "ok"; }));
  EXPECT_EQ(other.head().rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(other.head().find("Content-Length: 2\r\n"), std::string::npos);
  // Keep-alive as before: a second request on the same connection (its whole response lands in
  // body(), which the Client reads as raw bytes once past the first head).
  other.send_request("/v1/health");
  ASSERT_TRUE(other.read_until([&] { return other.body().size() > 2 && other.body().ends_with("\r\n\r\nok"); }));
  EXPECT_EQ(other.body().rfind("okHTTP/1.1 200 OK\r\n", 0), 0u) << other.body();

  EXPECT_TRUE(sa->send("a", "1"));
  EXPECT_TRUE(sb->send("b", "2"));
  ASSERT_TRUE(a->read_until([&] { return a->body() == "event: a\ndata: 1\n\n"; }));
  ASSERT_TRUE(b->read_until([&] { return b->body() == "event: b\ndata: 2\n\n"; }));
  EXPECT_EQ(h.closes(), 0);
}

TEST(EventStream, WorksOverTls) {
  auto certificate = make_certificate();
  ServerOptions o = quiet();
  o.tls_cert_file = certificate->cert_file;
  o.tls_key_file = certificate->key_file;
  Harness h(o);
  ASSERT_TRUE(h.server().tls());
  auto client = open_stream(h, true);
  EXPECT_NE(client->head().find("Content-Type: text/event-stream\r\n"), std::string::npos) << client->head();
  auto stream = h.stream(0);
  ASSERT_TRUE(stream);
  EXPECT_TRUE(stream->send("secure", "a\nb"));
  ASSERT_TRUE(client->read_until([&] { return client->body() == "event: secure\ndata: a\ndata: b\n\n"; }));
  stream->close();
  EXPECT_TRUE(client->read_to_end());
  EXPECT_TRUE(client->last_chunk_seen());
  EXPECT_TRUE(h.wait_closes(1));

  // And a TLS client that goes away is noticed too.
  auto gone = open_stream(h, true);
  auto second = h.stream(1);
  ASSERT_TRUE(second);
  gone->close();
  EXPECT_TRUE(h.wait_closes(2));
  EXPECT_EQ(second->end_reason(), End::client_gone);
}

TEST(EventStream, Http10ClientGetsTheBodyUntilTheConnectionCloses) {
  Harness h(quiet());
  Client client(h.port(), false);
  client.send_request("/events", "HTTP/1.0");
  ASSERT_TRUE(client.read_head());
  EXPECT_EQ(client.head().find("Transfer-Encoding"), std::string::npos) << client.head();
  auto stream = h.stream(0);
  ASSERT_TRUE(stream);
  EXPECT_TRUE(stream->send("old", "client"));
  stream->close();
  EXPECT_TRUE(client.read_to_end());
  EXPECT_EQ(client.body(), "event: old\ndata: client\n\n");
  EXPECT_TRUE(h.wait_closes(1));
}

TEST(EventStream, StreamNeverServedStillRunsOnClose) {
  int calls = 0;
  {
    auto stream = std::make_shared<EventStream>();
    stream->on_close([&] { ++calls; });
    EXPECT_TRUE(stream->send("e", "d"));
    EXPECT_EQ(stream->buffered_bytes(), std::string("event: e\ndata: d\n\n").size());
    stream->close();
    EXPECT_FALSE(stream->send("e", "d"));
    EXPECT_EQ(calls, 0);  // ended, but nobody has let go of it yet
  }
  EXPECT_EQ(calls, 1);
}

TEST(EventStream, EventLargerThanTheBoundEndsTheStream) {
  EventStream stream(16);
  EXPECT_FALSE(stream.send("e", std::string(32, 'x')));
  EXPECT_EQ(stream.end_reason(), End::slow_consumer);
  EXPECT_EQ(stream.buffered_bytes(), 0u);
}

}  // namespace
}  // namespace jarip::http
