// Signed links to the customer's own pages (docs/portal.md): a token names one subject (a customer
// id, or "customer_id|channel") for one purpose until an expiry time, and cannot be forged or moved
// to another purpose without the server's secret. Tokens are signed, not encrypted: the subject is
// readable by whoever holds the link.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace jarip::portal {

// Token purposes: one per kind of page, bound into the MAC.
inline constexpr std::string_view kInboxPurpose = "inbox";              // subject: customer id
inline constexpr std::string_view kUnsubscribePurpose = "unsubscribe";  // subject: "customer_id|channel" ("*" = all)
inline constexpr std::string_view kReconfirmPurpose = "reconfirm";      // subject: customer id

inline constexpr std::size_t kLinkSecretBytes = 32;
inline constexpr std::size_t kMaxTokenChars = 400;  // verify refuses longer tokens unread

class LinkSigner {
 public:
  // REQUIRES: secret.size() == kLinkSecretBytes (raw bytes).
  explicit LinkSigner(std::string secret);

  // A secret given in configuration (public.link_secret): 64 hex digits, so that every node of a
  // cluster signs and accepts the same links. Error "config_invalid".
  static Result<LinkSigner> from_hex(std::string_view hex);

  // base64url(version ‖ expiry in seconds (5 bytes, big-endian) ‖ subject ‖ MAC), no padding; the
  // MAC is HMAC-SHA256(secret, "jarip-link-v1" ‖ 0 ‖ purpose ‖ 0 ‖ version ‖ expiry ‖ subject) cut to
  // 16 bytes (128 bits). expires_ms is rounded up to the second. About 34 characters for a short
  // customer id. REQUIRES: purpose has no NUL byte; subject at most 256 bytes.
  std::string make(std::string_view purpose, std::string_view subject, TimeMs expires_ms) const;

  // The subject of a token made for `purpose`. Errors: "invalid_link" (not a token, a bad MAC, another
  // purpose: the MAC is checked in constant time before anything else is believed) and
  // "link_expired" (a genuine token at or after its expiry).
  Result<std::string> verify(std::string_view purpose, std::string_view token, TimeMs now) const;

 private:
  std::string mac(std::string_view purpose, std::string_view payload) const;
  std::string secret_;
};

// The server's link secret kept in a file (the default when public.link_secret is not configured):
// 32 random bytes from the OS CSPRNG, created with mode 0600 when the file does not exist. An
// existing file must be a regular file of exactly 32 bytes that neither group nor others may read or
// write (else Error "config_invalid" saying what to do), so that a copied or loosened secret is
// noticed instead of used.
Result<LinkSigner> load_or_create_link_secret(const std::string& path);

}  // namespace jarip::portal
