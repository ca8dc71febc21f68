#include "channels/webpush/vapid.hpp"

#include <openssl/evp.h>

#include <boost/json.hpp>

#include "channels/webpush/p256.hpp"
#include "common/crypto.hpp"

namespace jarip::channels::webpush {
namespace {

constexpr std::string_view kJwtHeader = R"({"typ":"JWT","alg":"ES256"})";
constexpr std::size_t kMaxJwtSize = 4096;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const unsigned char* ubytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

bool printable_no_space(std::string_view text) {
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// An http origin on the loopback interface: the simulator's push service (no TLS), reached only with
// subscriptions parsed in test mode (subscription.hpp).
bool is_loopback_http_origin(std::string_view audience) {
  if (audience.substr(0, 7) != "http://") return false;
  std::string_view host = audience.substr(7);
  if (host.substr(0, 5) == "[::1]") return host.size() == 5 || host[5] == ':';
  host = host.substr(0, host.find(':'));
  return host == "localhost" ||
         (host.substr(0, 4) == "127." && host.find_first_not_of("0123456789.") == std::string_view::npos);
}

Status validate_audience(std::string_view audience) {
  auto bad = [] { return make_error("invalid_vapid_claims", "aud must be an https origin: https://host[:port]", "aud"); };
  if (audience.size() > 300 || !printable_no_space(audience)) return bad();
  std::string_view authority;
  if (audience.substr(0, 8) == "https://") {
    authority = audience.substr(8);
  } else if (is_loopback_http_origin(audience)) {
    authority = audience.substr(7);
  } else {
    return bad();
  }
  if (authority.empty() || authority.find_first_of("/?#@\\\"") != std::string_view::npos) return bad();
  return Status::success();
}

// One INTEGER of a DER ECDSA signature → 32 bytes. `der` is advanced past it.
bool read_der_integer(std::string_view& der, std::string& out) {
  if (der.size() < 2 || static_cast<unsigned char>(der[0]) != 0x02) return false;
  const std::size_t len = static_cast<unsigned char>(der[1]);
  if (len == 0 || len > 33 || der.size() < 2 + len) return false;
  std::string_view value = der.substr(2, len);
  der.remove_prefix(2 + len);
  const auto first = static_cast<unsigned char>(value[0]);
  if (first & 0x80) return false;  // negative
  if (first == 0 && value.size() > 1) {
    if ((static_cast<unsigned char>(value[1]) & 0x80) == 0) return false;  // not minimal
    value.remove_prefix(1);
  }
  if (value.size() > 32) return false;
  out.append(32 - value.size(), '\0');
  out.append(value);
  return true;
}

void append_der_integer(std::string& out, std::string_view big_endian) {
  while (big_endian.size() > 1 && big_endian[0] == '\0') big_endian.remove_prefix(1);
  const bool pad = (static_cast<unsigned char>(big_endian[0]) & 0x80) != 0;
  out.push_back('\x02');
  out.push_back(static_cast<char>(big_endian.size() + (pad ? 1 : 0)));
  if (pad) out.push_back('\0');
  out.append(big_endian);
}

std::optional<boost::json::object> decode_json_object(std::string_view part) {
  auto raw = base64url_decode(part);
  if (!raw) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*raw, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

}  // namespace

// ---- keys ----------------------------------------------------------------------------------------------

Result<VapidKeys> VapidKeys::generate() {
  auto pair = p256_generate();
  if (!pair.ok()) return pair.error();
  return from_private_base64url(crypto::base64url_encode(pair->private_key));
}

Result<VapidKeys> VapidKeys::from_private_base64url(std::string_view private_key) {
  auto raw = base64url_decode(private_key);
  if (!raw || raw->size() != kP256PrivateKeySize) {
    return make_error("invalid_vapid_key", "the VAPID private key is 32 bytes in base64url (43 characters)",
                      "vapid_private_key");
  }
  VapidKeys keys;
  auto key = detail::pkey_from_private(*raw, &keys.public_key_);
  if (!key.ok()) {
    return make_error("invalid_vapid_key", "the VAPID private key is not a valid P-256 scalar", "vapid_private_key");
  }
  keys.key_ = std::move(*key);
  keys.private_key_ = std::move(*raw);
  return keys;
}

std::string VapidKeys::public_key_base64url() const { return crypto::base64url_encode(public_key_); }
std::string VapidKeys::private_key_base64url() const { return crypto::base64url_encode(private_key_); }

// ---- JWT -----------------------------------------------------------------------------------------------

Status validate_vapid_subject(std::string_view subject) {
  auto bad = [](std::string message) { return make_error("invalid_vapid_subject", std::move(message), "vapid_subject"); };
  if (subject.empty() || subject.size() > 256) return bad("the VAPID subject is 1-256 characters");
  if (!printable_no_space(subject)) return bad("the VAPID subject must be printable ASCII without spaces");
  if (subject.substr(0, 7) == "mailto:") {
    const std::string_view address = subject.substr(7);
    const std::size_t at = address.find('@');
    if (at == 0 || at == std::string_view::npos || at + 1 == address.size() ||
        address.find('@', at + 1) != std::string_view::npos) {
      return bad("a mailto: VAPID subject needs one address: mailto:ops@example.com");
    }
    return Status::success();
  }
  if (subject.substr(0, 8) == "https://" && subject.size() > 8) return Status::success();
  return bad("the VAPID subject must start with mailto: or https://");
}

Result<std::string> sign_vapid_jwt(const VapidKeys& keys, const VapidClaims& claims) {
  if (Status s = validate_audience(claims.audience); !s.ok()) return s.error();
  if (Status s = validate_vapid_subject(claims.subject); !s.ok()) return s.error();
  if (claims.expires_at_s <= 0) return make_error("invalid_vapid_claims", "exp must be a Unix time", "exp");
  boost::json::object body;
  body["aud"] = claims.audience;
  body["exp"] = claims.expires_at_s;
  body["sub"] = claims.subject;
  std::string jwt = crypto::base64url_encode(kJwtHeader);
  jwt.push_back('.');
  jwt += crypto::base64url_encode(boost::json::serialize(body));

  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t n = 0;
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, keys.pkey(), nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &n, ubytes(jwt), jwt.size()) != 1) {
    return detail::crypto_failure("ES256 sign");
  }
  std::string der(n, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &n, ubytes(jwt), jwt.size()) != 1) {
    return detail::crypto_failure("ES256 sign");
  }
  der.resize(n);
  auto raw = ecdsa_der_to_raw(der);
  if (!raw.ok()) return detail::crypto_failure("ES256 signature encoding");
  jwt.push_back('.');
  jwt += crypto::base64url_encode(*raw);
  return jwt;
}

