#include "store/sqlite_session.hpp"

// SQL text built once per call site, cached by its address (SqliteDb::prepare_static).
#define JARIP_SQL(text) ([]() -> const std::string& { static const std::string sql_text = (text); return sql_text; }())

namespace jarip::store {

namespace {

constexpr const char* kMessageColumns =
    "id, api_key_id, created_ms, updated_ms, state, kind, recipient_json, phone, template_name, rendered_json, "
    "chain_json, step, step_attempts, due_ms, expires_ms, step_deadline_ms, lease_owner, lease_until_ms, "
    "metadata_json, night_consent, idempotency_key, final_code, final_detail, delivered_via, body_purged";

void bind_message(SqliteStatement& s, const MessageRecord& m) {
  s.bind(1, m.id).bind(2, m.api_key_id).bind(3, m.created_ms).bind(4, m.updated_ms).bind(5, m.state);
  s.bind(6, m.kind).bind(7, m.recipient_json).bind(8, m.phone).bind(9, m.template_name).bind(10, m.rendered_json);
  s.bind(11, m.chain_json).bind(12, m.step).bind(13, m.step_attempts).bind(14, m.due_ms).bind(15, m.expires_ms);
  s.bind(16, m.step_deadline_ms).bind(17, m.lease_owner).bind(18, m.lease_until_ms).bind(19, m.metadata_json);
  s.bind(20, m.night_consent).bind(21, m.idempotency_key).bind(22, m.final_code).bind(23, m.final_detail);
  s.bind(24, m.delivered_via).bind(25, m.body_purged);
}

MessageRecord read_message(const SqliteStatement& s) {
  MessageRecord m;
  m.id = s.text(0);
  m.api_key_id = s.text(1);
  m.created_ms = s.int64(2);
  m.updated_ms = s.int64(3);
  m.state = s.text(4);
  m.kind = s.text(5);
  m.recipient_json = s.text(6);
  m.phone = s.text(7);
  m.template_name = s.text(8);
  m.rendered_json = s.text(9);
  m.chain_json = s.text(10);
  m.step = static_cast<int>(s.int64(11));
  m.step_attempts = static_cast<int>(s.int64(12));
  m.due_ms = s.int64(13);
  m.expires_ms = s.int64(14);
  m.step_deadline_ms = s.int64(15);
  m.lease_owner = s.text(16);
  m.lease_until_ms = s.int64(17);
  m.metadata_json = s.text(18);
  m.night_consent = s.int64(19) != 0;
  m.idempotency_key = s.text(20);
  m.final_code = s.text(21);
  m.final_detail = s.text(22);
  m.delivered_via = s.text(23);
  m.body_purged = s.int64(24) != 0;
  return m;
}

constexpr const char* kAttemptColumns =
    "id, message_id, step, channel, provider, send_kind, dedup_key, started_ms, ended_ms, outcome, "
    "provider_message_id, error_code, error_text";

AttemptRecord read_attempt(const SqliteStatement& s) {
  AttemptRecord a;
  a.id = s.int64(0);
  a.message_id = s.text(1);
  a.step = static_cast<int>(s.int64(2));
  a.channel = s.text(3);
  a.provider = s.text(4);
  a.send_kind = s.text(5);
  a.dedup_key = s.text(6);
  a.started_ms = s.int64(7);
  a.ended_ms = s.int64(8);
  a.outcome = s.text(9);
  a.provider_message_id = s.text(10);
  a.error_code = s.text(11);
  a.error_text = s.text(12);
  return a;
}

Result<std::vector<AttemptRecord>> collect_attempts(SqliteDb& db, SqliteStatement& s) {
  std::vector<AttemptRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_attempt(s));
  if (rc != SQLITE_DONE) return db.last_error("list attempts");
  return out;
}

// One statement claims and returns: no window between choosing and leasing.
std::string claim_sql(const std::string& where) {
  return "UPDATE messages SET lease_owner = ?1, lease_until_ms = ?2 WHERE id IN (SELECT id FROM messages WHERE " +
         where + " AND (lease_owner = '' OR lease_until_ms < ?3) LIMIT ?4) RETURNING " + kMessageColumns;
}

}  // namespace

