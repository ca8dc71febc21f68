#include "notify/report_ops.hpp"

#include "notify/forms.hpp"
#include "notify/recipients.hpp"
#include "notify/webhooks.hpp"

namespace jarip::notify {

Result<std::optional<store::AttemptRecord>> recover_interrupted_send(store::StoreSession& s, store::MessageRecord& m,
                                                                     TimeMs now, const DedupRules& rules,
                                                                     const CanQueryStatus& can_query) {
  auto attempts = s.list_attempts(m.id);
  if (!attempts) return attempts.error();
  bool repeat_step = false;
  std::optional<store::AttemptRecord> last_ambiguous;
  for (auto& at : *attempts) {
    if (at.outcome == "started") {
      at.outcome = "ambiguous";
      at.ended_ms = now;
      at.error_code = "interrupted";
      at.error_text = "jarip stopped while this attempt was in flight; the provider may have sent it";
      if (auto st = s.update_attempt(at); !st) return st.error();
      auto rule = rules.find(at.provider + "/" + at.send_kind);
      if (at.step == m.step && rule != rules.end() && now - at.started_ms < rule->second) repeat_step = true;
    }
    if (at.step == m.step && at.outcome == "ambiguous") last_ambiguous = at;
  }
  m.updated_ms = now;
  if (!repeat_step && last_ambiguous && can_query && can_query(*last_ambiguous, m)) {
    return last_ambiguous;  // stays "sending" until the provider's answer decides
  }
  m.state = store::kStateAccepted;
  if (!repeat_step) {
    m.step++;
    m.step_attempts = 0;
  }
  if (auto st = s.update_message(m); !st) return st.error();
  return std::optional<store::AttemptRecord>();
}

Result<std::string> expire_report_deadline(store::StoreSession& s, store::MessageRecord& m, TimeMs now) {
  auto attempts = s.list_attempts(m.id);
  if (!attempts) return attempts.error();
  std::string provider;
  for (auto it = attempts->rbegin(); it != attempts->rend(); ++it) {
    if (it->step == m.step && it->outcome == "accepted") {
      it->outcome = "ambiguous";
      it->error_code = "report_timeout";
      it->error_text = "no delivery report before the step's deadline; moved on to the next channel";
      it->ended_ms = now;
      provider = it->provider;
      if (auto st = s.update_attempt(*it); !st) return st.error();
      break;
    }
  }
  m.state = store::kStateAccepted;
  m.step++;
  m.step_attempts = 0;
  m.due_ms = now;
  m.updated_ms = now;
  if (auto st = s.update_message(m); !st) return st.error();
  return provider;
}

namespace {

Result<std::optional<store::AttemptRecord>> find_attempt(store::StoreSession& s, const std::string& provider,
                                                         const channels::DeliveryReport& r) {
  if (!r.provider_message_id.empty()) {
    auto a = s.find_attempt_by_provider_id(provider, r.provider_message_id);
    if (!a) return a.error();
    if (*a) return a;
  }
  if (!r.dedup_key.empty()) {
    auto a = s.find_attempt_by_dedup_key(provider, r.dedup_key);
    if (!a) return a.error();
    if (*a) return a;
  }
  if (!r.message_id.empty()) {
    auto list = s.list_attempts(r.message_id);
    if (!list) return list.error();
    for (auto it = list->rbegin(); it != list->rend(); ++it) {
      if (it->provider == provider && it->outcome != "skipped") return std::optional<store::AttemptRecord>(*it);
    }
  }
  return std::optional<store::AttemptRecord>();
}

}  // namespace

Status apply_report_batch(store::StoreSession& s, const std::string& provider, const channels::ReportBatch& batch,
                          TimeMs now, ReportEffects& effects, bool emit_webhooks,
                          const ConsentNotices* notices) {
  for (const auto& report : batch.reports) {
    auto found = find_attempt(s, provider, report);
    if (!found) return found.error();
    if (!*found) {
      effects.unmatched++;
      continue;
    }
    if (auto st = apply_report_to_attempt(s, **found, report, now, effects, emit_webhooks); !st) return st;
  }
  for (const auto& opt_out : batch.opt_outs) {
    if (auto st = s.insert_opt_out(store::OptOutRecord{opt_out.phone, provider, opt_out.opted_out_at, opt_out.evidence, now});
        !st) {
      return st;
    }
    auto notices_stored = apply_opt_out_to_customers(s, opt_out.phone, provider, opt_out.evidence, now, notices);
    if (!notices_stored) return notices_stored.error();
    effects.notices += *notices_stored;
  }
  return {};
}

Status apply_report_to_attempt(store::StoreSession& s, store::AttemptRecord at, const channels::DeliveryReport& report,
                               TimeMs now, ReportEffects& effects, bool emit_webhooks) {
  bool delivered = report.outcome == channels::ReportOutcome::delivered;
  if (at.outcome == "delivered" || at.outcome == "failed") return {};  // a provider's retry of the same report
  if (!report.provider_message_id.empty() && at.provider_message_id.empty()) {
    at.provider_message_id = report.provider_message_id;
  }
  std::string verdict = delivered ? "delivered" : "failed";
  if (at.outcome == "ambiguous") {
    // jarip already moved on without knowing; keep that visible and add what the provider says now.
    at.error_text = (at.error_text + "; provider reported later: " + verdict + " " + report.error_code).substr(0, 500);
  } else {
    // "started" too: the report overtook the send's own answer. A delivered report carries no error;
    // what the attempt already says (e.g. how a lost answer was settled) stays.
    at.outcome = verdict;
    at.ended_ms = now;
    if (!report.error_code.empty() || !report.error_text.empty()) {
      at.error_code = report.error_code;
      at.error_text = report.error_text.substr(0, 500);
    }
  }
  if (auto st = s.update_attempt(at); !st) return st;

  auto message = s.get_message(at.message_id);
  if (!message) return message.error();
  if (!*message) return {};
  store::MessageRecord& m = **message;
  effects.outcomes.push_back(ReportEffect{m.id, delivered, report.outcome == channels::ReportOutcome::failed_retryable});
  // "sending": the report overtook the send's answer, which will find the row moved and leave it.
  if (m.step != at.step || (m.state != store::kStateSent && m.state != store::kStateSending)) {
    // The message left this step already (its report deadline passed). A late "delivered" is
    // recorded on the attempt and counted; the customer may get the next channel's copy as well.
    effects.late++;
    if (delivered && m.state != store::kStateDelivered && m.delivered_via.empty()) {
      m.delivered_via = at.channel + "@" + at.provider + " (late report)";
      m.updated_ms = now;
      if (auto st = s.update_message(m); !st) return st;
    }
    return {};
  }
  m.updated_ms = now;
  if (delivered) {
    m.state = store::kStateDelivered;
    m.final_code = "delivered";
    m.delivered_via = at.channel + "@" + at.provider;
    if (emit_webhooks) {
      auto event = message_event("message.delivered", m, now);
      if (auto st = s.insert_webhook_event(event); !st) return st;
    }
  } else {
    m.state = store::kStateAccepted;
    m.step++;
    m.step_attempts = 0;
    m.due_ms = now;
    m.lease_owner.clear();
    m.lease_until_ms = 0;
    m.final_detail = report.error_code + " " + report.error_text;
    effects.moved_on++;
  }
  return s.update_message(m);
}

Status cancel_stored_message(store::StoreSession& s, const std::string& id, TimeMs now, std::string& state_out) {
  auto message = s.get_message(id);
  if (!message) return message.error();
  if (!*message) return make_error("not_found", "no message with id '" + id + "'");
  store::MessageRecord& m = **message;
  state_out = m.state;
  if (m.state != store::kStateAccepted && m.state != store::kStateHeld) {
    return make_error("conflict", "message is " + m.state + "; only messages no provider has been asked to send can be canceled");
  }
  if (!m.lease_owner.empty() && m.lease_until_ms > now) {
    return make_error("conflict", "message is being processed; try again");
  }
  auto attempts = s.list_attempts(id);
  if (!attempts) return attempts.error();
  for (auto& at : *attempts) {
    if (at.outcome != "skipped") {
      return make_error("conflict", "a provider has already been asked to send this message");
    }
  }
  m.state = store::kStateCanceled;
  m.final_code = "canceled";
  m.updated_ms = now;
  state_out = m.state;
  return s.update_message(m);
}

}  // namespace jarip::notify
