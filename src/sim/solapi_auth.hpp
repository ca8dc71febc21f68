// Solapi's API-key authentication: `Authorization: HMAC-SHA256 apiKey=…, date=…, salt=…,
// signature=…`, signature = hex(HMAC-SHA256(api_secret, date + salt)). Errors as Solapi documents
// them (all HTTP 403): InvalidAPIKey, SignatureDoesNotMatch, RequestTimeTooSkewed (±15 minutes),
// DuplicatedSignature (a signature seen in the last 15 minutes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace jarip::sim {

struct SolapiAuthHeader {
  std::string method;  // "HMAC-SHA256"
  std::string api_key;
  std::string date;
  std::string salt;
  std::string signature;
};

std::optional<SolapiAuthHeader> parse_solapi_authorization(std::string_view header);

struct AuthFailure {
  int http_status;
  std::string error_code;
  std::string error_message;
};

constexpr std::int64_t kSolapiSkewMs = 15 * 60 * 1000;

// nullopt when the request is authentic. `seen` holds signatures used in the last 15 minutes and is
// updated on success.
std::optional<AuthFailure> verify_solapi_auth(std::string_view authorization_header, const std::string& api_key,
                                              const std::string& api_secret, std::int64_t now_ms,
                                              std::unordered_map<std::string, std::int64_t>* seen);

std::string solapi_error_json(std::string_view code, std::string_view message);

}  // namespace jarip::sim
