// Webhooks to the merchant: message.delivered, message.failed, provider.down, provider.up, signed
// per Standard Webhooks and delivered at least once, in order per message, from a durable outbox
// (store::WebhookEventRecord rows written in the same transaction as the change they report).
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "store/store.hpp"

namespace jarip::notify {

struct WebhookOptions {
  std::string url;     // empty: webhooks off (no events are recorded)
  std::string secret;  // "whsec_<base64>"
  int timeout_ms = 5000;
  int max_attempts = 30;  // then the event is marked dead (visible in metrics), never silently dropped
  TimeMs retry_base_ms = 1000;
  TimeMs retry_cap_ms = 3'600'000;
  bool enabled() const { return !url.empty(); }
};

store::WebhookEventRecord message_event(const std::string& type, const store::MessageRecord& message, TimeMs now);
store::WebhookEventRecord provider_event(const std::string& type, const std::string& provider,
                                         const std::string& state, const std::string& reason, TimeMs now);

class WebhookDispatcher {
 public:
  WebhookDispatcher(boost::asio::io_context& io, store::Store& store, const Clock& clock, WebhookOptions options,
                    MetricsRegistry& metrics);
  ~WebhookDispatcher();
  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::notify
