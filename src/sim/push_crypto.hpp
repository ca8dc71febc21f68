// The browser's half of Web Push, for the simulator's push service: a subscription's P-256 key pair,
// decryption of an RFC 8291 message (the "aes128gcm" content coding of RFC 8188), and the check of a
// VAPID Authorization header (RFC 8292). Written from the RFCs over OpenSSL 3 EVP, apart from
// src/channels/webpush (which the simulator must not link): a mistake there cannot hide here.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace jarip::sim::push {

// base64url, padding optional (browsers and libraries write both). nullopt for any other character.
std::optional<std::string> base64url_decode(std::string_view text);

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A subscription's key pair ("p256dh"): the private key stays in the simulator, the 65-byte
// uncompressed public point goes to the application server.
class ReceiverKey {
 public:
  // Error "crypto_failure".
  static Result<ReceiverKey> generate();
  // From raw bytes (the RFC's test vectors): 32-byte scalar and its 65-byte point. Error "invalid_key".
  static Result<ReceiverKey> from_raw(std::string_view private_key, std::string_view public_key);

  const std::string& public_key() const { return public_key_; }
  EVP_PKEY* pkey() const { return key_.get(); }

 private:
  Pkey key_;
  std::string public_key_;
};

// The parts of an aes128gcm header (RFC 8188 §2.1).
struct ContentHeader {
  std::string salt;       // 16 bytes
  std::uint32_t record_size = 0;
  std::string sender_public;  // keyid: the application server's ephemeral point (RFC 8291 §4)
};

// Decrypts a push message body with the subscription's key and 16-byte auth secret. What RFC 8291
// lets an application server send is accepted: one record (rs ≥ 18, the record not longer than rs), a
// 65-byte keyid on P-256, the last-record delimiter 0x02 followed only by zero padding.
// Errors: "malformed_body" (header), "decryption_failed" (key agreement, tag, padding).
Result<std::string> decrypt_message(std::string_view body, const ReceiverKey& receiver, std::string_view auth_secret,
                                    ContentHeader* header_out = nullptr);

// What a verified VAPID token says.
struct VapidToken {
  std::string audience;
  std::int64_t expires_at_s = 0;
  std::string subject;     // empty when the JWT has no sub
  std::string public_key;  // k, 65 raw bytes
};

// Reads "vapid t=<JWT>, k=<base64url key>" (parameters in any order) and verifies the JWT: header
// alg ES256, a 64-byte R||S signature valid for k, claims aud (string), exp (integer) and sub (if
// present, a string). Does not judge aud or exp against anything. Error "invalid_authorization".
Result<VapidToken> verify_vapid_authorization(std::string_view header);

}  // namespace jarip::sim::push
