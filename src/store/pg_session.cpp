// PgSession: the StoreSession over one PostgreSQL connection (store/pg_session.hpp). Behaviour is the
// SQLite engine's (store/sqlite_session.cpp), statement for statement where it can be; what differs:
//  - every statement naming a message id names its partition too (part_ms = pg_message_part_ms(id));
//  - claims lock their rows with FOR UPDATE SKIP LOCKED, so two nodes never take the same row;
//  - inserts whose key may already be taken use ON CONFLICT DO NOTHING and report "conflict" when no
//    row went in: a failed statement would abort the whole group transaction up to its savepoint,
//    whereas in SQLite the caller could carry on after a conflict.
#include <algorithm>

#include "store/pg_schema.hpp"
#include "store/pg_session.hpp"
#include "store/pg_session_detail.hpp"

namespace jarip::store {

namespace pg_session_detail {

Error fail(const Error& e, const char* what) {
  if (e.code == "conflict") return make_error("conflict", std::string(what) + ": already exists");
  return make_error(e.code, std::string(what) + ": " + e.message);
}

PgParams& add_limit(PgParams& p, int limit) { return limit < 0 ? p.add_null() : p.add(limit); }

Status insert_once(PgConn& db, const std::string& sql, const PgParams& params, const char* what) {
  auto n = db.command(sql, params);
  if (!n) return fail(n.error(), what);
  if (*n == 0) return make_error("conflict", std::string(what) + ": already exists");
  return {};
}

constexpr int kMessageColumnCount = 25;
constexpr const char* kMessageColumnNames[kMessageColumnCount] = {
    "id", "api_key_id", "created_ms", "updated_ms", "state", "kind", "recipient_json", "phone", "template_name",
    "rendered_json", "chain_json", "step", "step_attempts", "due_ms", "expires_ms", "step_deadline_ms",
    "lease_owner", "lease_until_ms", "metadata_json", "night_consent", "idempotency_key", "final_code",
    "final_detail", "delivered_via", "body_purged"};

// The message columns in MessageRecord order (without part_ms), each prefixed ("m." or "").
std::string message_columns(const std::string& prefix) {
  std::string out;
  for (int c = 0; c < kMessageColumnCount; ++c) {
    if (c) out += ", ";
    out += prefix + kMessageColumnNames[c];
  }
  return out;
}

// A row whose columns first..first+24 are message_columns().
MessageRecord read_message(const PgResult& r, int row, int first) {
  MessageRecord m;
  int c = first;
  m.id = r.text(row, c++);
  m.api_key_id = r.text(row, c++);
  m.created_ms = r.int64(row, c++);
  m.updated_ms = r.int64(row, c++);
  m.state = r.text(row, c++);
  m.kind = r.text(row, c++);
  m.recipient_json = r.text(row, c++);
  m.phone = r.text(row, c++);
  m.template_name = r.text(row, c++);
  m.rendered_json = r.text(row, c++);
  m.chain_json = r.text(row, c++);
  m.step = static_cast<int>(r.int64(row, c++));
  m.step_attempts = static_cast<int>(r.int64(row, c++));
  m.due_ms = r.int64(row, c++);
  m.expires_ms = r.int64(row, c++);
  m.step_deadline_ms = r.int64(row, c++);
  m.lease_owner = r.text(row, c++);
  m.lease_until_ms = r.int64(row, c++);
  m.metadata_json = r.text(row, c++);
  m.night_consent = r.boolean(row, c++);
  m.idempotency_key = r.text(row, c++);
  m.final_code = r.text(row, c++);
  m.final_detail = r.text(row, c++);
  m.delivered_via = r.text(row, c++);
  m.body_purged = r.boolean(row, c++);
  return m;
}

}  // namespace pg_session_detail

using namespace pg_session_detail;

namespace {

// $1..$25 in message_columns() order.
void add_message(PgParams& p, const MessageRecord& m) {
  p.add(m.id).add(m.api_key_id).add(m.created_ms).add(m.updated_ms).add(m.state);
  p.add(m.kind).add(m.recipient_json).add(m.phone).add(m.template_name).add(m.rendered_json);
  p.add(m.chain_json).add(m.step).add(m.step_attempts).add(m.due_ms).add(m.expires_ms);
  p.add(m.step_deadline_ms).add(m.lease_owner).add(m.lease_until_ms).add(m.metadata_json);
  p.add(m.night_consent).add(m.idempotency_key).add(m.final_code).add(m.final_detail);
  p.add(m.delivered_via).add(m.body_purged);
}

std::string placeholders(int first, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (i) out += ", ";
    out += "$" + std::to_string(first + i);
  }
  return out;
}

// INSERT of every column; $26 is part_ms.
std::string insert_message_sql(const char* on_conflict) {
  return "INSERT INTO messages (" + message_columns("") + ", part_ms) VALUES (" +
         placeholders(1, kMessageColumnCount + 1) + ") " + on_conflict;
}

// "col = EXCLUDED.col" (or = $n) for every column but the key.
std::string set_every_column(bool from_excluded) {
  std::string out;
  for (int c = 1; c < kMessageColumnCount; ++c) {
    if (c > 1) out += ", ";
    out += kMessageColumnNames[c];
    out += from_excluded ? std::string(" = EXCLUDED.") + kMessageColumnNames[c] : " = $" + std::to_string(c + 1);
  }
  return out;
}

Result<std::vector<MessageRecord>> collect_messages(Result<PgResult> r, const char* what) {
  if (!r) return fail(r.error(), what);
  std::vector<MessageRecord> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_message(*r, i, 0));
  return out;
}

