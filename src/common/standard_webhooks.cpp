#include "common/standard_webhooks.hpp"

#include <optional>

#include "common/crypto.hpp"

namespace jarip::standard_webhooks {
namespace {

std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  // Plain decimal seconds only: a sign, fraction or exponent is not what a sender produces.
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::string signature_bytes(std::string_view key, std::string_view msg_id, std::int64_t timestamp_s,
                            std::string_view body) {
  std::string content;
  content.reserve(msg_id.size() + body.size() + 24);
  content.append(msg_id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);
  return crypto::hmac_sha256(key, content);
}

}  // namespace

Result<std::string> decode_secret(std::string_view secret) {
  auto invalid = [] { return make_error("webhook_secret_invalid", "webhook secret is not whsec_<base64>"); };
  if (secret.starts_with(kSecretPrefix)) secret.remove_prefix(kSecretPrefix.size());
  for (int i = 0; i < 2 && secret.ends_with('='); ++i) secret.remove_suffix(1);
  // OpenSSL's block decoder is lenient about stray characters and padding; a secret is not.
  auto is_base64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  };
  if (secret.empty() || secret.size() % 4 == 1) return invalid();
  for (char c : secret) {
    if (!is_base64(c)) return invalid();
  }
  std::string padded(secret);
  while (padded.size() % 4) padded.push_back('=');
  std::optional<std::string> key = crypto::base64_decode(padded);
  if (!key || key->empty()) return invalid();
  return std::move(*key);
}

Result<std::string> sign(std::string_view secret, std::string_view msg_id, std::int64_t timestamp_s,
                         std::string_view body) {
  Result<std::string> key = decode_secret(secret);
  if (!key) return key.error();
  return "v1," + crypto::base64_encode(signature_bytes(*key, msg_id, timestamp_s, body));
}

Status verify(std::string_view secret, std::string_view msg_id, std::string_view timestamp, std::string_view body,
              std::string_view signature_header, std::int64_t now_s, std::int64_t tolerance_s) {
  Result<std::string> key = decode_secret(secret);
  if (!key) return key.error();
  if (msg_id.empty()) return make_error("webhook_header_missing", "webhook-id is missing", std::string(kIdHeader));
  if (timestamp.empty()) {
    return make_error("webhook_header_missing", "webhook-timestamp is missing", std::string(kTimestampHeader));
  }
  if (signature_header.empty()) {
    return make_error("webhook_header_missing", "webhook-signature is missing", std::string(kSignatureHeader));
  }
  std::optional<std::int64_t> timestamp_s = parse_timestamp(timestamp);
  if (!timestamp_s) {
    return make_error("webhook_timestamp_invalid", "webhook-timestamp is not decimal seconds",
                      std::string(kTimestampHeader));
  }
  // The tolerance bounds replay of a captured request; both directions, as clocks drift both ways.
  if (*timestamp_s < now_s - tolerance_s) {
    return make_error("webhook_timestamp_too_old", "webhook-timestamp is too old", std::string(kTimestampHeader));
  }
  if (*timestamp_s > now_s + tolerance_s) {
    return make_error("webhook_timestamp_too_new", "webhook-timestamp is in the future",
                      std::string(kTimestampHeader));
  }

  std::string expected = signature_bytes(*key, msg_id, *timestamp_s, body);
  std::string_view rest = signature_header;
  while (!rest.empty()) {
    std::size_t space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    // Other schemes (v1a is asymmetric) are skipped, not rejected: a sender may offer several.
    if (!entry.starts_with("v1,")) continue;
    std::optional<std::string> given = crypto::base64_decode(entry.substr(3));
    if (given && crypto::constant_time_equals(*given, expected)) return Status::success();
  }
  return make_error("webhook_signature_mismatch", "no webhook-signature matches", std::string(kSignatureHeader));
}

std::string generate_secret() { return std::string(kSecretPrefix) + crypto::base64_encode(crypto::random_bytes(32)); }

}  // namespace jarip::standard_webhooks
