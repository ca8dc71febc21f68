// Helpers for the simulator tests: a default simulator on a fake clock and signed Solapi requests.
#pragma once

#include <string>

#include "common/clock.hpp"
#include "common/crypto.hpp"
#include "sim/config.hpp"
#include "sim/http_types.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim::test {

// 2024-05-01T01:00:00Z
inline constexpr std::int64_t kT0 = 1714525200000;

inline std::string solapi_authorization(const SimConfig& cfg, std::int64_t date_ms, const std::string& salt) {
  std::string date = iso_utc_ms(date_ms);
  std::string sig = crypto::to_hex(crypto::hmac_sha256(cfg.solapi.api_secret, date + salt));
  return "HMAC-SHA256 apiKey=" + cfg.solapi.api_key + ", date=" + date + ", salt=" + salt + ", signature=" + sig;
}

inline HttpIn solapi_send(const SimConfig& cfg, std::int64_t now_ms, const std::string& body) {
  static int n = 0;
  HttpIn in;
  in.method = "POST";
  in.target = "/messages/v4/send-many/detail";
  in.headers = {{"Authorization", solapi_authorization(cfg, now_ms, "salt" + std::to_string(++n) + "abcdefghij")},
                {"Content-Type", "application/json"}};
  in.body = body;
  return in;
}

inline HttpIn nhn_post(const SimConfig& cfg, const std::string& path, const std::string& body) {
  HttpIn in;
  in.method = "POST";
  in.target = path;
  in.headers = {{"X-Secret-Key", cfg.nhn.secret_key}, {"Content-Type", "application/json;charset=UTF-8"}};
  in.body = body;
  return in;
}

inline HttpIn solapi_get(const SimConfig& cfg, std::int64_t now_ms, const std::string& target) {
  HttpIn in = solapi_send(cfg, now_ms, "");
  in.method = "GET";
  in.target = target;
  return in;
}

inline HttpIn nhn_get(const SimConfig& cfg, const std::string& target) {
  HttpIn in;
  in.method = "GET";
  in.target = target;
  in.headers = {{"X-Secret-Key", cfg.nhn.secret_key}};
  return in;
}

inline std::string nhn_alimtalk_path(const SimConfig& cfg) { return "/alimtalk/v2.3/appkeys/" + cfg.nhn.alimtalk_appkey + "/messages"; }
inline std::string nhn_sms_path(const SimConfig& cfg, bool lms = false) {
  return "/sms/v3.0/appKeys/" + cfg.nhn.sms_appkey + (lms ? "/sender/mms" : "/sender/sms");
}

}  // namespace jarip::sim::test
