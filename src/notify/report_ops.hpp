// State changes that happen inside one storage transaction, away from the engine thread: applying
// delivery reports, expiring report deadlines, recovering sends interrupted by a crash, and
// cancelling a stored message. Pure functions of a StoreSession, so they are unit-tested directly.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "channels/provider.hpp"
#include "store/store.hpp"

namespace jarip::notify {

struct ConsentNotices;  // customer_api.hpp

// "provider/kind" → dedup window for the adapters that deduplicate on our key.
using DedupRules = std::map<std::string, TimeMs>;

struct ReportEffect {
  std::string message_id;
  bool delivered = false;
  bool provider_fault = false;  // the provider failed (not the recipient): counts against its breaker
};

struct ReportEffects {
  std::vector<ReportEffect> outcomes;
  int moved_on = 0;     // messages sent back to the engine for their next step
  int unmatched = 0;    // reports for attempts jarip does not know
  int late = 0;         // reports for a step the message had already left
  int notices = 0;      // consent confirmations stored (080 opt-outs): new messages are due
};

// Whether the provider of an attempt can be asked what became of it (a status query can be built).
// Called on the store's writer thread: it must only read immutable adapter configuration.
using CanQueryStatus = std::function<bool(const store::AttemptRecord&, const store::MessageRecord&)>;

// A message found in state "sending" when claimed: the process that sent it died (or died while
// settling an ambiguous attempt). Its open attempts become ambiguous. Then, in order of preference:
// the step is repeated where the provider deduplicates within its window; the last ambiguous
// attempt of the step is returned for settling by status query (the message stays "sending");
// otherwise the message moves on to its next step.
Result<std::optional<store::AttemptRecord>> recover_interrupted_send(store::StoreSession& session,
                                                                     store::MessageRecord& message, TimeMs now,
                                                                     const DedupRules& rules,
                                                                     const CanQueryStatus& can_query);

// A sent message whose report did not arrive in time: the attempt becomes ambiguous and the message
// moves to its next step. Returns the provider of that attempt.
Result<std::string> expire_report_deadline(store::StoreSession& session, store::MessageRecord& message, TimeMs now);

// emit_webhooks: also record a message.delivered event for each message delivered. With `notices`,
// 080 opt-outs are confirmed to the customers they withdraw (§50⑧).
Status apply_report_batch(store::StoreSession& session, const std::string& provider,
                          const channels::ReportBatch& batch, TimeMs now, ReportEffects& effects, bool emit_webhooks,
                          const ConsentNotices* notices = nullptr);

// One report (or a status answer standing for one) applied to the attempt it concerns.
Status apply_report_to_attempt(store::StoreSession& session, store::AttemptRecord attempt,
                               const channels::DeliveryReport& report, TimeMs now, ReportEffects& effects,
                               bool emit_webhooks);

// Cancels a stored message no provider has been asked about. state_out receives its state.
Status cancel_stored_message(store::StoreSession& session, const std::string& id, TimeMs now, std::string& state_out);

}  // namespace jarip::notify
