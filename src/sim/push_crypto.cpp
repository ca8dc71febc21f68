#include "sim/push_crypto.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>

#include "common/crypto.hpp"

namespace jarip::sim::push {

namespace {

constexpr std::size_t kPointSize = 65;
constexpr std::size_t kScalarSize = 32;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kMaxJwtSize = 4096;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct KdfFree {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

// A P-256 key from its parts; `private_key` empty for a public key alone. fromdata decodes the point,
// which fails for one off the curve.
Pkey pkey_from_parts(std::string_view private_key, std::string_view public_key) {
  if (public_key.size() != kPointSize || public_key[0] != '\x04') return nullptr;
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> build(OSSL_PARAM_BLD_new());
  std::unique_ptr<BIGNUM, BnFree> scalar;
  if (!build || !OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, public_key.data(), public_key.size())) {
    return nullptr;
  }
  if (!private_key.empty()) {
    scalar.reset(BN_bin2bn(bytes(private_key), static_cast<int>(private_key.size()), nullptr));
    if (!scalar || !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get())) return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(build.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  const int selection = private_key.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, selection, params.get()) != 1) {
    return nullptr;
  }
  Pkey out(key);
  // fromdata accepts a private scalar without checking it against the point: the pair must agree.
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!check) return nullptr;
  const int ok = private_key.empty() ? EVP_PKEY_public_check(check.get()) : EVP_PKEY_pairwise_check(check.get());
  if (ok != 1) return nullptr;
  return out;
}

std::string public_point(EVP_PKEY* key) {
  unsigned char buffer[kPointSize + 1];
  std::size_t size = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buffer, sizeof buffer, &size) != 1 ||
      size != kPointSize || buffer[0] != 0x04) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(buffer), size);
}

std::optional<std::string> ecdh(EVP_PKEY* own, EVP_PKEY* peer) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  std::size_t size = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &size) != 1 || size != kScalarSize) {
    return std::nullopt;
  }
  std::string secret(size, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &size) != 1) return std::nullopt;
  return secret;
}

// HKDF-SHA-256 extract-then-expand (RFC 5869) to `length` bytes.
std::optional<std::string> hkdf(std::string_view salt, std::string_view ikm, std::string_view info, std::size_t length) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return std::nullopt;
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return std::nullopt;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end(),
  };
  std::string out(length, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), length, params) != 1) return std::nullopt;
  return out;
}

std::optional<std::string> aes128gcm_open(std::string_view key, std::string_view nonce, std::string_view sealed) {
  if (sealed.size() < kTagSize) return std::nullopt;
  const std::string_view ciphertext = sealed.substr(0, sealed.size() - kTagSize);
  std::string tag(sealed.substr(sealed.size() - kTagSize));
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  std::string plain(ciphertext.size(), '\0');
  int n = 0, tail = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n, bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n, &tail) != 1) {
    return std::nullopt;
  }
  plain.resize(static_cast<std::size_t>(n + tail));
  return plain;
}

std::optional<boost::json::object> json_part(std::string_view part) {
  auto raw = base64url_decode(part);
  if (!raw) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*raw, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

// JOSE's R||S (RFC 7518 §3.4) → the DER OpenSSL verifies.
std::optional<std::string> signature_der(std::string_view raw) {
  if (raw.size() != 2 * kScalarSize) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), kScalarSize, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + kScalarSize, kScalarSize, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error bad_authorization(std::string message) { return make_error("invalid_authorization", std::move(message)); }

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string standard;
  standard.reserve(text.size() + 3);
  for (char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) standard.push_back(c);
    else if (c == '-') standard.push_back('+');
    else if (c == '_') standard.push_back('/');
    else return std::nullopt;
  }
  if (standard.size() % 4 == 1) return std::nullopt;
  while (standard.size() % 4 != 0) standard.push_back('=');
  return crypto::base64_decode(standard);
}

Result<ReceiverKey> ReceiverKey::generate() {
  ReceiverKey out;
  out.key_.reset(EVP_EC_gen("P-256"));
  if (!out.key_) return make_error("crypto_failure", "cannot generate a P-256 key");
  out.public_key_ = public_point(out.key_.get());
  if (out.public_key_.empty()) return make_error("crypto_failure", "cannot export a P-256 public key");
  return out;
}

Result<ReceiverKey> ReceiverKey::from_raw(std::string_view private_key, std::string_view public_key) {
  if (private_key.size() != kScalarSize) return make_error("invalid_key", "a P-256 private key is 32 bytes");
  ReceiverKey out;
  out.key_ = pkey_from_parts(private_key, public_key);
  if (!out.key_) return make_error("invalid_key", "not a matching P-256 key pair");
  out.public_key_ = std::string(public_key);
  return out;
}