std::string vapid_authorization(std::string_view jwt, std::string_view public_key_base64url) {
  std::string out = "vapid t=";
  out.append(jwt).append(", k=").append(public_key_base64url);
  return out;
}

Result<VapidClaims> verify_vapid_jwt(std::string_view jwt, std::string_view public_key) {
  auto bad = [](std::string message) { return make_error("invalid_jwt", std::move(message)); };
  if (jwt.size() > kMaxJwtSize) return bad("JWT is over 4096 characters");
  const std::size_t dot1 = jwt.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos) {
    return bad("a JWT has three parts");
  }
  auto header = decode_json_object(jwt.substr(0, dot1));
  if (!header) return bad("JWT header is not base64url JSON");
  const boost::json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->get_string() != "ES256") return bad("JWT alg is not ES256");
  if (const boost::json::value* typ = header->if_contains("typ");
      typ != nullptr && (!typ->is_string() || typ->get_string() != "JWT")) {
    return bad("JWT typ is not JWT");
  }
  auto body = decode_json_object(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!body) return bad("JWT claims are not base64url JSON");
  VapidClaims claims;
  const boost::json::value* aud = body->if_contains("aud");
  const boost::json::value* exp = body->if_contains("exp");
  const boost::json::value* sub = body->if_contains("sub");
  if (aud == nullptr || !aud->is_string()) return bad("JWT has no aud");
  if (exp == nullptr || !(exp->is_int64() || exp->is_uint64())) return bad("JWT has no integer exp");
  if (sub != nullptr && !sub->is_string()) return bad("JWT sub is not a string");
  claims.audience = aud->get_string();
  claims.expires_at_s = exp->is_int64() ? exp->get_int64() : static_cast<std::int64_t>(exp->get_uint64());
  if (sub != nullptr) claims.subject = sub->get_string();

  auto raw = base64url_decode(jwt.substr(dot2 + 1));
  if (!raw || raw->size() != 64) return bad("ES256 signature is not 64 bytes of base64url");
  auto der = ecdsa_raw_to_der(*raw);
  if (!der.ok()) return bad("ES256 signature is malformed");
  auto key = detail::pkey_from_public(public_key);
  if (!key.ok()) return bad("the public key is not a P-256 point");
  const std::string_view signed_part = jwt.substr(0, dot2);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key->get(), nullptr) != 1) {
    return detail::crypto_failure("ES256 verify");
  }
  if (EVP_DigestVerify(ctx.get(), ubytes(*der), der->size(), ubytes(signed_part), signed_part.size()) != 1) {
    detail::crypto_failure("ES256 verify");  // clears OpenSSL's error queue
    return bad("JWT signature does not verify");
  }
  return claims;
}

