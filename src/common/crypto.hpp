// Small cryptographic helpers over OpenSSL/libsodium. Every secret comparison in jarip goes through
// constant_time_equals, so that a timing difference never tells an attacker how much of a token matched.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jarip::crypto {

bool constant_time_equals(std::string_view a, std::string_view b);

std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string sha256(std::string_view data);                             // raw 32 bytes

std::string to_hex(std::string_view bytes);  // lower case
std::optional<std::string> from_hex(std::string_view hex);
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);  // no padding
// Strict base64url (RFC 4648 §5): the URL-safe alphabet, "=" padding optional but then complete,
// and unused trailing bits zero, so that every byte string has exactly one accepted unpadded form.
// nullopt otherwise.
std::optional<std::string> base64url_decode(std::string_view text);

std::string random_bytes(std::size_t count);  // from the OS CSPRNG
std::string random_hex(std::size_t bytes);    // 2 × bytes hex characters

}  // namespace jarip::crypto