constexpr const char* kAttemptColumns =
    "id, message_id, step, channel, provider, send_kind, dedup_key, started_ms, ended_ms, outcome, "
    "provider_message_id, error_code, error_text";

Result<std::vector<AttemptRecord>> collect_attempts(Result<PgResult> r) {
  if (!r) return fail(r.error(), "list attempts");
  std::vector<AttemptRecord> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    AttemptRecord a;
    a.id = r->int64(i, 0);
    a.message_id = r->text(i, 1);
    a.step = static_cast<int>(r->int64(i, 2));
    a.channel = r->text(i, 3);
    a.provider = r->text(i, 4);
    a.send_kind = r->text(i, 5);
    a.dedup_key = r->text(i, 6);
    a.started_ms = r->int64(i, 7);
    a.ended_ms = r->int64(i, 8);
    a.outcome = r->text(i, 9);
    a.provider_message_id = r->text(i, 10);
    a.error_code = r->text(i, 11);
    a.error_text = r->text(i, 12);
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::optional<AttemptRecord>> first_attempt(Result<PgResult> r) {
  auto list = collect_attempts(std::move(r));
  if (!list) return list.error();
  if (list->empty()) return std::optional<AttemptRecord>();
  return std::optional<AttemptRecord>(std::move(list->front()));
}

// One statement chooses, locks and leases: no window between choosing and leasing, and rows another
// node's claim has locked are skipped rather than waited for. `where` must name the same state
// predicate as the partial index it should use (store/pg_schema.cpp). $1 owner, $2 lease_until,
// $3 now, $4 limit.
std::string claim_sql(const std::string& where, const char* order) {
  return "UPDATE messages m SET lease_owner = $1, lease_until_ms = $2 FROM (SELECT id, part_ms FROM messages WHERE " +
         where + " AND (lease_owner = '' OR lease_until_ms < $3) ORDER BY " + order +
         " LIMIT $4 FOR UPDATE SKIP LOCKED) c WHERE m.id = c.id AND m.part_ms = c.part_ms RETURNING " +
         message_columns("m.");
}

constexpr const char* kWebhookColumns =
    "id, event_id, type, message_id, payload_json, created_ms, next_attempt_ms, attempts, delivered_ms, dead, "
    "last_error";

// Pending events due at $1, skipping any whose message has an earlier event still pending. The
// predicate is webhook_events_pending's own, so that index serves it.
#define JARIP_PG_DUE_WEBHOOKS                                                                      \
  "FROM webhook_events e WHERE delivered_ms = 0 AND NOT dead AND next_attempt_ms <= $1 AND NOT EXISTS " \
  "(SELECT 1 FROM webhook_events p WHERE e.message_id <> '' AND p.message_id = e.message_id "     \
  "AND p.message_id <> '' AND p.id < e.id AND p.delivered_ms = 0 AND NOT p.dead) ORDER BY id"

std::vector<WebhookEventRecord> read_webhook_events(const PgResult& r) {
  std::vector<WebhookEventRecord> out;
  out.reserve(static_cast<std::size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    WebhookEventRecord e;
    e.id = r.int64(i, 0);
    e.event_id = r.text(i, 1);
    e.type = r.text(i, 2);
    e.message_id = r.text(i, 3);
    e.payload_json = r.text(i, 4);
    e.created_ms = r.int64(i, 5);
    e.next_attempt_ms = r.int64(i, 6);
    e.attempts = static_cast<int>(r.int64(i, 7));
    e.delivered_ms = r.int64(i, 8);
    e.dead = r.boolean(i, 9);
    e.last_error = r.text(i, 10);
    out.push_back(std::move(e));
  }
  return out;
}

Status done(const Result<std::int64_t>& r, const char* what) {
  if (!r) return fail(r.error(), what);
  return {};
}

}  // namespace

