// E-mail addresses as the Email channel sends to them: one addr-spec rule for the whole of jarip
// (customers::normalize_email, the rule the customer directory applies on import), reported
// against the request field at fault, plus the small questions the MIME builder and the SMTP
// client ask of an address.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace jarip::channels::email {

// RFC 5321 §4.5.3.1 limits. A valid address is at most 254 bytes in all (the longest that fits a
// 256-byte forward-path with its angle brackets), so its domain is at most 252 bytes: the 255-byte
// domain limit never binds on its own.
inline constexpr std::size_t kMaxLocalPartBytes = 64;
inline constexpr std::size_t kMaxDomainBytes = 255;
inline constexpr std::size_t kMaxAddressBytes = 254;

// A reasonable RFC 5321/5322 addr-spec (customers::normalize_email: dot-atom local part ≤ 64 bytes,
// a domain of ≥ 2 labels of letters, digits, hyphens or non-ASCII (IDN) characters, ≤ 254 bytes in
// all; no quoted local parts, comments or [IP] literals). Surrounding blanks are dropped; the domain
// comes back in ASCII lower case and IDN domains exactly as given (no punycode).
// Error{"invalid_email", reason, field}.
Result<std::string> normalize_address(std::string_view value, std::string_view field);

// The part after the last '@' ("" when there is none).
std::string_view domain_of(std::string_view address);

// True when the address has a non-ASCII byte (an IDN domain): such an address may be written only
// in a message sent with the SMTPUTF8 extension (RFC 6531/6532).
bool needs_smtputf8(std::string_view address);

}  // namespace jarip::channels::email
