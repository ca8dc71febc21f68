#include "store/pg_schema.hpp"

#include <charconv>
#include <ctime>
#include <vector>

namespace jarip::store {

namespace {

// Advisory lock keys: one for migrations, one for partition maintenance.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7630817523920001)";
constexpr const char* kPartitionLock = "SELECT pg_advisory_xact_lock(7630817523920002)";

// Migration 1 is the SQLite schema's versions 1–7 in PostgreSQL form: the same tables and columns,
// plus part_ms and the time partitions on messages and attempts.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> list = {
      R"sql(
CREATE TABLE messages (
  id TEXT NOT NULL,
  part_ms BIGINT NOT NULL,
  api_key_id TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  state TEXT NOT NULL,
  kind TEXT NOT NULL,
  recipient_json TEXT NOT NULL,
  phone TEXT NOT NULL,
  template_name TEXT NOT NULL,
  rendered_json TEXT NOT NULL,
  chain_json TEXT NOT NULL,
  step INTEGER NOT NULL,
  step_attempts INTEGER NOT NULL,
  due_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  step_deadline_ms BIGINT NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_until_ms BIGINT NOT NULL,
  metadata_json TEXT NOT NULL,
  night_consent BOOLEAN NOT NULL,
  idempotency_key TEXT NOT NULL,
  final_code TEXT NOT NULL,
  final_detail TEXT NOT NULL,
  delivered_via TEXT NOT NULL,
  body_purged BOOLEAN NOT NULL,
  PRIMARY KEY (id, part_ms)
) PARTITION BY RANGE (part_ms);
CREATE TABLE messages_default PARTITION OF messages DEFAULT;
-- Only the rows the engine still has to act on are in these indexes, so claims stay cheap however
-- many finished messages the table holds.
CREATE INDEX messages_due ON messages (due_ms) WHERE state IN ('accepted', 'held', 'sending');
CREATE INDEX messages_report_deadline ON messages (step_deadline_ms) WHERE state = 'sent';
CREATE INDEX messages_leased ON messages (lease_owner) WHERE lease_owner <> '';
CREATE INDEX messages_purgeable ON messages (updated_ms)
  WHERE NOT body_purged AND state IN ('delivered', 'failed', 'canceled', 'expired');

CREATE SEQUENCE attempts_id_seq;
CREATE TABLE attempts (
  id BIGINT NOT NULL DEFAULT nextval('attempts_id_seq'),
  message_id TEXT NOT NULL,
  part_ms BIGINT NOT NULL,
  step INTEGER NOT NULL,
  channel TEXT NOT NULL,
  provider TEXT NOT NULL,
  send_kind TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  started_ms BIGINT NOT NULL,
  ended_ms BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  provider_message_id TEXT NOT NULL,
  error_code TEXT NOT NULL,
  error_text TEXT NOT NULL,
  PRIMARY KEY (id, part_ms)
) PARTITION BY RANGE (part_ms);
CREATE TABLE attempts_default PARTITION OF attempts DEFAULT;
CREATE INDEX attempts_message ON attempts (message_id);
CREATE INDEX attempts_provider_id ON attempts (provider, provider_message_id) WHERE provider_message_id <> '';
CREATE INDEX attempts_dedup ON attempts (provider, dedup_key);
CREATE INDEX attempts_open ON attempts (message_id) WHERE outcome = 'started';

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  revoked_ms BIGINT NOT NULL,
  rate_per_s DOUBLE PRECISION NOT NULL
);

CREATE TABLE idempotency (
  api_key_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  response_body TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_created ON idempotency (created_ms);

CREATE TABLE templates (
  name TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  updated_ms BIGINT NOT NULL
);

CREATE TABLE opt_outs (
  id BIGSERIAL PRIMARY KEY,
  phone TEXT NOT NULL,
  provider TEXT NOT NULL,
  opted_out_at TEXT NOT NULL,
  evidence TEXT NOT NULL,
  recorded_ms BIGINT NOT NULL
);
CREATE INDEX opt_outs_phone ON opt_outs (phone);

CREATE TABLE webhook_events (
  id BIGSERIAL PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  message_id TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  delivered_ms BIGINT NOT NULL,
  dead BOOLEAN NOT NULL,
  last_error TEXT NOT NULL
);
CREATE INDEX webhook_events_pending ON webhook_events (next_attempt_ms) WHERE delivered_ms = 0 AND NOT dead;
CREATE INDEX webhook_events_message ON webhook_events (message_id, id) WHERE message_id <> '';

-- Byte order, as SQLite sorts: customer pages (list_customers, after_id) must not depend on the
-- database's locale, and the primary key must serve that order.
CREATE TABLE customers (
  id TEXT COLLATE "C" PRIMARY KEY,
  doc TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE TABLE customer_addresses (
  address TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  PRIMARY KEY (address, customer_id)
);
CREATE INDEX customer_addresses_by_customer ON customer_addresses (customer_id);
CREATE TABLE consent_events (
  id BIGSERIAL PRIMARY KEY,
  customer_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  purpose TEXT NOT NULL,
  granted BOOLEAN NOT NULL,
  at TEXT NOT NULL,
  source TEXT NOT NULL,
  evidence TEXT NOT NULL,
  recorded_ms BIGINT NOT NULL
);
CREATE INDEX consent_events_by_customer ON consent_events (customer_id, id);
CREATE TABLE message_customers (
  message_id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL
);
CREATE INDEX message_customers_by_customer ON message_customers (customer_id);

CREATE TABLE inbox_reads (
  message_id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL,
  read_ms BIGINT NOT NULL
);
CREATE INDEX inbox_reads_by_customer ON inbox_reads (customer_id);
CREATE TABLE short_links (
  code TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,
  url TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  clicks BIGINT NOT NULL DEFAULT 0,
  last_click_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX short_links_by_message ON short_links (message_id);

CREATE TABLE reconfirm_notices (
  customer_id TEXT NOT NULL,
  consent_at TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sent_ms BIGINT NOT NULL,
  PRIMARY KEY (customer_id, consent_at)
);

-- Each node's view of its providers (breakers, queues), published every few seconds, so that any
-- node can show the cluster's view.
CREATE TABLE node_status (
  node_id TEXT PRIMARY KEY,
  started_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  status_json TEXT NOT NULL
);
)sql",
      // 2: the operator console, as SQLite's migration 8 (store/sqlite_schema.cpp says why each
      // index is there). Keys that are listed in order or by prefix (email, action, settings key,
      // notice id) compare in byte order (COLLATE "C"), as SQLite's do, so that the index serves
      // the range. The message-search indexes are built on every partition of messages: on a large
      // database this migration takes a while, and holds writes to messages meanwhile.
      R"sql(
CREATE TABLE operators (
  id TEXT PRIMARY KEY,
  email TEXT COLLATE "C" NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  totp_secret TEXT NOT NULL,
  locale TEXT NOT NULL,
  on_duty BOOLEAN NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  disabled_ms BIGINT NOT NULL,
  last_login_ms BIGINT NOT NULL
);
CREATE TABLE operator_sessions (
  token_hash TEXT PRIMARY KEY,
  operator_id TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  second_factor_pending BOOLEAN NOT NULL,
  created_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  remote_address TEXT NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX operator_sessions_by_operator ON operator_sessions (operator_id);
CREATE INDEX operator_sessions_expires ON operator_sessions (expires_ms);
CREATE TABLE login_failures (
  key TEXT PRIMARY KEY,
  window_start_ms BIGINT NOT NULL,
  count BIGINT NOT NULL
);
CREATE TABLE audit_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_email TEXT NOT NULL,
  action TEXT COLLATE "C" NOT NULL,
  target TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  remote_address TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE TABLE status_notices (
  id TEXT COLLATE "C" PRIMARY KEY,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  severity TEXT NOT NULL,
  title_ko TEXT NOT NULL,
  title_en TEXT NOT NULL,
  body_ko TEXT NOT NULL,
  body_en TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  resolved_ms BIGINT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE UNIQUE INDEX status_notices_open_auto ON status_notices (channel) WHERE kind = 'auto' AND resolved_ms = 0;
CREATE TABLE staff_alerts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  dedup_key TEXT NOT NULL UNIQUE,
  severity TEXT NOT NULL,
  text_ko TEXT NOT NULL,
  text_en TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  delivery_json TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  acknowledged_by TEXT NOT NULL,
  acknowledged_ms BIGINT NOT NULL
);
CREATE INDEX staff_alerts_recent ON staff_alerts (kind, subject, created_ms);
CREATE TABLE settings (
  key TEXT COLLATE "C" PRIMARY KEY,
  value_json TEXT NOT NULL,
  updated_ms BIGINT NOT NULL,
  updated_by TEXT NOT NULL
);
CREATE INDEX messages_created ON messages (created_ms);
CREATE INDEX messages_phone ON messages (phone, created_ms) WHERE phone <> '';
CREATE INDEX messages_template ON messages (template_name, created_ms) WHERE template_name <> '';
)sql",
  };
  return list;
}

std::string utc_day(TimeMs ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

// "FOR VALUES FROM ('1733097600000') TO ('1733702400000')" → the upper bound; -1 for DEFAULT.
std::int64_t upper_bound_of(std::string_view bound) {
  auto to = bound.find("TO (");
  if (to == std::string_view::npos) return -1;
  std::size_t i = to + 4;
  while (i < bound.size() && (bound[i] == '\'' || bound[i] == ' ')) ++i;
  std::int64_t value = -1;
  std::from_chars(bound.data() + i, bound.data() + bound.size(), value);
  return value;
}

}  // namespace

int postgres_schema_version() { return static_cast<int>(migrations().size()); }

std::int64_t pg_message_part_ms(const std::string& id) {
  // msg_ + 11 lower-case hex digits of the acceptance time in ms + 16 random hex digits.
  if (id.size() < 15 || id.compare(0, 4, "msg_") != 0) return 0;
  std::int64_t ms = 0;
  for (std::size_t i = 4; i < 15; ++i) {
    char c = id[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return 0;
    ms = ms * 16 + d;
  }
  return ms;
}

Status migrate_postgres(PgConn& db) {
  const auto& list = migrations();
  for (;;) {
    if (auto s = db.exec("BEGIN"); !s) return s;
    // The table is created under the lock too: two nodes running CREATE TABLE IF NOT EXISTS at the
    // same moment both pass the check and one fails on the catalog.
    if (auto s = db.exec(std::string(kMigrationLock) +
                         "; CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        !s) {
      (void)db.exec("ROLLBACK");
      return s;
    }
    auto current = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    if (!current) {
      (void)db.exec("ROLLBACK");
      return current.error();
    }
    int version = static_cast<int>(current->int64(0, 0));
    if (version > static_cast<int>(list.size())) {
      (void)db.exec("ROLLBACK");
      return make_error("storage_schema_too_new", "database schema version " + std::to_string(version) +
                                                      " is newer than this jarip (" + std::to_string(list.size()) +
                                                      "); upgrade jarip");
    }
    if (version == static_cast<int>(list.size())) return db.exec("COMMIT");
    Status s = db.exec(list[static_cast<std::size_t>(version)]);
    if (s) s = db.exec("INSERT INTO schema_version (version) VALUES (" + std::to_string(version + 1) + ")");
    if (!s) {
      (void)db.exec("ROLLBACK");
      return make_error("storage_migration_failed",
                        "migration " + std::to_string(version + 1) + " failed: " + s.error().message);
    }
    if (auto c = db.exec("COMMIT"); !c) return c;
  }
}

Status pg_ensure_partitions(PgConn& db, TimeMs now, const PartitionPlan& plan) {
  TimeMs first = (now / plan.period_ms - 1) * plan.period_ms;
  std::string sql = "BEGIN;\n" + std::string(kPartitionLock) + ";\n";
  for (int i = 0; i <= plan.ahead + 1; ++i) {
    TimeMs from = first + i * plan.period_ms;
    TimeMs to = from + plan.period_ms;
    std::string suffix = "_p" + utc_day(from);
    for (const char* table : {"messages", "attempts"}) {
      sql += "CREATE TABLE IF NOT EXISTS " + std::string(table) + suffix + " PARTITION OF " + table +
             " FOR VALUES FROM (" + std::to_string(from) + ") TO (" + std::to_string(to) + ");\n";
    }
  }
  sql += "COMMIT;";
  Status s = db.exec(sql);
  if (!s) {
    (void)db.exec("ROLLBACK");
    return make_error(s.error().code, "creating time partitions: " + s.error().message);
  }
  return {};
}

Result<int> pg_drop_partitions_before(PgConn& db, TimeMs before, const PartitionPlan& plan) {
  (void)plan;
  auto list = db.query(
      "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), p.relname FROM pg_inherits i "
      "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
      "WHERE p.relname IN ('messages', 'attempts') AND p.relnamespace = c.relnamespace "
      "AND p.relnamespace = current_schema()::regnamespace ORDER BY c.relname");
  if (!list) return list.error();
  int dropped = 0;
  for (int r = 0; r < list->rows(); ++r) {
    std::int64_t upper = upper_bound_of(list->view(r, 1));
    if (upper < 0 || upper > before) continue;
    std::string name = list->text(r, 0);
    std::string parent = list->text(r, 2);
    std::string sql = "BEGIN;\n" + std::string(kPartitionLock) + ";\n";
    if (parent == "messages") {
      // The side tables point at messages by id only; their rows for the dropped messages go with them.
      for (const char* side : {"message_customers", "inbox_reads", "short_links"}) {
        sql += "DELETE FROM " + std::string(side) + " WHERE message_id IN (SELECT id FROM \"" + name + "\");\n";
      }
      sql += "DELETE FROM webhook_events WHERE message_id IN (SELECT id FROM \"" + name +
             "\") AND (delivered_ms <> 0 OR dead);\n";
    }
    sql += "DROP TABLE IF EXISTS \"" + name + "\";\nCOMMIT;";
    if (auto s = db.exec(sql); !s) {
      (void)db.exec("ROLLBACK");
      return make_error(s.error().code, "dropping partition " + name + ": " + s.error().message);
    }
    ++dropped;
  }
  return dropped;
}

}  // namespace jarip::store
