// Who a message goes to, decided when it is stored: a `customer_id` is looked up in the directory for
// its addresses, and an advertisement is checked against the customer's consents and the opt-outs
// that providers reported (080 calls). resolve_recipient only reads (the API runs it on a reader
// snapshot just before the write); apply_opt_out_to_customers writes.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "customers/customer.hpp"
#include "customers/directory.hpp"
#include "store/store.hpp"

namespace jarip::notify {

struct ConsentNotices;  // customer_api.hpp

// For a composed message: fills phone and recipient_json (phone, email, push subscriptions) from the
// directory when addressed by customer_id, and checks an ad against the customer's consent on each
// channel of its chain: a channel refused is recorded in recipient_json's "ad_refused" (the engine
// skips it with that reason), and an ad no channel may carry is refused. Night-time consent then
// comes from the customer's records, not the request. Errors, each with the field "recipient":
// unknown_customer, customer_unreachable, no_ad_consent, ad_consent_withdrawn, ad_consent_expired,
// opted_out. Informational messages are never refused for ad consent.
Status resolve_recipient(store::StoreSession& session, store::MessageRecord& message, TimeMs now);

// A customer's advertising consent on each channel of a chain: the channels refused with their
// reasons ({channel: {code, reason}}), the first refusal, whether any channel may carry the ad, and
// whether all of those (email aside) may carry it at night.
struct AdVerdict {
  boost::json::object refused;
  std::optional<customers::AdPermission> first_refusal;
  bool any_allowed = false;
  bool night = true;
};
Result<AdVerdict> judge_ad_channels(store::StoreSession& session, const customers::Customer& customer,
                                    const std::vector<std::string>& chain_channels, const std::string& phone, TimeMs now);

// An ad accepted earlier is judged again when it is claimed to be sent (after a night's hold, a
// send_at, a restart): an unsubscribe or a lapse since then is honoured. Updates the message's
// "ad_refused" and night consent; true when they changed (the caller writes the message).
Result<bool> refresh_ad_consent(store::StoreSession& session, store::MessageRecord& message, TimeMs now);

// Why a recipient (recipient_json's object) cannot be reached on `channel`; nullopt when it can.
std::optional<std::string> unreachable_reason(const boost::json::object& recipient, std::string_view channel);

// The stored form of a customer and back (the document as JSON, its phones and emails as addresses).
// put_customer keeps the stored created_ms, so `now` sets it only for a new customer.
Result<customers::Customer> customer_from_record(const store::CustomerRecord& row);
store::CustomerRecord customer_record(const customers::Customer& customer, TimeMs now);

// A customer from the directory; nullopt when there is none.
Result<std::optional<customers::Customer>> load_customer(store::StoreSession& session, const std::string& id);

// The customer a message is addressed to; empty when addressed by phone/email.
std::string recipient_customer_id(const store::MessageRecord& message);

// True when the composed message needs resolve_recipient: an ad, or addressed by customer_id and
// not yet given the customer's phone.
bool needs_recipient_check(const store::MessageRecord& message);

// An 080 opt-out from `phone`, reported by `provider`: every customer holding the number withdraws
// advertising consent on SMS (day and night), recorded in their consent history.
// With `notices`, each withdrawal is confirmed to the customer (§50⑧); returns how many notices were
// stored.
Result<int> apply_opt_out_to_customers(store::StoreSession& session, const std::string& phone, const std::string& provider,
                                  const std::string& evidence, TimeMs now,
                                       const ConsentNotices* notices = nullptr);

}  // namespace jarip::notify
