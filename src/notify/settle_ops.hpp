// Settling an ambiguous attempt with the provider's status query: what the provider says became of
// a send whose outcome jarip could not see (the answer was lost, the process died mid-send, or no
// delivery report came). Pure functions of a StoreSession, like report_ops, so they are unit-tested
// without a network.
#pragma once

#include <optional>
#include <string>

#include "channels/provider.hpp"
#include "notify/report_ops.hpp"
#include "store/store.hpp"

namespace jarip::notify {

// Why the attempt is being settled. It decides what "not found" and "pending" mean:
enum class SettleCause {
  answer_lost,     // the send timed out or its connection broke after the request was written
  interrupted,     // jarip stopped while the attempt was in flight
  report_overdue,  // the provider accepted it, but no delivery report came before the deadline
};
std::string_view to_string(SettleCause cause);

enum class SettleDecision {
  superseded,  // the message moved meanwhile (a report came first): nothing done
  finished,    // delivered, or failed and moved on by the answer (as a delivery report would)
  awaiting_report,  // the provider has it and has not finished: the step waits for its report again
  resend,      // the provider never received it: the same step may be sent again safely
  moved_on,    // no usable answer: the attempt stays ambiguous and the message takes its next step
};
std::string_view to_string(SettleDecision decision);

struct SettleResult {
  SettleDecision decision = SettleDecision::superseded;
  store::MessageRecord message;  // as written, for resend / moved_on
  ReportEffects effects;         // for finished
};

// The StatusQuery for an attempt as stored; `to` is its message's recipient digits.
channels::StatusQuery status_query_for(const store::AttemptRecord& attempt, const std::string& to);

// The attempt of the message's current step that the provider accepted (for report_overdue).
Result<std::optional<store::AttemptRecord>> accepted_attempt(store::StoreSession& session,
                                                             const store::MessageRecord& message);

// Applies the provider's answer (or the failure to get one) to the attempt and its message, in one
// transaction. Acts only while the message is still where the cause left it: on the attempt's step,
// "sending" (answer_lost, interrupted) or "sent" (report_overdue).
//   delivered / failed   → as the equivalent delivery report (apply_report_batch)
//   pending              → sent again with a fresh report deadline; for report_overdue, moved_on
//   not_found            → resend (the attempt is marked "not_received"); for report_overdue, moved_on
//   error                → moved_on, the attempt stays ambiguous
Result<SettleResult> apply_status_answer(store::StoreSession& session, const store::AttemptRecord& attempt,
                                         SettleCause cause, const Result<channels::StatusResult>& answer,
                                         TimeMs now, TimeMs report_deadline_ms, bool emit_webhooks);

}  // namespace jarip::notify
