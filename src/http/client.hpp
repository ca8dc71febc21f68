// Outbound HTTP/1.1 client with keep-alive pools per origin, for provider calls and webhooks.
// Every request has a deadline covering connect, write and read. The result says whether the
// request may have reached the server: a refused connection is safe to send elsewhere, a timeout
// after the request was written is ambiguous (the provider may have acted on it).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
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
  std::vector<Header> headers;  // the response's header fields as received (kind == response)
  bool address_refused = false;  // not_sent because ClientOptions::address_filter refused an address

  bool ambiguous() const { return kind == Kind::failed_after_send || kind == Kind::timeout_after_send; }
  // The first response header with this name (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
};

// Decides whether the client may connect to an address the resolver returned. Used as an SSRF guard
// for URLs that come from outside (Web Push endpoints): a host name that looked public can resolve to
// 127.0.0.1 or 10.x, and only the resolved address tells.
using AddressFilter = std::function<bool(const boost::asio::ip::address&)>;

struct ClientOptions {
  std::size_t max_connections_per_origin = 64;
  int idle_keepalive_ms = 10000;  // shorter than typical servers' so we rarely write to a closing socket
  bool verify_tls = true;
  // When set, every address a host name resolves to is checked before connecting; if any is refused
  // the request fails as not_sent (nothing was written) with an error naming the address. A name that
  // resolves to both a public and a private address is refused as a whole: connecting to the public
  // one would only be luck of ordering. Empty: no check (provider base URLs from configuration).
  AddressFilter address_filter = {};
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