Status SqliteSession::insert_message(const MessageRecord& message) {
  static const std::string sql = std::string("INSERT INTO messages (") + kMessageColumns +
                                 ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  auto s = db_.prepare_static(sql);
  bind_message(s, message);
  return done_or_error(db_, s.step(), "insert message");
}

Status SqliteSession::update_message(const MessageRecord& message) {
  auto written = write_message(message, nullptr, 0);
  if (!written) return written.error();
  return {};
}

Result<bool> SqliteSession::update_message_if(const MessageRecord& message, const std::string& expected_state,
                                              int expected_step) {
  return write_message(message, &expected_state, expected_step);
}

namespace {

constexpr int kMessageColumnCount = 25;
constexpr const char* kMessageColumnNames[kMessageColumnCount] = {
    "id", "api_key_id", "created_ms", "updated_ms", "state", "kind", "recipient_json", "phone", "template_name",
    "rendered_json", "chain_json", "step", "step_attempts", "due_ms", "expires_ms", "step_deadline_ms",
    "lease_owner", "lease_until_ms", "metadata_json", "night_consent", "idempotency_key", "final_code",
    "final_detail", "delivered_via", "body_purged"};

// Column `c` (kMessageColumns order) of the row under `s` against the record's value.
bool column_matches(const SqliteStatement& s, int c, const MessageRecord& m) {
  switch (c) {
    case 0: return s.text_equals(c, m.id);
    case 1: return s.text_equals(c, m.api_key_id);
    case 2: return s.int64(c) == m.created_ms;
    case 3: return s.int64(c) == m.updated_ms;
    case 4: return s.text_equals(c, m.state);
    case 5: return s.text_equals(c, m.kind);
    case 6: return s.text_equals(c, m.recipient_json);
    case 7: return s.text_equals(c, m.phone);
    case 8: return s.text_equals(c, m.template_name);
    case 9: return s.text_equals(c, m.rendered_json);
    case 10: return s.text_equals(c, m.chain_json);
    case 11: return s.int64(c) == m.step;
    case 12: return s.int64(c) == m.step_attempts;
    case 13: return s.int64(c) == m.due_ms;
    case 14: return s.int64(c) == m.expires_ms;
    case 15: return s.int64(c) == m.step_deadline_ms;
    case 16: return s.text_equals(c, m.lease_owner);
    case 17: return s.int64(c) == m.lease_until_ms;
    case 18: return s.text_equals(c, m.metadata_json);
    case 19: return s.int64(c) == static_cast<std::int64_t>(m.night_consent);
    case 20: return s.text_equals(c, m.idempotency_key);
    case 21: return s.text_equals(c, m.final_code);
    case 22: return s.text_equals(c, m.final_detail);
    case 23: return s.text_equals(c, m.delivered_via);
    case 24: return s.int64(c) == static_cast<std::int64_t>(m.body_purged);
  }
  return false;
}

void bind_column(SqliteStatement& s, int param, int c, const MessageRecord& m) {
  switch (c) {
    case 0: s.bind(param, m.id); break;
    case 1: s.bind(param, m.api_key_id); break;
    case 2: s.bind(param, m.created_ms); break;
    case 3: s.bind(param, m.updated_ms); break;
    case 4: s.bind(param, m.state); break;
    case 5: s.bind(param, m.kind); break;
    case 6: s.bind(param, m.recipient_json); break;
    case 7: s.bind(param, m.phone); break;
    case 8: s.bind(param, m.template_name); break;
    case 9: s.bind(param, m.rendered_json); break;
    case 10: s.bind(param, m.chain_json); break;
    case 11: s.bind(param, m.step); break;
    case 12: s.bind(param, m.step_attempts); break;
    case 13: s.bind(param, m.due_ms); break;
    case 14: s.bind(param, m.expires_ms); break;
    case 15: s.bind(param, m.step_deadline_ms); break;
    case 16: s.bind(param, m.lease_owner); break;
    case 17: s.bind(param, m.lease_until_ms); break;
    case 18: s.bind(param, m.metadata_json); break;
    case 19: s.bind(param, m.night_consent); break;
    case 20: s.bind(param, m.idempotency_key); break;
    case 21: s.bind(param, m.final_code); break;
    case 22: s.bind(param, m.final_detail); break;
    case 23: s.bind(param, m.delivered_via); break;
    case 24: s.bind(param, m.body_purged); break;
  }
}

}  // namespace

