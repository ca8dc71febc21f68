// libFuzzer target for auth::parse_api_token: any bytes as the token of "Authorization: Bearer …"
// (the header is the first outside input of every API request, before any key is looked up).
// Build: cmake -DJARIP_FUZZ=ON with clang (scripts/fuzz.sh).
// Invariants checked (a violation aborts, so the fuzzer reports it like a crash):
//  - an accepted token is exactly "jrp_" + id + "_" + secret, 20-200 bytes long, with a 12-character
//    hexadecimal id and a non-empty secret, so no part of the input is dropped or invented;
//  - whatever was accepted is accepted again when rebuilt from its parts (the split is stable);
//  - a token the spec accepts (the rule above, checked independently here) is never refused;
//  - hash_secret() of the secret is 64 lowercase hex digits (a SHA-256), and depends on the secret only.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/api_keys.hpp"
#include "fuzz_support.hpp"

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The documented form, written independently of the parser: "jrp_" <12 hex> "_" <secret, ≥ 1 byte>,
// 20-200 bytes in all. The secret may itself contain '_' (only the first one after the id splits).
bool spec_accepts(std::string_view t) {
  if (t.size() < 20 || t.size() > 200) return false;
  if (t.substr(0, 4) != "jrp_") return false;
  for (std::size_t i = 4; i < 16; ++i) {
    if (!is_hex(t[i])) return false;
  }
  return t[16] == '_' && t.size() > 17;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const auto parsed = jarip::auth::parse_api_token(token);
  check(parsed.has_value() == spec_accepts(token));
  if (!parsed) return 0;

  check(parsed->id.size() == 12 && !parsed->secret.empty());
  for (char c : parsed->id) check(is_hex(c));
  check("jrp_" + parsed->id + "_" + parsed->secret == token);

  const auto again = jarip::auth::parse_api_token("jrp_" + parsed->id + "_" + parsed->secret);
  check(again && again->id == parsed->id && again->secret == parsed->secret);

  const std::string hash = jarip::auth::hash_secret(parsed->secret);
  check(hash.size() == 64);
  for (char c : hash) check((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  check(hash == jarip::auth::hash_secret(std::string(parsed->secret)));
  return 0;
}