Result<std::string> ecdsa_der_to_raw(std::string_view der) {
  auto bad = [] { return make_error("invalid_signature", "not a strict DER ECDSA-P256 signature"); };
  if (der.size() < 2 || static_cast<unsigned char>(der[0]) != 0x30) return bad();
  const std::size_t len = static_cast<unsigned char>(der[1]);
  if (len >= 0x80 || len != der.size() - 2) return bad();  // at most 70 bytes: always the short form
  std::string_view rest = der.substr(2);
  std::string raw;
  raw.reserve(64);
  if (!read_der_integer(rest, raw) || !read_der_integer(rest, raw) || !rest.empty()) return bad();
  return raw;
}

Result<std::string> ecdsa_raw_to_der(std::string_view raw) {
  if (raw.size() != 64) return make_error("invalid_signature", "an ES256 signature is 64 bytes");
  std::string body;
  append_der_integer(body, raw.substr(0, 32));
  append_der_integer(body, raw.substr(32));
  std::string der = "\x30";
  der.push_back(static_cast<char>(body.size()));
  return der + body;
}

// ---- cache ---------------------------------------------------------------------------------------------

Result<VapidTokenCache> VapidTokenCache::make(VapidKeys keys, std::string subject, std::int64_t lifetime_s) {
  if (Status s = validate_vapid_subject(subject); !s.ok()) return s.error();
  if (lifetime_s <= kVapidReuseMarginSeconds || lifetime_s > kVapidMaxLifetimeSeconds) {
    return make_error("invalid_vapid_claims", "the VAPID token lifetime is more than 1 h and at most 24 h",
                      "vapid_lifetime");
  }
  return VapidTokenCache(std::move(keys), std::move(subject), lifetime_s);
}

VapidTokenCache::VapidTokenCache(VapidKeys keys, std::string subject, std::int64_t lifetime_s)
    : keys_(std::move(keys)),
      public_key_base64url_(keys_.public_key_base64url()),
      subject_(std::move(subject)),
      lifetime_s_(lifetime_s) {}

VapidTokenCache::VapidTokenCache(VapidTokenCache&& other) noexcept
    : keys_(std::move(other.keys_)),
      public_key_base64url_(std::move(other.public_key_base64url_)),
      subject_(std::move(other.subject_)),
      lifetime_s_(other.lifetime_s_) {
  std::lock_guard lock(other.mutex_);
  entries_ = std::move(other.entries_);
}

std::size_t VapidTokenCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

Result<std::string> VapidTokenCache::authorization(std::string_view audience, TimeMs now_ms) {
  const std::int64_t now_s = now_ms / 1000;
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(audience); it != entries_.end()) {
    if (it->second.expires_at_s - now_s > kVapidReuseMarginSeconds) return it->second.header;
  }
  const std::int64_t exp = now_s + lifetime_s_;
  auto jwt = sign_vapid_jwt(keys_, VapidClaims{std::string(audience), exp, subject_});
  if (!jwt.ok()) return jwt.error();
  std::string header = vapid_authorization(*jwt, public_key_base64url_);
  entries_.insert_or_assign(std::string(audience), Entry{header, exp});
  if (entries_.size() > kMaxEntries) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.expires_at_s < oldest->second.expires_at_s) oldest = it;
    }
    entries_.erase(oldest);
  }
  return header;
}

}  // namespace jarip::channels::webpush
