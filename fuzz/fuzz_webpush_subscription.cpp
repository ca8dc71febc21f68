// libFuzzer target for the Web Push subscription parser (channels/webpush/subscription.hpp): the JSON a
// browser's PushSubscription.toJSON() gives, posted by anyone who can reach the subscribe endpoint.
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
// Invariants, for every input:
//  - parse_subscription never crashes; every error has a stable code and names a field;
//  - an accepted subscription has an https endpoint of at most 2048 characters, a 65-byte p256dh on the
//    curve and a 16-byte auth secret, and an origin that is a prefix-free "https://host[:port]";
//  - what the strict mode accepts, test mode (allow_private) accepts too, identically;
//  - strict mode never accepts an endpoint whose host is an IP literal outside is_public_address, or
//    "localhost";
//  - to_json of an accepted subscription parses back to the same subscription.
// The input is also read as an IP literal and as raw address bytes for parse_ip_literal and
// is_public_address (no crash; a parsed literal is 4 or 16 bytes).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "channels/webpush/p256.hpp"
#include "channels/webpush/subscription.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace jarip::channels::webpush;

bool same(const PushSubscription& a, const PushSubscription& b) {
  return a.endpoint == b.endpoint && a.origin == b.origin && a.host == b.host && a.port == b.port &&
         a.expiration_time_ms == b.expiration_time_ms && a.p256dh == b.p256dh && a.auth == b.auth;
}

bool known_code(const std::string& code) { return code == "invalid_subscription" || code == "endpoint_not_public"; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto strict = parse_subscription(text);
  auto lenient = parse_subscription(text, SubscriptionOptions{.allow_private = true});
  if (!strict.ok()) {
    check(known_code(strict.error().code));
    check(!strict.error().field.empty());
  }
  if (!lenient.ok()) {
    check(lenient.error().code == "invalid_subscription");
    check(!lenient.error().field.empty());
    check(!strict.ok());
  }
  if (strict.ok()) {
    check(lenient.ok() && same(*strict, *lenient));
    const PushSubscription& s = *strict;
    check(s.host != "localhost");
    if (auto ip = parse_ip_literal(s.host)) check(is_public_address(ip->span()));
  }
  if (lenient.ok()) {
    const PushSubscription& s = *lenient;
    check(s.endpoint.size() <= kMaxEndpointSize);
    check(s.endpoint.size() >= 9);
    std::string scheme = s.endpoint.substr(0, 8);
    for (char& c : scheme) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    check(scheme == "https://");
    check(s.origin.compare(0, 8, "https://") == 0);
    check(s.origin.find('/', 8) == std::string::npos);
    check(s.p256dh.size() == kP256PublicKeySize && p256_is_valid_public(s.p256dh));
    check(s.auth.size() == 16);
    check(s.port != 0);
    auto again = parse_subscription(to_json(s), SubscriptionOptions{.allow_private = true});
    check(again.ok() && same(*again, s));
  }

  if (size <= 64) {
    if (auto ip = parse_ip_literal(text)) check(ip->size == 4 || ip->size == 16);
  }
  (void)is_public_address(std::span<const std::uint8_t>(data, size));
  return 0;
}
