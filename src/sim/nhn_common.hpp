// Pieces both NHN Cloud APIs (KakaoTalk Bizmessage AlimTalk v2.3 and SMS v3.0) share: the
// {"header":{resultCode,resultMessage,isSuccessful}} envelope and the jarip ids carried in
// recipientGroupingKey ("<message id>.<step>": text before the first '.' is jarip's message id,
// the whole key is the dedup key).
#pragma once

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

}  // namespace jarip::sim
