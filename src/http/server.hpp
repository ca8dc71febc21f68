// HTTP/1.1 server on Boost.Beast with C++20 coroutines: plain HTTP (for loopback behind a reverse
// proxy) or HTTPS from certificate/key files that reload_tls() swaps in for new connections.
#pragma once

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "http/message.hpp"

namespace jarip::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 = any free port (see Server::port())
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
  std::size_t body_limit = 1 << 20;                 // 1 MiB for ordinary requests
  std::size_t large_body_limit = 8 << 20;           // for paths that accept batches
  std::vector<std::string> large_body_paths = {"/v1/messages/batch", "/v1/customers/import"};
  int idle_timeout_s = 60;
  int request_timeout_s = 30;  // reading one request, headers and body
  std::size_t max_connections = 19000;  // the process may hold 20,000 descriptors at most
  // Event streams (Response::stream): a ": ping" comment after this long without a write, so that
  // proxies and browsers do not give up on a quiet stream.
  int stream_ping_interval_ms = 15000;
};

struct ServerStats {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> rejected_oversize{0};
  std::atomic<std::uint64_t> streams_open{0};  // event streams being served
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, Handler handler);
  ~Server();

  // Binds and starts accepting. Fails with a clear Error when the port is taken or TLS files are bad.
  Status start();
  // Stops accepting; open connections finish their current request and close. Open event streams
  // end now (End::server_stopping; a write stuck on a slow client is cut) so that they do not hold
  // shutdown up.
  void stop_accepting();
  // Re-reads the certificate and key (SIGHUP). Keeps the old ones when the new ones fail to load.
  Status reload_tls();

  std::uint16_t port() const;
  bool tls() const;
  const ServerStats& stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::http
