// The delivery engine: takes accepted messages, walks each one along its channel chain through the
// provider adapters, and records every attempt. One thread (its own io_context) owns all engine
// state, so nothing here takes a lock on the hot path; the API and the store talk to it by posting.
// See docs/architecture.md for the state machine, the breaker and the lease protocol.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "channels/provider.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "notify/options.hpp"
#include "store/store.hpp"

namespace jarip::notify {

struct ConsentNotices;  // customer_api.hpp

struct ChannelStatus {
  std::string provider;
  std::vector<std::string> channels;
  std::string breaker_state;  // closed | open | half_open | forced_open
  TimeMs since_ms = 0;
  double success_ratio = 1.0;
  TimeMs latency_p50_ms = 0;
  TimeMs latency_p99_ms = 0;
  std::uint64_t window_count = 0;
  std::size_t queued = 0;
  int in_flight = 0;
};

struct EngineCounters {
  std::size_t active = 0;  // messages held in memory
  std::size_t queued = 0;  // waiting for a provider
  // Estimated spending since KST midnight by channel, from the configured prices (this node's sends).
  std::map<std::string, double> spent_today_krw;
};

class Engine {
 public:
  Engine(boost::asio::io_context& io, store::Store& store, const Clock& clock, DeliveryOptions options,
         std::vector<ProviderRuntime> providers, MetricsRegistry& metrics, std::string node_id);
  ~Engine();

  // Releases stale leases (single node), then starts claiming and sending.
  void start();
  // Stops claiming; waits up to grace_ms for in-flight provider calls and their writes; then done().
  void stop(TimeMs grace_ms, std::function<void()> done);

  const std::string& node_id() const;
  const ProviderRuntime* find_provider(const std::string& name) const;
  const DeliveryOptions& options() const;

  // Thread-safe. Reserves room in memory for n newly accepted messages so that they are stored
  // already leased to this node and need no claim round trip; false when the engine is full
  // (they are then stored unleased and claimed later).
  bool reserve(int n);
  void unreserve(int n);
  // Thread-safe. Hands over messages committed with this node's lease (after reserve()).
  void adopt(std::vector<store::MessageRecord> messages);
  // Thread-safe. Something became due (a commit without lease, a report that moved a message on).
  void wake();

  // Thread-safe. Cancels a message no provider has been asked to send yet.
  // done(status, state): ok → canceled; Error{"conflict"} with the message's state otherwise.
  void cancel(const std::string& id, std::function<void(Status, std::string state)> done);

  // Thread-safe. Applies an authenticated provider webhook: records the reports and opt-outs
  // durably, moves messages on, then calls done (answer the webhook only after that).
  void apply_reports(const std::string& provider, channels::ReportBatch batch, std::function<void(Status)> done);

  // Thread-safe. Operator drain: force the provider's breaker open (messages skip it) or clear it.
  // done(Error "not_found") for an unknown provider.
  void drain(const std::string& provider, bool on, const std::string& reason, std::function<void(Status)> done);

  // How consent withdrawals reported by providers (080 opt-outs) are confirmed to customers. Call
  // before start().
  void set_consent_notices(std::shared_ptr<const ConsentNotices> notices);

  // Thread-safe snapshots for the API and /metrics.
  std::vector<ChannelStatus> channel_status() const;
  EngineCounters counters() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace jarip::notify
