// Pieces both NHN Cloud APIs (KakaoTalk Bizmessage AlimTalk v2.3 and SMS v3.0) share: the
// {"header":{resultCode,resultMessage,isSuccessful}} envelope and the jarip ids carried in
// recipientGroupingKey ("<message id>.<step>": text before the first '.' is jarip's message id,
// the whole key is the dedup key).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sim/http_types.hpp"

namespace jarip::sim {

std::string nhn_header_json(int result_code, std::string_view message);  // {"resultCode":…,…}
// A complete answer carrying only a header.
HttpOut nhn_error(int http_status, int result_code, std::string_view message);

std::string jarip_id_from_grouping_key(std::string_view key);

// KST "yyyy-MM-dd HH:mm:ss.0", the form NHN's query APIs show.
std::string nhn_query_date(long long ms);

// The period a list query searches, both ends inclusive.
struct DateWindow {
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
};
// startRequestDate/endRequestDate, else startCreateDate/endCreateDate (KST, "yyyy-MM-dd HH:mm[:ss]"; the
// simulator keeps one time per message, so both pairs search it). nullopt when neither pair is complete.
std::optional<DateWindow> nhn_query_window(const std::multimap<std::string, std::string>& query);

}  // namespace jarip::sim
