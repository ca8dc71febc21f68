// Operator console rows (store/records.hpp "Operator console", migration 8): operators and their
// sessions, login throttling, the audit log, status notices, staff alerts and shared settings. The
// message search is in sqlite_messages_search.cpp.
#include "store/console_detail.hpp"
#include "store/sqlite_session.hpp"

// SQL text built once per call site, cached by its address (SqliteDb::prepare_static).
#define JARIP_SQL(text) ([]() -> const std::string& { static const std::string sql_text = (text); return sql_text; }())

namespace jarip::store {

using console_detail::prefix_upper_bound;

namespace {

// ---- row readers ------------------------------------------------------------------------------

constexpr const char* kOperatorColumns =
    "id, email, name, role, password_hash, totp_secret, locale, on_duty, created_ms, updated_ms, disabled_ms, "
    "last_login_ms";

OperatorRecord read_operator(const SqliteStatement& s) {
  OperatorRecord o;
  o.id = s.text(0);
  o.email = s.text(1);
  o.name = s.text(2);
  o.role = s.text(3);
  o.password_hash = s.text(4);
  o.totp_secret = s.text(5);
  o.locale = s.text(6);
  o.on_duty = s.int64(7) != 0;
  o.created_ms = s.int64(8);
  o.updated_ms = s.int64(9);
  o.disabled_ms = s.int64(10);
  o.last_login_ms = s.int64(11);
  return o;
}

constexpr const char* kSessionColumns =
    "token_hash, operator_id, csrf_token, second_factor_pending, created_ms, last_seen_ms, expires_ms, "
    "remote_address, user_agent";

OperatorSessionRecord read_session(const SqliteStatement& s) {
  OperatorSessionRecord r;
  r.token_hash = s.text(0);
  r.operator_id = s.text(1);
  r.csrf_token = s.text(2);
  r.second_factor_pending = s.int64(3) != 0;
  r.created_ms = s.int64(4);
  r.last_seen_ms = s.int64(5);
  r.expires_ms = s.int64(6);
  r.remote_address = s.text(7);
  r.user_agent = s.text(8);
  return r;
}

void bind_session(SqliteStatement& s, const OperatorSessionRecord& r) {
  s.bind(1, r.token_hash).bind(2, r.operator_id).bind(3, r.csrf_token).bind(4, r.second_factor_pending);
  s.bind(5, r.created_ms).bind(6, r.last_seen_ms).bind(7, r.expires_ms).bind(8, r.remote_address);
  s.bind(9, r.user_agent);
}

constexpr const char* kAuditColumns = "id, at_ms, actor_id, actor_email, action, target, detail_json, remote_address";

AuditRecord read_audit(const SqliteStatement& s) {
  AuditRecord a;
  a.id = s.int64(0);
  a.at_ms = s.int64(1);
  a.actor_id = s.text(2);
  a.actor_email = s.text(3);
  a.action = s.text(4);
  a.target = s.text(5);
  a.detail_json = s.text(6);
  a.remote_address = s.text(7);
  return a;
}

constexpr const char* kNoticeColumns =
    "id, kind, channel, severity, title_ko, title_en, body_ko, body_en, created_ms, updated_ms, resolved_ms, "
    "created_by";

StatusNoticeRecord read_notice(const SqliteStatement& s) {
  StatusNoticeRecord n;
  n.id = s.text(0);
  n.kind = s.text(1);
  n.channel = s.text(2);
  n.severity = s.text(3);
  n.title_ko = s.text(4);
  n.title_en = s.text(5);
  n.body_ko = s.text(6);
  n.body_en = s.text(7);
  n.created_ms = s.int64(8);
  n.updated_ms = s.int64(9);
  n.resolved_ms = s.int64(10);
  n.created_by = s.text(11);
  return n;
}

// ?1..?12 in kNoticeColumns order.
void bind_notice(SqliteStatement& s, const StatusNoticeRecord& n) {
  s.bind(1, n.id).bind(2, n.kind).bind(3, n.channel).bind(4, n.severity).bind(5, n.title_ko).bind(6, n.title_en);
  s.bind(7, n.body_ko).bind(8, n.body_en).bind(9, n.created_ms).bind(10, n.updated_ms).bind(11, n.resolved_ms);
  s.bind(12, n.created_by);
}

constexpr const char* kAlertColumns =
    "id, kind, subject, dedup_key, severity, text_ko, text_en, detail_json, delivery_json, created_ms, "
    "acknowledged_by, acknowledged_ms";

StaffAlertRecord read_alert(const SqliteStatement& s) {
  StaffAlertRecord a;
  a.id = s.int64(0);
  a.kind = s.text(1);
  a.subject = s.text(2);
  a.dedup_key = s.text(3);
  a.severity = s.text(4);
  a.text_ko = s.text(5);
  a.text_en = s.text(6);
  a.detail_json = s.text(7);
  a.delivery_json = s.text(8);
  a.created_ms = s.int64(9);
  a.acknowledged_by = s.text(10);
  a.acknowledged_ms = s.int64(11);
  return a;
}

template <class T, class Read>
Result<std::optional<T>> one_row(SqliteDb& db, SqliteStatement& s, Read read, const char* what) {
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<T>();
  if (rc != SQLITE_ROW) return db.last_error(what);
  return std::optional<T>(read(s));
}

template <class T, class Read>
Result<std::vector<T>> all_rows(SqliteDb& db, SqliteStatement& s, Read read, const char* what) {
  std::vector<T> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read(s));
  if (rc != SQLITE_DONE) return db.last_error(what);
  return out;
}

Result<std::int64_t> count_of(SqliteDb& db, SqliteStatement& s, const char* what) {
  if (s.step() != SQLITE_ROW) return db.last_error(what);
  return s.int64(0);
}

// An UPDATE by key that must have found its row.
Status updated_one(SqliteDb& db, int rc, const char* what, const std::string& what_id) {
  if (auto st = done_or_error(db, rc, what); !st) return st;
  if (db.changes() == 0) return make_error("not_found", std::string(what) + ": no row with id '" + what_id + "'");
  return {};
}

// The prefix filter on `column` as an index range (console_detail::prefix_upper_bound), with ?N the
// prefix and ?N+1 its upper end; "" when there is no prefix.
std::string prefix_clause(const std::string& column, const std::string& prefix, int n) {
  if (prefix.empty()) return "";
  std::string p = "?" + std::to_string(n);
  if (prefix_upper_bound(prefix)) return column + " >= " + p + " AND " + column + " < ?" + std::to_string(n + 1);
  return column + " >= " + p + " AND substr(" + column + ", 1, length(" + p + ")) = " + p;
}

void bind_prefix(SqliteStatement& s, const std::string& prefix, int n) {
  if (prefix.empty()) return;
  s.bind(n, prefix);
  if (auto end = prefix_upper_bound(prefix)) s.bind(n + 1, *end);
}

}  // namespace

