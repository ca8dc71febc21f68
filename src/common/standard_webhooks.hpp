// Standard Webhooks (https://www.standardwebhooks.com) symmetric signatures, used both for the
// webhooks jarip sends (delivery reports, breaker alerts) and wherever jarip receives them.
//
// The signed content is "<msg_id>.<timestamp_s>.<body>", HMAC-SHA256 keyed with the base64-decoded
// secret, sent as "v1,<base64 signature>" in the webhook-signature header next to webhook-id and
// webhook-timestamp. A signature header may carry several space-separated signatures (secret
// rotation); one matching v1 signature is enough.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace jarip::standard_webhooks {

inline constexpr std::string_view kIdHeader = "webhook-id";
inline constexpr std::string_view kTimestampHeader = "webhook-timestamp";
inline constexpr std::string_view kSignatureHeader = "webhook-signature";
inline constexpr std::string_view kSecretPrefix = "whsec_";
inline constexpr std::int64_t kDefaultToleranceS = 300;  // the spec's recommended 5 minutes

// The key bytes of "whsec_<base64>" (the prefix is optional; missing base64 padding is accepted).
// Errors: webhook_secret_invalid (not base64, or empty).
Result<std::string> decode_secret(std::string_view secret);

// "v1,<base64 HMAC-SHA256(key, msg_id.timestamp_s.body)>". Errors: as decode_secret.
Result<std::string> sign(std::string_view secret, std::string_view msg_id, std::int64_t timestamp_s,
                         std::string_view body);

// Checks a received webhook. `timestamp` and `signature_header` are the raw header values, `now_s`
// the receiver's clock in seconds since the epoch; |now_s - timestamp| may be at most tolerance_s.
// Signatures are compared in constant time. Errors (field set to the header at fault):
//   webhook_secret_invalid, webhook_header_missing, webhook_timestamp_invalid,
//   webhook_timestamp_too_old, webhook_timestamp_too_new, webhook_signature_mismatch.
Status verify(std::string_view secret, std::string_view msg_id, std::string_view timestamp, std::string_view body,
              std::string_view signature_header, std::int64_t now_s, std::int64_t tolerance_s = kDefaultToleranceS);

// A fresh "whsec_" secret with 32 random bytes from the OS CSPRNG.
std::string generate_secret();

}  // namespace jarip::standard_webhooks
