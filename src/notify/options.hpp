// Delivery configuration as the engine and the API see it, already validated by app/config.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "channels/provider.hpp"
#include "channels/transport.hpp"
#include "common/clock.hpp"
#include "notify/breaker.hpp"
#include "store/records.hpp"

namespace jarip::notify {

struct ProviderRuntime {
  std::string name;
  std::shared_ptr<const channels::ProviderAdapter> adapter;
  std::vector<std::string> channels;  // chain channels it serves: "alimtalk", "sms"
  int timeout_ms = 3000;              // per send request
  double rate_per_s = 0;              // 0 = unlimited
  int max_concurrency = 32;           // send requests in flight at once
  std::map<std::string, double> price;  // by send kind: alimtalk, sms, lms, email, push (KRW per message)
  // Providers not reached by one HTTP request per batch (SMTP, web push, inbox) send through this.
  std::shared_ptr<channels::Transport> transport;
};

struct AdOptions {
  std::string sender_name;      // shown after "(광고)"
  std::string opt_out_number;   // free 080 opt-out line
};

// Provider orders changed at run time (the console's "chains", shared by every node through the
// store's settings). Thread-safe: the API composes on I/O threads while a node applies new settings.
class ChainOverrides {
 public:
  // The channel's order when one was set, else empty.
  std::vector<std::string> get(const std::string& channel) const;
  // An empty order removes the override (the configured one applies again).
  void set(const std::string& channel, std::vector<std::string> providers);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> orders_;
};

struct DeliveryOptions {
  std::vector<std::string> default_chain{"alimtalk", "sms"};
  std::map<std::string, std::vector<std::string>> channel_providers;  // channel → provider order
  // Consulted before channel_providers; shared by every copy of these options.
  std::shared_ptr<ChainOverrides> chain_overrides = std::make_shared<ChainOverrides>();
  TimeMs report_deadline_ms = 30'000;  // a sent step without a report by then moves on (ambiguous)
  int max_step_attempts = 5;
  // An ambiguous attempt is settled by the provider's status query no earlier than this after it
  // was made, so that the provider has had time to list what it took.
  TimeMs settle_after_ms = 2'000;
  TimeMs retry_base_ms = 500;
  TimeMs retry_cap_ms = 30'000;
  TimeMs lease_ms = 60'000;
  int claim_batch = 1000;
  int max_active = 20'000;             // messages held in memory at once (back-pressure beyond)
  TimeMs max_ttl_ms = 7LL * 24 * 3600 * 1000;
  TimeMs retention_ms = 30LL * 24 * 3600 * 1000;  // message bodies purged after this
  std::string sms_unencodable = "reject";  // or "replace": characters CP949 cannot encode become '?'
  AdOptions ads;
  BreakerConfig breaker;
  // A request unanswered for stall_latency_factor × the provider's p99 latency (at least
  // stall_min_ms, at most half its timeout) is stalled; breaker.consecutive_failures stalled
  // requests while the provider answers nothing else open its breaker before they time out.
  TimeMs stall_min_ms = 250;
  int stall_latency_factor = 5;
  std::map<std::string, double> daily_cap_krw;  // per channel; 0 or absent = no cap
  bool webhooks = false;  // record message.* and provider.* events for the merchant's webhook
  // Signed links into the customer's own pages (portal/), put into messages at send time. Unset:
  // no such link is offered. unsubscribe_link(customer_id, channel) opts the customer out of ads on
  // that channel; inbox_link(customer_id) opens their inbox.
  std::function<std::string(const std::string& customer_id, const std::string& channel)> unsubscribe_link;
  std::function<std::string(const std::string& customer_id)> inbox_link;
  // For an email to an address that is no customer of the directory: unsubscribes the address.
  std::function<std::string(const std::string& address)> unsubscribe_address_link;
  // Long URLs in SMS/LMS texts become short links ({public_url}/s/{code}) counted per message: the
  // text with the replacements, and the links to store with the message. Unset: texts stay as given.
  std::function<std::string(const std::string& text, const std::string& message_id, TimeMs now,
                            std::vector<store::ShortLinkRecord>& links)>
      shorten_sms_links;
};

}  // namespace jarip::notify
