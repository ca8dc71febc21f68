#include "sim/nhn_common.hpp"

#include "sim/json_text.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {

std::string nhn_header_json(int result_code, std::string_view message) {
  std::string out = "{\"resultCode\":" + std::to_string(result_code) + ",\"resultMessage\":";
  append_json_string(out, message);
  out += result_code == 0 ? ",\"isSuccessful\":true}" : ",\"isSuccessful\":false}";
  return out;
}

HttpOut nhn_error(int http_status, int result_code, std::string_view message) {
  return HttpOut{http_status, "{\"header\":" + nhn_header_json(result_code, message) + "}"};
}

std::string jarip_id_from_grouping_key(std::string_view key) {
  auto dot = key.find('.');
  return std::string(dot == std::string_view::npos ? key : key.substr(0, dot));
}

std::string nhn_query_date(long long ms) { return kst_datetime(ms) + ".0"; }

}  // namespace jarip::sim
