// A browser's push subscription, as PushSubscription.toJSON() gives it:
//
//   {"endpoint": "https://fcm.googleapis.com/fcm/send/…", "expirationTime": null,
//    "keys": {"p256dh": "<base64url, 65-byte uncompressed P-256 point>", "auth": "<base64url, 16 bytes>"}}
//
// parse_subscription is the only way outside input becomes a PushSubscription, so everything the
// encryptor and the HTTP client rely on is checked here: https only (plain http to a loopback host in
// test mode, for the simulator), a plain host (no user info, no
// fragment), the keys' lengths and the point on the curve, length limits on every field, and — the
// SSRF guard — no loopback, private, link-local, unique-local, CGNAT or otherwise non-public IP literal
// and no "localhost" as host unless SubscriptionOptions::allow_private is set (tests, the simulator).
//
// A host NAME is not resolved here: the caller MUST check every address it connects to with
// is_public_address (a name can resolve to 127.0.0.1, or change between check and connect).
//
// Error codes (Error::field names the member at fault: "subscription", "endpoint", "expirationTime",
// "keys", "keys.p256dh", "keys.auth"):
//   invalid_subscription   malformed JSON, a missing or mistyped member, a length over its limit, a bad
//                          key (size, base64url, point not on P-256), an endpoint that is not a clean
//                          https URL
//   endpoint_not_public    the endpoint's host is "localhost" (or *.localhost) or a non-public IP literal
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace jarip::channels::webpush {

inline constexpr std::size_t kMaxSubscriptionJsonSize = 4096;
inline constexpr std::size_t kMaxEndpointSize = 2048;
inline constexpr std::size_t kMaxP256dhTextSize = 88;  // 87 unpadded, 88 padded
inline constexpr std::size_t kMaxAuthTextSize = 24;    // 22 unpadded, 24 padded

struct SubscriptionOptions {
  // Accept loopback/private endpoints and "localhost", and plain http:// on a loopback host (127/8,
  // ::1, localhost; the simulator has no TLS): for tests and the simulator only.
  bool allow_private = false;
};

struct PushSubscription {
  std::string endpoint;  // as given (validated): https://host[:port]/path[?query] (http:// only in test mode)
  // scheme + "://" + lower-case host [+ ":" port unless the scheme's default]: the VAPID audience
  std::string origin;
  std::string host;      // lower case; an IPv6 literal without brackets
  std::uint16_t port = 443;
  std::optional<std::int64_t> expiration_time_ms;  // expirationTime, when not null
  std::string p256dh;  // raw 65-byte point, checked on the curve
  std::string auth;    // raw 16 bytes
};

// Parses and validates PushSubscription.toJSON() output. Unknown members are ignored.
Result<PushSubscription> parse_subscription(std::string_view json, const SubscriptionOptions& options = {});

// The same checks on the parts, e.g. as stored in a database (keys as base64url text).
Result<PushSubscription> make_subscription(std::string_view endpoint, std::string_view p256dh_base64url,
                                           std::string_view auth_base64url,
                                           std::optional<std::int64_t> expiration_time_ms,
                                           const SubscriptionOptions& options = {});

// {"endpoint":…,"expirationTime":…,"keys":{"p256dh":…,"auth":…}}, keys in unpadded base64url:
// parse_subscription(to_json(s)) gives s back.
std::string to_json(const PushSubscription& subscription);

// ---- The SSRF guard ------------------------------------------------------------------------------------

// True when an address (4 bytes IPv4 or 16 bytes IPv6, network order) is globally routable unicast:
// false for 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.88.99/24,
// 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4; for IPv6 outside 2000::/3 (so ::,
// ::1, fc00::/7, fe80::/10, ff00::/8, …), 2001::/23, 2001:db8::/32, 3fff::/20; IPv4-mapped
// (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by their IPv4
// address. Any other size → false. For a connect-time check, see asio_address.hpp.
bool is_public_address(std::span<const std::uint8_t> address);

// An IP literal host as 4 or 16 bytes: IPv6 as written inside [] (no zone), IPv4 in every form a
// resolver accepts ("127.0.0.1", "127.1", "0x7f.1", "2130706433", "0177.0.0.1"). nullopt when `host` is
// not an IP literal. Used so that "http://2130706433/" cannot slip past the guard as a "name".
struct IpLiteral {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size = 0;  // 4 or 16
  std::span<const std::uint8_t> span() const { return {bytes.data(), size}; }
};
std::optional<IpLiteral> parse_ip_literal(std::string_view host);

}  // namespace jarip::channels::webpush
