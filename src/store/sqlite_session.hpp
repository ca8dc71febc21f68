#pragma once

#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace jarip::store {

// StoreSession over one SQLite connection. Used only on the thread that owns the connection.
class SqliteSession final : public StoreSession {
 public:
  explicit SqliteSession(SqliteDb& db) : db_(db) {}

  Status insert_message(const MessageRecord& message) override;
  Status update_message(const MessageRecord& message) override;
  Result<bool> update_message_if(const MessageRecord& message, const std::string& expected_state,
                                 int expected_step) override;
  Result<std::optional<MessageRecord>> get_message(const std::string& id) override;
  Result<bool> update_message_before_send(const MessageRecord& message, const std::string& owner) override;

  Status insert_attempt(AttemptRecord& attempt) override;
  Status update_attempt(const AttemptRecord& attempt) override;
  Status finish_attempt(const AttemptRecord& attempt) override;
  Result<std::vector<AttemptRecord>> list_attempts(const std::string& message_id) override;
  Result<std::vector<AttemptRecord>> list_open_attempts(const std::string& message_id) override;
  Result<std::optional<AttemptRecord>> find_attempt_by_provider_id(const std::string& provider,
                                                                   const std::string& provider_message_id) override;
  Result<std::optional<AttemptRecord>> find_attempt_by_dedup_key(const std::string& provider,
                                                                 const std::string& dedup_key) override;

  Result<std::vector<MessageRecord>> claim_due(const std::string& owner, TimeMs now, TimeMs lease_until,
                                               int limit) override;
  Result<std::vector<MessageRecord>> claim_overdue_reports(const std::string& owner, TimeMs now,
                                                           TimeMs lease_until, int limit) override;
  Status renew_leases(const std::string& owner, TimeMs lease_until) override;
  Status release_all_leases() override;
  Status release_leases(const std::string& owner) override;
  Result<std::int64_t> count_pending() override;

  Result<std::optional<IdempotencyRecord>> get_idempotency(const std::string& api_key_id,
                                                           const std::string& key) override;
  Status put_idempotency(const IdempotencyRecord& record) override;
  Status purge_idempotency(TimeMs older_than) override;

  Status put_template(const TemplateRecord& record) override;
  Result<std::optional<TemplateRecord>> get_template(const std::string& name) override;
  Result<std::vector<TemplateRecord>> list_templates() override;

  Status insert_api_key(const ApiKeyRecord& key) override;
  Result<std::optional<ApiKeyRecord>> get_api_key(const std::string& id) override;
  Result<std::vector<ApiKeyRecord>> list_api_keys() override;
  Status revoke_api_key(const std::string& id, TimeMs at) override;

  Status insert_opt_out(const OptOutRecord& record) override;
  Result<std::vector<OptOutRecord>> list_opt_outs(int limit) override;

  // Operator console (sqlite_console.cpp).
  Status insert_operator(const OperatorRecord& op) override;
  Status update_operator(const OperatorRecord& op) override;
  Result<std::optional<OperatorRecord>> get_operator(const std::string& id) override;
  Result<std::optional<OperatorRecord>> get_operator_by_email(const std::string& email) override;
  Result<std::vector<OperatorRecord>> list_operators() override;
  Result<std::int64_t> count_operators() override;
  Status insert_operator_session(const OperatorSessionRecord& session) override;
  Result<std::optional<OperatorSessionRecord>> get_operator_session(const std::string& token_hash) override;
  Status update_operator_session(const OperatorSessionRecord& session) override;
  Status delete_operator_session(const std::string& token_hash) override;
  Status delete_operator_sessions(const std::string& operator_id) override;
  Result<std::int64_t> purge_operator_sessions(TimeMs expired_before) override;
  Result<std::int64_t> add_login_failure(const std::string& key, TimeMs now, TimeMs window_ms) override;
  Result<std::int64_t> login_failures(const std::string& key, TimeMs now, TimeMs window_ms) override;
  Status clear_login_failures(const std::string& key) override;
  Status insert_audit(AuditRecord& record) override;
  Result<std::vector<AuditRecord>> list_audit(std::int64_t before_id, const std::string& action_prefix, int limit) override;
  Status insert_status_notice(const StatusNoticeRecord& notice) override;
  Status update_status_notice(const StatusNoticeRecord& notice) override;
  Result<std::optional<StatusNoticeRecord>> get_status_notice(const std::string& id) override;
  Result<std::vector<StatusNoticeRecord>> list_status_notices(TimeMs resolved_after, int limit) override;
  Result<bool> insert_staff_alert(StaffAlertRecord& alert, TimeMs quiet_ms) override;
  Status update_staff_alert(const StaffAlertRecord& alert) override;
  Result<std::vector<StaffAlertRecord>> list_staff_alerts(std::int64_t before_id, int limit) override;
  Status put_setting(const SettingRecord& setting) override;
  Result<std::optional<SettingRecord>> get_setting(const std::string& key) override;
  Result<std::vector<SettingRecord>> list_settings(const std::string& key_prefix) override;
  Result<std::vector<MessageRecord>> search_messages(const MessageQuery& query) override;

