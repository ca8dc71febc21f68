// Web Push message encryption: RFC 8291 key derivation over the "aes128gcm" content coding of
// RFC 8188, as browsers decrypt it. One message is one record of at most 4096 bytes:
//
//   body = salt (16) || rs = 4096 (uint32 BE) || idlen = 65 || as_public (65) || AES-128-GCM(plaintext || 0x02)
//
// with, from the user agent's p256dh key (ua_public) and auth secret, and a fresh application-server
// key pair (as_private, as_public) and salt per message (RFC 8291 §3.3-3.4):
//
//   ecdh_secret = ECDH(as_private, ua_public)
//   IKM   = HKDF(salt = auth_secret, ikm = ecdh_secret, info = "WebPush: info\0" || ua_public || as_public, 32)
//   CEK   = HKDF(salt, IKM, "Content-Encoding: aes128gcm\0", 16)
//   NONCE = HKDF(salt, IKM, "Content-Encoding: nonce\0", 12)
//
// Everything here is a pure function of its arguments except `encrypt`, which draws the salt and the
// key pair from the OS CSPRNG. Keys and secrets are raw bytes (see p256.hpp), not base64url.
//
// Error codes: "payload_too_large" (plaintext over kMaxPlaintextSize), "invalid_key" (a key or secret of
// the wrong size, a point not on the curve), "decryption_failed" (decrypt: a body that is not a valid
// single-record aes128gcm message for these keys), "crypto_failure" (OpenSSL failed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace jarip::channels::webpush {

inline constexpr std::uint32_t kRecordSize = 4096;
inline constexpr std::size_t kSaltSize = 16;
inline constexpr std::size_t kAuthSecretSize = 16;
inline constexpr std::size_t kHeaderSize = 16 + 4 + 1 + 65;  // 86
inline constexpr std::size_t kTagSize = 16;
// RFC 8291 §4: 4096 - 86 (header) - 1 (padding delimiter) - 16 (tag) = 3993. A push service is only
// required to take 4096 bytes of body; the encryptor refuses more rather than send what may be dropped.
inline constexpr std::size_t kMaxPlaintextSize = kRecordSize - kHeaderSize - 1 - kTagSize;

// The keys of §3.3-3.4, exposed so that tests can check each step against RFC 8291 Appendix A.
struct ContentKeys {
  std::string prk_key;  // HKDF-Extract(auth_secret, ecdh_secret), 32 bytes
  std::string ikm;      // 32 bytes
  std::string prk;      // HKDF-Extract(salt, IKM), 32 bytes
  std::string cek;      // 16 bytes
  std::string nonce;    // 12 bytes
};
// REQUIRES: ecdh_secret 32 bytes, auth_secret 16, ua_public and as_public 65, salt 16.
ContentKeys derive_content_keys(std::string_view ecdh_secret, std::string_view auth_secret,
                                std::string_view ua_public, std::string_view as_public, std::string_view salt);

// Encrypts `plaintext` for the subscription whose keys are `ua_public` (65 bytes) and `auth_secret`
// (16 bytes), with a fresh salt and a fresh P-256 key pair. Returns the request body.
Result<std::string> encrypt(std::string_view ua_public, std::string_view auth_secret, std::string_view plaintext);

// The same with the salt (16 bytes) and the application server's private key (32 bytes) given:
// deterministic, for test vectors. Never reuse a salt/key pair for two messages.
Result<std::string> encrypt_with(std::string_view ua_public, std::string_view auth_secret,
                                 std::string_view plaintext, std::string_view salt, std::string_view as_private);

// The user agent's side: decrypts a body made by `encrypt` with the subscription's private key
// (32 bytes) and auth secret. Accepts exactly what RFC 8291 §4 lets an application server send: one
// record, keyid = a 65-byte point, rs >= 18 and >= the record, 0x02 delimiter then only zero padding.
// For the simulator's push service and for tests; jarip itself never decrypts.
Result<std::string> decrypt(std::string_view body, std::string_view ua_private, std::string_view auth_secret);

}  // namespace jarip::channels::webpush
