// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), the optional second factor of operator
// accounts, as authenticator apps expect them: HMAC-SHA1, 30 s steps, 6 digits, a base32 secret in an
// otpauth:// URI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace jarip::auth {

struct TotpParameters {
  int digits = 6;
  std::int64_t step_s = 30;
  int window = 1;  // steps accepted before and after now: clocks drift and people type slowly
};

// RFC 4226 §5.3: the code for one counter value, zero-padded to `digits`.
std::string hotp(std::string_view secret, std::uint64_t counter, int digits = 6);

// The step counter a code was accepted at, so that the caller can refuse a second use of the same code
// (store it; RFC 6238 §5.2); nullopt when no code in the window matches. Compares in constant time.
std::optional<std::int64_t> verify_totp(std::string_view secret, std::string_view code, TimeMs now,
                                        const TotpParameters& parameters = {});

// A fresh 20-byte secret (RFC 4226 §4 recommends 160 bits).
std::string new_totp_secret();

// RFC 4648 base32 without padding, as authenticator apps take secrets; decode accepts lower case,
// spaces and padding as people copy them.
std::string base32_encode(std::string_view bytes);
std::optional<std::string> base32_decode(std::string_view text);

// otpauth://totp/{issuer}:{account}?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30
std::string totp_uri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace jarip::auth
