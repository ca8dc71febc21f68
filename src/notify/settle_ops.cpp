#include "notify/settle_ops.hpp"

namespace jarip::notify {

std::string_view to_string(SettleCause cause) {
  switch (cause) {
    case SettleCause::answer_lost: return "answer_lost";
    case SettleCause::interrupted: return "interrupted";
    case SettleCause::report_overdue: return "report_overdue";
  }
  return "unknown";
}

std::string_view to_string(SettleDecision decision) {
  switch (decision) {
    case SettleDecision::superseded: return "superseded";
    case SettleDecision::finished: return "finished";
    case SettleDecision::awaiting_report: return "awaiting_report";
    case SettleDecision::resend: return "resend";
    case SettleDecision::moved_on: return "moved_on";
  }
  return "unknown";
}

channels::StatusQuery status_query_for(const store::AttemptRecord& attempt, const std::string& to) {
  channels::StatusQuery q;
  q.kind = attempt.send_kind == "alimtalk" ? channels::SendKind::alimtalk
           : attempt.send_kind == "lms"    ? channels::SendKind::lms
                                           : channels::SendKind::sms;
  q.message_id = attempt.message_id;
  q.dedup_key = attempt.dedup_key;
  q.provider_message_id = attempt.provider_message_id;
  q.to = to;
  q.attempted_at_ms = attempt.started_ms;
  return q;
}

Result<std::optional<store::AttemptRecord>> accepted_attempt(store::StoreSession& s, const store::MessageRecord& m) {
  auto attempts = s.list_attempts(m.id);
  if (!attempts) return attempts.error();
  for (auto it = attempts->rbegin(); it != attempts->rend(); ++it) {
    if (it->step == m.step && it->outcome == "accepted") return std::optional<store::AttemptRecord>(*it);
  }
  return std::optional<store::AttemptRecord>();
}

namespace {

void note(store::AttemptRecord& at, const std::string& text) {
  at.error_text = (at.error_text.empty() ? text : at.error_text + "; " + text).substr(0, 500);
}

// No usable answer: the attempt stays ambiguous and the message takes its next step, as it did
// before status queries existed.
Status move_on(store::StoreSession& s, store::AttemptRecord& at, store::MessageRecord& m, SettleCause cause,
               const std::string& why, TimeMs now) {
  if (at.outcome != "ambiguous") {
    at.outcome = "ambiguous";
    at.ended_ms = now;
    at.error_code = cause == SettleCause::report_overdue ? "report_timeout" : at.error_code;
  }
  note(at, why + "; moved on to the next channel");
  if (auto st = s.update_attempt(at); !st) return st;
  m.state = store::kStateAccepted;
  m.step++;
  m.step_attempts = 0;
  m.step_deadline_ms = 0;
  m.due_ms = now;
  m.updated_ms = now;
  return s.update_message(m);
}

}  // namespace

Result<SettleResult> apply_status_answer(store::StoreSession& s, const store::AttemptRecord& attempt, SettleCause cause,
                                         const Result<channels::StatusResult>& answer, TimeMs now,
                                         TimeMs report_deadline_ms, bool emit_webhooks) {
  SettleResult out;
  auto message = s.get_message(attempt.message_id);
  if (!message) return message.error();
  if (!*message) return out;
  store::MessageRecord& m = **message;
  const std::string expected = cause == SettleCause::report_overdue ? store::kStateSent : store::kStateSending;
  if (m.state != expected || m.step != attempt.step) return out;

  // The row as it is now: a report may have decided it meanwhile.
  auto attempts = s.list_attempts(m.id);
  if (!attempts) return attempts.error();
  std::optional<store::AttemptRecord> current;
  for (auto& at : *attempts) {
    if (at.id == attempt.id) current = at;
  }
  if (!current || current->outcome == "delivered" || current->outcome == "failed") return out;
  store::AttemptRecord& at = *current;

  auto finish = [&](SettleDecision d) -> Result<SettleResult> {
    out.decision = d;
    out.message = m;
    return out;
  };

  if (!answer) {
    if (auto st = move_on(s, at, m, cause, "status query failed: " + answer.error().message, now); !st) return st.error();
    return finish(SettleDecision::moved_on);
  }
  const channels::StatusResult& r = *answer;
  if (at.provider_message_id.empty()) at.provider_message_id = r.provider_message_id;
  switch (r.answer) {
    case channels::StatusAnswer::delivered:
    case channels::StatusAnswer::failed: {
      channels::DeliveryReport report;
      report.message_id = m.id;
      report.provider_message_id = at.provider_message_id;
      report.dedup_key = at.dedup_key;
      report.outcome = r.answer == channels::StatusAnswer::delivered ? channels::ReportOutcome::delivered
                                                                     : channels::ReportOutcome::failed_next_channel;
      report.error_code = r.error_code;
      report.error_text = r.error_text;
      note(at, "status query: " + std::string(r.answer == channels::StatusAnswer::delivered ? "delivered" : "failed"));
      if (auto st = apply_report_to_attempt(s, at, report, now, out.effects, emit_webhooks); !st) return st.error();
      out.decision = SettleDecision::finished;
      auto after = s.get_message(m.id);
      if (!after) return after.error();
      if (*after) out.message = **after;
      return out;
    }
    case channels::StatusAnswer::pending:
      if (cause == SettleCause::report_overdue) {
        if (auto st = move_on(s, at, m, cause, "status query: still pending at the report deadline", now); !st) {
          return st.error();
        }
        return finish(SettleDecision::moved_on);
      }
      // The provider has it: exactly what an "accepted" answer would have said.
      at.outcome = "accepted";
      at.ended_ms = now;
      note(at, "status query: received by the provider, result pending");
      if (auto st = s.update_attempt(at); !st) return st.error();
      m.state = store::kStateSent;
      m.step_deadline_ms = now + report_deadline_ms;
      m.lease_owner.clear();
      m.lease_until_ms = 0;
      m.updated_ms = now;
      if (auto st = s.update_message(m); !st) return st.error();
      return finish(SettleDecision::awaiting_report);
    case channels::StatusAnswer::not_found:
      if (cause == SettleCause::report_overdue) {
        if (auto st = move_on(s, at, m, cause, "status query: the provider does not know this accepted message", now);
            !st) {
          return st.error();
        }
        return finish(SettleDecision::moved_on);
      }
      // The request never reached the provider: sending the same step again cannot duplicate it.
      at.outcome = "not_received";
      at.ended_ms = now;
      note(at, "status query: not received by the provider; step sent again");
      if (auto st = s.update_attempt(at); !st) return st.error();
      m.state = store::kStateAccepted;
      m.due_ms = now;
      m.updated_ms = now;
      if (auto st = s.update_message(m); !st) return st.error();
      return finish(SettleDecision::resend);
  }
  return out;
}

}  // namespace jarip::notify
