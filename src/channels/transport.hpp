// Providers that are not reached by one HTTP request per batch send through a Transport: an SMTP
// relay (a conversation over a pooled TLS connection), a Web Push service (one request per device,
// to an endpoint the subscription names) and the inbox (a row jarip already holds). Their
// ProviderAdapter still answers the engine's questions (kinds, batch size, deduplication, reports);
// the engine hands each batch to the transport instead of calling build_send and its HTTP client.
//
// A transport runs on the executor it was made with (the engine's) and calls `done` there, exactly
// once per send, within the timeout it was given.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "channels/provider.hpp"
#include "common/result.hpp"

namespace jarip::channels {

// How the provider itself behaved, for its breaker: `failure` for an unhealthy answer (SMTP 421 or
// a refused connection, push service 5xx), `timeout` when it did not answer in time.
enum class ProviderHealth { ok, failure, timeout };

struct TransportResult {
  std::vector<SendResult> results;  // one per message of the batch, in order
  ProviderHealth health = ProviderHealth::ok;
  bool answered = false;  // the provider said something (any reply): not a stall
  int elapsed_ms = 0;
  std::string error;  // for logs; never a secret
};

class Transport {
 public:
  virtual ~Transport() = default;
  // REQUIRES: batch.size() <= the adapter's max_batch(kind).
  virtual void send(SendKind kind, std::vector<OutboundMessage> batch, int timeout_ms,
                    std::function<void(TransportResult)> done) = 0;
  // Shutdown: closes idle connections; sends in flight still complete.
  virtual void close() {}
};

// What a transport may use besides its settings.
struct TransportEnv {
  boost::asio::any_io_executor executor;
  // Push endpoints on loopback/private addresses are accepted (tests, the simulator).
  bool allow_private_endpoints = false;
  // Verify TLS certificates of SMTP relays and push services (off only for tests with their own CA).
  bool verify_tls = true;
  // A push service said a subscription is gone (404/410): the directory forgets it. Called on the
  // executor; the callee does the store work on the store's threads.
  std::function<void(const std::string& customer_id, const std::string& endpoint)> on_push_subscription_gone;
};

// The transport for providers of settings.type that need one ("smtp", "webpush", "inbox"); nullptr
// for the HTTP adapters. Errors as make_adapter's.
Result<std::shared_ptr<Transport>> make_transport(const ProviderSettings& settings, const TransportEnv& env);

}  // namespace jarip::channels