Result<std::string> decrypt_message(std::string_view body, const ReceiverKey& receiver, std::string_view auth_secret,
                                    ContentHeader* header_out) {
  // RFC 8188 §2.1: salt (16) | rs (uint32) | idlen (1) | keyid (idlen) | records.
  if (body.size() < 21) return make_error("malformed_body", "shorter than an aes128gcm header");
  ContentHeader header;
  header.salt = std::string(body.substr(0, 16));
  for (int i = 0; i < 4; ++i) header.record_size = (header.record_size << 8) | static_cast<unsigned char>(body[16 + i]);
  const std::size_t idlen = static_cast<unsigned char>(body[20]);
  if (idlen != kPointSize) return make_error("malformed_body", "keyid is not a 65-byte P-256 point (RFC 8291 §4)");
  if (body.size() < 21 + idlen) return make_error("malformed_body", "body ends inside the keyid");
  header.sender_public = std::string(body.substr(21, idlen));
  const std::string_view record = body.substr(21 + idlen);
  if (header.record_size < 18) return make_error("malformed_body", "record size below 18 (RFC 8188 §2)");
  if (record.size() > header.record_size) {
    return make_error("malformed_body", "more than one record (RFC 8291 §4 allows one)");
  }
  if (record.size() < kTagSize + 1) return make_error("malformed_body", "record shorter than its tag and delimiter");
  if (header_out != nullptr) *header_out = header;
  if (auth_secret.size() != 16) return make_error("decryption_failed", "auth secret is not 16 bytes");

  auto fail = [](std::string message) { return make_error("decryption_failed", std::move(message)); };
  Pkey sender = pkey_from_parts({}, header.sender_public);
  if (!sender) return fail("keyid is not a point on P-256");
  auto shared = ecdh(receiver.pkey(), sender.get());
  if (!shared) return fail("ECDH failed");
  // RFC 8291 §3.3-3.4.
  std::string key_info = std::string("WebPush: info") + '\0' + receiver.public_key() + header.sender_public;
  auto ikm = hkdf(auth_secret, *shared, key_info, 32);
  auto cek = ikm ? hkdf(header.salt, *ikm, std::string_view("Content-Encoding: aes128gcm\0", 28), 16) : std::nullopt;
  auto nonce = ikm ? hkdf(header.salt, *ikm, std::string_view("Content-Encoding: nonce\0", 24), 12) : std::nullopt;
  if (!cek || !nonce) return fail("HKDF failed");
  // One record: sequence number 0, so the nonce is used as derived.
  auto plain = aes128gcm_open(*cek, *nonce, record);
  if (!plain) return fail("authentication tag does not verify (wrong keys or altered body)");
  // RFC 8188 §2: content, then the delimiter (2 for the last record), then zeros.
  std::size_t end = plain->size();
  while (end > 0 && (*plain)[end - 1] == '\0') --end;
  if (end == 0 || (*plain)[end - 1] != '\x02') return fail("no last-record padding delimiter 0x02");
  plain->resize(end - 1);
  return std::move(*plain);
}

Result<VapidToken> verify_vapid_authorization(std::string_view header) {
  header = trim(header);
  if (header.size() < 6 || !(header.substr(0, 6) == "vapid " || header.substr(0, 6) == "Vapid " ||
                             header.substr(0, 6) == "VAPID ")) {
    return bad_authorization("Authorization is not the vapid scheme (RFC 8292 §3)");
  }
  std::string_view jwt, key;
  std::string_view params = header.substr(6);
  while (!params.empty()) {
    const std::size_t comma = params.find(',');
    const std::string_view item = trim(params.substr(0, comma));
    params = comma == std::string_view::npos ? std::string_view() : params.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad_authorization("vapid parameter without '='");
    const std::string_view name = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
    if (name == "t") jwt = value;
    else if (name == "k") key = value;
  }
  if (jwt.empty() || key.empty()) return bad_authorization("vapid needs both t= and k=");
  if (jwt.size() > kMaxJwtSize) return bad_authorization("JWT over 4096 characters");

  VapidToken token;
  auto public_key = base64url_decode(key);
  if (!public_key || public_key->size() != kPointSize) return bad_authorization("k is not a 65-byte P-256 point");
  Pkey verifier = pkey_from_parts({}, *public_key);
  if (!verifier) return bad_authorization("k is not a point on P-256");
  token.public_key = std::move(*public_key);

  const std::size_t dot1 = jwt.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos) {
    return bad_authorization("the JWT does not have three parts");
  }
  auto jose = json_part(jwt.substr(0, dot1));
  auto claims = json_part(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(jwt.substr(dot2 + 1));
  if (!jose || !claims || !signature) return bad_authorization("a JWT part is not base64url JSON");
  const boost::json::value* alg = jose->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != "ES256") return bad_authorization("JWT alg is not ES256");

  auto der = signature_der(*signature);
  if (!der) return bad_authorization("the JWT signature is not 64 bytes (R||S)");
  const std::string_view signed_part = jwt.substr(0, dot2);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, verifier.get(), nullptr) != 1 ||
      EVP_DigestVerify(md.get(), bytes(*der), der->size(), bytes(signed_part), signed_part.size()) != 1) {
    return bad_authorization("the JWT signature does not verify with k");
  }

  const boost::json::value* aud = claims->if_contains("aud");
  const boost::json::value* exp = claims->if_contains("exp");
  const boost::json::value* sub = claims->if_contains("sub");
  if (aud == nullptr || !aud->is_string()) return bad_authorization("the JWT has no aud");
  if (exp == nullptr || !(exp->is_int64() || exp->is_uint64())) return bad_authorization("the JWT has no integer exp");
  if (sub != nullptr && !sub->is_string()) return bad_authorization("the JWT's sub is not a string");
  token.audience = std::string(aud->as_string());
  token.expires_at_s = exp->is_int64() ? exp->as_int64() : static_cast<std::int64_t>(std::min<std::uint64_t>(exp->as_uint64(), INT64_MAX));
  if (sub != nullptr) token.subject = std::string(sub->as_string());
  return token;
}

}  // namespace jarip::sim::push