// The row ends up exactly as `message` (what REPLACE did), but only the columns that differ from
// the stored row are written: SQLite leaves an index alone when no column it covers (key or
// partial-index predicate) is in the UPDATE's SET list, and a typical state change touches 3–6
// of the 25 columns. The read costs one seek on the page the update needs anyway. With
// expected_state, the row is written only while it is still in that state at expected_step.
Result<bool> SqliteSession::update_message_before_send(const MessageRecord& message, const std::string& owner) {
  return write_message(message, nullptr, 0, &owner);
}

Result<bool> SqliteSession::write_message(const MessageRecord& message, const std::string* expected_state,
                                          int expected_step, const std::string* required_owner) {
  std::uint32_t changed = 0;  // bit c: column c (never 0, the key) differs
  {
    auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kMessageColumns + " FROM messages WHERE id = ?"));
    s.bind(1, message.id);
    int rc = s.step();
    if (rc == SQLITE_DONE) {
      if (expected_state || required_owner) return false;
      // REPLACE semantics: a row that is not there is inserted.
      if (auto st = insert_message(message); !st) return st.error();
      return true;
    }
    if (rc != SQLITE_ROW) return db_.last_error("read message");
    if (expected_state && (!s.text_equals(4, *expected_state) || s.int64(11) != expected_step)) return false;
    if (required_owner && (!s.text_equals(16, *required_owner) ||
                           !(s.text_equals(4, kStateAccepted) || s.text_equals(4, kStateHeld) ||
                             s.text_equals(4, kStateSending)))) {
      return false;
    }
    for (int c = 1; c < kMessageColumnCount; ++c) {
      if (!column_matches(s, c, message)) changed |= 1u << c;
    }
  }
  if (changed == 0) return true;
  auto u = db_.prepare_keyed(changed, [changed] {
    std::string sql = "UPDATE messages SET ";
    int param = 0;
    for (int c = 1; c < kMessageColumnCount; ++c) {
      if (!(changed & (1u << c))) continue;
      if (param++) sql += ", ";
      sql += kMessageColumnNames[c];
      sql += " = ?" + std::to_string(param);
    }
    return sql + " WHERE id = ?" + std::to_string(param + 1);
  });
  int param = 0;
  for (int c = 1; c < kMessageColumnCount; ++c) {
    if (changed & (1u << c)) bind_column(u, ++param, c, message);
  }
  u.bind(param + 1, message.id);
  if (auto st = done_or_error(db_, u.step(), "update message"); !st) return st.error();
  return true;
}

Result<std::optional<MessageRecord>> SqliteSession::get_message(const std::string& id) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kMessageColumns + " FROM messages WHERE id = ?"));
  s.bind(1, id);
  int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<MessageRecord>(read_message(s));
  if (rc == SQLITE_DONE) return std::optional<MessageRecord>();
  return db_.last_error("get message");
}