// ---- messages ---------------------------------------------------------------------------------

Status PgSession::insert_message(const MessageRecord& message) {
  static const std::string sql = insert_message_sql("ON CONFLICT (id, part_ms) DO NOTHING");
  PgParams p;
  add_message(p, message);
  p.add(pg_message_part_ms(message.id));
  return insert_once(db_, sql, p, "insert message");
}

// The row ends up exactly as given, inserted when missing (what SQLite's REPLACE did). PostgreSQL
// leaves the indexes alone (a HOT update) when no indexed column's value actually changes, so
// setting every column costs nothing over setting only the changed ones.
//
// Deferred (PgConn::defer_command): the upsert goes out with the session's next statement, or when the
// writer flushes the operation, in one round trip with them. Its only failure is an error, which
// fails the operation all the same, just at that point instead of here.
Status PgSession::update_message(const MessageRecord& message) {
  static const std::string sql =
      insert_message_sql("ON CONFLICT (id, part_ms) DO UPDATE SET ") + set_every_column(true);
  PgParams p;
  add_message(p, message);
  p.add(pg_message_part_ms(message.id));
  db_.defer_command(sql, p, "update message");
  return {};
}

// The condition is in the UPDATE itself: when another node's transaction holds the row, PostgreSQL
// waits for it and evaluates the condition again on the row as that transaction left it. A missing
// row is not inserted.
Result<bool> PgSession::update_message_if(const MessageRecord& message, const std::string& expected_state,
                                          int expected_step) {
  static const std::string sql = "UPDATE messages SET " + set_every_column(false) +
                                 " WHERE id = $1 AND part_ms = $26 AND state = $27 AND step = $28";
  PgParams p;
  add_message(p, message);
  p.add(pg_message_part_ms(message.id)).add(expected_state).add(expected_step);
  auto r = db_.command(sql, p);
  if (!r) return fail(r.error(), "update message");
  return *r > 0;
}

Result<bool> PgSession::update_message_before_send(const MessageRecord& message, const std::string& owner) {
  // Evaluated again after any row-lock wait: a claim by another node that commits first wins.
  static const std::string sql = "UPDATE messages SET " + set_every_column(false) +
                                 " WHERE id = $1 AND part_ms = $26 AND lease_owner = $27 "
                                 "AND state IN ('accepted', 'held', 'sending')";
  PgParams p;
  add_message(p, message);
  p.add(pg_message_part_ms(message.id)).add(owner);
  auto r = db_.command(sql, p);
  if (!r) return fail(r.error(), "update message");
  return *r > 0;
}

