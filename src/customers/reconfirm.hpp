// The two-yearly re-confirmation of advertising consent (정보통신망법 §50⑧, 시행령 §62-3): a notice
// goes out before a customer's ad consent is two years old, asking whether to keep it; the answer
// renews or withdraws it, and without an answer the consent lapses at two years (ad_permission).
// Pure functions; the job that sends the notices lives in notify/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "customers/customer.hpp"

namespace jarip::customers {

// How long before the two years are up the notice goes out: long enough for the customer to answer
// and for a notice delayed by an outage to still arrive in time.
inline constexpr TimeMs kReconfirmLeadMs = 30LL * 24 * 3600 * 1000;

// The oldest granted `ad` consent of the customer that is due for its re-confirmation notice at
// `now` (within kReconfirmLeadMs of its two years, or past them by less than the lead: a consent
// that lapsed during an outage still gets asked once): its `at` text, the key under which the notice
// is recorded as sent. nullopt when none is due. Consents without a time are not due (they cannot
// be shown to age).
std::optional<std::string> reconfirm_due(const Customer& customer, TimeMs now);

// The notice: who asks (the sender's name), since when the customer has consented, what to do
// (the link), and that without an answer ads stop. In the customer's locale ("ko" or "en").
std::string reconfirm_notice_text(std::string_view sender_name, std::string_view consent_at, std::string_view link,
                                  std::string_view locale);

}  // namespace jarip::customers
