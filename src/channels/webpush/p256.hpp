// NIST P-256 keys as raw bytes, over OpenSSL 3's EVP API: what Web Push (RFC 8291) and VAPID
// (RFC 8292) exchange. A private key is the 32-byte big-endian scalar; a public key is the 65-byte
// uncompressed point 0x04 || X || Y (X9.62), as browsers give `p256dh` and take
// `applicationServerKey`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto.hpp"
#include "common/result.hpp"

namespace jarip::channels::webpush {

inline constexpr std::size_t kP256PrivateKeySize = 32;
inline constexpr std::size_t kP256PublicKeySize = 65;

struct P256KeyPair {
  std::string private_key;  // 32 bytes; a secret: never logged
  std::string public_key;   // 65 bytes, uncompressed point
};

// A fresh key pair from the OS CSPRNG. Error "crypto_failure" only if OpenSSL fails.
Result<P256KeyPair> p256_generate();

// The public point of a private scalar. Error "invalid_key" unless the input is 32 bytes with
// 1 <= d < n (the group order).
Result<std::string> p256_public_from_private(std::string_view private_key);

// True when `point` is 65 bytes, starts with 0x04, and (X, Y) lies on P-256 with both coordinates
// below the field prime. (P-256 has cofactor 1: every such point is in the prime-order group.)
bool p256_is_valid_public(std::string_view point);

// The ECDH shared secret: the 32-byte X coordinate of private_key × peer_public.
// Error "invalid_key" when either key is malformed or the peer point is not on the curve.
Result<std::string> p256_ecdh(std::string_view private_key, std::string_view peer_public);

// Strict base64url, shared with the rest of jarip (common/crypto.hpp).
using crypto::base64url_decode;

}  // namespace jarip::channels::webpush
