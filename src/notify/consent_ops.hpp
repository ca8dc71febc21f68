// Consent changes as one customer makes them, shared by the directory API (PUT, CSV import) and the
// customer's own pages (src/portal/: unsubscribe link, RFC 8058 one-click, two-yearly re-confirmation):
// the consent history they leave (consent_events) and the informational notice confirming an
// advertising-consent change to the customer (정보통신망법 §50⑧). Every function runs inside a store
// write, so that the change, its history and its notice are one transaction.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "customers/customer.hpp"
#include "notify/customer_api.hpp"
#include "store/store.hpp"

namespace jarip::notify {

// Appends to the consent history one event per (channel, purpose) of `after` whose answer or time
// differs from `before` (null for a new customer), and a withdrawal for each record of `before` that
// `after` no longer has. An event's source is the consent's own, else `default_source`. `changed`
// receives the changes (for the notice).
Status record_consent_changes(store::StoreSession& session, const customers::Customer* before,
                              const customers::Customer& after, const std::string& default_source, TimeMs now,
                              std::vector<customers::Consent>& changed);

// Stores, addressed to the customer and linked to them, the informational message confirming the
// advertising-consent changes among `changed` that are recent (customers::consent_needs_notice).
// Returns whether one was stored: not when notices are disabled or not wired, no channel of the
// notice chain reaches the customer, or nothing in `changed` needs one.
Result<bool> store_consent_notice(store::StoreSession& session, const ConsentNotices& notices,
                                  const customers::Customer& customer, const std::vector<customers::Consent>& changed,
                                  TimeMs now);

// Stores an informational notice to a customer of the directory (consent confirmations, the
// two-yearly re-confirmation), composed by notices.compose and addressed from the directory in this
// transaction. Returns the message's id; empty when no channel of the notice chain reaches the
// customer (nothing stored).
Result<std::string> store_customer_notice(store::StoreSession& s, const ConsentNotices& notices,
                                          const std::string& customer_id, const std::string& text, TimeMs now);

// What a change made. A repeated withdrawal changes nothing, records nothing and sends no notice.
struct ConsentChangeOutcome {
  bool customer_found = false;
  int changed = 0;             // consent records changed, each one event in the history
  bool notice_stored = false;  // the confirmation notice: wake the engine after the commit
};

// Withdraws advertising consent (purposes "ad" and "ad_night") of customer `customer_id` on `channel`
// ("sms", "alimtalk", "email", "push"), or on every channel for "*": then the "*" records and every
// channel's own ad records become refusals, since a channel's own record decides over "*". Each
// record that was not already a refusal becomes {granted: false, at: now (KST), source, evidence};
// one consent event each; then the confirmation notice. No customer: customer_found = false, no error.
Result<ConsentChangeOutcome> withdraw_ad_consent(store::StoreSession& session, const ConsentNotices& notices,
                                                 const std::string& customer_id, const std::string& channel,
                                                 const std::string& source, const std::string& evidence, TimeMs now);

// The customer's "yes" to the two-yearly re-confirmation (시행령 §62-3): every granted "ad" and
// "ad_night" record gets `at` = now (KST), with source and evidence; one consent event each; then the
// confirmation notice. A record re-confirmed (its `at`) less than a day ago is left alone, so that a
// repeated answer records nothing twice. Refusals stay refusals.
Result<ConsentChangeOutcome> renew_ad_consent(store::StoreSession& session, const ConsentNotices& notices,
                                              const std::string& customer_id, const std::string& source,
                                              const std::string& evidence, TimeMs now);

// A customer's answer on one of their pages, as the portal hands it over.
struct AdConsentAnswer {
  enum class Kind { withdraw, renew };
  Kind kind = Kind::withdraw;
  std::string customer_id;
  std::string channel = "*";  // withdraw only
  std::string source;         // "unsubscribe link", "list-unsubscribe one-click", "re-confirmation link"
  std::string evidence;
};

// The consent-change function the portal is given: applies an answer inside a store write.
using ConsentChangeFunction =
    std::function<Result<ConsentChangeOutcome>(store::StoreSession&, const AdConsentAnswer&, TimeMs now)>;

// withdraw_ad_consent / renew_ad_consent with these notices.
ConsentChangeFunction make_consent_change_function(std::shared_ptr<const ConsentNotices> notices);

}  // namespace jarip::notify
