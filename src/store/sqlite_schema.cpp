// Versioned schema for the SQLite engine. Each migration runs once, in order, in one transaction.
#include "store/sqlite_schema.hpp"

#include <string>
#include <vector>

namespace jarip::store {

namespace {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> list = {
      // 1: messages, attempts, keys, idempotency, templates, opt-outs.
      R"sql(
CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  api_key_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  kind TEXT NOT NULL,
  recipient_json TEXT NOT NULL,
  phone TEXT NOT NULL,
  template_name TEXT NOT NULL,
  rendered_json TEXT NOT NULL,
  chain_json TEXT NOT NULL,
  step INTEGER NOT NULL,
  step_attempts INTEGER NOT NULL,
  due_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  step_deadline_ms INTEGER NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_until_ms INTEGER NOT NULL,
  metadata_json TEXT NOT NULL,
  night_consent INTEGER NOT NULL,
  idempotency_key TEXT NOT NULL,
  final_code TEXT NOT NULL,
  final_detail TEXT NOT NULL,
  delivered_via TEXT NOT NULL,
  body_purged INTEGER NOT NULL
) WITHOUT ROWID;
-- The claim query's index: only messages the engine still has to act on.
CREATE INDEX messages_due ON messages(due_ms)
  WHERE state IN ('accepted', 'held', 'sending');
CREATE INDEX messages_report_deadline ON messages(step_deadline_ms) WHERE state = 'sent';
CREATE INDEX messages_leased ON messages(lease_owner) WHERE lease_owner <> '';
CREATE INDEX messages_updated ON messages(updated_ms);

CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  channel TEXT NOT NULL,
  provider TEXT NOT NULL,
  send_kind TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  provider_message_id TEXT NOT NULL,
  error_code TEXT NOT NULL,
  error_text TEXT NOT NULL
);
CREATE INDEX attempts_message ON attempts(message_id);
CREATE INDEX attempts_provider_id ON attempts(provider, provider_message_id) WHERE provider_message_id <> '';
CREATE INDEX attempts_dedup ON attempts(provider, dedup_key);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER NOT NULL,
  rate_per_s REAL NOT NULL
);

CREATE TABLE idempotency (
  api_key_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  response_body TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (api_key_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_created ON idempotency(created_ms);

CREATE TABLE templates (
  name TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE opt_outs (
  id INTEGER PRIMARY KEY,
  phone TEXT NOT NULL,
  provider TEXT NOT NULL,
  opted_out_at TEXT NOT NULL,
  evidence TEXT NOT NULL,
  recorded_ms INTEGER NOT NULL
);
CREATE INDEX opt_outs_phone ON opt_outs(phone);
)sql",
      // 2: the merchant-webhook outbox.
      R"sql(
CREATE TABLE webhook_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  message_id TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  delivered_ms INTEGER NOT NULL,
  dead INTEGER NOT NULL,
  last_error TEXT NOT NULL
);
CREATE INDEX webhook_events_pending ON webhook_events(next_attempt_ms) WHERE delivered_ms = 0 AND dead = 0;
CREATE INDEX webhook_events_message ON webhook_events(message_id, id) WHERE message_id <> '';
)sql",
      // 3: cheaper writes of the messages row (bench/notes-store-profile.md).
      //  - Partial-index predicates written with OR instead of IN: SQLite evaluates a predicate of
      //    more than two IN values through an ephemeral table, built twice (old and new row) on
      //    every write of a message; comparisons cost nothing. The claim query names the same
      //    predicate, so the planner still proves the index usable.
      //  - messages_updated (every write of a message moved its entry, since each write sets
      //    updated_ms) becomes messages_purgeable: only terminal rows whose body is still there,
      //    the only rows purge_bodies looks for.
      R"sql(
DROP INDEX messages_due;
CREATE INDEX messages_due ON messages(due_ms)
  WHERE state = 'accepted' OR state = 'held' OR state = 'sending';
DROP INDEX messages_updated;
CREATE INDEX messages_purgeable ON messages(updated_ms)
  WHERE body_purged = 0 AND (state = 'delivered' OR state = 'failed' OR state = 'canceled' OR state = 'expired');
)sql",
      // 4: the customer directory. The document is JSON (customers/directory.hpp checks it); its
      //    phones and emails are indexed for search and for applying opt-outs reported by number.
      //    consent_events is the history of every consent given, refused or withdrawn.
      //    message_customers remembers who each message went to, for erasure.
      R"sql(
