// The customer directory's data model, and the rules for its fields that every way in (the CSV
// import today, the directory API later) applies the same way. Pure functions, errors as values.
// The file format and every accepted spelling: docs/customers-import.md.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace jarip::customers {

// One consent record: what the customer said, for one channel and one purpose, when and how.
// Korean law (정보통신망법 §50) requires prior opt-in consent for advertising and a separate one for
// advertising sent 21:00–08:00 ("ad_night"); "info" records consent for informational messages.
struct Consent {
  std::string channel;   // "sms" | "alimtalk" | "email" | "push" | "*" (every channel)
  std::string purpose;   // "info" | "ad" | "ad_night"
  bool granted = false;  // false: a recorded refusal (거부), not "no record"
  std::string at;        // RFC 3339 in KST, "2024-03-05T14:30:00+09:00"; empty when unknown
  std::string source;    // how it was collected ("web_signup", "매장 신청서"); may be empty
  std::string evidence;  // where the proof is (form id, recording, URL); may be empty

  bool operator==(const Consent&) const = default;
};

struct Customer {
  std::string id;                   // the merchant's own customer id; unique, never empty
  std::string name;                 // may be empty
  std::string locale;               // "ko" | "en"
  std::vector<std::string> phones;  // mobile numbers, normalised digits: "01012345678"
  std::vector<std::string> emails;  // "local@domain", domain in lower case
  std::vector<Consent> consents;    // at most one per (channel, purpose)
  // Web push subscriptions, one per device: PushSubscription.toJSON() text, validated where it
  // enters (notify/), opaque here.
  std::vector<std::string> push_subscriptions;

  bool operator==(const Customer&) const = default;
};

// The vocabularies, in canonical order (the order of to_csv's consent columns).
inline constexpr std::array<std::string_view, 5> kConsentChannels = {"*", "sms", "alimtalk", "email", "push"};
inline constexpr std::array<std::string_view, 3> kConsentPurposes = {"info", "ad", "ad_night"};
bool is_consent_channel(std::string_view channel);
bool is_consent_purpose(std::string_view purpose);

// ---- Field rules. Each takes one value as written (surrounding blanks are ignored) ----

// `value` without leading and trailing blanks: ASCII white space (space, tab, CR, LF, VT, FF), the
// no-break space U+00A0 and the ideographic space U+3000 (전각 공백).
std::string_view trim_blanks(std::string_view value);

// "ko" or "en" from ko, ko-KR, ko_kr, kor, korean, 한국어, 한국 / en, en-US, eng, english, 영어 (any
// case). Error{"invalid_locale"}. An empty value is an error here; the CSV import reads it as "ko".
Result<std::string> normalize_locale(std::string_view value);

// A reasonable RFC 5322 addr-spec check, not the whole grammar: one '@'; a dot-atom local part of
// at most 64 bytes (letters, digits, ! # $ % & ' * + / = ? ^ _ ` { | } ~ - and non-leading,
// non-trailing, non-doubled dots); a domain of at least two dot-separated labels, each 1–63 bytes
// of letters, digits, hyphens (not first or last) or non-ASCII (IDN) characters, the last one not
// all digits; at most 254 bytes in all. No quoted local parts, comments or [IP] literals.
// Returns the address with its domain in ASCII lower case. Error{"invalid_email", reason}.
Result<std::string> normalize_email(std::string_view value);

// A consent cell: Y, YES, 1, TRUE, O, ○, 동의, 예, 수신 → true; N, NO, 0, FALSE, X, ×, 거부,
// 아니오, 아니요, 미동의, 비동의, 수신거부 → false (ASCII in any case); empty → nullopt (no record).
// Error{"invalid_consent_value"} for anything else.
Result<std::optional<bool>> parse_consent_value(std::string_view value);

// A date or date-time, as RFC 3339 ("2024-03-05T14:30:00+09:00", "…Z", "….123+09:00") or as Korean
// sheets write it: "2024-03-05 14:30[:00]", "2024.03.05", "2024. 3. 5.", "2024/03/05 9:05",
// "2024-03-05 오후 2:30", "2024-03-05 2:30 PM". Without an offset the time is KST (+09:00); without a
// time it is 00:00:00. Years 1900–9999, real calendar days, seconds 00–59.
// Returns the canonical form: RFC 3339 in KST, "YYYY-MM-DDTHH:MM:SS+09:00", with ".mmm" before the
// offset when the time has milliseconds (further digits are truncated). Error{"invalid_date"}.
Result<std::string> normalize_consent_time(std::string_view value);

}  // namespace jarip::customers
