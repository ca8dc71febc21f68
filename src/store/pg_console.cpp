// Operator console rows on PostgreSQL (store/records.hpp "Operator console", migration 2), as
// store/sqlite_console.cpp. What differs: the writer runs every operation in a savepoint of one
// group transaction, where a failed statement would cost the operation, so the inserts that may meet
// a taken key (operators, status notices, staff alerts) use ON CONFLICT DO NOTHING and report the
// outcome themselves; and the counters shared by nodes (login failures, alert dedup) are single
// statements whose row lock or unique index orders concurrent nodes. The message search is in
// pg_messages_search.cpp.
#include "store/console_detail.hpp"
#include "store/pg_session.hpp"
#include "store/pg_session_detail.hpp"

namespace jarip::store {

using console_detail::prefix_upper_bound;
using pg_session_detail::add_limit;
using pg_session_detail::fail;
using pg_session_detail::insert_once;

namespace {

constexpr const char* kOperatorColumns =
    "id, email, name, role, password_hash, totp_secret, locale, on_duty, created_ms, updated_ms, disabled_ms, "
    "last_login_ms";

OperatorRecord read_operator(const PgResult& r, int i) {
  OperatorRecord o;
  o.id = r.text(i, 0);
  o.email = r.text(i, 1);
  o.name = r.text(i, 2);
  o.role = r.text(i, 3);
  o.password_hash = r.text(i, 4);
  o.totp_secret = r.text(i, 5);
  o.locale = r.text(i, 6);
  o.on_duty = r.boolean(i, 7);
  o.created_ms = r.int64(i, 8);
  o.updated_ms = r.int64(i, 9);
  o.disabled_ms = r.int64(i, 10);
  o.last_login_ms = r.int64(i, 11);
  return o;
}

constexpr const char* kSessionColumns =
    "token_hash, operator_id, csrf_token, second_factor_pending, created_ms, last_seen_ms, expires_ms, "
    "remote_address, user_agent";

OperatorSessionRecord read_session(const PgResult& r, int i) {
  OperatorSessionRecord s;
  s.token_hash = r.text(i, 0);
  s.operator_id = r.text(i, 1);
  s.csrf_token = r.text(i, 2);
  s.second_factor_pending = r.boolean(i, 3);
  s.created_ms = r.int64(i, 4);
  s.last_seen_ms = r.int64(i, 5);
  s.expires_ms = r.int64(i, 6);
  s.remote_address = r.text(i, 7);
  s.user_agent = r.text(i, 8);
  return s;
}

PgParams session_params(const OperatorSessionRecord& s) {
  PgParams p;
  p.add(s.token_hash).add(s.operator_id).add(s.csrf_token).add(s.second_factor_pending).add(s.created_ms);
  p.add(s.last_seen_ms).add(s.expires_ms).add(s.remote_address).add(s.user_agent);
  return p;
}

constexpr const char* kAuditColumns = "id, at_ms, actor_id, actor_email, action, target, detail_json, remote_address";

AuditRecord read_audit(const PgResult& r, int i) {
  AuditRecord a;
  a.id = r.int64(i, 0);
  a.at_ms = r.int64(i, 1);
  a.actor_id = r.text(i, 2);
  a.actor_email = r.text(i, 3);
  a.action = r.text(i, 4);
  a.target = r.text(i, 5);
  a.detail_json = r.text(i, 6);
  a.remote_address = r.text(i, 7);
  return a;
}

constexpr const char* kNoticeColumns =
    "id, kind, channel, severity, title_ko, title_en, body_ko, body_en, created_ms, updated_ms, resolved_ms, "
    "created_by";

StatusNoticeRecord read_notice(const PgResult& r, int i) {
  StatusNoticeRecord n;
  n.id = r.text(i, 0);
  n.kind = r.text(i, 1);
  n.channel = r.text(i, 2);
  n.severity = r.text(i, 3);
  n.title_ko = r.text(i, 4);
  n.title_en = r.text(i, 5);
  n.body_ko = r.text(i, 6);
  n.body_en = r.text(i, 7);
  n.created_ms = r.int64(i, 8);
  n.updated_ms = r.int64(i, 9);
  n.resolved_ms = r.int64(i, 10);
  n.created_by = r.text(i, 11);
  return n;
}

// $1..$12 in kNoticeColumns order.
PgParams notice_params(const StatusNoticeRecord& n) {
  PgParams p;
  p.add(n.id).add(n.kind).add(n.channel).add(n.severity).add(n.title_ko).add(n.title_en).add(n.body_ko);
  p.add(n.body_en).add(n.created_ms).add(n.updated_ms).add(n.resolved_ms).add(n.created_by);
  return p;
}

constexpr const char* kAlertColumns =
    "id, kind, subject, dedup_key, severity, text_ko, text_en, detail_json, delivery_json, created_ms, "
    "acknowledged_by, acknowledged_ms";

StaffAlertRecord read_alert(const PgResult& r, int i) {
  StaffAlertRecord a;
  a.id = r.int64(i, 0);
  a.kind = r.text(i, 1);
  a.subject = r.text(i, 2);
  a.dedup_key = r.text(i, 3);
  a.severity = r.text(i, 4);
  a.text_ko = r.text(i, 5);
  a.text_en = r.text(i, 6);
  a.detail_json = r.text(i, 7);
  a.delivery_json = r.text(i, 8);
  a.created_ms = r.int64(i, 9);
  a.acknowledged_by = r.text(i, 10);
  a.acknowledged_ms = r.int64(i, 11);
  return a;
}

SettingRecord read_setting(const PgResult& r, int i) {
  return SettingRecord{r.text(i, 0), r.text(i, 1), r.int64(i, 2), r.text(i, 3)};
}

template <class T, class Read>
Result<std::optional<T>> one_row(Result<PgResult> r, Read read, const char* what) {
  if (!r) return fail(r.error(), what);
  if (r->rows() == 0) return std::optional<T>();
  return std::optional<T>(read(*r, 0));
}

template <class T, class Read>
Result<std::vector<T>> all_rows(Result<PgResult> r, Read read, const char* what) {
  if (!r) return fail(r.error(), what);
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(read(*r, i));
  return out;
}

Result<std::int64_t> first_int(Result<PgResult> r, const char* what) {
  if (!r) return fail(r.error(), what);
  if (r->rows() == 0) return make_error("storage_error", std::string(what) + ": no row returned");
  return r->int64(0, 0);
}

// An UPDATE by key that must have found its row.
Status updated_one(const Result<std::int64_t>& n, const char* what, const std::string& id) {
  if (!n) return fail(n.error(), what);
  if (*n == 0) return make_error("not_found", std::string(what) + ": no row with id '" + id + "'");
  return {};
}

// The prefix filter on `column` (declared COLLATE "C") as an index range, with $n the prefix and
// $n+1 its upper end (console_detail::prefix_upper_bound); "" without a prefix.
std::string prefix_clause(const std::string& column, const std::string& prefix, int n) {
  if (prefix.empty()) return "";
  std::string p = "$" + std::to_string(n) + "::text";
  if (prefix_upper_bound(prefix)) {
    return column + " >= " + p + " AND " + column + " < $" + std::to_string(n + 1) + "::text";
  }
  return column + " >= " + p + " AND left(" + column + ", length(" + p + ")) = " + p;
}

void add_prefix(PgParams& p, const std::string& prefix) {
  if (prefix.empty()) return;
  p.add(prefix);
  if (auto end = prefix_upper_bound(prefix)) p.add(*end);
}

}  // namespace

// ---- operators --------------------------------------------------------------------------------

Status PgSession::insert_operator(const OperatorRecord& op) {
  static const std::string sql = std::string("INSERT INTO operators (") + kOperatorColumns +
                                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING";
  PgParams p;
  p.add(op.id).add(op.email).add(op.name).add(op.role).add(op.password_hash).add(op.totp_secret).add(op.locale);
  p.add(op.on_duty).add(op.created_ms).add(op.updated_ms).add(op.disabled_ms).add(op.last_login_ms);
  return insert_once(db_, sql, p, "insert operator");
}

// Every column but the key and the creation time. An email another operator holds is "conflict",
// found by the statement itself rather than by a unique violation that would abort the savepoint
// (the index still decides when two changes race).
Status PgSession::update_operator(const OperatorRecord& op) {
  static const std::string sql =
      "WITH taken AS (SELECT 1 FROM operators WHERE email = $2 AND id <> $1), "
      "u AS (UPDATE operators SET email = $2, name = $3, role = $4, password_hash = $5, totp_secret = $6, "
      "locale = $7, on_duty = $8, updated_ms = $9, disabled_ms = $10, last_login_ms = $11 "
      "WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM taken) RETURNING 1) "
      "SELECT (SELECT COUNT(*) FROM u), (SELECT COUNT(*) FROM taken)";
  PgParams p;
  p.add(op.id).add(op.email).add(op.name).add(op.role).add(op.password_hash).add(op.totp_secret).add(op.locale);
  p.add(op.on_duty).add(op.updated_ms).add(op.disabled_ms).add(op.last_login_ms);
  auto r = db_.query(sql, p);
  if (!r) return fail(r.error(), "update operator");
  if (r->int64(0, 0) > 0) return {};
  if (r->int64(0, 1) > 0) return make_error("conflict", "update operator: already exists");
  return make_error("not_found", "update operator: no row with id '" + op.id + "'");
}

Result<std::optional<OperatorRecord>> PgSession::get_operator(const std::string& id) {
  static const std::string sql = std::string("SELECT ") + kOperatorColumns + " FROM operators WHERE id = $1";
  return one_row<OperatorRecord>(db_.query(sql, PgParams().add(id)), read_operator, "get operator");
}

Result<std::optional<OperatorRecord>> PgSession::get_operator_by_email(const std::string& email) {
  static const std::string sql = std::string("SELECT ") + kOperatorColumns + " FROM operators WHERE email = $1";
  return one_row<OperatorRecord>(db_.query(sql, PgParams().add(email)), read_operator, "get operator");
}

Result<std::vector<OperatorRecord>> PgSession::list_operators() {
  static const std::string sql = std::string("SELECT ") + kOperatorColumns + " FROM operators ORDER BY email";
  return all_rows<OperatorRecord>(db_.query(sql), read_operator, "list operators");
}

Result<std::int64_t> PgSession::count_operators() {
  static const std::string sql = "SELECT COUNT(*) FROM operators";
  return first_int(db_.query(sql), "count operators");
}

// ---- operator sessions ------------------------------------------------------------------------

Status PgSession::insert_operator_session(const OperatorSessionRecord& session) {
  static const std::string sql = std::string("INSERT INTO operator_sessions (") + kSessionColumns +
                                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
  return insert_once(db_, sql, session_params(session), "insert operator session");
}

Result<std::optional<OperatorSessionRecord>> PgSession::get_operator_session(const std::string& token_hash) {
  static const std::string sql =
      std::string("SELECT ") + kSessionColumns + " FROM operator_sessions WHERE token_hash = $1";
  return one_row<OperatorSessionRecord>(db_.query(sql, PgParams().add(token_hash)), read_session,
                                        "get operator session");
}

// Only an existing session is replaced, as in SQLite. Deferred (PgConn::defer_command): every
// console request touches its session, and nobody needs the row count.
Status PgSession::update_operator_session(const OperatorSessionRecord& session) {
  static const std::string sql =
      "UPDATE operator_sessions SET operator_id = $2, csrf_token = $3, second_factor_pending = $4, created_ms = $5, "
      "last_seen_ms = $6, expires_ms = $7, remote_address = $8, user_agent = $9 WHERE token_hash = $1";
  db_.defer_command(sql, session_params(session), "update operator session");
  return {};
}

Status PgSession::delete_operator_session(const std::string& token_hash) {
  static const std::string sql = "DELETE FROM operator_sessions WHERE token_hash = $1";
  db_.defer_command(sql, PgParams().add(token_hash), "delete operator session");
  return {};
}

Status PgSession::delete_operator_sessions(const std::string& operator_id) {
  static const std::string sql = "DELETE FROM operator_sessions WHERE operator_id = $1";
  db_.defer_command(sql, PgParams().add(operator_id), "delete operator sessions");
  return {};
}

Result<std::int64_t> PgSession::purge_operator_sessions(TimeMs expired_before) {
  static const std::string sql = "DELETE FROM operator_sessions WHERE expires_ms < $1";
  auto n = db_.command(sql, PgParams().add(expired_before));
  if (!n) return fail(n.error(), "purge operator sessions");
  return *n;
}

// ---- login throttling -------------------------------------------------------------------------

// One statement: a node's INSERT … DO UPDATE waits for the row lock another node's uncommitted
// count holds, then counts on top of the committed value, so every node sees every failure.
Result<std::int64_t> PgSession::add_login_failure(const std::string& key, TimeMs now, TimeMs window_ms) {
  static const std::string sql =
      "INSERT INTO login_failures AS f (key, window_start_ms, count) VALUES ($1, $2::bigint, 1) "
      "ON CONFLICT (key) DO UPDATE SET "
      "count = CASE WHEN f.window_start_ms <= $2::bigint - $3::bigint THEN 1 ELSE f.count + 1 END, "
      "window_start_ms = CASE WHEN f.window_start_ms <= $2::bigint - $3::bigint THEN $2::bigint "
      "ELSE f.window_start_ms END "
      "RETURNING count";
  return first_int(db_.query(sql, PgParams().add(key).add(now).add(window_ms)), "count login failure");
}

Result<std::int64_t> PgSession::login_failures(const std::string& key, TimeMs now, TimeMs window_ms) {
  static const std::string sql =
      "SELECT COALESCE((SELECT count FROM login_failures WHERE key = $1 AND window_start_ms > $2::bigint - "
      "$3::bigint), 0)";
  return first_int(db_.query(sql, PgParams().add(key).add(now).add(window_ms)), "read login failures");
}

Status PgSession::clear_login_failures(const std::string& key) {
  static const std::string sql = "DELETE FROM login_failures WHERE key = $1";
  db_.defer_command(sql, PgParams().add(key), "clear login failures");
  return {};
}

// ---- audit log --------------------------------------------------------------------------------

Status PgSession::insert_audit(AuditRecord& record) {
  static const std::string sql =
      "INSERT INTO audit_log (at_ms, actor_id, actor_email, action, target, detail_json, remote_address) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
  PgParams p;
  p.add(record.at_ms).add(record.actor_id).add(record.actor_email).add(record.action).add(record.target);
  p.add(record.detail_json).add(record.remote_address);
  auto id = first_int(db_.query(sql, p), "insert audit record");
  if (!id) return id.error();
  record.id = *id;
  return {};
}

Result<std::vector<AuditRecord>> PgSession::list_audit(std::int64_t before_id, const std::string& action_prefix,
                                                       int limit) {
  std::string where = prefix_clause("action", action_prefix, 3);
  std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE ($1::bigint = 0 OR id < $1)" +
                    (where.empty() ? "" : " AND " + where) + " ORDER BY id DESC LIMIT $2";
  PgParams p;
  p.add(before_id);
  add_limit(p, limit);
  add_prefix(p, action_prefix);
  return all_rows<AuditRecord>(db_.query(sql, p), read_audit, "list audit records");
}

// ---- status notices ---------------------------------------------------------------------------

// DO NOTHING covers status_notices_open_auto as well as the key: a second unresolved automatic
// notice for a channel is "conflict" without aborting the savepoint. Two nodes racing: the second
// waits for the first's transaction, then finds the index entry and inserts nothing.
Status PgSession::insert_status_notice(const StatusNoticeRecord& notice) {
  static const std::string sql = std::string("INSERT INTO status_notices (") + kNoticeColumns +
                                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING";
  return insert_once(db_, sql, notice_params(notice), "insert status notice");
}

// Reopening an automatic notice while its channel has another open one breaks the unique index: an
// error ("conflict") that costs the operation, which is what the caller gets either way.
Status PgSession::update_status_notice(const StatusNoticeRecord& notice) {
  static const std::string sql =
      "UPDATE status_notices SET kind = $2, channel = $3, severity = $4, title_ko = $5, title_en = $6, body_ko = $7, "
      "body_en = $8, created_ms = $9, updated_ms = $10, resolved_ms = $11, created_by = $12 WHERE id = $1";
  return updated_one(db_.command(sql, notice_params(notice)), "update status notice", notice.id);
}

Result<std::optional<StatusNoticeRecord>> PgSession::get_status_notice(const std::string& id) {
  static const std::string sql = std::string("SELECT ") + kNoticeColumns + " FROM status_notices WHERE id = $1";
  return one_row<StatusNoticeRecord>(db_.query(sql, PgParams().add(id)), read_notice, "get status notice");
}

Result<std::vector<StatusNoticeRecord>> PgSession::list_status_notices(TimeMs resolved_after, int limit) {
  static const std::string sql = std::string("SELECT ") + kNoticeColumns +
                                 " FROM status_notices WHERE resolved_ms = 0 OR resolved_ms >= $1 "
                                 "ORDER BY created_ms DESC, id DESC LIMIT $2";
  PgParams p;
  p.add(resolved_after);
  return all_rows<StatusNoticeRecord>(db_.query(sql, add_limit(p, limit)), read_notice, "list status notices");
}

// ---- staff alerts -----------------------------------------------------------------------------

// One statement. Two nodes raising the same event race on the unique dedup_key: the second waits for
// the first's transaction and then inserts nothing (false, not an error). The quiet period is read
// from the statement's snapshot, so it holds across nodes only for alerts already committed; alerts
// of one event carry one dedup_key, and that is exact.
Result<bool> PgSession::insert_staff_alert(StaffAlertRecord& alert, TimeMs quiet_ms) {
  static const std::string sql =
      "INSERT INTO staff_alerts (kind, subject, dedup_key, severity, text_ko, text_en, detail_json, delivery_json, "
      "created_ms, acknowledged_by, acknowledged_ms) "
      "SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::bigint, "
      "$10::text, $11::bigint WHERE NOT EXISTS (SELECT 1 FROM staff_alerts WHERE kind = $1::text "
      "AND subject = $2::text AND created_ms > $9::bigint - $12::bigint) "
      "ON CONFLICT (dedup_key) DO NOTHING RETURNING id";
  PgParams p;
  p.add(alert.kind).add(alert.subject).add(alert.dedup_key).add(alert.severity).add(alert.text_ko);
  p.add(alert.text_en).add(alert.detail_json).add(alert.delivery_json).add(alert.created_ms);
  p.add(alert.acknowledged_by).add(alert.acknowledged_ms).add(quiet_ms);
  auto r = db_.query(sql, p);
  if (!r) return fail(r.error(), "insert staff alert");
  if (r->rows() == 0) return false;
  alert.id = r->int64(0, 0);
  return true;
}

// The delivery record and acknowledgement; the event itself (kind, subject, dedup_key, created_ms)
// stays as raised.
Status PgSession::update_staff_alert(const StaffAlertRecord& alert) {
  static const std::string sql =
      "UPDATE staff_alerts SET severity = $2, text_ko = $3, text_en = $4, detail_json = $5, delivery_json = $6, "
      "acknowledged_by = $7, acknowledged_ms = $8 WHERE id = $1";
  PgParams p;
  p.add(alert.id).add(alert.severity).add(alert.text_ko).add(alert.text_en).add(alert.detail_json);
  p.add(alert.delivery_json).add(alert.acknowledged_by).add(alert.acknowledged_ms);
  return updated_one(db_.command(sql, p), "update staff alert", std::to_string(alert.id));
}

Result<std::vector<StaffAlertRecord>> PgSession::list_staff_alerts(std::int64_t before_id, int limit) {
  static const std::string sql = std::string("SELECT ") + kAlertColumns +
                                 " FROM staff_alerts WHERE ($1::bigint = 0 OR id < $1) ORDER BY id DESC LIMIT $2";
  PgParams p;
  p.add(before_id);
  return all_rows<StaffAlertRecord>(db_.query(sql, add_limit(p, limit)), read_alert, "list staff alerts");
}

// ---- settings ---------------------------------------------------------------------------------

// Deferred like update_message: an upsert fails only by an error.
Status PgSession::put_setting(const SettingRecord& setting) {
  static const std::string sql =
      "INSERT INTO settings (key, value_json, updated_ms, updated_by) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (key) DO UPDATE SET value_json = EXCLUDED.value_json, updated_ms = EXCLUDED.updated_ms, "
      "updated_by = EXCLUDED.updated_by";
  PgParams p;
  p.add(setting.key).add(setting.value_json).add(setting.updated_ms).add(setting.updated_by);
  db_.defer_command(sql, p, "store setting");
  return {};
}

Result<std::optional<SettingRecord>> PgSession::get_setting(const std::string& key) {
  static const std::string sql = "SELECT key, value_json, updated_ms, updated_by FROM settings WHERE key = $1";
  return one_row<SettingRecord>(db_.query(sql, PgParams().add(key)), read_setting, "get setting");
}

Result<std::vector<SettingRecord>> PgSession::list_settings(const std::string& key_prefix) {
  std::string where = prefix_clause("key", key_prefix, 1);
  std::string sql = std::string("SELECT key, value_json, updated_ms, updated_by FROM settings") +
                    (where.empty() ? "" : " WHERE " + where) + " ORDER BY key";
  PgParams p;
  add_prefix(p, key_prefix);
  return all_rows<SettingRecord>(db_.query(sql, p), read_setting, "list settings");
}

}  // namespace jarip::store
