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

// An end date covers the whole minute or second it names: a caller asking up to "10:05" (AlimTalk's
// minute precision) means every message of 10:05, not only those of 10:05:00.000.
static std::optional<std::int64_t> end_of(std::string_view text) {
  auto t = parse_kst_datetime(text);
  if (!t) return std::nullopt;
  return *t + (text.size() == 16 ? 59'999 : 999);
}

std::optional<DateWindow> nhn_query_window(const std::multimap<std::string, std::string>& q) {
  for (const char* kind : {"Request", "Create"}) {
    auto first = parse_kst_datetime(query_get(q, std::string("start") + kind + "Date"));
    auto last = end_of(query_get(q, std::string("end") + kind + "Date"));
    if (first && last) return DateWindow{*first, *last};
  }
  return std::nullopt;
}

}  // namespace jarip::sim
