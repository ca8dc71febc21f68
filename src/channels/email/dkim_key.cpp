// DKIM keys over OpenSSL 3 EVP: loading, generating, publishing, signing and the verifier's
// public-key check.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "channels/email/dkim.hpp"
#include "channels/email/dkim_internal.hpp"
#include "common/crypto.hpp"

namespace jarip::channels::email {
namespace {

constexpr std::size_t kEd25519KeyBytes = 32;
constexpr int kMinRsaBits = 1024;  // RFC 8301 §3.2: signers MUST use at least 1024 bits
constexpr int kMaxRsaBits = 8192;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

// Every failure empties OpenSSL's per-thread error queue, so that a stale entry is never read later
// as the cause of some other call's failure (the TLS code reads the same queue).
Error openssl_error(std::string code, std::string message) {
  ERR_clear_error();
  return make_error(std::move(code), std::move(message));
}

Error bad_key(std::string why) { return openssl_error("invalid_dkim_key", "DKIM private key: " + why); }

// No pass phrase is ever asked for: an encrypted PEM fails instead of prompting on a terminal.
int no_passphrase(char*, int, int, void*) { return -1; }

std::string strip_blanks(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out += c;
  }
  return out;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string raw_key(const EVP_PKEY* key, bool private_part) {
  std::string out(kEd25519KeyBytes, '\0');
  std::size_t len = out.size();
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  const int ok = private_part ? EVP_PKEY_get_raw_private_key(key, p, &len) : EVP_PKEY_get_raw_public_key(key, p, &len);
  if (ok != 1) return {};
  out.resize(len);
  return out;
}

}  // namespace

std::string_view to_string(DkimAlgorithm algorithm) {
  return algorithm == DkimAlgorithm::rsa_sha256 ? "rsa-sha256" : "ed25519-sha256";
}

Result<DkimKey> DkimKey::from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return bad_key("out of memory");
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (raw == nullptr) return bad_key("not an unencrypted PEM private key");
  std::shared_ptr<EVP_PKEY> key = own(raw);
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) return bad_key("an RSA key needs at least 1024 bits");
      return DkimKey(std::move(key), DkimAlgorithm::rsa_sha256);
    case EVP_PKEY_ED25519:
      return DkimKey(std::move(key), DkimAlgorithm::ed25519_sha256);
    default:
      return bad_key("only RSA and Ed25519 keys sign DKIM");
  }
}

Result<DkimKey> DkimKey::from_ed25519_seed(std::string_view base64_seed) {
  const auto seed = crypto::base64_decode(strip_blanks(base64_seed));
  if (!seed || seed->size() != kEd25519KeyBytes) return bad_key("an Ed25519 key is 32 bytes in base64");
  EVP_PKEY* raw = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(*seed), seed->size());
  if (raw == nullptr) return bad_key("OpenSSL refused the Ed25519 seed");
  return DkimKey(own(raw), DkimAlgorithm::ed25519_sha256);
}

int DkimKey::bits() const { return EVP_PKEY_get_bits(key_.get()); }

std::string DkimKey::public_key_base64() const {
  if (algorithm_ == DkimAlgorithm::ed25519_sha256) return crypto::base64_encode(raw_key(key_.get(), false));
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_.get(), &der);
  if (len <= 0) return {};
  std::string out = crypto::base64_encode(std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return out;
}

std::string DkimKey::dns_record() const {
  return std::string("v=DKIM1; k=") + (algorithm_ == DkimAlgorithm::rsa_sha256 ? "rsa" : "ed25519") +
         "; p=" + public_key_base64();
}

