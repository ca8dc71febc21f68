// Web Push (RFC 8030) requests and answers, without I/O: build_push_request turns a subscription and
// a payload into the POST the push service expects (encrypted body, VAPID Authorization);
// classify_push_response reads the push service's status code. The caller sends the request with its
// own HTTP client and MUST re-check the resolved address with is_public_address before connecting
// (subscription.hpp).
//
//   POST <endpoint>
//   Content-Encoding: aes128gcm
//   Content-Type: application/octet-stream
//   TTL: <seconds>
//   Urgency: very-low | low | normal | high
//   Topic: <≤ 32 base64url characters>          (only when set)
//   Authorization: vapid t=<JWT>, k=<public key>
//
// Error codes: "invalid_push_message" (TTL, Topic), "payload_too_large", and those of encryption.hpp
// and vapid.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "channels/provider.hpp"
#include "channels/webpush/encryption.hpp"
#include "channels/webpush/p256.hpp"
#include "channels/webpush/subscription.hpp"
#include "channels/webpush/vapid.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace jarip::channels::webpush {

// RFC 8030 §5.3.
enum class Urgency { very_low, low, normal, high };
std::string_view to_string(Urgency urgency);  // "very-low", "low", "normal", "high"
std::optional<Urgency> parse_urgency(std::string_view text);

inline constexpr std::int64_t kMaxTtlSeconds = 28 * 24 * 3600;  // 4 weeks: FCM's maximum, the lowest cap
inline constexpr std::size_t kMaxTopicSize = 32;

struct PushMessage {
  std::string payload;  // bytes to encrypt, at most kMaxPlaintextSize (3993)
  std::int64_t ttl_seconds = 24 * 3600;
  Urgency urgency = Urgency::normal;
  std::string topic;  // empty: no Topic header. A newer message with the same topic replaces a queued one.
};

// RFC 8030 §5.4: 1-32 characters of the base64url alphabet. Error "invalid_push_message" (field "topic").
Status validate_topic(std::string_view topic);

// The salt and application-server private key to use instead of fresh random ones: tests only.
struct FixedEncryptionInputs {
  std::string salt;        // 16 bytes
  std::string as_private;  // 32 bytes
};

// The request for one message. The VAPID token comes from `vapid` for subscription.origin at now_ms.
Result<OutboundRequest> build_push_request(const PushSubscription& subscription, const PushMessage& message,
                                           VapidTokenCache& vapid, TimeMs now_ms,
                                           const FixedEncryptionInputs* fixed = nullptr);

// What the push service's answer means.
struct PushResponse {
  SendOutcome outcome = SendOutcome::ambiguous;
  // Stable code: "accepted", "subscription_gone", "payload_too_large", "rate_limited", "bad_request",
  // "vapid_rejected" (401/403: the key or JWT was refused), "rejected" (other 4xx),
  // "push_service_error" (5xx), "unexpected_status" (1xx/3xx).
  std::string code;
  bool remove_subscription = false;     // 404/410: the subscription is gone for good; delete it
  std::optional<TimeMs> retry_after_ms;  // from Retry-After (429, 5xx), relative to now, capped at 1 day
};

// 2xx accepted (RFC 8030 answers 201; some services 200/202); 404/410 subscription_gone (the
// caller removes it, then moves the message to its next channel); 413 payload_too_large; 429
// rate_limited (retryable, Retry-After); 400 bad_request, 401/403 vapid_rejected, other 4xx
// rejected (permanent); 5xx push_service_error (retryable, Retry-After). `retry_after` is the
// header's value or empty: delta-seconds or an IMF-fixdate HTTP-date.
PushResponse classify_push_response(int status, std::string_view retry_after, TimeMs now_ms);

// Retry-After (RFC 9110 §10.2.3) as milliseconds from now_ms, capped at one day; nullopt when absent
// or unreadable. A date in the past gives 0.
std::optional<TimeMs> parse_retry_after(std::string_view value, TimeMs now_ms);

}  // namespace jarip::channels::webpush
