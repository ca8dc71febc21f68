// VAPID (RFC 8292): the application server proves to a push service who it is with a JWT signed
// ES256 by a P-256 key whose public half the site gave the browser as `applicationServerKey`.
//
//   Authorization: vapid t=<JWT>, k=<public key, base64url uncompressed point>
//   JWT = base64url({"typ":"JWT","alg":"ES256"}) . base64url({"aud":…,"exp":…,"sub":…}) . base64url(R || S)
//
// aud is the push service's origin (PushSubscription::origin), exp at most 24 h ahead (default 12 h),
// sub a "mailto:" or "https:" contact from configuration. Key formats (configuration and the browser):
// the private key is its 32-byte scalar and the public key its 65-byte uncompressed point, each in
// unpadded base64url — the same formats the npm `web-push` package's generateVAPIDKeys() prints.
//
// Error codes: "invalid_vapid_key", "invalid_vapid_subject", "invalid_vapid_claims", "invalid_jwt"
// (verify_vapid_jwt), "crypto_failure".
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "channels/webpush/p256_internal.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace jarip::channels::webpush {

inline constexpr std::int64_t kVapidDefaultLifetimeSeconds = 12 * 3600;
inline constexpr std::int64_t kVapidMaxLifetimeSeconds = 24 * 3600;
// A cached token is reused while it has more than this left.
inline constexpr std::int64_t kVapidReuseMarginSeconds = 3600;

class VapidKeys {
 public:
  // A fresh key pair (what `jarip webpush keygen` prints).
  static Result<VapidKeys> generate();
  // From the configured private key: 32 bytes as base64url. Error "invalid_vapid_key".
  static Result<VapidKeys> from_private_base64url(std::string_view private_key);

  const std::string& public_key() const { return public_key_; }  // 65 raw bytes
  std::string public_key_base64url() const;                        // applicationServerKey
  std::string private_key_base64url() const;                       // a secret: for configuration only

  EVP_PKEY* pkey() const { return key_.get(); }

 private:
  VapidKeys() = default;
  detail::PkeyPtr key_;
  std::string public_key_;
  std::string private_key_;
};

struct VapidClaims {
  std::string audience;       // aud: "https://host[:port]"
  std::int64_t expires_at_s = 0;  // exp: Unix seconds
  std::string subject;        // sub: "mailto:…" or "https://…"
};

// "mailto:" + an address with one "@", or an "https://" URL; printable ASCII without spaces, at most
// 256 characters. Error "invalid_vapid_subject".
Status validate_vapid_subject(std::string_view subject);

// The signed JWT. Error "invalid_vapid_claims" unless aud is an https origin (no path; an http origin on
// loopback is accepted for the simulator) and sub valid.
// (exp is not checked against a clock here: VapidTokenCache does that.)
Result<std::string> sign_vapid_jwt(const VapidKeys& keys, const VapidClaims& claims);

// "vapid t=<jwt>, k=<public key base64url>".
std::string vapid_authorization(std::string_view jwt, std::string_view public_key_base64url);

// Checks an ES256 JWT's signature with a 65-byte public key and returns its claims (aud, exp, sub must
// be present with the right types). Error "invalid_jwt". The expiry is not compared with a clock.
Result<VapidClaims> verify_vapid_jwt(std::string_view jwt, std::string_view public_key);

// ECDSA signature formats: OpenSSL's DER SEQUENCE { INTEGER r, INTEGER s } and JOSE's fixed-size
// R || S (RFC 7518 §3.4: each 32 bytes big-endian, left-padded with zeros). der_to_raw accepts only
// strict DER with r, s < 2^256; raw_to_der needs exactly 64 bytes. Error "invalid_signature".
Result<std::string> ecdsa_der_to_raw(std::string_view der);
Result<std::string> ecdsa_raw_to_der(std::string_view raw);

// Reuses one JWT per audience while it has more than an hour of validity left, so that a burst of
// messages to one push service signs once. Thread-safe. Holds at most kMaxEntries audiences (endpoints
// are outside input: a flood of origins must not grow it without bound); the entry closest to expiry
// is dropped first.
class VapidTokenCache {
 public:
  static constexpr std::size_t kMaxEntries = 256;

  // Error "invalid_vapid_subject", or "invalid_vapid_claims" for a lifetime outside (1 h, 24 h].
  static Result<VapidTokenCache> make(VapidKeys keys, std::string subject,
                                      std::int64_t lifetime_s = kVapidDefaultLifetimeSeconds);

  // The Authorization header value for `audience` (PushSubscription::origin) at `now_ms`.
  Result<std::string> authorization(std::string_view audience, TimeMs now_ms);

  const VapidKeys& keys() const { return keys_; }
  std::size_t size() const;

  VapidTokenCache(VapidTokenCache&& other) noexcept;
  VapidTokenCache& operator=(VapidTokenCache&&) = delete;

 private:
  VapidTokenCache(VapidKeys keys, std::string subject, std::int64_t lifetime_s);

  struct Entry {
    std::string header;
    std::int64_t expires_at_s = 0;
  };
  VapidKeys keys_;
  std::string public_key_base64url_;
  std::string subject_;
  std::int64_t lifetime_s_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace jarip::channels::webpush
