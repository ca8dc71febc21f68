// State changes that happen inside one storage transaction, away from the engine thread: applying
// delivery reports, expiring report deadlines, recovering sends interrupted by a crash, and
// cancelling a stored message. Pure functions of a StoreSession, so they are unit-tested directly.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "channels/provider.hpp"
#include "store/store.hpp"

namespace jarip::notify {

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
};

// A message found in state "sending" when claimed: the process that sent it died. Its open attempts
// become ambiguous; the step is repeated only where the provider deduplicates within its window.
Status recover_interrupted_send(store::StoreSession& session, store::MessageRecord& message, TimeMs now,
                                const DedupRules& rules);

// A sent message whose report did not arrive in time: the attempt becomes ambiguous and the message
// moves to its next step. Returns the provider of that attempt.
Result<std::string> expire_report_deadline(store::StoreSession& session, store::MessageRecord& message, TimeMs now);

// emit_webhooks: also record a message.delivered event for each message delivered.
Status apply_report_batch(store::StoreSession& session, const std::string& provider,
                          const channels::ReportBatch& batch, TimeMs now, ReportEffects& effects, bool emit_webhooks);

// Cancels a stored message no provider has been asked about. state_out receives its state.
Status cancel_stored_message(store::StoreSession& session, const std::string& id, TimeMs now, std::string& state_out);

}  // namespace jarip::notify