  Result<std::int64_t> purge_bodies(TimeMs before, int limit) override;

  Status put_node_status(const NodeStatusRecord& status) override;
  Result<std::vector<NodeStatusRecord>> list_node_status(TimeMs updated_after) override;

  // sqlite_customers.cpp
  Result<bool> has_opt_out(const std::string& phone) override;
  Status put_customer(const CustomerRecord& customer) override;
  Result<std::optional<CustomerRecord>> get_customer(const std::string& id) override;
  Result<bool> erase_customer(const std::string& id, TimeMs now) override;
  Result<std::vector<CustomerRecord>> list_customers(const std::string& after_id, const std::string& address,
                                                     int limit) override;
  Result<std::vector<std::string>> customers_with_address(const std::string& address) override;
  Status insert_consent_event(ConsentEventRecord& event) override;
  Result<std::vector<ConsentEventRecord>> list_consent_events(const std::string& customer_id, int limit) override;
  Result<bool> reconfirm_notice_sent(const std::string& customer_id, const std::string& consent_at) override;
  Status record_reconfirm_notice(const std::string& customer_id, const std::string& consent_at,
                                 const std::string& message_id, TimeMs now) override;
  Status link_message_customer(const std::string& message_id, const std::string& customer_id) override;

  // sqlite_portal.cpp
  Result<std::vector<InboxItem>> list_customer_messages(const std::string& customer_id, TimeMs before_created_ms,
                                                        const std::string& before_id, int limit) override;
  Result<std::int64_t> count_unread(const std::string& customer_id) override;
  Result<std::int64_t> mark_read(const std::string& customer_id, const std::vector<std::string>& message_ids,
                                 TimeMs now) override;
  Result<std::int64_t> mark_all_read(const std::string& customer_id, TimeMs now) override;
  Status insert_short_link(const ShortLinkRecord& link) override;
  Result<std::optional<std::string>> click_short_link(const std::string& code, TimeMs now) override;
  Result<std::vector<ShortLinkRecord>> list_short_links(const std::string& message_id) override;

  Status insert_webhook_event(WebhookEventRecord& event) override;
  Result<std::vector<WebhookEventRecord>> due_webhook_events(TimeMs now, int limit) override;
  Result<std::vector<WebhookEventRecord>> claim_webhook_events(TimeMs now, TimeMs lease_until, int limit) override;
  Status update_webhook_event(const WebhookEventRecord& event) override;
  Result<std::int64_t> count_pending_webhook_events() override;

 private:
  Result<std::vector<MessageRecord>> claim(const std::string& sql, const std::string& owner, TimeMs now,
                                           TimeMs lease_until, int limit);
  // With expected_state: only while the row is in that state at expected_step. With required_owner:
  // only while it is leased to that owner and still waiting to be sent.
  Result<bool> write_message(const MessageRecord& message, const std::string* expected_state, int expected_step,
                             const std::string* required_owner = nullptr);
  SqliteDb& db_;
};

}  // namespace jarip::store