Result<std::optional<MessageRecord>> PgSession::get_message(const std::string& id) {
  static const std::string sql = "SELECT " + message_columns("") + " FROM messages WHERE id = $1 AND part_ms = $2";
  auto r = db_.query(sql, PgParams().add(id).add(pg_message_part_ms(id)));
  if (!r) return fail(r.error(), "get message");
  if (r->rows() == 0) return std::optional<MessageRecord>();
  return std::optional<MessageRecord>(read_message(*r, 0, 0));
}

// ---- attempts ---------------------------------------------------------------------------------

Status PgSession::insert_attempt(AttemptRecord& a) {
  static const std::string sql =
      "INSERT INTO attempts (message_id, part_ms, step, channel, provider, send_kind, dedup_key, started_ms, "
      "ended_ms, outcome, provider_message_id, error_code, error_text) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";
  PgParams p;
  p.add(a.message_id).add(pg_message_part_ms(a.message_id)).add(a.step).add(a.channel).add(a.provider);
  p.add(a.send_kind).add(a.dedup_key).add(a.started_ms).add(a.ended_ms).add(a.outcome);
  p.add(a.provider_message_id).add(a.error_code).add(a.error_text);
  auto r = db_.query(sql, p);
  if (!r) return fail(r.error(), "insert attempt");
  a.id = r->int64(0, 0);
  return {};
}

// Deferred like update_message: no row count is needed.
Status PgSession::update_attempt(const AttemptRecord& a) {
  static const std::string sql =
      "UPDATE attempts SET ended_ms = $1, outcome = $2, provider_message_id = $3, error_code = $4, error_text = $5 "
      "WHERE id = $6 AND part_ms = $7";
  PgParams p;
  p.add(a.ended_ms).add(a.outcome).add(a.provider_message_id).add(a.error_code).add(a.error_text);
  p.add(a.id).add(pg_message_part_ms(a.message_id));
  db_.defer_command(sql, p, "update attempt");
  return {};
}

Status PgSession::finish_attempt(const AttemptRecord& a) {
  static const std::string sql =
      "UPDATE attempts SET ended_ms = $1, outcome = $2, provider_message_id = $3, error_code = $4, error_text = $5 "
      "WHERE id = $6 AND part_ms = $7 AND outcome = 'started'";
  static const std::string fill_sql =
      "UPDATE attempts SET provider_message_id = $1 WHERE id = $2 AND part_ms = $3 AND provider_message_id = ''";
  std::int64_t part = pg_message_part_ms(a.message_id);
  PgParams p;
  p.add(a.ended_ms).add(a.outcome).add(a.provider_message_id).add(a.error_code).add(a.error_text);
  p.add(a.id).add(part);
  auto r = db_.command(sql, p);
  if (!r) return fail(r.error(), "finish attempt");
  if (*r == 0 && !a.provider_message_id.empty()) {
    // The report came first; keep its verdict but remember the provider's id for status queries.
    return done(db_.command(fill_sql, PgParams().add(a.provider_message_id).add(a.id).add(part)), "finish attempt");
  }
  return {};
}

Result<std::vector<AttemptRecord>> PgSession::list_attempts(const std::string& message_id) {
  static const std::string sql =
      std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE message_id = $1 AND part_ms = $2 ORDER BY id";
  return collect_attempts(db_.query(sql, PgParams().add(message_id).add(pg_message_part_ms(message_id))));
}

Result<std::vector<AttemptRecord>> PgSession::list_open_attempts(const std::string& message_id) {
  static const std::string sql = std::string("SELECT ") + kAttemptColumns +
                                 " FROM attempts WHERE message_id = $1 AND part_ms = $2 AND outcome = 'started' "
                                 "ORDER BY id";
  return collect_attempts(db_.query(sql, PgParams().add(message_id).add(pg_message_part_ms(message_id))));
}

Result<std::optional<AttemptRecord>> PgSession::find_attempt_by_provider_id(const std::string& provider,
                                                                            const std::string& provider_message_id) {
  static const std::string sql = std::string("SELECT ") + kAttemptColumns +
                                 " FROM attempts WHERE provider = $1 AND provider_message_id = $2 "
                                 "AND provider_message_id <> '' ORDER BY id DESC LIMIT 1";
  return first_attempt(db_.query(sql, PgParams().add(provider).add(provider_message_id)));
}