// ---- operators --------------------------------------------------------------------------------

Status SqliteSession::insert_operator(const OperatorRecord& op) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("INSERT INTO operators (") + kOperatorColumns +
                                        ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  s.bind(1, op.id).bind(2, op.email).bind(3, op.name).bind(4, op.role).bind(5, op.password_hash);
  s.bind(6, op.totp_secret).bind(7, op.locale).bind(8, op.on_duty).bind(9, op.created_ms).bind(10, op.updated_ms);
  s.bind(11, op.disabled_ms).bind(12, op.last_login_ms);
  return done_or_error(db_, s.step(), "insert operator");
}

// Every column but the key and the creation time. An email taken by another operator is "conflict".
Status SqliteSession::update_operator(const OperatorRecord& op) {
  auto s = db_.prepare_static(JARIP_SQL(
      "UPDATE operators SET email = ?2, name = ?3, role = ?4, password_hash = ?5, totp_secret = ?6, locale = ?7, "
      "on_duty = ?8, updated_ms = ?9, disabled_ms = ?10, last_login_ms = ?11 WHERE id = ?1"));
  s.bind(1, op.id).bind(2, op.email).bind(3, op.name).bind(4, op.role).bind(5, op.password_hash);
  s.bind(6, op.totp_secret).bind(7, op.locale).bind(8, op.on_duty).bind(9, op.updated_ms).bind(10, op.disabled_ms);
  s.bind(11, op.last_login_ms);
  return updated_one(db_, s.step(), "update operator", op.id);
}

Result<std::optional<OperatorRecord>> SqliteSession::get_operator(const std::string& id) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kOperatorColumns + " FROM operators WHERE id = ?"));
  s.bind(1, id);
  return one_row<OperatorRecord>(db_, s, read_operator, "get operator");
}

