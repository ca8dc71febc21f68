// Operator console rows (store/records.hpp "Operator console").
#include "store/sqlite_session.hpp"

namespace jarip::store {

Status SqliteSession::insert_operator(const OperatorRecord& op) {
  return make_error("not_implemented", "insert_operator");
}

Status SqliteSession::update_operator(const OperatorRecord& op) {
  return make_error("not_implemented", "update_operator");
}

Result<std::optional<OperatorRecord>> SqliteSession::get_operator(const std::string& id) {
  return make_error("not_implemented", "get_operator");
}

Result<std::optional<OperatorRecord>> SqliteSession::get_operator_by_email(const std::string& email) {
  return make_error("not_implemented", "get_operator_by_email");
}

Result<std::vector<OperatorRecord>> SqliteSession::list_operators() {
  return make_error("not_implemented", "list_operators");
}

Result<std::int64_t> SqliteSession::count_operators() {
  return make_error("not_implemented", "count_operators");
}

Status SqliteSession::insert_operator_session(const OperatorSessionRecord& session) {
  return make_error("not_implemented", "insert_operator_session");
}

Result<std::optional<OperatorSessionRecord>> SqliteSession::get_operator_session(const std::string& token_hash) {
  return make_error("not_implemented", "get_operator_session");
}

Status SqliteSession::update_operator_session(const OperatorSessionRecord& session) {
  return make_error("not_implemented", "update_operator_session");
}

Status SqliteSession::delete_operator_session(const std::string& token_hash) {
  return make_error("not_implemented", "delete_operator_session");
}

Status SqliteSession::delete_operator_sessions(const std::string& operator_id) {
  return make_error("not_implemented", "delete_operator_sessions");
}

Result<std::int64_t> SqliteSession::purge_operator_sessions(TimeMs expired_before) {
  return make_error("not_implemented", "purge_operator_sessions");
}

Result<std::int64_t> SqliteSession::add_login_failure(const std::string& key, TimeMs now, TimeMs window_ms) {
  return make_error("not_implemented", "add_login_failure");
}

Result<std::int64_t> SqliteSession::login_failures(const std::string& key, TimeMs now, TimeMs window_ms) {
  return make_error("not_implemented", "login_failures");
}

Status SqliteSession::clear_login_failures(const std::string& key) {
  return make_error("not_implemented", "clear_login_failures");
}

Status SqliteSession::insert_audit(AuditRecord& record) {
  return make_error("not_implemented", "insert_audit");
}

Result<std::vector<AuditRecord>> SqliteSession::list_audit(std::int64_t before_id, const std::string& action_prefix, int limit) {
  return make_error("not_implemented", "list_audit");
}

Status SqliteSession::insert_status_notice(const StatusNoticeRecord& notice) {
  return make_error("not_implemented", "insert_status_notice");
}

Status SqliteSession::update_status_notice(const StatusNoticeRecord& notice) {
  return make_error("not_implemented", "update_status_notice");
}

Result<std::optional<StatusNoticeRecord>> SqliteSession::get_status_notice(const std::string& id) {
  return make_error("not_implemented", "get_status_notice");
}

Result<std::vector<StatusNoticeRecord>> SqliteSession::list_status_notices(TimeMs resolved_after, int limit) {
  return make_error("not_implemented", "list_status_notices");
}

Result<bool> SqliteSession::insert_staff_alert(StaffAlertRecord& alert, TimeMs quiet_ms) {
  return make_error("not_implemented", "insert_staff_alert");
}

Status SqliteSession::update_staff_alert(const StaffAlertRecord& alert) {
  return make_error("not_implemented", "update_staff_alert");
}

Result<std::vector<StaffAlertRecord>> SqliteSession::list_staff_alerts(std::int64_t before_id, int limit) {
  return make_error("not_implemented", "list_staff_alerts");
}

Status SqliteSession::put_setting(const SettingRecord& setting) {
  return make_error("not_implemented", "put_setting");
}

Result<std::optional<SettingRecord>> SqliteSession::get_setting(const std::string& key) {
  return make_error("not_implemented", "get_setting");
}

Result<std::vector<SettingRecord>> SqliteSession::list_settings(const std::string& key_prefix) {
  return make_error("not_implemented", "list_settings");
}

Result<std::vector<MessageRecord>> SqliteSession::search_messages(const MessageQuery& query) {
  return make_error("not_implemented", "search_messages");
}

}  // namespace jarip::store