Result<std::optional<AttemptRecord>> PgSession::find_attempt_by_dedup_key(const std::string& provider,
                                                                          const std::string& dedup_key) {
  static const std::string sql = std::string("SELECT ") + kAttemptColumns +
                                 " FROM attempts WHERE provider = $1 AND dedup_key = $2 ORDER BY id DESC LIMIT 1";
  return first_attempt(db_.query(sql, PgParams().add(provider).add(dedup_key)));
}

// ---- leases -----------------------------------------------------------------------------------

Result<std::vector<MessageRecord>> PgSession::claim_due(const std::string& owner, TimeMs now, TimeMs lease_until,
                                                        int limit) {
  // The state predicate is messages_due's own, so the planner uses that index; oldest due first.
  static const std::string sql =
      claim_sql("state IN ('accepted', 'held', 'sending') AND due_ms <= $3", "due_ms");
  auto out = collect_messages(db_.query(sql, add_limit(PgParams().add(owner).add(lease_until).add(now), limit)),
                              "claim messages");
  if (!out) return out;
  // RETURNING follows no order; hand them back oldest due first, as chosen.
  std::sort(out->begin(), out->end(), [](const MessageRecord& a, const MessageRecord& b) {
    return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.id < b.id;
  });
  return out;
}

Result<std::vector<MessageRecord>> PgSession::claim_overdue_reports(const std::string& owner, TimeMs now,
                                                                    TimeMs lease_until, int limit) {
  // messages_report_deadline's predicate.
  static const std::string sql = claim_sql("state = 'sent' AND step_deadline_ms <= $3", "step_deadline_ms");
  auto out = collect_messages(db_.query(sql, add_limit(PgParams().add(owner).add(lease_until).add(now), limit)),
                              "claim messages");
  if (!out) return out;
  std::sort(out->begin(), out->end(), [](const MessageRecord& a, const MessageRecord& b) {
    return a.step_deadline_ms != b.step_deadline_ms ? a.step_deadline_ms < b.step_deadline_ms : a.id < b.id;
  });
  return out;
}

Status PgSession::renew_leases(const std::string& owner, TimeMs lease_until) {
  // "lease_owner <> ''" is messages_leased's predicate; an empty owner (never used) keeps the old
  // meaning, as in the SQLite engine.
  static const std::string sql = "UPDATE messages SET lease_until_ms = $1 WHERE lease_owner = $2 AND lease_owner <> ''";
  static const std::string sql_any = "UPDATE messages SET lease_until_ms = $1 WHERE lease_owner = $2";
  return done(db_.command(owner.empty() ? sql_any : sql, PgParams().add(lease_until).add(owner)), "renew leases");
}

Status PgSession::release_all_leases() {
  static const std::string sql = "UPDATE messages SET lease_owner = '', lease_until_ms = 0 WHERE lease_owner <> ''";
  return done(db_.command(sql), "release leases");
}

Status PgSession::release_leases(const std::string& owner) {
  static const std::string sql =
      "UPDATE messages SET lease_owner = '', lease_until_ms = 0 WHERE lease_owner = $1 AND lease_owner <> ''";
  return done(db_.command(sql, PgParams().add(owner)), "release leases");
}

Result<std::int64_t> PgSession::count_pending() {
  // Two counts, each over its partial index (messages_due, messages_report_deadline), instead of one
  // scan of every message ever kept.
  static const std::string sql =
      "SELECT (SELECT COUNT(*) FROM messages WHERE state IN ('accepted', 'held', 'sending')) + "
      "(SELECT COUNT(*) FROM messages WHERE state = 'sent')";
  auto r = db_.query(sql);
  if (!r) return fail(r.error(), "count pending");
  return r->int64(0, 0);
}

// ---- idempotency, templates, keys, opt-outs ---------------------------------------------------