Status SqliteSession::insert_attempt(AttemptRecord& a) {
  auto s = db_.prepare_static(JARIP_SQL(
      "INSERT INTO attempts (message_id, step, channel, provider, send_kind, dedup_key, started_ms, ended_ms, "
      "outcome, provider_message_id, error_code, error_text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.bind(1, a.message_id).bind(2, a.step).bind(3, a.channel).bind(4, a.provider).bind(5, a.send_kind);
  s.bind(6, a.dedup_key).bind(7, a.started_ms).bind(8, a.ended_ms).bind(9, a.outcome);
  s.bind(10, a.provider_message_id).bind(11, a.error_code).bind(12, a.error_text);
  if (auto st = done_or_error(db_, s.step(), "insert attempt"); !st) return st;
  a.id = db_.last_insert_rowid();
  return {};
}

Status SqliteSession::update_attempt(const AttemptRecord& a) {
  auto s = db_.prepare_static(JARIP_SQL(
      "UPDATE attempts SET ended_ms = ?, outcome = ?, provider_message_id = ?, error_code = ?, error_text = ? "
      "WHERE id = ?"));
  s.bind(1, a.ended_ms).bind(2, a.outcome).bind(3, a.provider_message_id).bind(4, a.error_code);
  s.bind(5, a.error_text).bind(6, a.id);
  return done_or_error(db_, s.step(), "update attempt");
}

Status SqliteSession::finish_attempt(const AttemptRecord& a) {
  auto s = db_.prepare_static(JARIP_SQL(
      "UPDATE attempts SET ended_ms = ?, outcome = ?, provider_message_id = ?, error_code = ?, error_text = ? "
      "WHERE id = ? AND outcome = 'started'"));
  s.bind(1, a.ended_ms).bind(2, a.outcome).bind(3, a.provider_message_id).bind(4, a.error_code);
  s.bind(5, a.error_text).bind(6, a.id);
  if (auto st = done_or_error(db_, s.step(), "finish attempt"); !st) return st;
  if (db_.changes() == 0 && !a.provider_message_id.empty()) {
    // The report came first; keep its verdict but remember the provider's id for status queries.
    auto fill = db_.prepare_static(JARIP_SQL("UPDATE attempts SET provider_message_id = ? WHERE id = ? AND provider_message_id = ''"));
    fill.bind(1, a.provider_message_id).bind(2, a.id);
    return done_or_error(db_, fill.step(), "finish attempt");
  }
  return {};
}

Result<std::vector<AttemptRecord>> SqliteSession::list_attempts(const std::string& message_id) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kAttemptColumns + " FROM attempts WHERE message_id = ? ORDER BY id"));
  s.bind(1, message_id);
  return collect_attempts(db_, s);
}

Result<std::vector<AttemptRecord>> SqliteSession::list_open_attempts(const std::string& message_id) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kAttemptColumns +
                       " FROM attempts WHERE message_id = ? AND outcome = 'started' ORDER BY id"));
  s.bind(1, message_id);
  return collect_attempts(db_, s);
}

Result<std::optional<AttemptRecord>> SqliteSession::find_attempt_by_provider_id(
    const std::string& provider, const std::string& provider_message_id) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kAttemptColumns +
                       " FROM attempts WHERE provider = ? AND provider_message_id = ? AND provider_message_id <> '' "
                       "ORDER BY id DESC LIMIT 1"));
  s.bind(1, provider).bind(2, provider_message_id);
  auto list = collect_attempts(db_, s);
  if (!list) return list.error();
  if (list->empty()) return std::optional<AttemptRecord>();
  return std::optional<AttemptRecord>(list->front());
}

Result<std::optional<AttemptRecord>> SqliteSession::find_attempt_by_dedup_key(const std::string& provider,
                                                                             const std::string& dedup_key) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kAttemptColumns +
                       " FROM attempts WHERE provider = ? AND dedup_key = ? ORDER BY id DESC LIMIT 1"));
  s.bind(1, provider).bind(2, dedup_key);
  auto list = collect_attempts(db_, s);
  if (!list) return list.error();
  if (list->empty()) return std::optional<AttemptRecord>();
  return std::optional<AttemptRecord>(list->front());
}

Result<std::vector<MessageRecord>> SqliteSession::claim(const std::string& sql, const std::string& owner,
                                                        TimeMs now, TimeMs lease_until, int limit) {
  auto s = db_.prepare_static(sql);
  s.bind(1, owner).bind(2, lease_until).bind(3, now).bind(4, limit);
  std::vector<MessageRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_message(s));
  if (rc != SQLITE_DONE) return db_.last_error("claim messages");
  return out;
}

Result<std::vector<MessageRecord>> SqliteSession::claim_due(const std::string& owner, TimeMs now,
                                                            TimeMs lease_until, int limit) {
  // The predicate is messages_due's own (schema migration 3), so the planner uses that index.
  static const std::string sql =
      claim_sql("(state = 'accepted' OR state = 'held' OR state = 'sending') AND due_ms <= ?3");
  return claim(sql, owner, now, lease_until, limit);
}

