// API keys: "jrp_<id>_<secret>". Only the SHA-256 of the secret is stored; the whole key is shown
// once, at creation. SHA-256 (not Argon2) is right here: the secret is 256 random bits, so there is
// nothing to brute-force, and the check runs on every request.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace jarip::auth {

struct NewApiKey {
  store::ApiKeyRecord record;
  std::string token;  // the full key; print once, never store
};

// Creates and stores a key. rate_per_s: its own request rate limit, 0 for the server's default.
// Error "invalid_value" for an empty or over-long name, or a negative or absurd rate.
Result<NewApiKey> create_api_key(store::StoreSession& session, const std::string& name, TimeMs now,
                                 double rate_per_s = 0);

// Who a verified request comes from, and the rate it is allowed.
struct VerifiedKey {
  std::string id;
  double rate_per_s = 0;  // 0 = the server's default
};

// Splits "jrp_<id>_<secret>"; nullopt for anything else.
struct ParsedToken {
  std::string id;
  std::string secret;
};
std::optional<ParsedToken> parse_api_token(std::string_view token);
std::string hash_secret(std::string_view secret);

// Verifies bearer tokens against stored keys, caching records briefly so that a request costs no
// database read, while a key revoked from the CLI stops working within the cache's lifetime.
class ApiKeyVerifier {
 public:
  ApiKeyVerifier(store::Store& store, const Clock& clock, TimeMs cache_ms = 5000);
  // The Authorization header's value. done(key) or done(Error "unauthorized"). Runs done inline
  // on a cache hit; on a miss, from the store's reader thread after one read (never blocks).
  void verify(std::string_view authorization_header, std::function<void(Result<VerifiedKey>)> done);

 private:
  Result<VerifiedKey> check(const ParsedToken& token, const std::optional<store::ApiKeyRecord>& record) const;
  struct Cached {
    std::optional<store::ApiKeyRecord> record;
    TimeMs fetched_ms = 0;
  };
  store::Store& store_;
  const Clock& clock_;
  TimeMs cache_ms_;
  std::mutex mutex_;
  std::map<std::string, Cached> cache_;
};

}  // namespace jarip::auth
