#include "channels/webpush/p256.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <array>
#include <cstdint>

#include "channels/webpush/p256_internal.hpp"

namespace jarip::channels::webpush {

namespace detail {

Error crypto_failure(std::string_view what) {
  ERR_clear_error();
  return make_error("crypto_failure", "OpenSSL failed: " + std::string(what));
}

namespace {

struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_clear_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct PointDeleter {
  void operator()(EC_POINT* point) const { EC_POINT_free(point); }
};
using PointPtr = std::unique_ptr<EC_POINT, PointDeleter>;
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamsDeleter {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// One read-only P-256 group per thread (EC_GROUP is not documented as safe to share across threads).
const EC_GROUP* group() {
  thread_local std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> g(
      EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), &EC_GROUP_free);
  return g.get();
}

// A reusable "EC" key-management context per thread: fetching the provider's implementation is a
// measurable part of a message's cost in OpenSSL 3.0.
EVP_PKEY_CTX* ec_ctx() {
  thread_local PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  return ctx.get();
}

// A P-256 key per thread whose domain parameters the per-message keys copy (see pkey_from_public).
EVP_PKEY* template_key() {
  thread_local PkeyPtr key = [] {
    EVP_PKEY_CTX* ctx = ec_ctx();
    EVP_PKEY* k = nullptr;
    if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_group_name(ctx, "prime256v1") <= 0 ||
        EVP_PKEY_keygen(ctx, &k) <= 0) {
      ERR_clear_error();
      return PkeyPtr();
    }
    return PkeyPtr(k);
  }();
  return key.get();
}

// A key-generation context per thread, initialised once from the template key: each EVP_PKEY_keygen
// then duplicates the template's group instead of building one from the curve's name.
EVP_PKEY_CTX* keygen_ctx() {
  thread_local PkeyCtxPtr ctx = [] {
    EVP_PKEY* tmpl = template_key();
    PkeyCtxPtr c(tmpl == nullptr ? nullptr : EVP_PKEY_CTX_new_from_pkey(nullptr, tmpl, nullptr));
    if (!c || EVP_PKEY_keygen_init(c.get()) <= 0) {
      ERR_clear_error();
      return PkeyCtxPtr();
    }
    return c;
  }();
  return ctx.get();
}

Result<PkeyPtr> pkey_from_params(int selection, const BIGNUM* private_scalar, std::string_view public_key) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, public_key.data(), public_key.size()) ||
      (private_scalar != nullptr && !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, private_scalar))) {
    return crypto_failure("OSSL_PARAM_BLD");
  }
  std::unique_ptr<OSSL_PARAM, ParamsDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  EVP_PKEY_CTX* ctx = ec_ctx();
  EVP_PKEY* key = nullptr;
  if (!params || ctx == nullptr || EVP_PKEY_fromdata_init(ctx) <= 0 ||
      EVP_PKEY_fromdata(ctx, &key, selection, params.get()) <= 0) {
    ERR_clear_error();
    return make_error("invalid_key", "not a P-256 key");
  }
  return PkeyPtr(key);
}

// The uncompressed point of `point`.
std::string point_bytes(const EC_POINT* point) {
  std::array<unsigned char, kP256PublicKeySize> out{};
  const std::size_t n =
      EC_POINT_point2oct(group(), point, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), nullptr);
  if (n != out.size()) return {};
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

// The scalar of a 32-byte private key when 1 <= d < n.
BnPtr private_scalar(std::string_view private_key) {
  if (private_key.size() != kP256PrivateKeySize) return nullptr;
  BnPtr d(BN_secure_new());
  if (!d || BN_bin2bn(bytes(private_key), static_cast<int>(private_key.size()), d.get()) == nullptr) return nullptr;
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group())) >= 0) return nullptr;
  return d;
}

}  // namespace

Result<PkeyPtr> pkey_from_private(std::string_view private_key, std::string* public_key_out) {
  BnPtr d = private_scalar(private_key);
  if (!d) return make_error("invalid_key", "a P-256 private key is 32 bytes, 1 <= d < n");
  PointPtr q(EC_POINT_new(group()));
  if (!q || EC_POINT_mul(group(), q.get(), d.get(), nullptr, nullptr, nullptr) != 1) {
    return crypto_failure("EC_POINT_mul");
  }
  const std::string public_key = point_bytes(q.get());
  if (public_key.empty()) return crypto_failure("EC_POINT_point2oct");
  auto key = pkey_from_params(EVP_PKEY_KEYPAIR, d.get(), public_key);
  if (key.ok() && public_key_out != nullptr) *public_key_out = public_key;
  return key;
}

