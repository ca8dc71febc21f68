// Shared by dkim.cpp (canonicalization, signing, verifying) and dkim_key.cpp (OpenSSL): not part of
// the Email channel's interface.
#pragma once

#include <string_view>

#include "channels/email/dkim.hpp"
#include "common/result.hpp"

namespace jarip::channels::email::detail {

// Verifies a raw `signature` over `data` with the key-record public key `public_key` (p= decoded:
// DER SubjectPublicKeyInfo or PKCS #1 RSAPublicKey for RSA, 32 raw bytes for Ed25519).
// Errors "dkim_bad_record" (unusable key), "dkim_signature_mismatch".
Status verify_with_public_key(DkimAlgorithm algorithm, std::string_view public_key, std::string_view data,
                              std::string_view signature);

}  // namespace jarip::channels::email::detail
