#include "auth/api_keys.hpp"


#include "common/crypto.hpp"

namespace jarip::auth {

std::string hash_secret(std::string_view secret) { return crypto::to_hex(crypto::sha256(secret)); }

Result<NewApiKey> create_api_key(store::StoreSession& session, const std::string& name, TimeMs now,
                                 double rate_per_s) {
  if (name.empty() || name.size() > 100) {
    return make_error("invalid_value", "a key name is 1-100 characters", "name");
  }
  if (!(rate_per_s >= 0 && rate_per_s <= 1'000'000)) {
    return make_error("invalid_value", "a key's rate is 0 (server default) to 1000000 requests per second", "rate");
  }
  NewApiKey key;
  key.record.id = crypto::random_hex(6);
  key.record.name = name;
  key.record.created_ms = now;
  key.record.rate_per_s = rate_per_s;
  std::string secret = crypto::base64url_encode(crypto::random_bytes(32));
  key.record.secret_hash = hash_secret(secret);
  key.token = "jrp_" + key.record.id + "_" + secret;
  if (auto s = session.insert_api_key(key.record); !s) return s.error();
  return key;
}

std::optional<ParsedToken> parse_api_token(std::string_view token) {
  if (token.size() < 20 || token.size() > 200 || token.substr(0, 4) != "jrp_") return std::nullopt;
  token.remove_prefix(4);
  auto sep = token.find('_');
  if (sep != 12) return std::nullopt;
  ParsedToken p{std::string(token.substr(0, sep)), std::string(token.substr(sep + 1))};
  for (char c : p.id) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  if (p.secret.empty()) return std::nullopt;
  return p;
}

ApiKeyVerifier::ApiKeyVerifier(store::Store& store, const Clock& clock, TimeMs cache_ms)
    : store_(store), clock_(clock), cache_ms_(cache_ms) {}

namespace {
Error unauthorized() {
  return make_error("unauthorized", "missing or invalid API key: send 'Authorization: Bearer jrp_…'");
}
}  // namespace

Result<VerifiedKey> ApiKeyVerifier::check(const ParsedToken& token,
                                          const std::optional<store::ApiKeyRecord>& record) const {
  if (!record || record->revoked_ms != 0) return unauthorized();
  if (!crypto::constant_time_equals(hash_secret(token.secret), record->secret_hash)) return unauthorized();
  return VerifiedKey{record->id, record->rate_per_s};
}

void ApiKeyVerifier::verify(std::string_view header, std::function<void(Result<VerifiedKey>)> done) {
  constexpr std::string_view bearer = "Bearer ";
  if (header.size() <= bearer.size() || header.substr(0, bearer.size()) != bearer) return done(unauthorized());
  auto parsed = parse_api_token(header.substr(bearer.size()));
  if (!parsed) return done(unauthorized());
  TimeMs now = clock_.now_ms();
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(parsed->id);
    if (it != cache_.end() && now - it->second.fetched_ms < cache_ms_) {
      auto record = it->second.record;
      return done(check(*parsed, record));
    }
  }
  store_.read([this, token = *parsed, now, done = std::move(done)](store::StoreSession& s) {
    auto r = s.get_api_key(token.id);
    if (!r) {
      // The database is away: a key checked before still holds (the request then meets the same
      // outage when it writes, and says so); an unknown one is "try again", never "unauthorized".
      std::lock_guard lock(mutex_);
      auto it = cache_.find(token.id);
      if (it == cache_.end()) return done(r.error());
      auto stale = it->second.record;
      return done(check(token, stale));
    }
    std::optional<store::ApiKeyRecord> record = *r;
    {
      std::lock_guard lock(mutex_);
      if (cache_.size() > 10000) cache_.clear();  // bounded: unknown ids must not grow it forever
      cache_[token.id] = Cached{record, now};
    }
    done(check(token, record));
  });
}

}  // namespace jarip::auth