Result<std::optional<OperatorRecord>> SqliteSession::get_operator_by_email(const std::string& email) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kOperatorColumns + " FROM operators WHERE email = ?"));
  s.bind(1, email);
  return one_row<OperatorRecord>(db_, s, read_operator, "get operator");
}

Result<std::vector<OperatorRecord>> SqliteSession::list_operators() {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kOperatorColumns + " FROM operators ORDER BY email"));
  return all_rows<OperatorRecord>(db_, s, read_operator, "list operators");
}

Result<std::int64_t> SqliteSession::count_operators() {
  auto s = db_.prepare_static(JARIP_SQL("SELECT COUNT(*) FROM operators"));
  return count_of(db_, s, "count operators");
}

// ---- operator sessions ------------------------------------------------------------------------

Status SqliteSession::insert_operator_session(const OperatorSessionRecord& session) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("INSERT INTO operator_sessions (") + kSessionColumns +
                                        ") VALUES (?,?,?,?,?,?,?,?,?)"));
  bind_session(s, session);
  return done_or_error(db_, s.step(), "insert operator session");
}

Result<std::optional<OperatorSessionRecord>> SqliteSession::get_operator_session(const std::string& token_hash) {
  auto s = db_.prepare_static(
      JARIP_SQL(std::string("SELECT ") + kSessionColumns + " FROM operator_sessions WHERE token_hash = ?"));
  s.bind(1, token_hash);
  return one_row<OperatorSessionRecord>(db_, s, read_session, "get operator session");
}

// Only an existing session is replaced: one signed out meanwhile (another request, another node)
// must not come back because a request that began before touched it.
Status SqliteSession::update_operator_session(const OperatorSessionRecord& session) {
  auto s = db_.prepare_static(JARIP_SQL(
      "UPDATE operator_sessions SET operator_id = ?2, csrf_token = ?3, second_factor_pending = ?4, created_ms = ?5, "
      "last_seen_ms = ?6, expires_ms = ?7, remote_address = ?8, user_agent = ?9 WHERE token_hash = ?1"));
  bind_session(s, session);
  return done_or_error(db_, s.step(), "update operator session");
}

Status SqliteSession::delete_operator_session(const std::string& token_hash) {
  auto s = db_.prepare_static(JARIP_SQL("DELETE FROM operator_sessions WHERE token_hash = ?"));
  s.bind(1, token_hash);
  return done_or_error(db_, s.step(), "delete operator session");
}

Status SqliteSession::delete_operator_sessions(const std::string& operator_id) {
  auto s = db_.prepare_static(JARIP_SQL("DELETE FROM operator_sessions WHERE operator_id = ?"));
  s.bind(1, operator_id);
  return done_or_error(db_, s.step(), "delete operator sessions");
}

Result<std::int64_t> SqliteSession::purge_operator_sessions(TimeMs expired_before) {
  auto s = db_.prepare_static(JARIP_SQL("DELETE FROM operator_sessions WHERE expires_ms < ?"));
  s.bind(1, expired_before);
  if (auto st = done_or_error(db_, s.step(), "purge operator sessions"); !st) return st.error();
  return static_cast<std::int64_t>(db_.changes());
}

// ---- login throttling -------------------------------------------------------------------------

// One statement reads, restarts or counts, and returns: two nodes counting the same key at once each
// see the other's failure (in PostgreSQL the row lock orders them; SQLite has one writer anyway).
Result<std::int64_t> SqliteSession::add_login_failure(const std::string& key, TimeMs now, TimeMs window_ms) {
  auto s = db_.prepare_static(JARIP_SQL(
      "INSERT INTO login_failures (key, window_start_ms, count) VALUES (?1, ?2, 1) "
      "ON CONFLICT (key) DO UPDATE SET "
      "count = CASE WHEN window_start_ms <= ?2 - ?3 THEN 1 ELSE count + 1 END, "
      "window_start_ms = CASE WHEN window_start_ms <= ?2 - ?3 THEN ?2 ELSE window_start_ms END "
      "RETURNING count"));
  s.bind(1, key).bind(2, now).bind(3, window_ms);
  int rc = s.step();
  if (rc != SQLITE_ROW) {
    if (auto st = done_or_error(db_, rc, "count login failure"); !st) return st.error();
    return make_error("storage_error", "count login failure: no count returned");
  }
  std::int64_t count = s.int64(0);
  if (auto st = done_or_error(db_, s.step(), "count login failure"); !st) return st.error();
  return count;
}