Result<std::vector<MessageRecord>> SqliteSession::claim_overdue_reports(const std::string& owner, TimeMs now,
                                                                        TimeMs lease_until, int limit) {
  static const std::string sql = claim_sql("state = 'sent' AND step_deadline_ms <= ?3");
  return claim(sql, owner, now, lease_until, limit);
}

Status SqliteSession::renew_leases(const std::string& owner, TimeMs lease_until) {
  // "lease_owner <> ''" lets the planner use the partial index messages_leased instead of scanning
  // every message ever stored; an empty owner (never used) keeps the old meaning.
  auto s = owner.empty() ? db_.prepare_static(JARIP_SQL("UPDATE messages SET lease_until_ms = ? WHERE lease_owner = ?"))
                         : db_.prepare_static(JARIP_SQL(
                               "UPDATE messages SET lease_until_ms = ? WHERE lease_owner = ? AND lease_owner <> ''"));
  s.bind(1, lease_until).bind(2, owner);
  return done_or_error(db_, s.step(), "renew leases");
}

Status SqliteSession::release_all_leases() {
  auto s = db_.prepare_static(JARIP_SQL("UPDATE messages SET lease_owner = '', lease_until_ms = 0 WHERE lease_owner <> ''"));
  return done_or_error(db_, s.step(), "release leases");
}

Result<std::int64_t> SqliteSession::count_pending() {
  // Two counts, each over its partial index (messages_due, messages_report_deadline): one condition
  // over every state would scan every message kept (0.2 s at 160k rows, on the reader thread that
  // also serves the console's session checks).
  auto s = db_.prepare_static(JARIP_SQL(
      "SELECT (SELECT COUNT(*) FROM messages INDEXED BY messages_due "
      "        WHERE state = 'accepted' OR state = 'held' OR state = 'sending') + "
      "(SELECT COUNT(*) FROM messages INDEXED BY messages_report_deadline WHERE state = 'sent')"));
  if (s.step() != SQLITE_ROW) return db_.last_error("count pending");
  return s.int64(0);
}

Result<std::optional<IdempotencyRecord>> SqliteSession::get_idempotency(const std::string& api_key_id,
                                                                       const std::string& key) {
  auto s = db_.prepare_static(JARIP_SQL(
      "SELECT api_key_id, key, request_hash, status, response_body, created_ms FROM idempotency "
      "WHERE api_key_id = ? AND key = ?"));
  s.bind(1, api_key_id).bind(2, key);
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<IdempotencyRecord>();
  if (rc != SQLITE_ROW) return db_.last_error("get idempotency key");
  IdempotencyRecord r;
  r.api_key_id = s.text(0);
  r.key = s.text(1);
  r.request_hash = s.text(2);
  r.status = static_cast<int>(s.int64(3));
  r.response_body = s.text(4);
  r.created_ms = s.int64(5);
  return std::optional<IdempotencyRecord>(std::move(r));
}

Status SqliteSession::put_idempotency(const IdempotencyRecord& r) {
  auto s = db_.prepare_static(JARIP_SQL(
      "INSERT INTO idempotency (api_key_id, key, request_hash, status, response_body, created_ms) "
      "VALUES (?,?,?,?,?,?)"));
  s.bind(1, r.api_key_id).bind(2, r.key).bind(3, r.request_hash).bind(4, r.status).bind(5, r.response_body);
  s.bind(6, r.created_ms);
  return done_or_error(db_, s.step(), "store idempotency key");
}

Status SqliteSession::purge_idempotency(TimeMs older_than) {
  auto s = db_.prepare_static(JARIP_SQL("DELETE FROM idempotency WHERE created_ms < ?"));
  s.bind(1, older_than);
  return done_or_error(db_, s.step(), "purge idempotency keys");
}

Status SqliteSession::put_template(const TemplateRecord& r) {
  auto s = db_.prepare_static(JARIP_SQL("REPLACE INTO templates (name, json, updated_ms) VALUES (?,?,?)"));
  s.bind(1, r.name).bind(2, r.json).bind(3, r.updated_ms);
  return done_or_error(db_, s.step(), "store template");
}

