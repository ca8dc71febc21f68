// The Web Push provider (type "webpush"): the engine's adapter for SendKind::push and the transport
// that sends one message to every browser the customer subscribed from.
//
// Settings ([providers.NAME], docs/webpush.md):
//   vapid_public_key    required; the applicationServerKey the site gave browsers (jarip webpush keygen)
//   vapid_private_key   required (or vapid_private_key_file, resolved by the configuration loader)
//   subject             required; "mailto:…" or "https://…", the VAPID JWT's sub
//   ttl_seconds         default 86400; 0 … 2419200
//   urgency             default "normal"; informational messages
//   ad_urgency          default "low"; advertisements
//
// Outcome of one message (one POST per subscription, concurrently, each with the engine's timeout):
//   accepted          at least one push service answered 2xx
//   next_channel      "no_push_subscription" (none stored, or none readable), "subscription_gone" (every
//                     one answered 404/410; each is reported through TransportEnv::on_push_subscription_gone)
//   ambiguous         none accepted, and a request timed out or lost its connection after it was written
//   retryable         none accepted, and some answered 429/5xx or could not be reached (Retry-After in
//                     error_text)
//   permanent         "payload_too_large" before sending; else the push services' own refusal
//                     ("vapid_rejected", "bad_request", "rejected", …)
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "channels/provider.hpp"
#include "channels/transport.hpp"
#include "channels/webpush/vapid.hpp"
#include "channels/webpush/webpush.hpp"
#include "common/clock.hpp"

namespace jarip::channels::webpush {

inline constexpr std::int64_t kDefaultPushTtlSeconds = 24 * 3600;

struct PushSettings {
  VapidKeys keys;
  std::string subject;
  std::int64_t ttl_seconds = kDefaultPushTtlSeconds;
  Urgency urgency = Urgency::normal;
  Urgency ad_urgency = Urgency::low;
};

// Reads and checks the settings above. Errors "config_missing" / "config_invalid" with the field
// "providers.NAME.KEY"; a public key that is not the private key's half is config_invalid (browsers
// subscribed with the public key, so a push service would refuse every token signed by the other).
Result<PushSettings> parse_push_settings(const ProviderSettings& settings);

// The JSON the service worker (assets/sw.js) reads: {"title","body","url","message_id",
// "unsubscribe_url"}, empty members left out. Error "payload_too_large" (field "payload") when it is
// over kMaxPlaintextSize bytes.
Result<std::string> push_payload(const OutboundMessage& message);

// The adapter half: SendKind::push only, one message per send, acceptance is final. Validates the
// settings at start-up (errors as parse_push_settings).
Result<std::unique_ptr<ProviderAdapter>> make_push_adapter(const ProviderSettings& settings);

// The transport half, on env.executor. Endpoints resolving to non-public addresses are refused at
// connect time unless env.allow_private_endpoints (then http:// loopback subscriptions are read too).
Result<std::shared_ptr<Transport>> make_push_transport(const ProviderSettings& settings, const TransportEnv& env);
// The same with the clock injected (the VAPID tokens' exp), for tests.
Result<std::shared_ptr<Transport>> make_push_transport(const ProviderSettings& settings, const TransportEnv& env,
                                                       std::shared_ptr<const Clock> clock);

}  // namespace jarip::channels::webpush