Result<PkeyPtr> pkey_from_public(std::string_view public_key) {
  if (!p256_is_valid_public(public_key)) {
    return make_error("invalid_key", "not an uncompressed P-256 point on the curve");
  }
  // A key with the template's domain parameters, then the point: copying the parameters duplicates
  // the template's EC_GROUP, where EVP_PKEY_fromdata would build the group anew from its name
  // (a modular inversion for its Montgomery context) on every message.
  EVP_PKEY* tmpl = template_key();
  PkeyPtr key(EVP_PKEY_new());
  if (tmpl == nullptr || !key || EVP_PKEY_copy_parameters(key.get(), tmpl) != 1 ||
      EVP_PKEY_set1_encoded_public_key(key.get(), reinterpret_cast<const unsigned char*>(public_key.data()),
                                       public_key.size()) != 1) {
    ERR_clear_error();
    return pkey_from_params(EVP_PKEY_PUBLIC_KEY, nullptr, public_key);
  }
  return key;
}

Result<PkeyPtr> pkey_generate(std::string* public_key_out) {
  EVP_PKEY_CTX* ctx = keygen_ctx();
  EVP_PKEY* key = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen(ctx, &key) <= 0) return crypto_failure("EVP_PKEY_keygen");
  PkeyPtr owned(key);
  if (public_key_out != nullptr) {
    std::array<unsigned char, kP256PublicKeySize + 1> out{};
    std::size_t n = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out.data(), out.size(), &n) != 1 ||
        n != kP256PublicKeySize || out[0] != 0x04) {
      return crypto_failure("encoded public key");
    }
    public_key_out->assign(reinterpret_cast<const char*>(out.data()), n);
  }
  return owned;
}

Result<std::string> pkey_private_bytes(EVP_PKEY* key) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &raw) != 1) return crypto_failure("private key");
  BnPtr d(raw);
  std::string out(kP256PrivateKeySize, '\0');
  if (BN_bn2binpad(d.get(), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) !=
      static_cast<int>(out.size())) {
    return crypto_failure("BN_bn2binpad");
  }
  return out;
}

Result<std::string> pkey_ecdh(EVP_PKEY* own, EVP_PKEY* peer) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  // validate_peer = 0: pkey_from_public already checked the point (on the curve, coordinates < p).
  // OpenSSL's own check would add n·Q = O, a second scalar multiplication that P-256 (cofactor 1)
  // does not need.
  std::string secret(32, '\0');
  std::size_t n = secret.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 || EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, 0) <= 0 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &n) <= 0 || n != 32) {
    return crypto_failure("ECDH");
  }
  return secret;
}

}  // namespace detail

Result<P256KeyPair> p256_generate() {
  P256KeyPair pair;
  auto key = detail::pkey_generate(&pair.public_key);
  if (!key.ok()) return key.error();
  auto private_key = detail::pkey_private_bytes(key->get());
  if (!private_key.ok()) return private_key.error();
  pair.private_key = std::move(*private_key);
  return pair;
}

Result<std::string> p256_public_from_private(std::string_view private_key) {
  std::string public_key;
  auto key = detail::pkey_from_private(private_key, &public_key);
  if (!key.ok()) return key.error();
  return public_key;
}

bool p256_is_valid_public(std::string_view point) {
  if (point.size() != kP256PublicKeySize || static_cast<unsigned char>(point[0]) != 0x04) return false;
  detail::PointPtr p(EC_POINT_new(detail::group()));
  // EC_POINT_oct2point refuses coordinates >= p and points off the curve.
  const bool ok = p && EC_POINT_oct2point(detail::group(), p.get(), detail::bytes(point), point.size(), nullptr) == 1 &&
                  EC_POINT_is_at_infinity(detail::group(), p.get()) == 0;
  if (!ok) ERR_clear_error();
  return ok;
}

Result<std::string> p256_ecdh(std::string_view private_key, std::string_view peer_public) {
  auto own = detail::pkey_from_private(private_key);
  if (!own.ok()) return own.error();
  auto peer = detail::pkey_from_public(peer_public);
  if (!peer.ok()) return peer.error();
  return detail::pkey_ecdh(own->get(), peer->get());
}


}  // namespace jarip::channels::webpush