Result<std::optional<TemplateRecord>> SqliteSession::get_template(const std::string& name) {
  auto s = db_.prepare_static(JARIP_SQL("SELECT name, json, updated_ms FROM templates WHERE name = ?"));
  s.bind(1, name);
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<TemplateRecord>();
  if (rc != SQLITE_ROW) return db_.last_error("get template");
  return std::optional<TemplateRecord>(TemplateRecord{s.text(0), s.text(1), s.int64(2)});
}

Result<std::vector<TemplateRecord>> SqliteSession::list_templates() {
  auto s = db_.prepare_static(JARIP_SQL("SELECT name, json, updated_ms FROM templates ORDER BY name"));
  std::vector<TemplateRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(TemplateRecord{s.text(0), s.text(1), s.int64(2)});
  if (rc != SQLITE_DONE) return db_.last_error("list templates");
  return out;
}

Status SqliteSession::insert_api_key(const ApiKeyRecord& k) {
  auto s = db_.prepare_static(JARIP_SQL(
      "INSERT INTO api_keys (id, name, secret_hash, created_ms, revoked_ms, rate_per_s) VALUES (?,?,?,?,?,?)"));
  s.bind(1, k.id).bind(2, k.name).bind(3, k.secret_hash).bind(4, k.created_ms).bind(5, k.revoked_ms);
  s.bind(6, k.rate_per_s);
  return done_or_error(db_, s.step(), "insert api key");
}

namespace {
ApiKeyRecord read_key(const SqliteStatement& s) {
  ApiKeyRecord k;
  k.id = s.text(0);
  k.name = s.text(1);
  k.secret_hash = s.text(2);
  k.created_ms = s.int64(3);
  k.revoked_ms = s.int64(4);
  k.rate_per_s = s.real(5);
  return k;
}
}  // namespace

Result<std::optional<ApiKeyRecord>> SqliteSession::get_api_key(const std::string& id) {
  auto s = db_.prepare_static(JARIP_SQL("SELECT id, name, secret_hash, created_ms, revoked_ms, rate_per_s FROM api_keys WHERE id = ?"));
  s.bind(1, id);
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<ApiKeyRecord>();
  if (rc != SQLITE_ROW) return db_.last_error("get api key");
  return std::optional<ApiKeyRecord>(read_key(s));
}

Result<std::vector<ApiKeyRecord>> SqliteSession::list_api_keys() {
  auto s = db_.prepare_static(JARIP_SQL(
      "SELECT id, name, secret_hash, created_ms, revoked_ms, rate_per_s FROM api_keys ORDER BY created_ms"));
  std::vector<ApiKeyRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_key(s));
  if (rc != SQLITE_DONE) return db_.last_error("list api keys");
  return out;
}

Status SqliteSession::revoke_api_key(const std::string& id, TimeMs at) {
  auto s = db_.prepare_static(JARIP_SQL("UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms = 0"));
  s.bind(1, at).bind(2, id);
  if (auto st = done_or_error(db_, s.step(), "revoke api key"); !st) return st;
  if (db_.changes() == 0) return make_error("not_found", "no active API key with id '" + id + "'");
  return {};
}

Status SqliteSession::insert_opt_out(const OptOutRecord& r) {
  auto s = db_.prepare_static(JARIP_SQL(
      "INSERT INTO opt_outs (phone, provider, opted_out_at, evidence, recorded_ms) VALUES (?,?,?,?,?)"));
  s.bind(1, r.phone).bind(2, r.provider).bind(3, r.opted_out_at).bind(4, r.evidence).bind(5, r.recorded_ms);
  return done_or_error(db_, s.step(), "insert opt-out");
}

Result<std::vector<OptOutRecord>> SqliteSession::list_opt_outs(int limit) {
  auto s = db_.prepare_static(JARIP_SQL(
      "SELECT phone, provider, opted_out_at, evidence, recorded_ms FROM opt_outs ORDER BY id DESC LIMIT ?"));
  s.bind(1, limit);
  std::vector<OptOutRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    out.push_back(OptOutRecord{s.text(0), s.text(1), s.text(2), s.text(3), s.int64(4)});
  }
  if (rc != SQLITE_DONE) return db_.last_error("list opt-outs");
  return out;
}

