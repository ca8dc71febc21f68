#include "channels/webpush/encryption.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <initializer_list>
#include <memory>

#include "channels/webpush/p256.hpp"
#include "channels/webpush/p256_internal.hpp"
#include "common/crypto.hpp"

namespace jarip::channels::webpush {
namespace {

constexpr std::string_view kKeyInfo{"WebPush: info\0", 14};
constexpr std::string_view kCekInfo{"Content-Encoding: aes128gcm\0", 28};
constexpr std::string_view kNonceInfo{"Content-Encoding: nonce\0", 24};
constexpr unsigned char kLastRecordDelimiter = 0x02;

struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// HMAC-SHA-256 over the concatenation of `parts`, with an HMAC context kept per thread: the one-shot
// HMAC() fetches the implementation on every call, and a message needs five.
std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
  thread_local std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx = [] {
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr), &EVP_MAC_free);
    std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> c(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (c && EVP_MAC_CTX_set_params(c.get(), params) != 1) c.reset();
    return c;
  }();
  unsigned char out[32];
  std::size_t n = 0;
  bool ok = ctx && EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr) == 1;
  for (std::string_view part : parts) {
    ok = ok && EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()), part.size()) == 1;
  }
  ok = ok && EVP_MAC_final(ctx.get(), out, &n, sizeof out) == 1 && n == sizeof out;
  if (!ok) {
    // Only if OpenSSL itself is broken; the one-shot helper is the fallback.
    std::string joined;
    for (std::string_view part : parts) joined.append(part);
    return crypto::hmac_sha256(key, joined);
  }
  return std::string(reinterpret_cast<const char*>(out), n);
}

// HKDF-Expand (RFC 5869) for L <= 32: one HMAC block, T(1) = HMAC(PRK, info || 0x01).
std::string hkdf_expand_one(std::string_view prk, std::string_view info, std::size_t length) {
  std::string out = hmac_sha256(prk, {info, std::string_view("\x01", 1)});
  out.resize(length);
  return out;
}

const EVP_CIPHER* aes128gcm() {
  // Fetched once: an implicit fetch per message (EVP_aes_128_gcm) costs a lock and a lookup.
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  return cipher;
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

unsigned char* ubytes(std::string& s, std::size_t offset = 0) {
  return reinterpret_cast<unsigned char*>(s.data()) + offset;
}
const unsigned char* ubytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

Status check_recipient(std::string_view ua_public, std::string_view auth_secret) {
  if (auth_secret.size() != kAuthSecretSize) return make_error("invalid_key", "the auth secret is 16 bytes");
  if (ua_public.size() != kP256PublicKeySize) return make_error("invalid_key", "p256dh is a 65-byte point");
  return Status::success();
}

// Header, then plaintext || 0x02 sealed with (CEK, NONCE); the sequence number of the only record is
// 0, so its nonce is NONCE itself (RFC 8188 §2.3).
Result<std::string> seal(std::string_view plaintext, std::string_view salt, std::string_view as_public,
                         const ContentKeys& keys) {
  std::string body;
  body.reserve(kHeaderSize + plaintext.size() + 1 + kTagSize);
  body.append(salt);
  put_u32(body, kRecordSize);
  body.push_back(static_cast<char>(as_public.size()));
  body.append(as_public);
  const std::size_t start = body.size();
  body.resize(start + plaintext.size() + 1 + kTagSize);

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0, total = 0;
  const unsigned char delimiter = kLastRecordDelimiter;
  if (!ctx || aes128gcm() == nullptr ||
      EVP_EncryptInit_ex2(ctx.get(), aes128gcm(), ubytes(keys.cek), ubytes(keys.nonce), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ubytes(body, start), &n, ubytes(plaintext), static_cast<int>(plaintext.size())) != 1) {
    return detail::crypto_failure("AES-128-GCM");
  }
  total += n;
  if (EVP_EncryptUpdate(ctx.get(), ubytes(body, start + total), &n, &delimiter, 1) != 1) {
    return detail::crypto_failure("AES-128-GCM");
  }
  total += n;
  if (EVP_EncryptFinal_ex(ctx.get(), ubytes(body, start + total), &n) != 1) return detail::crypto_failure("AES-128-GCM");
  total += n;
  if (static_cast<std::size_t>(total) != plaintext.size() + 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), ubytes(body, start + total)) != 1) {
    return detail::crypto_failure("AES-128-GCM tag");
  }
  return body;
}

Result<std::string> encrypt_with_key(std::string_view ua_public, std::string_view auth_secret,
                                     std::string_view plaintext, std::string_view salt, EVP_PKEY* as_key,
                                     std::string_view as_public) {
  auto peer = detail::pkey_from_public(ua_public);
  if (!peer.ok()) return make_error("invalid_key", "p256dh is not a point on P-256");
  auto secret = detail::pkey_ecdh(as_key, peer->get());
  if (!secret.ok()) return secret.error();
  const ContentKeys keys = derive_content_keys(*secret, auth_secret, ua_public, as_public, salt);
  return seal(plaintext, salt, as_public, keys);
}

}  // namespace

