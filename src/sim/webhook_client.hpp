// Delivers due reports to a webhook: batches of up to report_batch_max items per POST, each POST
// with a 5 s timeout, up to 5 attempts (backoff 200 ms, 400 ms, 800 ms, 1.6 s) until answered 200.
// Plain http:// URLs only (the simulator runs beside jarip on loopback).
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/simulator.hpp"

namespace jarip::sim {

constexpr int kWebhookAttempts = 5;
constexpr int kWebhookTimeoutMs = 5000;
constexpr int kWebhookMaxInFlight = 8;

class WebhookClient {
 public:
  // An empty or non-http URL disables delivery (reports still become final in the record).
  WebhookClient(boost::asio::io_context& io, Simulator& sim, Stream stream, const std::string& url,
                std::vector<std::pair<std::string, std::string>> headers);
  ~WebhookClient();
  void pump();  // call often: takes due reports and starts POSTs
  bool enabled() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::sim