Result<std::int64_t> SqliteSession::purge_bodies(TimeMs before, int limit) {
  auto s = db_.prepare_static(JARIP_SQL(
      "UPDATE messages SET rendered_json = '{}', body_purged = 1 WHERE id IN (SELECT id FROM messages "
      "WHERE updated_ms < ? AND body_purged = 0 "
      "AND (state = 'delivered' OR state = 'failed' OR state = 'canceled' OR state = 'expired') "
      "LIMIT ?)"));
  s.bind(1, before).bind(2, limit);
  if (auto st = done_or_error(db_, s.step(), "purge bodies"); !st) return st.error();
  return static_cast<std::int64_t>(db_.changes());
}

Status SqliteSession::insert_webhook_event(WebhookEventRecord& e) {
  auto s = db_.prepare_static(JARIP_SQL(
      "INSERT INTO webhook_events (event_id, type, message_id, payload_json, created_ms, next_attempt_ms, attempts, "
      "delivered_ms, dead, last_error) VALUES (?,?,?,?,?,?,?,?,?,?)"));
  s.bind(1, e.event_id).bind(2, e.type).bind(3, e.message_id).bind(4, e.payload_json).bind(5, e.created_ms);
  s.bind(6, e.next_attempt_ms).bind(7, e.attempts).bind(8, e.delivered_ms).bind(9, e.dead).bind(10, e.last_error);
  if (auto st = done_or_error(db_, s.step(), "insert webhook event"); !st) return st;
  e.id = db_.last_insert_rowid();
  return {};
}

Result<std::vector<WebhookEventRecord>> SqliteSession::due_webhook_events(TimeMs now, int limit) {
  auto s = db_.prepare_static(JARIP_SQL(
      "SELECT id, event_id, type, message_id, payload_json, created_ms, next_attempt_ms, attempts, delivered_ms, dead, "
      "last_error FROM webhook_events e INDEXED BY webhook_events_pending WHERE delivered_ms = 0 AND dead = 0 AND next_attempt_ms <= ? AND NOT EXISTS "
      "(SELECT 1 FROM webhook_events p WHERE e.message_id <> '' AND p.message_id = e.message_id "
      "AND p.message_id <> '' AND p.id < e.id "
      "AND p.delivered_ms = 0 AND p.dead = 0) ORDER BY id LIMIT ?"));
  s.bind(1, now).bind(2, limit);
  std::vector<WebhookEventRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    WebhookEventRecord e;
    e.id = s.int64(0);
    e.event_id = s.text(1);
    e.type = s.text(2);
    e.message_id = s.text(3);
    e.payload_json = s.text(4);
    e.created_ms = s.int64(5);
    e.next_attempt_ms = s.int64(6);
    e.attempts = static_cast<int>(s.int64(7));
    e.delivered_ms = s.int64(8);
    e.dead = s.int64(9) != 0;
    e.last_error = s.text(10);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return db_.last_error("due webhook events");
  return out;
}

Status SqliteSession::update_webhook_event(const WebhookEventRecord& e) {
  auto s = db_.prepare_static(JARIP_SQL(
      "UPDATE webhook_events SET next_attempt_ms = ?, attempts = ?, delivered_ms = ?, dead = ?, last_error = ? "
      "WHERE id = ?"));
  s.bind(1, e.next_attempt_ms).bind(2, e.attempts).bind(3, e.delivered_ms).bind(4, e.dead).bind(5, e.last_error);
  s.bind(6, e.id);
  return done_or_error(db_, s.step(), "update webhook event");
}

Result<std::int64_t> SqliteSession::count_pending_webhook_events() {
  auto s = db_.prepare_static(JARIP_SQL("SELECT COUNT(*) FROM webhook_events WHERE delivered_ms = 0 AND dead = 0"));
  if (s.step() != SQLITE_ROW) return db_.last_error("count webhook events");
  return s.int64(0);
}

bool is_terminal_state(const std::string& state) {
  return state == kStateDelivered || state == kStateFailed || state == kStateCanceled || state == kStateExpired;
}

}  // namespace jarip::store