Result<std::optional<IdempotencyRecord>> PgSession::get_idempotency(const std::string& api_key_id,
                                                                   const std::string& key) {
  static const std::string sql =
      "SELECT api_key_id, key, request_hash, status, response_body, created_ms FROM idempotency "
      "WHERE api_key_id = $1 AND key = $2";
  auto r = db_.query(sql, PgParams().add(api_key_id).add(key));
  if (!r) return fail(r.error(), "get idempotency key");
  if (r->rows() == 0) return std::optional<IdempotencyRecord>();
  IdempotencyRecord out;
  out.api_key_id = r->text(0, 0);
  out.key = r->text(0, 1);
  out.request_hash = r->text(0, 2);
  out.status = static_cast<int>(r->int64(0, 3));
  out.response_body = r->text(0, 4);
  out.created_ms = r->int64(0, 5);
  return std::optional<IdempotencyRecord>(std::move(out));
}

Status PgSession::put_idempotency(const IdempotencyRecord& r) {
  static const std::string sql =
      "INSERT INTO idempotency (api_key_id, key, request_hash, status, response_body, created_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (api_key_id, key) DO NOTHING";
  PgParams p;
  p.add(r.api_key_id).add(r.key).add(r.request_hash).add(r.status).add(r.response_body).add(r.created_ms);
  return insert_once(db_, sql, p, "store idempotency key");
}

Status PgSession::purge_idempotency(TimeMs older_than) {
  static const std::string sql = "DELETE FROM idempotency WHERE created_ms < $1";
  return done(db_.command(sql, PgParams().add(older_than)), "purge idempotency keys");
}

Status PgSession::put_template(const TemplateRecord& r) {
  static const std::string sql =
      "INSERT INTO templates (name, json, updated_ms) VALUES ($1, $2, $3) "
      "ON CONFLICT (name) DO UPDATE SET json = EXCLUDED.json, updated_ms = EXCLUDED.updated_ms";
  return done(db_.command(sql, PgParams().add(r.name).add(r.json).add(r.updated_ms)), "store template");
}

Result<std::optional<TemplateRecord>> PgSession::get_template(const std::string& name) {
  static const std::string sql = "SELECT name, json, updated_ms FROM templates WHERE name = $1";
  auto r = db_.query(sql, PgParams().add(name));
  if (!r) return fail(r.error(), "get template");
  if (r->rows() == 0) return std::optional<TemplateRecord>();
  return std::optional<TemplateRecord>(TemplateRecord{r->text(0, 0), r->text(0, 1), r->int64(0, 2)});
}

Result<std::vector<TemplateRecord>> PgSession::list_templates() {
  // COLLATE "C": byte order, as SQLite sorts, whatever the database's collation (a small table).
  static const std::string sql = "SELECT name, json, updated_ms FROM templates ORDER BY name COLLATE \"C\"";
  auto r = db_.query(sql);
  if (!r) return fail(r.error(), "list templates");
  std::vector<TemplateRecord> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(TemplateRecord{r->text(i, 0), r->text(i, 1), r->int64(i, 2)});
  return out;
}

Status PgSession::insert_api_key(const ApiKeyRecord& k) {
  static const std::string sql =
      "INSERT INTO api_keys (id, name, secret_hash, created_ms, revoked_ms, rate_per_s) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING";
  PgParams p;
  p.add(k.id).add(k.name).add(k.secret_hash).add(k.created_ms).add(k.revoked_ms).add(k.rate_per_s);
  return insert_once(db_, sql, p, "insert api key");
}

namespace {
constexpr const char* kKeyColumns = "id, name, secret_hash, created_ms, revoked_ms, rate_per_s";
ApiKeyRecord read_key(const PgResult& r, int i) {
  ApiKeyRecord k;
  k.id = r.text(i, 0);
  k.name = r.text(i, 1);
  k.secret_hash = r.text(i, 2);
  k.created_ms = r.int64(i, 3);
  k.revoked_ms = r.int64(i, 4);
  k.rate_per_s = r.real(i, 5);
  return k;
}
}  // namespace

