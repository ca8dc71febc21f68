// Plain rows exchanged with the storage engines. No behaviour lives here: the delivery engine owns
// the state machine (docs/architecture.md), storage only keeps rows durable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace jarip::store {

// Message states. Terminal: delivered, failed, canceled, expired.
//   accepted → sending → sent → delivered
//                  ↘ (retry/next step) accepted …   ↘ failed | expired
//   held: an ad waiting for the daytime window or a spending cap; behaves like accepted with a later due time.
inline constexpr const char* kStateAccepted = "accepted";
inline constexpr const char* kStateHeld = "held";
inline constexpr const char* kStateSending = "sending";
inline constexpr const char* kStateSent = "sent";
inline constexpr const char* kStateDelivered = "delivered";
inline constexpr const char* kStateFailed = "failed";
inline constexpr const char* kStateCanceled = "canceled";
inline constexpr const char* kStateExpired = "expired";

bool is_terminal_state(const std::string& state);

// A short link (`{public url}/s/{code}`) standing for a long URL in one message's text, with how often
// it was followed.
struct ShortLinkRecord {
  std::string code;  // 7+ base62 characters from a CSPRNG
  std::string message_id;
  std::string url;
  TimeMs created_ms = 0;
  std::int64_t clicks = 0;
  TimeMs last_click_ms = 0;  // 0 = never
};

struct MessageRecord {
  std::string id;
  std::string api_key_id;
  TimeMs created_ms = 0;
  TimeMs updated_ms = 0;
  std::string state = kStateAccepted;
  std::string kind = "info";   // info | ad
  std::string recipient_json;  // {"phone": "01012345678"} as given after normalisation
  std::string phone;           // normalised digits, empty when none
  std::string template_name;   // empty for raw text
  std::string rendered_json;   // per-channel forms rendered at accept time (notify/message_forms.hpp)
  std::string chain_json;      // ["alimtalk@solapi", "sms@nhn", …]
  int step = 0;                // index into the chain
  int step_attempts = 0;       // attempts made on the current step
  TimeMs due_ms = 0;           // when the engine should next look at it
  TimeMs expires_ms = 0;       // 0 = no TTL
  TimeMs step_deadline_ms = 0; // report deadline of the current step while sent
  std::string lease_owner;     // node holding the message in memory, empty when free
  TimeMs lease_until_ms = 0;
  std::string metadata_json;   // merchant's metadata, returned verbatim
  bool night_consent = false;
  std::string idempotency_key;
  std::string final_code;      // why it ended (failed/expired/canceled), or the delivering channel
  std::string final_detail;
  std::string delivered_via;   // "sms@nhn" once delivered
  bool body_purged = false;
  // Not a column: the short links made for this message's texts when it was composed, stored in the
  // same transaction as the message (short_links table).
  std::vector<ShortLinkRecord> short_links;
};

struct AttemptRecord {
  std::int64_t id = 0;  // assigned by storage on insert
  std::string message_id;
  int step = 0;
  std::string channel;   // alimtalk | sms
  std::string provider;  // provider instance name
  std::string send_kind; // alimtalk | sms | lms
  std::string dedup_key;
  TimeMs started_ms = 0;
  TimeMs ended_ms = 0;   // 0 while in flight
  // started → accepted | retryable | next_channel | permanent | ambiguous | skipped
  //         → delivered | failed (from a delivery report or status query)
  std::string outcome = "started";
  std::string provider_message_id;
  std::string error_code;
  std::string error_text;
};

struct ApiKeyRecord {
  std::string id;  // public part of the key, shown in lists
  std::string name;
  std::string secret_hash;  // hex SHA-256 of the secret part; the secret itself is never stored
  TimeMs created_ms = 0;
  TimeMs revoked_ms = 0;
  double rate_per_s = 0;  // 0 = server default
};

struct IdempotencyRecord {
  std::string api_key_id;
  std::string key;
  std::string request_hash;  // hex SHA-256 of method, path and body
  int status = 0;
  std::string response_body;
  TimeMs created_ms = 0;
};

struct TemplateRecord {
  std::string name;
  std::string json;  // the template document as stored (notify/templates.hpp validates it)
  TimeMs updated_ms = 0;
};

struct OptOutRecord {
  std::string phone;
  std::string provider;
  std::string opted_out_at;
  std::string evidence;
  TimeMs recorded_ms = 0;
};

// A customer of the merchant (customers/directory.hpp holds the document's rules). The store keeps
// the document as JSON and indexes its addresses (phones, emails) for search and for applying
// opt-outs that arrive by phone number.
struct CustomerRecord {
  std::string id;
  std::string doc_json;
  std::vector<std::string> addresses;
  TimeMs created_ms = 0;
  TimeMs updated_ms = 0;
};

// One consent given, refused or withdrawn, as it happened: the history a merchant must be able to
// show (when, what, how, by whom), kept apart from the customer's current consents.
struct ConsentEventRecord {
  std::int64_t id = 0;
  std::string customer_id;
  std::string channel;
  std::string purpose;
  bool granted = false;
  std::string at;        // when the customer said it (RFC 3339, KST)
  std::string source;    // how: "api", "csv_import", "080 opt-out (nhn)", …
  std::string evidence;
  TimeMs recorded_ms = 0;
};

// One message as the customer's inbox page shows it (store/sqlite_portal.cpp): the message and when
// the customer marked it read (0 = unread).
struct InboxItem {
  MessageRecord message;
  TimeMs read_ms = 0;
};


