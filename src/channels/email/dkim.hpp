// DKIM signatures (RFC 6376) with relaxed/relaxed canonicalization, by rsa-sha256 or
// ed25519-sha256 (RFC 8463), over OpenSSL 3 EVP; key loading and key generation for
// `jarip dkim keygen`; and a verifier for self-checks and tests. Pure: no DNS, no I/O.
//
// What is signed (docs/email.md): every header in DkimSignOptions::headers that the message has,
// each instance, and by default each name once more ("oversigning"), so that a header added after
// signing — a second From or List-Unsubscribe — breaks the signature instead of riding on it.
// RFC 8058 requires List-Unsubscribe and List-Unsubscribe-Post to be covered; they are in the
// default list. No l= (body length) tag: the whole body is always signed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace jarip::channels::email {

enum class DkimAlgorithm { rsa_sha256, ed25519_sha256 };
std::string_view to_string(DkimAlgorithm algorithm);  // "rsa-sha256", "ed25519-sha256"

// A private signing key. Copies share the key, which is never modified after loading, so threads
// may sign with one key at the same time (OpenSSL 3 allows concurrent use of a read-only EVP_PKEY).
class DkimKey {
 public:
  // A PEM private key: "RSA PRIVATE KEY" (PKCS #1) or "PRIVATE KEY" (PKCS #8, RSA or Ed25519).
  // Unencrypted only. RSA keys must have at least 1024 bits (RFC 8301). Error "invalid_dkim_key".
  static Result<DkimKey> from_pem(std::string_view pem);
  // An Ed25519 private key as RFC 8463 Appendix A publishes it: the 32-byte seed in base64.
  // Error "invalid_dkim_key".
  static Result<DkimKey> from_ed25519_seed(std::string_view base64_seed);

  DkimAlgorithm algorithm() const { return algorithm_; }
  int bits() const;
  // The p= value of the key record: base64 of the DER SubjectPublicKeyInfo (RSA) or of the raw
  // 32-byte public key (Ed25519, RFC 8463 §4.2).
  std::string public_key_base64() const;
  // The TXT value to publish at <selector>._domainkey.<domain>: "v=DKIM1; k=rsa; p=…".
  std::string dns_record() const;
  // The raw signature of `data`: RSASSA-PKCS1-v1_5 with SHA-256 (rsa-sha256), or PureEd25519 over
  // SHA-256(data) (ed25519-sha256, RFC 8463 §3). Both are deterministic. Error "dkim_sign_failed".
  Result<std::string> sign(std::string_view data) const;

 private:
  DkimKey(std::shared_ptr<evp_pkey_st> key, DkimAlgorithm algorithm) : key_(std::move(key)), algorithm_(algorithm) {}
  std::shared_ptr<evp_pkey_st> key_;
  DkimAlgorithm algorithm_;
};

struct GeneratedDkimKey {
  DkimAlgorithm algorithm = DkimAlgorithm::ed25519_sha256;
  // RSA: PKCS #8 PEM. Ed25519: base64 of the 32-byte seed. Either loads with DkimKey::from_*.
  std::string private_key;
  std::string dns_record;  // "v=DKIM1; k=rsa; p=…" / "v=DKIM1; k=ed25519; p=…"
};

// A new key from the OS CSPRNG. rsa_bits: 1024–8192 (2048 recommended; ignored for Ed25519).
// Errors "invalid_dkim_key" (bits out of range), "dkim_keygen_failed".
Result<GeneratedDkimKey> generate_dkim_key(DkimAlgorithm algorithm, int rsa_bits = 2048);

// A TXT value as a zone file writes it: quoted character-strings of at most 255 bytes each
// ("v=DKIM1; k=rsa; p=MIIB…" "…"), since a 2048-bit RSA record is longer than one string may be.
std::string zone_file_txt(std::string_view record);

// From, To, Cc, Reply-To, Subject, Date, Message-ID, MIME-Version, Content-Type,
// Content-Transfer-Encoding, List-Unsubscribe, List-Unsubscribe-Post.
const std::vector<std::string>& default_signed_headers();

struct DkimSignOptions {
  std::string domain;    // d=, ASCII (an IDN domain in its xn-- form)
  std::string selector;  // s=
  std::vector<std::string> headers = default_signed_headers();  // must include From
  bool oversign = true;  // list each name once more than the message has it
  std::optional<std::int64_t> timestamp;   // t=, Unix seconds (the send time)
  std::optional<std::int64_t> expiration;  // x=, Unix seconds; must be after timestamp
};

// The DKIM-Signature header field ("DKIM-Signature: v=1; …\r\n", folded at 78 columns) for
// `message` (RFC 5322, CRLF line endings), to be put in front of it. Errors: "invalid_dkim_options"
// (domain, selector, header names, no From in headers, x ≤ t), "dkim_bad_message" (a bare CR or
// LF, a malformed header, not exactly one From header), "dkim_sign_failed".
Result<std::string> dkim_signature(std::string_view message, const DkimKey& key, const DkimSignOptions& options);
// `message` with its DKIM-Signature in front.
Result<std::string> dkim_sign(std::string_view message, const DkimKey& key, const DkimSignOptions& options);

// Checks one DKIM-Signature of `message` against the key record `dns_record` ("v=DKIM1; k=…;
// p=…"): the first whose s= is `selector`, or the first of all when `selector` is empty. Accepts
// simple and relaxed canonicalization and rsa-sha256/ed25519-sha256; refuses l=. Errors:
// "dkim_no_signature", "dkim_bad_signature_field", "dkim_bad_record", "dkim_body_hash_mismatch",
// "dkim_signature_mismatch", "dkim_bad_message". Expiry (x=) is not checked: no clock here.
Status dkim_verify(std::string_view message, std::string_view dns_record, std::string_view selector = {});

// ---- Lower level: canonicalization (RFC 6376 §3.4), for the signer, the verifier and tests ------

// One header field as it stands in the message ("Name: value\r\n", folded or not) → relaxed form
// "name:value\r\n": name in lower case, unfolded, blank runs to one space, no blanks at the ends
// of the value or around the colon.
std::string canonicalize_header_relaxed(std::string_view field);
// The body (after the blank line, CRLF lines) → relaxed form: blank runs to one space, no blanks at
// line ends, no empty lines at the end; a non-empty body ends in CRLF.
std::string canonicalize_body_relaxed(std::string_view body);
// The body → simple form: no empty lines at the end; always ends in CRLF (an empty body is CRLF).
std::string canonicalize_body_simple(std::string_view body);

// The b= value (base64) for `signature_field`, a complete DKIM-Signature header field whose b= tag
// is present (its value, if any, is ignored), over the headers its h= tag names in `message`. The
// RFC 8463 vectors are reproduced with this: their own signature field in, their b= out.
Result<std::string> dkim_compute_b(std::string_view message, std::string_view signature_field, const DkimKey& key);

}  // namespace jarip::channels::email