Result<std::optional<ApiKeyRecord>> PgSession::get_api_key(const std::string& id) {
  static const std::string sql = std::string("SELECT ") + kKeyColumns + " FROM api_keys WHERE id = $1";
  auto r = db_.query(sql, PgParams().add(id));
  if (!r) return fail(r.error(), "get api key");
  if (r->rows() == 0) return std::optional<ApiKeyRecord>();
  return std::optional<ApiKeyRecord>(read_key(*r, 0));
}

Result<std::vector<ApiKeyRecord>> PgSession::list_api_keys() {
  // Ties on created_ms in id (byte) order: SQLite's order for them is unspecified.
  static const std::string sql =
      std::string("SELECT ") + kKeyColumns + " FROM api_keys ORDER BY created_ms, id COLLATE \"C\"";
  auto r = db_.query(sql);
  if (!r) return fail(r.error(), "list api keys");
  std::vector<ApiKeyRecord> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_key(*r, i));
  return out;
}

Status PgSession::revoke_api_key(const std::string& id, TimeMs at) {
  static const std::string sql = "UPDATE api_keys SET revoked_ms = $1 WHERE id = $2 AND revoked_ms = 0";
  auto n = db_.command(sql, PgParams().add(at).add(id));
  if (!n) return fail(n.error(), "revoke api key");
  if (*n == 0) return make_error("not_found", "no active API key with id '" + id + "'");
  return {};
}

Status PgSession::insert_opt_out(const OptOutRecord& r) {
  static const std::string sql =
      "INSERT INTO opt_outs (phone, provider, opted_out_at, evidence, recorded_ms) VALUES ($1, $2, $3, $4, $5)";
  PgParams p;
  p.add(r.phone).add(r.provider).add(r.opted_out_at).add(r.evidence).add(r.recorded_ms);
  return done(db_.command(sql, p), "insert opt-out");
}

Result<std::vector<OptOutRecord>> PgSession::list_opt_outs(int limit) {
  static const std::string sql =
      "SELECT phone, provider, opted_out_at, evidence, recorded_ms FROM opt_outs ORDER BY id DESC LIMIT $1";
  PgParams p;
  auto r = db_.query(sql, add_limit(p, limit));
  if (!r) return fail(r.error(), "list opt-outs");
  std::vector<OptOutRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(OptOutRecord{r->text(i, 0), r->text(i, 1), r->text(i, 2), r->text(i, 3), r->int64(i, 4)});
  }
  return out;
}

// ---- retention, cluster -----------------------------------------------------------------------

Result<std::int64_t> PgSession::purge_bodies(TimeMs before, int limit) {
  // The inner predicate is messages_purgeable's. Rows another transaction holds are skipped (the
  // next run takes them), and the outer WHERE repeats the predicate so that a row changed meanwhile
  // is re-checked as it now is.
  static const std::string sql =
      "UPDATE messages m SET rendered_json = '{}', body_purged = true FROM (SELECT id, part_ms FROM messages "
      "WHERE updated_ms < $1 AND NOT body_purged AND state IN ('delivered', 'failed', 'canceled', 'expired') "
      "LIMIT $2 FOR UPDATE SKIP LOCKED) c "
      "WHERE m.id = c.id AND m.part_ms = c.part_ms AND m.updated_ms < $1 AND NOT m.body_purged "
      "AND m.state IN ('delivered', 'failed', 'canceled', 'expired')";
  auto n = db_.command(sql, add_limit(PgParams().add(before), limit));
  if (!n) return fail(n.error(), "purge bodies");
  return *n;
}

Status PgSession::put_node_status(const NodeStatusRecord& s) {
  static const std::string sql =
      "INSERT INTO node_status (node_id, started_ms, updated_ms, status_json) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (node_id) DO UPDATE SET started_ms = EXCLUDED.started_ms, updated_ms = EXCLUDED.updated_ms, "
      "status_json = EXCLUDED.status_json";
  return done(db_.command(sql, PgParams().add(s.node_id).add(s.started_ms).add(s.updated_ms).add(s.status_json)),
              "store node status");
}