// An event for the merchant's webhook endpoint, written in the same transaction as the change it
// reports, so that none is lost or invented by a crash in between (a transactional outbox).
struct WebhookEventRecord {
  std::int64_t id = 0;       // assigned on insert; also orders events
  std::string event_id;      // "evt_…", sent as webhook-id
  std::string type;          // message.delivered | message.failed | provider.down | provider.up
  std::string message_id;    // events of one message are delivered in id order; empty for provider events
  std::string payload_json;  // the exact body sent
  TimeMs created_ms = 0;
  TimeMs next_attempt_ms = 0;
  int attempts = 0;
  TimeMs delivered_ms = 0;   // 0 while pending
  bool dead = false;         // gave up after the maximum attempts
  std::string last_error;
};

// One node's view of its providers, published for the cluster view (store/store.hpp).
struct NodeStatusRecord {
  std::string node_id;
  TimeMs started_ms = 0;
  TimeMs updated_ms = 0;
  std::string status_json;  // {"channels":[…], "counters":{…}} as the node's GET /v1/channels shows it
};

// ---- Operator console (migration 8 in SQLite, 2 in PostgreSQL) ----------------------------------------

// A person who signs in to /console. Roles, weakest first: viewer, agent, admin, owner.
struct OperatorRecord {
  std::string id;             // "op_" + random
  std::string email;          // lower-cased; unique
  std::string name;           // display name, may be empty
  std::string role;           // owner | admin | agent | viewer
  std::string password_hash;  // Argon2id, libsodium's encoded form (auth/passwords.hpp)
  std::string totp_secret;    // base32; empty = no second factor
  std::string locale = "ko";  // ko | en: the console's language, and of staff alerts
  bool on_duty = true;        // receives staff alerts
  TimeMs created_ms = 0;
  TimeMs updated_ms = 0;
  TimeMs disabled_ms = 0;     // 0 = may sign in
  TimeMs last_login_ms = 0;
};

// A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a copy of
// the database does not give anyone a session.
struct OperatorSessionRecord {
  std::string token_hash;     // hex SHA-256 of the cookie token; primary key
  std::string operator_id;
  std::string csrf_token;     // sent back in X-CSRF-Token on every state-changing request
  bool second_factor_pending = false;  // password accepted, TOTP code still due
  TimeMs created_ms = 0;
  TimeMs last_seen_ms = 0;
  TimeMs expires_ms = 0;
  std::string remote_address;
  std::string user_agent;
};

// Who changed what, from the console or the CLI. Never holds a secret.
struct AuditRecord {
  std::int64_t id = 0;        // assigned on insert; increasing
  TimeMs at_ms = 0;
  std::string actor_id;       // operator id, "cli" or "system"
  std::string actor_email;
  std::string action;         // e.g. "provider.drain", "operator.create", "login.failed"
  std::string target;         // what it was done to (provider name, operator email, key id…)
  std::string detail_json = "{}";
  std::string remote_address;
};

// A notice on the public status page. Automatic notices (kind "auto") are opened when a channel has
// no healthy provider left and resolved when it has one again; at most one unresolved automatic
// notice per channel exists (the store enforces it, so that several nodes cannot open two).
struct StatusNoticeRecord {
  std::string id;             // "ntc_" + random
  std::string kind = "manual";  // auto | manual
  std::string channel;        // auto: the channel it is about; manual: empty or a channel
  std::string severity = "info";  // info | degraded | outage
  std::string title_ko, title_en;
  std::string body_ko, body_en;
  TimeMs created_ms = 0;
  TimeMs updated_ms = 0;
  TimeMs resolved_ms = 0;     // 0 = still shown
  std::string created_by;     // operator id or "system"
};

// What on-duty operators were told: a breaker opened or closed, a spending cap was hit, a queue
// backed up. dedup_key is unique, so that of several nodes seeing the same event only one alerts.
struct StaffAlertRecord {
  std::int64_t id = 0;        // assigned on insert
  std::string kind;           // breaker_open | breaker_closed | spending_cap | queue_backlog
  std::string subject;        // the provider or channel
  std::string dedup_key;
  std::string severity = "warning";  // info | warning | critical
  std::string text_ko, text_en;
  std::string detail_json = "{}";
  std::string delivery_json = "[]";  // [{"operator":…, "via":"email", "message_id":…}]
  TimeMs created_ms = 0;
  std::string acknowledged_by;  // operator id
  TimeMs acknowledged_ms = 0;
};

// A setting changed at run time from the console and shared by every node: "provider.NAME"
// ({"enabled":bool,"drained":bool,"reason":…}), "chain.CHANNEL" (["p1","p2"]), "status.templates".
struct SettingRecord {
  std::string key;
  std::string value_json;
  TimeMs updated_ms = 0;
  std::string updated_by;
};

// The console's message search. Empty fields do not filter. Results newest first by (created_ms, id),
// strictly before (before_created_ms, before_id) when before_created_ms > 0.
struct MessageQuery {
  std::string id;
  std::string recipient;      // a normalised phone number, or an email address (exact)
  std::string template_name;
  std::string state;
  TimeMs created_from_ms = 0; // inclusive; 0 = no lower bound
  TimeMs created_to_ms = 0;   // exclusive; 0 = no upper bound
  TimeMs before_created_ms = 0;
  std::string before_id;
  int limit = 50;
};

}  // namespace jarip::store
