#include "auth/totp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

#include "common/crypto.hpp"

namespace jarip::auth {

namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string percent_encode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string hotp(std::string_view secret, std::uint64_t counter, int digits) {
  unsigned char message[8];
  for (int i = 7; i >= 0; --i) {
    message[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), message, sizeof message, mac, &mac_len);
  // Dynamic truncation (RFC 4226 §5.3).
  int offset = mac[mac_len - 1] & 0x0f;
  std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                         (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                         (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t modulo = 1;
  for (int i = 0; i < digits; ++i) modulo *= 10;
  std::string code = std::to_string(binary % modulo);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::optional<std::int64_t> verify_totp(std::string_view secret, std::string_view code, TimeMs now,
                                        const TotpParameters& parameters) {
  if (code.size() != static_cast<std::size_t>(parameters.digits)) return std::nullopt;
  std::int64_t current = (now / 1000) / parameters.step_s;
  std::optional<std::int64_t> matched;
  // Every candidate is computed and compared, whichever matches, so that the time taken does not say
  // which step it was.
  for (std::int64_t step = current - parameters.window; step <= current + parameters.window; ++step) {
    if (step < 0) continue;
    bool equal = crypto::constant_time_equals(hotp(secret, static_cast<std::uint64_t>(step), parameters.digits), code);
    if (equal && !matched) matched = step;
  }
  return matched;
}

std::string new_totp_secret() { return crypto::random_bytes(20); }

std::string base32_encode(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  bool padding = false;
  for (char raw : text) {
    if (raw == ' ' || raw == '-') continue;
    if (raw == '=') {
      padding = true;
      continue;
    }
    if (padding) return std::nullopt;  // data after padding
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    int value = c >= 'A' && c <= 'Z' ? c - 'A' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
    if (value < 0) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::string totp_uri(std::string_view issuer, std::string_view account, std::string_view secret) {
  std::string label = percent_encode(issuer) + ":" + percent_encode(account);
  return "otpauth://totp/" + label + "?secret=" + base32_encode(secret) + "&issuer=" + percent_encode(issuer) +
         "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace jarip::auth