Result<std::vector<NodeStatusRecord>> PgSession::list_node_status(TimeMs updated_after) {
  static const std::string sql =
      "SELECT node_id, started_ms, updated_ms, status_json FROM node_status WHERE updated_ms >= $1 "
      "ORDER BY node_id COLLATE \"C\"";
  auto r = db_.query(sql, PgParams().add(updated_after));
  if (!r) return fail(r.error(), "list node status");
  std::vector<NodeStatusRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(NodeStatusRecord{r->text(i, 0), r->int64(i, 1), r->int64(i, 2), r->text(i, 3)});
  }
  return out;
}

// ---- webhook outbox ---------------------------------------------------------------------------

Status PgSession::insert_webhook_event(WebhookEventRecord& e) {
  static const std::string sql =
      "INSERT INTO webhook_events (event_id, type, message_id, payload_json, created_ms, next_attempt_ms, attempts, "
      "delivered_ms, dead, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
      "ON CONFLICT DO NOTHING RETURNING id";
  PgParams p;
  p.add(e.event_id).add(e.type).add(e.message_id).add(e.payload_json).add(e.created_ms);
  p.add(e.next_attempt_ms).add(e.attempts).add(e.delivered_ms).add(e.dead).add(e.last_error);
  auto r = db_.query(sql, p);
  if (!r) return fail(r.error(), "insert webhook event");
  if (r->rows() == 0) return make_error("conflict", "insert webhook event: already exists");
  e.id = r->int64(0, 0);
  return {};
}

Result<std::vector<WebhookEventRecord>> PgSession::due_webhook_events(TimeMs now, int limit) {
  static const std::string sql = std::string("SELECT ") + kWebhookColumns + " " JARIP_PG_DUE_WEBHOOKS " LIMIT $2";
  auto r = db_.query(sql, add_limit(PgParams().add(now), limit));
  if (!r) return fail(r.error(), "due webhook events");
  return read_webhook_events(*r);
}

// The events come back as stored after the claim: next_attempt_ms is lease_until (as the SQLite
// engine returns them too). An event another node's claim holds locked is skipped; a later event of
// the same message stays behind it either way, since that one is still pending.
Result<std::vector<WebhookEventRecord>> PgSession::claim_webhook_events(TimeMs now, TimeMs lease_until, int limit) {
  static const std::string sql =
      "WITH due AS (SELECT id " JARIP_PG_DUE_WEBHOOKS " LIMIT $3 FOR UPDATE SKIP LOCKED) "
      "UPDATE webhook_events w SET next_attempt_ms = $2 FROM due WHERE w.id = due.id RETURNING w.id, w.event_id, "
      "w.type, w.message_id, w.payload_json, w.created_ms, w.next_attempt_ms, w.attempts, w.delivered_ms, w.dead, "
      "w.last_error";
  auto r = db_.query(sql, add_limit(PgParams().add(now).add(lease_until), limit));
  if (!r) return fail(r.error(), "claim webhook events");
  auto out = read_webhook_events(*r);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

#undef JARIP_PG_DUE_WEBHOOKS

Status PgSession::update_webhook_event(const WebhookEventRecord& e) {
  static const std::string sql =
      "UPDATE webhook_events SET next_attempt_ms = $1, attempts = $2, delivered_ms = $3, dead = $4, last_error = $5 "
      "WHERE id = $6";
  PgParams p;
  p.add(e.next_attempt_ms).add(e.attempts).add(e.delivered_ms).add(e.dead).add(e.last_error).add(e.id);
  return done(db_.command(sql, p), "update webhook event");
}

Result<std::int64_t> PgSession::count_pending_webhook_events() {
  static const std::string sql = "SELECT COUNT(*) FROM webhook_events WHERE delivered_ms = 0 AND NOT dead";
  auto r = db_.query(sql);
  if (!r) return fail(r.error(), "count webhook events");
  return r->int64(0, 0);
}

}  // namespace jarip::store
