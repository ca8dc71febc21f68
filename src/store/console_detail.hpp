// Helpers shared by both engines' operator-console files (sqlite_console.cpp, pg_console.cpp,
// sqlite_messages_search.cpp). Internal to store/.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <string>

namespace jarip::store::console_detail {

// The console asks for at most a page it can show; a limit outside 1..200 is a caller's slip, not a
// reason to scan the whole table.
inline int clamp_search_limit(int limit) { return std::clamp(limit, 1, 200); }

// The exclusive upper end of the keys starting with `prefix`, in byte order (SQLite's BINARY,
// PostgreSQL's COLLATE "C"): the prefix with its last character raised by one, so that the prefix
// filter is an index range. Only when that last character is ASCII below DEL: raising a byte of a
// multi-byte character could make invalid UTF-8, which PostgreSQL refuses as a parameter. Otherwise
// nullopt, and the caller compares the prefix itself.
inline std::optional<std::string> prefix_upper_bound(const std::string& prefix) {
  if (prefix.empty()) return std::nullopt;
  unsigned char last = static_cast<unsigned char>(prefix.back());
  if (last >= 0x7f) return std::nullopt;
  std::string end = prefix;
  end.back() = static_cast<char>(last + 1);
  return end;
}

// What recipient_json holds for a message sent to `email`: the recipient is written by
// boost::json::serialize (notify/recipients.cpp), so the same serialisation of the address finds it
// exactly, quotes and escapes included. `"email":{` (an ad_refused entry) never matches.
inline std::string email_needle(const std::string& email) {
  return "\"email\":" + boost::json::serialize(boost::json::value(boost::json::string(email)));
}

// A recipient with an @ is an email address; anything else is a normalised phone number.
inline bool is_email_recipient(const std::string& recipient) {
  return recipient.find('@') != std::string::npos;
}

}  // namespace jarip::store::console_detail
