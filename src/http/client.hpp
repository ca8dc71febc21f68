// Outbound HTTP/1.1 client with keep-alive pools per origin, for provider calls and webhooks.
// Every request has a deadline covering connect, write and read. The result says whether the
// request may have reached the server: a refused connection is safe to send elsewhere, a timeout
// after the request was written is ambiguous (the provider may have acted on it).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace jarip::http {

struct ClientRequest {
  std::string method = "POST";
  std::string url;  // http:// or https://
  std::vector<Header> headers;
  std::string body;
  int timeout_ms = 5000;
};

struct ClientResult {
  enum class Kind {
    response,         // an HTTP response arrived (any status)
    not_sent,         // failed before any byte of the request was written (refused, DNS, TLS handshake)
    failed_after_send,// connection failed after the request was written, no response: ambiguous
    timeout_after_send,// deadline passed after the request was written: ambiguous
    timeout_not_sent, // deadline passed while connecting: safe
    invalid_url,
  };
  Kind kind = Kind::not_sent;
  int status = 0;
  std::string body;
  std::string error;  // for logs; never contains the request's secrets
  int elapsed_ms = 0;

  bool ambiguous() const { return kind == Kind::failed_after_send || kind == Kind::timeout_after_send; }
};

struct ClientOptions {
  std::size_t max_connections_per_origin = 64;
  int idle_keepalive_ms = 10000;  // shorter than typical servers' so we rarely write to a closing socket
  bool verify_tls = true;
};

class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor executor, ClientOptions options = {});
  ~HttpClient();
  // done runs on the client's executor.
  void send(ClientRequest request, std::function<void(ClientResult)> done);
  // Requests waiting for a free connection, over all origins.
  std::size_t queued() const;
  // Closes idle connections (shutdown).
  void close_idle();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::http
