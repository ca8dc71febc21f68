// Staff alerts: when a provider's breaker opens or closes, a channel's daily spending cap holds
// messages, or the queue backs up, the on-duty operators are told at once — in the console (the
// stored alert, and on_alert for its live notification) and by email.
//
// The emails are ordinary jarip messages, composed like an API request and stored in the same
// transaction as the alert, so they get the engine's retries, failover and attempt history. They go
// along the email channel only: an alert about a failing AlimTalk or SMS provider never depends on
// it, and when the failing provider is itself an email provider its breaker makes the engine skip it
// for the next email provider (or wait for it, when it is the only one).
//
// Alert storms: the store raises at most one alert per kind and subject within the quiet period,
// across every node (insert_staff_alert, with a dedup key per quiet-period bucket so that nodes
// seeing the same event at once write it once); this node also stops trying within the period. What
// was held back is not lost: when the period ends and the state still differs from what operators
// were last told (the breaker flapped and is open again), they are told.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <string>

#include "alerts/detection.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "common/result.hpp"
#include "notify/engine.hpp"
#include "store/store.hpp"

namespace jarip::alerts {

// Composes one message from an API-shaped request (notify::Api::message_composer()); called on the
// store's writer thread.
using MessageComposer = std::function<Result<store::MessageRecord>(const boost::json::value& request)>;

// "kind:subject:bucket": the bucket is the quiet period the event falls in (created_ms / quiet_ms),
// for spending_cap the KST day (a cap is per day: its alert is once a day per channel).
std::string alert_dedup_key(const AlertEvent& event, TimeMs quiet_ms);

struct RecordOutcome {
  bool inserted = false;          // false: held back (quiet period, dedup, or operators already know)
  bool already_told = false;      // unless_told found operators were last told this
  store::StaffAlertRecord alert;  // as stored, when inserted
  int emails = 0;                 // alert emails stored with it
};

// Inside a store write: stores the alert unless held back, and with it one email per enabled,
// on-duty operator in the operator's language, recording who was told how in delivery_json
// ([{"operator":id,"via":"email","message_id":…}], or "error" instead of "message_id" for an
// operator the composer refused). No email at all (no operator on duty, no email provider, no
// composer): delivery_json is [] and detail_json's "delivery_reason" says why.
//
// unless_told: first look at the newest alert about the subject of the same family (breaker_*,
// queue_*); when it is of this very kind, operators know already and nothing is stored.
Result<RecordOutcome> record_staff_alert(store::StoreSession& session, const AlertEvent& event,
                                         const MessageComposer& compose, const StaffAlertOptions& options,
                                         bool unless_told);

struct StaffAlertHooks {
  MessageComposer compose;     // unset: console alerts only
  std::function<void()> wake;  // the engine: alert emails are due
  // Each alert this node stored, on the io_context (the console's live notification).
  std::function<void(const store::StaffAlertRecord&)> on_alert;
};

// Polls `snapshot` on the io_context (the engine's) every poll_ms, runs the detector, and stores
// what it finds, one store write per event.
class StaffAlertService {
 public:
  StaffAlertService(boost::asio::io_context& io, store::Store& store, const Clock& clock,
                    std::function<Snapshot()> snapshot, StaffAlertOptions options, StaffAlertHooks hooks,
                    MetricsRegistry& metrics);
  ~StaffAlertService();

  // Starts polling (nothing when options.enabled is false). Thread-safe.
  void start();
  // Stops polling; writes already queued still complete. Thread-safe.
  void stop();
  // One poll now. REQUIRES: on the io_context's thread (tests drive the service with it).
  void poll_once();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The engine as the detector sees it: breaker states, the messages it holds (queue depth), and the
// spending-cap hits of every capped channel. Thread-safe; engine and metrics must outlive it.
std::function<Snapshot()> engine_snapshot_source(const notify::Engine& engine, MetricsRegistry& metrics);

}  // namespace jarip::alerts