Result<std::int64_t> SqliteSession::login_failures(const std::string& key, TimeMs now, TimeMs window_ms) {
  auto s = db_.prepare_static(JARIP_SQL(
      "SELECT COALESCE((SELECT count FROM login_failures WHERE key = ?1 AND window_start_ms > ?2 - ?3), 0)"));
  s.bind(1, key).bind(2, now).bind(3, window_ms);
  return count_of(db_, s, "read login failures");
}

Status SqliteSession::clear_login_failures(const std::string& key) {
  auto s = db_.prepare_static(JARIP_SQL("DELETE FROM login_failures WHERE key = ?"));
  s.bind(1, key);
  return done_or_error(db_, s.step(), "clear login failures");
}

// ---- audit log --------------------------------------------------------------------------------

Status SqliteSession::insert_audit(AuditRecord& record) {
  auto s = db_.prepare_static(JARIP_SQL(
      "INSERT INTO audit_log (at_ms, actor_id, actor_email, action, target, detail_json, remote_address) "
      "VALUES (?,?,?,?,?,?,?)"));
  s.bind(1, record.at_ms).bind(2, record.actor_id).bind(3, record.actor_email).bind(4, record.action);
  s.bind(5, record.target).bind(6, record.detail_json).bind(7, record.remote_address);
  if (auto st = done_or_error(db_, s.step(), "insert audit record"); !st) return st;
  record.id = db_.last_insert_rowid();
  return {};
}

Result<std::vector<AuditRecord>> SqliteSession::list_audit(std::int64_t before_id, const std::string& action_prefix,
                                                           int limit) {
  std::string where = prefix_clause("action", action_prefix, 3);
  auto s = db_.prepare(std::string("SELECT ") + kAuditColumns + " FROM audit_log WHERE (?1 = 0 OR id < ?1)" +
                       (where.empty() ? "" : " AND " + where) + " ORDER BY id DESC LIMIT ?2");
  s.bind(1, before_id).bind(2, limit);
  bind_prefix(s, action_prefix, 3);
  return all_rows<AuditRecord>(db_, s, read_audit, "list audit records");
}

// ---- status notices ---------------------------------------------------------------------------

// An automatic notice for a channel that has an unresolved one breaks status_notices_open_auto:
// done_or_error makes that "conflict", as the contract asks.
Status SqliteSession::insert_status_notice(const StatusNoticeRecord& notice) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("INSERT INTO status_notices (") + kNoticeColumns +
                                        ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  bind_notice(s, notice);
  return done_or_error(db_, s.step(), "insert status notice");
}

Status SqliteSession::update_status_notice(const StatusNoticeRecord& notice) {
  auto s = db_.prepare_static(JARIP_SQL(
      "UPDATE status_notices SET kind = ?2, channel = ?3, severity = ?4, title_ko = ?5, title_en = ?6, body_ko = ?7, "
      "body_en = ?8, created_ms = ?9, updated_ms = ?10, resolved_ms = ?11, created_by = ?12 WHERE id = ?1"));
  bind_notice(s, notice);
  return updated_one(db_, s.step(), "update status notice", notice.id);
}

Result<std::optional<StatusNoticeRecord>> SqliteSession::get_status_notice(const std::string& id) {
  auto s = db_.prepare_static(
      JARIP_SQL(std::string("SELECT ") + kNoticeColumns + " FROM status_notices WHERE id = ?"));
  s.bind(1, id);
  return one_row<StatusNoticeRecord>(db_, s, read_notice, "get status notice");
}

Result<std::vector<StatusNoticeRecord>> SqliteSession::list_status_notices(TimeMs resolved_after, int limit) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kNoticeColumns +
                                        " FROM status_notices WHERE resolved_ms = 0 OR resolved_ms >= ?1 "
                                        "ORDER BY created_ms DESC, id DESC LIMIT ?2"));
  s.bind(1, resolved_after).bind(2, limit);
  return all_rows<StatusNoticeRecord>(db_, s, read_notice, "list status notices");
}

// ---- staff alerts -----------------------------------------------------------------------------

