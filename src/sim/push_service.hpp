// The simulator's Web Push service (RFC 8030 as FCM and Mozilla autopush run it): it hands out
// browser-like subscriptions, then takes pushes for them the way a real push service does — VAPID
// checked (RFC 8292), the body decrypted with the subscription's own key (RFC 8291) — and keeps
// what arrived, decrypted, for tests to read.
//
//   POST   /_sim/push/subscriptions          (admin port) a new subscription: PushSubscription.toJSON(),
//                                            optional body {"applicationServerKey": "<base64url>"}
//   GET    /_sim/push/subscriptions          (admin) every subscription, deleted ones included
//   DELETE /_sim/push/subscriptions/{id}     (admin) the browser unsubscribed: pushes answer 410
//   GET    /_sim/push/messages[?subscription=ID]   (admin) what arrived, decrypted
//   DELETE /_sim/push/messages               (admin) forget them
//   POST   /push/{id}                        (push port) the push service; 201 + Location on success
//
// Answers of POST /push/{id}: 404 unknown id, 410 deleted, 400 no/invalid TTL, Content-Encoding not
// aes128gcm, invalid Urgency/Topic or a body that does not decrypt, 401 Authorization missing or not a
// valid VAPID token for this origin (signature, aud, exp in the future and at most 24 h ahead, sub
// mailto:/https: when present), 403 k is not the subscription's applicationServerKey, 413 body over
// 4096 bytes. Faults (provider "push") are applied by Simulator::handle_push.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "sim/http_types.hpp"
#include "sim/push_crypto.hpp"

namespace jarip::sim {

struct PushSubscriptionState {
  std::string id;
  push::ReceiverKey key;
  std::string auth;                    // 16 bytes
  std::string application_server_key;  // 65 raw bytes; empty: any VAPID key is accepted
  std::int64_t created_ms = 0;
  bool deleted = false;
};

struct PushMessageRecord {
  std::string id;
  std::string subscription_id;
  std::int64_t ttl = 0;
  std::string urgency;  // as sent; empty when the header was absent (RFC 8030: normal)
  std::string topic;    // empty when absent
  std::string payload;  // decrypted
  std::string vapid_subject;
  std::int64_t received_ms = 0;
};

class PushService {
 public:
  static constexpr std::size_t kMaxBodySize = 4096;               // RFC 8030 §7.2
  static constexpr std::int64_t kMaxTokenLifetimeSeconds = 86400;  // RFC 8292 §2

  explicit PushService(const Clock& clock);

  // "http://127.0.0.1:PORT", known once the push listener is bound; endpoints and the VAPID audience
  // derive from it.
  void set_origin(std::string origin) { origin_ = std::move(origin); }
  const std::string& origin() const { return origin_; }

  // The /_sim/push/… admin routes; nullopt for any other path.
  std::optional<HttpOut> handle_admin(const HttpIn& in);
  // POST /push/{id}, without faults. `recorded` is set when a message was kept.
  HttpOut receive(const HttpIn& in, bool* recorded = nullptr);

  // A new subscription; `application_server_key` base64url or empty. Error
  // "invalid_application_server_key", "crypto_failure".
  struct Created {
    std::string id;
    std::string json;  // PushSubscription.toJSON()
  };
  Result<Created> create_subscription(std::string_view application_server_key = {});
  const std::vector<PushMessageRecord>& messages() const { return messages_; }
  void clear_messages() { messages_.clear(); }

 private:
  std::string endpoint_of(const std::string& id) const { return origin_ + "/push/" + id; }

  const Clock& clock_;
  std::string origin_ = "http://127.0.0.1";
  std::map<std::string, PushSubscriptionState, std::less<>> subscriptions_;  // deleted ones stay: 410
  std::vector<PushMessageRecord> messages_;
};

// The origin clients reach a listener on: a wildcard listen host is reached on loopback.
std::string push_origin(std::string_view listen_host, int port);

}  // namespace jarip::sim
