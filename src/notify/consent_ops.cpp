#include "notify/consent_ops.hpp"

#include <boost/json.hpp>

#include "customers/directory.hpp"
#include "notify/recipients.hpp"
#include "text/kst.hpp"

namespace jarip::notify {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxEvidenceBytes = 2000;
constexpr TimeMs kRenewalRepeatMs = 24LL * 3600 * 1000;

bool is_ad_purpose(const std::string& purpose) { return purpose == "ad" || purpose == "ad_night"; }

// Writes `after` with the history of what changed from `before` and the notice confirming it.
Result<ConsentChangeOutcome> commit_change(store::StoreSession& s, const ConsentNotices& notices,
                                           const customers::Customer& before, const customers::Customer& after,
                                           const std::string& source, TimeMs now) {
  ConsentChangeOutcome out;
  out.customer_found = true;
  std::vector<customers::Consent> changed;
  if (auto st = record_consent_changes(s, &before, after, source, now, changed); !st) return st.error();
  out.changed = static_cast<int>(changed.size());
  if (changed.empty()) return out;
  if (auto st = s.put_customer(customer_record(after, now)); !st) return st.error();  // keeps created_ms
  auto notice = store_consent_notice(s, notices, after, changed, now);
  if (!notice) return notice.error();
  out.notice_stored = *notice;
  return out;
}

}  // namespace

Status record_consent_changes(store::StoreSession& s, const customers::Customer* before, const customers::Customer& after,
                              const std::string& default_source, TimeMs now, std::vector<customers::Consent>& changed) {
  auto find = [](const customers::Customer* c, const std::string& channel, const std::string& purpose) {
    const customers::Consent* hit = nullptr;
    if (c == nullptr) return hit;
    for (const auto& k : c->consents) {
      if (k.channel == channel && k.purpose == purpose) hit = &k;
    }
    return hit;
  };
  std::string now_text = text::format_kst(now);
  for (const auto& k : after.consents) {
    const customers::Consent* old = find(before, k.channel, k.purpose);
    if (old && old->granted == k.granted && old->at == k.at) continue;
    store::ConsentEventRecord e{0, after.id, k.channel, k.purpose, k.granted, k.at.empty() ? now_text : k.at,
                                k.source.empty() ? default_source : k.source, k.evidence, now};
    if (auto st = s.insert_consent_event(e); !st) return st;
    changed.push_back(k);
  }
  if (before != nullptr) {
    for (const auto& k : before->consents) {
      if (find(&after, k.channel, k.purpose) != nullptr) continue;
      store::ConsentEventRecord e{0, after.id, k.channel, k.purpose, false, now_text,
                                  default_source + ": record removed", "", now};
      if (auto st = s.insert_consent_event(e); !st) return st;
      changed.push_back(customers::Consent{k.channel, k.purpose, false, now_text, e.source, ""});
    }
  }
  return {};
}

Result<bool> store_consent_notice(store::StoreSession& s, const ConsentNotices& notices, const customers::Customer& c,
                                  const std::vector<customers::Consent>& changed, TimeMs now) {
  if (!notices.enabled || !notices.compose) return false;
  std::vector<customers::Consent> recent;
  for (const auto& k : changed) {
    if (customers::consent_needs_notice(k, now)) recent.push_back(k);
  }
  std::string text = customers::consent_notice_text(recent, notices.sender_name, c.locale, now);
  if (text.empty()) return false;
  auto stored = store_customer_notice(s, notices, c.id, text, now);
  if (!stored) return stored.error();
  return !stored->empty();
}

Result<std::string> store_customer_notice(store::StoreSession& s, const ConsentNotices& notices,
                                          const std::string& customer_id, const std::string& text, TimeMs now) {
  if (!notices.compose) return std::string();
  auto message = notices.compose(customer_id, text);
  if (!message) return message.error();
  // The customer's addresses as stored in this same transaction; a customer no channel of the
  // notice chain reaches (no phone, no email, no push, and no inbox configured) gets none.
  if (auto st = resolve_recipient(s, *message, now); !st) {
    if (st.error().code == "customer_unreachable") return std::string();
    return st.error();
  }
  if (auto st = s.insert_message(*message); !st) return st.error();
  if (auto st = s.link_message_customer(message->id, customer_id); !st) return st.error();
  return message->id;
}

Result<ConsentChangeOutcome> withdraw_ad_consent(store::StoreSession& s, const ConsentNotices& notices,
                                                 const std::string& customer_id, const std::string& channel,
                                                 const std::string& source, const std::string& evidence, TimeMs now) {
  if (!customers::is_consent_channel(channel)) {
    return make_error("invalid_value", "unknown consent channel '" + channel + "'", "channel");
  }
  auto loaded = load_customer(s, customer_id);
  if (!loaded) return loaded.error();
  if (!*loaded) return ConsentChangeOutcome{};
  const customers::Customer& before = **loaded;
  customers::Customer after = before;
  const std::string at = text::format_kst(now);
  const std::string proof = evidence.substr(0, kMaxEvidenceBytes);
  auto refuse = [&](customers::Consent& k) { k = customers::Consent{k.channel, k.purpose, false, at, source, proof}; };
  for (const char* purpose : {"ad", "ad_night"}) {
    bool found = false;
    for (auto& k : after.consents) {
      if (k.purpose != purpose || k.channel != channel) continue;
      found = true;
      if (k.granted) refuse(k);  // a refusal already recorded stays as it was: nothing to withdraw
    }
    if (!found) after.consents.push_back(customers::Consent{channel, purpose, false, at, source, proof});
  }
  if (channel == "*") {
    // A channel's own record decides over "*": withdraw those too.
    for (auto& k : after.consents) {
      if (is_ad_purpose(k.purpose) && k.granted) refuse(k);
    }
  }
  return commit_change(s, notices, before, after, source, now);
}

Result<ConsentChangeOutcome> renew_ad_consent(store::StoreSession& s, const ConsentNotices& notices,
                                              const std::string& customer_id, const std::string& source,
                                              const std::string& evidence, TimeMs now) {
  auto loaded = load_customer(s, customer_id);
  if (!loaded) return loaded.error();
  if (!*loaded) return ConsentChangeOutcome{};
  const customers::Customer& before = **loaded;
  customers::Customer after = before;
  const std::string at = text::format_kst(now);
  for (auto& k : after.consents) {
    if (!is_ad_purpose(k.purpose) || !k.granted) continue;
    if (auto given = text::parse_rfc3339(k.at); given && now - *given < kRenewalRepeatMs) continue;
    k.at = at;
    k.source = source;
    k.evidence = evidence.substr(0, kMaxEvidenceBytes);
  }
  return commit_change(s, notices, before, after, source, now);
}

ConsentChangeFunction make_consent_change_function(std::shared_ptr<const ConsentNotices> notices) {
  return [notices = std::move(notices)](store::StoreSession& s, const AdConsentAnswer& a,
                                        TimeMs now) -> Result<ConsentChangeOutcome> {
    if (a.kind == AdConsentAnswer::Kind::renew) return renew_ad_consent(s, *notices, a.customer_id, a.source, a.evidence, now);
    return withdraw_ad_consent(s, *notices, a.customer_id, a.channel, a.source, a.evidence, now);
  };
}

}  // namespace jarip::notify
