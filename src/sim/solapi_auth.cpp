#include "sim/solapi_auth.hpp"

#include <cctype>

#include "common/crypto.hpp"
#include "sim/json_text.hpp"
#include "sim/timefmt.hpp"

namespace jarip::sim {

static std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<SolapiAuthHeader> parse_solapi_authorization(std::string_view h) {
  h = trim(h);
  auto sp = h.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  SolapiAuthHeader out;
  out.method = std::string(h.substr(0, sp));
  std::string_view rest = h.substr(sp + 1);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view part = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view k = trim(part.substr(0, eq));
    std::string v(trim(part.substr(eq + 1)));
    if (k == "apiKey") out.api_key = v;
    else if (k == "date") out.date = v;
    else if (k == "salt") out.salt = v;
    else if (k == "signature") out.signature = v;
  }
  if (out.api_key.empty() || out.date.empty() || out.salt.empty() || out.signature.empty()) return std::nullopt;
  return out;
}

std::string solapi_error_json(std::string_view code, std::string_view message) {
  std::string out = "{\"errorCode\":";
  append_json_string(out, code);
  out += ",\"errorMessage\":";
  append_json_string(out, message);
  out += "}";
  return out;
}

std::optional<AuthFailure> verify_solapi_auth(std::string_view header, const std::string& api_key,
                                              const std::string& api_secret, std::int64_t now_ms,
                                              std::unordered_map<std::string, std::int64_t>* seen) {
  if (header.empty()) return AuthFailure{401, "Unauthorized", "Authorization 헤더가 필요합니다."};
  auto auth = parse_solapi_authorization(header);
  if (!auth || auth->method != "HMAC-SHA256")
    return AuthFailure{401, "Unauthorized", "Authorization 헤더 형식이 올바르지 않습니다."};
  if (!crypto::constant_time_equals(auth->api_key, api_key))
    return AuthFailure{403, "InvalidAPIKey", "유효한 API Key가 아닙니다."};
  auto date = parse_iso8601_ms(auth->date);
  if (!date || *date > now_ms + kSolapiSkewMs || *date < now_ms - kSolapiSkewMs)
    return AuthFailure{403, "RequestTimeTooSkewed", "시간 값이 서버 시간을 15분 이상 벗어났습니다."};
  std::string expected = crypto::to_hex(crypto::hmac_sha256(api_secret, auth->date + auth->salt));
  std::string given = auth->signature;
  for (auto& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!crypto::constant_time_equals(expected, given))
    return AuthFailure{403, "SignatureDoesNotMatch", "생성한 Signature가 일치하지 않습니다."};
  if (seen) {
    auto it = seen->find(given);
    if (it != seen->end() && it->second > now_ms)
      return AuthFailure{403, "DuplicatedSignature", "15분 안에 동일한 signature 값이 사용되었습니다."};
    (*seen)[given] = now_ms + kSolapiSkewMs;
  }
  return std::nullopt;
}

}  // namespace jarip::sim