ContentKeys derive_content_keys(std::string_view ecdh_secret, std::string_view auth_secret,
                                std::string_view ua_public, std::string_view as_public, std::string_view salt) {
  ContentKeys keys;
  keys.prk_key = hmac_sha256(auth_secret, {ecdh_secret});
  // key_info = "WebPush: info\0" || ua_public || as_public
  keys.ikm = hmac_sha256(keys.prk_key, {kKeyInfo, ua_public, as_public, std::string_view("\x01", 1)});
  keys.prk = hmac_sha256(salt, {keys.ikm});
  keys.cek = hkdf_expand_one(keys.prk, kCekInfo, 16);
  keys.nonce = hkdf_expand_one(keys.prk, kNonceInfo, 12);
  return keys;
}

Result<std::string> encrypt(std::string_view ua_public, std::string_view auth_secret, std::string_view plaintext) {
  if (plaintext.size() > kMaxPlaintextSize) {
    return make_error("payload_too_large", "a Web Push payload is at most 3993 bytes", "payload");
  }
  if (Status s = check_recipient(ua_public, auth_secret); !s.ok()) return s.error();
  std::string as_public;
  auto as_key = detail::pkey_generate(&as_public);
  if (!as_key.ok()) return as_key.error();
  const std::string salt = crypto::random_bytes(kSaltSize);
  return encrypt_with_key(ua_public, auth_secret, plaintext, salt, as_key->get(), as_public);
}

Result<std::string> encrypt_with(std::string_view ua_public, std::string_view auth_secret,
                                 std::string_view plaintext, std::string_view salt, std::string_view as_private) {
  if (plaintext.size() > kMaxPlaintextSize) {
    return make_error("payload_too_large", "a Web Push payload is at most 3993 bytes", "payload");
  }
  if (Status s = check_recipient(ua_public, auth_secret); !s.ok()) return s.error();
  if (salt.size() != kSaltSize) return make_error("invalid_key", "the salt is 16 bytes");
  std::string as_public;
  auto as_key = detail::pkey_from_private(as_private, &as_public);
  if (!as_key.ok()) return as_key.error();
  return encrypt_with_key(ua_public, auth_secret, plaintext, salt, as_key->get(), as_public);
}

Result<std::string> decrypt(std::string_view body, std::string_view ua_private, std::string_view auth_secret) {
  auto fail = [](std::string message) { return make_error("decryption_failed", std::move(message)); };
  if (auth_secret.size() != kAuthSecretSize) return make_error("invalid_key", "the auth secret is 16 bytes");
  std::string ua_public;
  auto ua_key = detail::pkey_from_private(ua_private, &ua_public);
  if (!ua_key.ok()) return ua_key.error();

  if (body.size() < 21) return fail("shorter than the aes128gcm header");
  const std::string_view salt = body.substr(0, kSaltSize);
  const auto* b = ubytes(body);
  const std::uint32_t rs = (std::uint32_t{b[16]} << 24) | (std::uint32_t{b[17]} << 16) |
                           (std::uint32_t{b[18]} << 8) | std::uint32_t{b[19]};
  const std::size_t idlen = b[20];
  if (idlen != kP256PublicKeySize) return fail("keyid is not a 65-byte P-256 point");
  if (body.size() < 21 + idlen) return fail("truncated keyid");
  const std::string_view as_public = body.substr(21, idlen);
  const std::string_view record = body.substr(21 + idlen);
  if (rs < 18) return fail("record size below 18");
  if (record.size() < 1 + kTagSize) return fail("record shorter than delimiter and tag");
  if (record.size() > rs) return fail("more than one record");

  auto peer = detail::pkey_from_public(as_public);
  if (!peer.ok()) return fail("keyid is not a point on P-256");
  auto secret = detail::pkey_ecdh(ua_key->get(), peer->get());
  if (!secret.ok()) return secret.error();
  const ContentKeys keys = derive_content_keys(*secret, auth_secret, ua_public, as_public, salt);

  const std::string_view ciphertext = record.substr(0, record.size() - kTagSize);
  std::string tag(record.substr(record.size() - kTagSize));
  std::string plain(ciphertext.size(), '\0');
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0, m = 0;
  if (!ctx || aes128gcm() == nullptr ||
      EVP_DecryptInit_ex2(ctx.get(), aes128gcm(), ubytes(keys.cek), ubytes(keys.nonce), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), ubytes(plain), &n, ubytes(ciphertext), static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag.data()) != 1) {
    return detail::crypto_failure("AES-128-GCM");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), ubytes(plain, static_cast<std::size_t>(n)), &m) != 1) {
    return fail("authentication tag mismatch");
  }
  plain.resize(static_cast<std::size_t>(n + m));
  // Padding: zeros after the delimiter; the only record must end with 0x02 (RFC 8291 §4).
  while (!plain.empty() && plain.back() == '\0') plain.pop_back();
  if (plain.empty() || static_cast<unsigned char>(plain.back()) != kLastRecordDelimiter) {
    return fail("missing 0x02 padding delimiter");
  }
  plain.pop_back();
  return plain;
}

}  // namespace jarip::channels::webpush
