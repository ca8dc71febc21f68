// Operator passwords: Argon2id through libsodium's crypto_pwhash_str, which stores the algorithm, its
// parameters and the salt inside the hash string ("$argon2id$v=19$m=…,t=…,p=1$…"), so that raising the
// parameters later only needs needs_rehash() at the next successful login.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace jarip::auth {

// At least OWASP's Argon2id recommendation (m = 19 MiB, t = 2, p = 1): libsodium's "interactive"
// limits are 64 MiB and t = 2, which is stronger and still ~50 ms here.
struct PasswordPolicy {
  std::size_t min_length = 10;    // characters (UTF-8 code points), NIST SP 800-63B asks for 8 at least
  std::size_t max_length = 256;   // bytes: Argon2 accepts more, but a request body must not be a DoS
};

// Error "invalid_password" with a message saying what is wrong (too short, too long, not UTF-8).
Status check_password_policy(std::string_view password, const PasswordPolicy& policy = {});

// Error "internal" only when libsodium cannot allocate its memory.
Result<std::string> hash_password(std::string_view password);

// Constant in time with respect to the password; false for a malformed hash as well.
bool verify_password(std::string_view password, const std::string& stored_hash);

// True when the stored hash was made with weaker parameters than hash_password uses today.
bool needs_rehash(const std::string& stored_hash);

}  // namespace jarip::auth
