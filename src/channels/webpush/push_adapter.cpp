#include <boost/json.hpp>

#include <charconv>

#include "channels/transport_adapter.hpp"
#include "channels/webpush/push_provider.hpp"

namespace jarip::channels::webpush {

namespace {

std::string field_of(const ProviderSettings& settings, std::string_view key) {
  return "providers." + settings.name + "." + std::string(key);
}

Error invalid(const ProviderSettings& settings, std::string_view key, std::string message) {
  return make_error("config_invalid", "provider '" + settings.name + "': " + std::move(message), field_of(settings, key));
}

Result<Urgency> urgency_setting(const ProviderSettings& settings, std::string_view key, Urgency fallback) {
  const std::string text = settings.get(std::string(key));
  if (text.empty()) return fallback;
  auto urgency = parse_urgency(text);
  if (!urgency) return invalid(settings, key, std::string(key) + " is one of very-low, low, normal, high");
  return *urgency;
}

}  // namespace

Result<PushSettings> parse_push_settings(const ProviderSettings& settings) {
  const std::string private_text = settings.get("vapid_private_key");
  if (private_text.empty()) {
    return make_error("config_missing",
                      "provider '" + settings.name +
                          "' needs setting 'vapid_private_key' (or vapid_private_key_file); make a key pair with "
                          "'jarip webpush keygen'",
                      field_of(settings, "vapid_private_key"));
  }
  auto keys = VapidKeys::from_private_base64url(private_text);
  if (!keys) {
    // The message names the expected format, never the value: it is a secret.
    return invalid(settings, "vapid_private_key",
                   "vapid_private_key is not a VAPID private key (43 base64url characters, as 'jarip webpush keygen' "
                   "prints)");
  }
  auto public_text = settings.require("vapid_public_key");
  if (!public_text) return public_text.error();
  if (*public_text != keys->public_key_base64url()) {
    return invalid(settings, "vapid_public_key",
                   "vapid_public_key is not the public half of vapid_private_key (browsers subscribed with the public "
                   "key, so push services would refuse every message)");
  }
  auto subject = settings.require("subject");
  if (!subject) return subject.error();
  if (Status s = validate_vapid_subject(*subject); !s) return invalid(settings, "subject", s.error().message);

  PushSettings out{std::move(*keys), std::move(*subject)};
  if (const std::string ttl = settings.get("ttl_seconds"); !ttl.empty()) {
    std::int64_t value = -1;
    auto [end, ec] = std::from_chars(ttl.data(), ttl.data() + ttl.size(), value);
    if (ec != std::errc() || end != ttl.data() + ttl.size() || value < 0 || value > kMaxTtlSeconds) {
      return invalid(settings, "ttl_seconds", "ttl_seconds is an integer from 0 to 2419200 (4 weeks)");
    }
    out.ttl_seconds = value;
  }
  JARIP_TRY_ASSIGN(out.urgency, urgency_setting(settings, "urgency", Urgency::normal));
  JARIP_TRY_ASSIGN(out.ad_urgency, urgency_setting(settings, "ad_urgency", Urgency::low));
  return out;
}

Result<std::string> push_payload(const OutboundMessage& message) {
  boost::json::object o;
  auto put = [&o](std::string_view key, const std::string& value) {
    if (!value.empty()) o[key] = value;
  };
  put("title", message.subject);
  put("body", message.text);
  put("url", message.link_url);
  put("message_id", message.message_id);
  put("unsubscribe_url", message.unsubscribe_url);
  std::string payload = boost::json::serialize(o);
  if (payload.size() > kMaxPlaintextSize) {
    return make_error("payload_too_large",
                      "the push payload is " + std::to_string(payload.size()) + " bytes; at most " +
                          std::to_string(kMaxPlaintextSize) + " fit one Web Push message (shorten title or body)",
                      "payload");
  }
  return payload;
}

Result<std::unique_ptr<ProviderAdapter>> make_push_adapter(const ProviderSettings& settings) {
  auto parsed = parse_push_settings(settings);
  if (!parsed) return parsed.error();
  return std::unique_ptr<ProviderAdapter>(std::make_unique<TransportAdapter>(settings.name, SendKind::push));
}

}  // namespace jarip::channels::webpush
