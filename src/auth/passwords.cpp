#include "auth/passwords.hpp"

#include <sodium.h>

#include "text/utf8.hpp"

namespace jarip::auth {

namespace {

constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;  // t = 2
constexpr std::size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;         // 64 MiB

bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

Status check_password_policy(std::string_view password, const PasswordPolicy& policy) {
  if (password.size() > policy.max_length) {
    return make_error("invalid_password", "the password is longer than " + std::to_string(policy.max_length) + " bytes",
                      "password");
  }
  auto length = text::count_code_points(password);
  if (!length) return make_error("invalid_password", "the password is not valid UTF-8", "password");
  if (*length < policy.min_length) {
    return make_error("invalid_password",
                      "the password needs at least " + std::to_string(policy.min_length) + " characters", "password");
  }
  return {};
}

Result<std::string> hash_password(std::string_view password) {
  if (!sodium_ready()) return make_error("internal", "libsodium could not be initialised");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0) {
    return make_error("internal", "out of memory while hashing a password");
  }
  return std::string(out);
}

bool verify_password(std::string_view password, const std::string& stored_hash) {
  if (!sodium_ready() || stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
}

bool needs_rehash(const std::string& stored_hash) {
  if (!sodium_ready()) return false;
  // 1 = different parameters, -1 = not a hash libsodium knows: both mean "hash it again".
  return crypto_pwhash_str_needs_rehash(stored_hash.c_str(), kOpsLimit, kMemLimit) != 0;
}

}  // namespace jarip::auth
