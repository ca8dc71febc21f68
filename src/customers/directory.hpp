// The customer directory's rules that the API and the delivery path share: a customer as a JSON
// document (PUT /v1/customers/{id}), and what the stored consents allow for advertising.
// Pure functions; storage lives in store/, the HTTP routes in notify/api.
#pragma once

#include <boost/json/fwd.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "customers/customer.hpp"

namespace jarip::customers {

// Customer ids are the merchant's own: 1–128 bytes of letters, digits and - _ . : @ (no spaces or
// slashes, so that they sit in a URL path as they are), except "import" and "export".
// Error{"invalid_value", field "id"}.
Status check_customer_id(std::string_view id);

// The body of PUT /v1/customers/{id}: {"name", "locale", "phones": [...], "emails": [...],
// "consents": [{"channel", "purpose", "granted", "at", "source", "evidence"}],
// "push_subscriptions": [PushSubscription.toJSON(), …]}. Every field is optional except that unknown
// fields are refused; phones are normalised (010-1234-5678, +82 10…), emails lower-cased in their
// domain, consent times made canonical (KST), one consent per (channel, purpose), one push
// subscription per endpoint (the later one wins), at most kMaxPushSubscriptions. Push subscriptions are
// kept as opaque JSON objects: the caller validates them (notify/push_subscriptions.hpp). Errors carry
// the offending field, e.g. "phones[1]", "consents[0].purpose" or "push_subscriptions[2].endpoint".
inline constexpr std::size_t kMaxPushSubscriptions = 10;
inline constexpr std::size_t kMaxPushSubscriptionSize = 4096;  // bytes of JSON, as the Web Push parser allows
Result<Customer> customer_from_json(std::string_view id, const boost::json::value& body);

// The document GET returns (and the body PUT accepts back unchanged).
boost::json::object customer_to_json(const Customer& customer);

// Ad consent under 정보통신망법 §50: prior opt-in per channel (or "*" for every channel), a separate
// one for 21:00–08:00 KST, and re-confirmation every two years (시행령 §62-3). A record for the exact
// channel decides over a "*" record.
inline constexpr TimeMs kAdConsentValidityMs = 2LL * 365 * 24 * 3600 * 1000 + 24LL * 3600 * 1000;  // 2 years

struct AdPermission {
  bool allowed = false;
  bool night_allowed = false;
  std::string code;    // why not: no_ad_consent | ad_consent_withdrawn | ad_consent_expired
  std::string reason;  // English, for the API error
};

// `channel` is a chain channel ("sms", "alimtalk", "email", "push"). A consent without a time
// (imported without one) is taken as given now: it cannot be shown to have lapsed.
AdPermission ad_permission(const Customer& customer, std::string_view channel, TimeMs now);

// The consent record for (channel, purpose) that applies: the channel's own, else "*".
const Consent* applicable_consent(const Customer& customer, std::string_view channel, std::string_view purpose);

// 정보통신망법 §50⑧: whoever records a customer's consent, refusal or withdrawal for advertising
// must tell them within 14 days: who (the sender's name), what, and the date. The text of that
// notice for one set of changes, in the customer's locale ("ko" or "en"). Empty when `changes` holds
// no advertising consent.
std::string consent_notice_text(const std::vector<Consent>& changes, std::string_view sender_name,
                                std::string_view locale, TimeMs now);

// Whether a consent recorded now still needs that notice: its time (or now, when it has none) is at
// most 14 days ago. Older records were the previous system's to confirm.
bool consent_needs_notice(const Consent& consent, TimeMs now);

}  // namespace jarip::customers