// One statement: the quiet-period check and the insert cannot be split by another writer, and a
// taken dedup_key is "not inserted" rather than an error.
Result<bool> SqliteSession::insert_staff_alert(StaffAlertRecord& alert, TimeMs quiet_ms) {
  auto s = db_.prepare_static(JARIP_SQL(
      "INSERT INTO staff_alerts (kind, subject, dedup_key, severity, text_ko, text_en, detail_json, delivery_json, "
      "created_ms, acknowledged_by, acknowledged_ms) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 WHERE NOT EXISTS (SELECT 1 FROM staff_alerts "
      "WHERE kind = ?1 AND subject = ?2 AND created_ms > ?9 - ?12) "
      "ON CONFLICT (dedup_key) DO NOTHING RETURNING id"));
  s.bind(1, alert.kind).bind(2, alert.subject).bind(3, alert.dedup_key).bind(4, alert.severity);
  s.bind(5, alert.text_ko).bind(6, alert.text_en).bind(7, alert.detail_json).bind(8, alert.delivery_json);
  s.bind(9, alert.created_ms).bind(10, alert.acknowledged_by).bind(11, alert.acknowledged_ms).bind(12, quiet_ms);
  int rc = s.step();
  if (rc != SQLITE_ROW) {
    if (auto st = done_or_error(db_, rc, "insert staff alert"); !st) return st.error();
    return false;
  }
  std::int64_t id = s.int64(0);
  if (auto st = done_or_error(db_, s.step(), "insert staff alert"); !st) return st.error();
  alert.id = id;
  return true;
}

// What changes after the alert is raised: its delivery record and acknowledgement. The event it
// reports (kind, subject, dedup_key, created_ms) stays as raised.
Status SqliteSession::update_staff_alert(const StaffAlertRecord& alert) {
  auto s = db_.prepare_static(JARIP_SQL(
      "UPDATE staff_alerts SET severity = ?2, text_ko = ?3, text_en = ?4, detail_json = ?5, delivery_json = ?6, "
      "acknowledged_by = ?7, acknowledged_ms = ?8 WHERE id = ?1"));
  s.bind(1, alert.id).bind(2, alert.severity).bind(3, alert.text_ko).bind(4, alert.text_en);
  s.bind(5, alert.detail_json).bind(6, alert.delivery_json).bind(7, alert.acknowledged_by);
  s.bind(8, alert.acknowledged_ms);
  return updated_one(db_, s.step(), "update staff alert", std::to_string(alert.id));
}

Result<std::vector<StaffAlertRecord>> SqliteSession::list_staff_alerts(std::int64_t before_id, int limit) {
  auto s = db_.prepare_static(JARIP_SQL(std::string("SELECT ") + kAlertColumns +
                                        " FROM staff_alerts WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2"));
  s.bind(1, before_id).bind(2, limit);
  return all_rows<StaffAlertRecord>(db_, s, read_alert, "list staff alerts");
}

// ---- settings ---------------------------------------------------------------------------------

Status SqliteSession::put_setting(const SettingRecord& setting) {
  auto s = db_.prepare_static(JARIP_SQL(
      "INSERT INTO settings (key, value_json, updated_ms, updated_by) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json, updated_ms = excluded.updated_ms, "
      "updated_by = excluded.updated_by"));
  s.bind(1, setting.key).bind(2, setting.value_json).bind(3, setting.updated_ms).bind(4, setting.updated_by);
  return done_or_error(db_, s.step(), "store setting");
}

Result<std::optional<SettingRecord>> SqliteSession::get_setting(const std::string& key) {
  auto s = db_.prepare_static(JARIP_SQL("SELECT key, value_json, updated_ms, updated_by FROM settings WHERE key = ?"));
  s.bind(1, key);
  return one_row<SettingRecord>(
      db_, s, [](const SqliteStatement& r) { return SettingRecord{r.text(0), r.text(1), r.int64(2), r.text(3)}; },
      "get setting");
}

Result<std::vector<SettingRecord>> SqliteSession::list_settings(const std::string& key_prefix) {
  std::string where = prefix_clause("key", key_prefix, 1);
  auto s = db_.prepare(std::string("SELECT key, value_json, updated_ms, updated_by FROM settings") +
                       (where.empty() ? "" : " WHERE " + where) + " ORDER BY key");
  bind_prefix(s, key_prefix, 1);
  return all_rows<SettingRecord>(
      db_, s, [](const SqliteStatement& r) { return SettingRecord{r.text(0), r.text(1), r.int64(2), r.text(3)}; },
      "list settings");
}

}  // namespace jarip::store
