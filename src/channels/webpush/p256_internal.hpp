// OpenSSL handles behind p256.hpp, shared by the webpush sources only (not a public header).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace jarip::channels::webpush::detail {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A key pair from a 32-byte private scalar (the public point is computed). Error "invalid_key".
Result<PkeyPtr> pkey_from_private(std::string_view private_key, std::string* public_key_out = nullptr);
// A public key from a 65-byte uncompressed point, checked to be on the curve. Error "invalid_key".
Result<PkeyPtr> pkey_from_public(std::string_view public_key);
// A fresh key pair; its uncompressed public point in *public_key_out. Error "crypto_failure".
Result<PkeyPtr> pkey_generate(std::string* public_key_out);
// The 32-byte private scalar of a key pair.
Result<std::string> pkey_private_bytes(EVP_PKEY* key);
// ECDH: the 32-byte shared X coordinate. `peer` must come from pkey_from_public (already checked).
Result<std::string> pkey_ecdh(EVP_PKEY* own, EVP_PKEY* peer);

Error crypto_failure(std::string_view what);

}  // namespace jarip::channels::webpush::detail