CREATE TABLE customers (
  id TEXT PRIMARY KEY,
  doc TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE customer_addresses (
  address TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  PRIMARY KEY (address, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_addresses_by_customer ON customer_addresses(customer_id);
CREATE TABLE consent_events (
  id INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  purpose TEXT NOT NULL,
  granted INTEGER NOT NULL,
  at TEXT NOT NULL,
  source TEXT NOT NULL,
  evidence TEXT NOT NULL,
  recorded_ms INTEGER NOT NULL
);
CREATE INDEX consent_events_by_customer ON consent_events(customer_id, id);
CREATE TABLE message_customers (
  message_id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX message_customers_by_customer ON message_customers(customer_id);
)sql",
      // 5: the customer's pages reached by signed links (src/portal/): which inbox messages each
      //    customer has read, and the short links that stand for long URLs in SMS texts.
      R"sql(
CREATE TABLE inbox_reads (
  message_id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  read_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX inbox_reads_by_customer ON inbox_reads(customer_id);
CREATE TABLE short_links (
  code TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,
  url TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  clicks INTEGER NOT NULL DEFAULT 0,
  last_click_ms INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX short_links_by_message ON short_links(message_id);
)sql",
      // 6: the two-yearly re-confirmation notices sent, one per customer and consent time, so that a
      //    restart or a second node never asks twice about the same consent.
      R"sql(
CREATE TABLE reconfirm_notices (
  customer_id TEXT NOT NULL,
  consent_at TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sent_ms INTEGER NOT NULL,
  PRIMARY KEY (customer_id, consent_at)
) WITHOUT ROWID;
)sql",
      // 7: each node's published view of its providers (GET /v1/channels), the same table as the
      //    PostgreSQL engine's, so that both answer put/list_node_status. IF NOT EXISTS: the
      //    migration tests roll a database back to an older version by deleting schema_version rows
      //    and dropping only the tables they know of, then migrate it forward again.
      R"sql(
CREATE TABLE IF NOT EXISTS node_status (
  node_id TEXT PRIMARY KEY,
  started_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  status_json TEXT NOT NULL
) WITHOUT ROWID;
)sql",
      // 8: the operator console (store/records.hpp "Operator console"), and the indexes of its
      //    message search. IF NOT EXISTS for the same reason as 7.
      //  - status_notices_open_auto: at most one unresolved automatic notice per channel, so that
      //    nodes noticing the same outage cannot open two.
      //  - staff_alerts.dedup_key is unique: of several nodes seeing one event, one alert is kept.
      //  - Message search: messages_created for the newest-first walk, messages_phone and
      //    messages_template for the selective filters. Their columns are set when a message is accepted
      //    and delivery never changes them, so they cost an insert each and nothing on the delivery
      //    path; no index on state, which changes at every step (store/sqlite_messages_search.cpp).
      R"sql(
CREATE TABLE IF NOT EXISTS operators (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  totp_secret TEXT NOT NULL,
  locale TEXT NOT NULL,
  on_duty INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  disabled_ms INTEGER NOT NULL,
  last_login_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS operator_sessions (
  token_hash TEXT PRIMARY KEY,
  operator_id TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  second_factor_pending INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  remote_address TEXT NOT NULL,
  user_agent TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS operator_sessions_by_operator ON operator_sessions(operator_id);
CREATE INDEX IF NOT EXISTS operator_sessions_expires ON operator_sessions(expires_ms);
CREATE TABLE IF NOT EXISTS login_failures (
  key TEXT PRIMARY KEY,
  window_start_ms INTEGER NOT NULL,
  count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  actor_id TEXT NOT NULL,
  actor_email TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  remote_address TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log(action, id);
CREATE TABLE IF NOT EXISTS status_notices (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  severity TEXT NOT NULL,
  title_ko TEXT NOT NULL,
  title_en TEXT NOT NULL,
  body_ko TEXT NOT NULL,
  body_en TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  resolved_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS status_notices_open_auto ON status_notices(channel)
  WHERE kind = 'auto' AND resolved_ms = 0;
CREATE TABLE IF NOT EXISTS staff_alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  dedup_key TEXT NOT NULL UNIQUE,
  severity TEXT NOT NULL,
  text_ko TEXT NOT NULL,
  text_en TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  delivery_json TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  acknowledged_by TEXT NOT NULL,
  acknowledged_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS staff_alerts_recent ON staff_alerts(kind, subject, created_ms);
CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  updated_by TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_created ON messages(created_ms);
CREATE INDEX IF NOT EXISTS messages_phone ON messages(phone, created_ms) WHERE phone <> '';
CREATE INDEX IF NOT EXISTS messages_template ON messages(template_name, created_ms) WHERE template_name <> '';
)sql",
  };
  return list;
}

}  // namespace

Status migrate_sqlite(SqliteDb& db) {
  if (auto s = db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); !s) return s;
  int current = 0;
  {
    auto stmt = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (stmt.step() == SQLITE_ROW) current = static_cast<int>(stmt.int64(0));
  }
  const auto& list = migrations();
  if (current > static_cast<int>(list.size())) {
    return make_error("storage_schema_too_new",
                      "database schema version " + std::to_string(current) + " is newer than this jarip (" +
                          std::to_string(list.size()) + "); upgrade jarip");
  }
  for (int v = current; v < static_cast<int>(list.size()); ++v) {
    if (auto s = db.exec("BEGIN IMMEDIATE"); !s) return s;
    Status s = db.exec(list[static_cast<std::size_t>(v)]);
    if (s) s = db.exec("INSERT INTO schema_version(version) VALUES (" + std::to_string(v + 1) + ")");
    if (!s) {
      (void)db.exec("ROLLBACK");
      return make_error("storage_migration_failed",
                        "migration " + std::to_string(v + 1) + " failed: " + s.error().message);
    }
    if (auto c = db.exec("COMMIT"); !c) return c;
  }
  return {};
}

int sqlite_schema_version() { return static_cast<int>(migrations().size()); }

}  // namespace jarip::store
