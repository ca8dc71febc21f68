// Wire helpers shared by the provider adapters: tolerant JSON access, URL and query handling, and the
// date formats Korean providers speak. Nothing here knows a provider; nothing here throws.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/provider.hpp"
#include "common/result.hpp"

namespace jarip::channels::wire {

// ---- JSON ------------------------------------------------------------------------------------------

// Parses `text` as JSON without throwing; nullopt when it is not JSON.
std::optional<boost::json::value> parse_json(std::string_view text);

// The member `key` of `object` as text: strings verbatim, integers and booleans printed, null/absent
// → nullopt. Providers are loose with types (Solapi codes are strings, NHN's are integers in one
// answer and strings in the next), so every reader goes through this.
std::optional<std::string> text_of(const boost::json::value* value);
std::optional<std::string> member_text(const boost::json::object& object, std::string_view key);
const boost::json::object* member_object(const boost::json::object& object, std::string_view key);
const boost::json::array* member_array(const boost::json::object& object, std::string_view key);
std::optional<bool> member_bool(const boost::json::object& object, std::string_view key);

// ---- URLs, queries, headers --------------------------------------------------------------------------

// Checks an http(s) base URL from configuration and returns it without a trailing slash.
// Error code "config_invalid" naming `field` when it is not an absolute http(s) URL without query.
Result<std::string> normalize_base_url(const std::string& url, const std::string& field);

// RFC 3986 unreserved characters stay; everything else becomes %XX (upper-case hex).
std::string percent_encode(std::string_view text);
// Decodes %XX and '+' (as space); malformed escapes are kept verbatim.
std::string percent_decode(std::string_view text);

// The decoded value of the first `name` parameter in the query of `target` ("/path?a=1&b=2").
std::optional<std::string> query_parameter(std::string_view target, std::string_view name);

// The value of the first header called `name`, compared case-insensitively.
std::optional<std::string> find_header(const std::vector<HttpHeader>& headers, std::string_view name);

// ---- Time --------------------------------------------------------------------------------------------

inline constexpr int kKoreaOffsetMinutes = 9 * 60;  // KST, no daylight saving

// "2019-07-01T00:41:48Z" (UTC, whole seconds): Solapi's signature date.
std::string format_iso8601_utc(TimeMs ms);
// Formats `ms` at the given UTC offset with a pattern of yyyy MM dd HH mm ss (other characters kept):
// format_local(ms, 540, "yyyy-MM-dd HH:mm") → "2024-04-29 20:58".
std::string format_local(TimeMs ms, int offset_minutes, std::string_view pattern);

// Parses the timestamps providers send: "2021-11-16T05:09:39.837Z", "2020-09-09T11:25:10.000+09:00",
// "2024-04-29T20:58:04", "2018-08-10 10:06:42.0". Text without a zone is read at
// `default_offset_minutes`. nullopt when unreadable.
std::optional<TimeMs> parse_timestamp(std::string_view text, int default_offset_minutes);

// ---- Result-code verdicts ----------------------------------------------------------------------------

// What one provider result code means for jarip, before it is read as a send outcome, a delivery
// report or a status answer. Each provider keeps a table from its codes to a verdict.
enum class Verdict {
  pending,       // accepted / in flight, not final
  delivered,     // final: reached the handset (or KakaoTalk)
  next_channel,  // final: this channel cannot reach the recipient (not a KakaoTalk user, blocked, …)
  permanent,     // final: wrong for this provider (bad number, template mismatch, balance, sender id)
  retryable,     // transient: the same step may be tried again later
};
SendOutcome to_send_outcome(Verdict verdict);
// nullopt for `pending`: not a final report.
std::optional<ReportOutcome> to_report_outcome(Verdict verdict);
StatusAnswer to_status_answer(Verdict verdict);

// A send result for an HTTP status that carries no per-message answer: 408/425/429/5xx → retryable,
// 401/403 → retryable (credentials; the breaker's business), other 4xx → permanent, anything else
// (1xx/3xx/0) → ambiguous. `detail` is appended to the error text.
SendResult result_for_http_status(int status, const std::string& error_code, const std::string& detail);

// ---- Misc --------------------------------------------------------------------------------------------

// Domestic digits for a phone number as providers report it: "010-1234-5678" → "01012345678",
// "821012345678" → "01012345678". Returns the input unchanged when it holds no digits.
std::string normalize_phone(std::string_view phone);

// A positive integer setting with a default and an upper bound (batch sizes).
Result<std::size_t> size_setting(const ProviderSettings& settings, const std::string& key, std::size_t fallback,
                                 std::size_t maximum);

// Lower-case ASCII copy.
std::string ascii_lower(std::string_view text);

}  // namespace jarip::channels::wire