Result<std::string> DkimKey::sign(std::string_view data) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return openssl_error("dkim_sign_failed", "out of memory");
  const bool rsa = algorithm_ == DkimAlgorithm::rsa_sha256;
  // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the data, with PureEdDSA (no digest of its own).
  const std::string hashed = rsa ? std::string() : crypto::sha256(data);
  const std::string_view input = rsa ? data : std::string_view(hashed);
  if (EVP_DigestSignInit(ctx.get(), nullptr, rsa ? EVP_sha256() : nullptr, nullptr, key_.get()) != 1) {
    return openssl_error("dkim_sign_failed", "OpenSSL could not start the signature");
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, bytes(input), input.size()) != 1) {
    return openssl_error("dkim_sign_failed", "OpenSSL could not size the signature");
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len, bytes(input),
                     input.size()) != 1) {
    return openssl_error("dkim_sign_failed", "OpenSSL could not sign");
  }
  signature.resize(len);
  return signature;
}

Result<GeneratedDkimKey> generate_dkim_key(DkimAlgorithm algorithm, int rsa_bits) {
  GeneratedDkimKey out;
  out.algorithm = algorithm;
  EVP_PKEY* raw = nullptr;
  if (algorithm == DkimAlgorithm::rsa_sha256) {
    if (rsa_bits < kMinRsaBits || rsa_bits > kMaxRsaBits) return bad_key("RSA keys have 1024–8192 bits");
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits));
  } else {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (raw == nullptr) return openssl_error("dkim_keygen_failed", "OpenSSL could not generate the key");
  std::shared_ptr<EVP_PKEY> key = own(raw);

  if (algorithm == DkimAlgorithm::rsa_sha256) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return openssl_error("dkim_keygen_failed", "OpenSSL could not write the key");
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    out.private_key.assign(data, static_cast<std::size_t>(len));
  } else {
    const std::string seed = raw_key(key.get(), true);
    if (seed.size() != kEd25519KeyBytes) return openssl_error("dkim_keygen_failed", "OpenSSL gave no Ed25519 seed");
    out.private_key = crypto::base64_encode(seed);
  }
  // Loading the written key back proves that what the operator stores is what signs.
  auto loaded = algorithm == DkimAlgorithm::rsa_sha256 ? DkimKey::from_pem(out.private_key)
                                                       : DkimKey::from_ed25519_seed(out.private_key);
  if (!loaded.ok()) return make_error("dkim_keygen_failed", "the new key does not load: " + loaded.error().message);
  out.dns_record = loaded->dns_record();
  return out;
}

std::string zone_file_txt(std::string_view record) {
  constexpr std::size_t kMaxString = 255;  // RFC 1035 §3.3: one character-string
  std::string out;
  std::size_t i = 0;
  do {
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : record.substr(i, kMaxString)) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
    i += kMaxString;
  } while (i < record.size());
  return out;
}

namespace detail {

Status verify_with_public_key(DkimAlgorithm algorithm, std::string_view public_key, std::string_view data,
                              std::string_view signature) {
  std::shared_ptr<EVP_PKEY> key;
  if (algorithm == DkimAlgorithm::ed25519_sha256) {
    if (public_key.size() != kEd25519KeyBytes) return make_error("dkim_bad_record", "an Ed25519 p= is 32 bytes");
    key = own(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(public_key), public_key.size()));
  } else {
    const unsigned char* p = bytes(public_key);
    key = own(d2i_PUBKEY(nullptr, &p, static_cast<long>(public_key.size())));
    if (!key) {  // some records publish the bare PKCS #1 RSAPublicKey
      p = bytes(public_key);
      key = own(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(public_key.size())));
    }
    if (key && EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) key.reset();
  }
  if (!key) return openssl_error("dkim_bad_record", "the key record's p= is not a usable public key");

  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool rsa = algorithm == DkimAlgorithm::rsa_sha256;
  const std::string hashed = rsa ? std::string() : crypto::sha256(data);
  const std::string_view input = rsa ? data : std::string_view(hashed);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, rsa ? EVP_sha256() : nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(input), input.size()) != 1) {
    return openssl_error("dkim_signature_mismatch", "the signature does not match the signed headers");
  }
  return Status::success();
}

}  // namespace detail
}  // namespace jarip::channels::email
