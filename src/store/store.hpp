// Storage behind one interface, so that SQLite (embedded default) and PostgreSQL (cluster) share the
// engine and the same test suite.
//
// Writes are group-committed: write() queues an operation, the store runs every queued operation in
// one transaction and one sync, and only then calls each done(). "202 accepted" is sent from done(),
// so an acknowledged message is on stable storage. Each operation runs inside a savepoint: one that
// fails is rolled back alone and the rest of the group still commits.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"

namespace jarip::store {

// The operations available to a read or write. Implementations are not thread-safe: a session is
// only ever used on the store's own thread, inside write()/read().
class StoreSession {
 public:
  virtual ~StoreSession() = default;

  virtual Status insert_message(const MessageRecord& message) = 0;
  virtual Status update_message(const MessageRecord& message) = 0;
  // Writes the message only if the stored row is still in expected_state at expected_step; false
  // when something else (a delivery report) has moved it meanwhile.
  virtual Result<bool> update_message_if(const MessageRecord& message, const std::string& expected_state,
                                         int expected_step) = 0;
  virtual Result<std::optional<MessageRecord>> get_message(const std::string& id) = 0;
  // The write that starts an attempt: only while the row is still leased to `owner` and waiting to
  // be sent (accepted, held or sending). False when another node, or a later claim, holds it or it
  // has moved on (sent, finished): the caller must then not send it.
  virtual Result<bool> update_message_before_send(const MessageRecord& message, const std::string& owner) = 0;

  virtual Status insert_attempt(AttemptRecord& attempt) = 0;  // assigns attempt.id
  virtual Status update_attempt(const AttemptRecord& attempt) = 0;
  // Records a send's outcome only while the attempt is still "started": a delivery report that
  // overtook the send's own answer has already decided it.
  virtual Status finish_attempt(const AttemptRecord& attempt) = 0;
  virtual Result<std::vector<AttemptRecord>> list_attempts(const std::string& message_id) = 0;
  // Attempts not yet ended (outcome "started"): after a crash these are ambiguous.
  virtual Result<std::vector<AttemptRecord>> list_open_attempts(const std::string& message_id) = 0;
  virtual Result<std::optional<AttemptRecord>> find_attempt_by_provider_id(
      const std::string& provider, const std::string& provider_message_id) = 0;
  virtual Result<std::optional<AttemptRecord>> find_attempt_by_dedup_key(const std::string& provider,
                                                                         const std::string& dedup_key) = 0;

  // Leases: a message held by a node in memory carries lease_owner/lease_until_ms.
  // claim_due takes up to `limit` messages that are due (due_ms ≤ now), not terminal, not "sent"
  // (those wait for reports), and not leased by a live owner; returns them leased to `owner`.
  virtual Result<std::vector<MessageRecord>> claim_due(const std::string& owner, TimeMs now,
                                                       TimeMs lease_until, int limit) = 0;
  // Sent messages whose report deadline passed, leased to owner.
  virtual Result<std::vector<MessageRecord>> claim_overdue_reports(const std::string& owner, TimeMs now,
                                                                   TimeMs lease_until, int limit) = 0;
  virtual Status renew_leases(const std::string& owner, TimeMs lease_until) = 0;
  virtual Status release_all_leases() = 0;  // single-node start-up: no other process can hold one
  // Frees the leases `owner` holds (a node's clean shutdown, or its restart under the same id).
  virtual Status release_leases(const std::string& owner) = 0;
  virtual Result<std::int64_t> count_pending() = 0;  // non-terminal messages

  virtual Result<std::optional<IdempotencyRecord>> get_idempotency(const std::string& api_key_id,
                                                                   const std::string& key) = 0;
  virtual Status put_idempotency(const IdempotencyRecord& record) = 0;
  virtual Status purge_idempotency(TimeMs older_than) = 0;

  virtual Status put_template(const TemplateRecord& record) = 0;
  virtual Result<std::optional<TemplateRecord>> get_template(const std::string& name) = 0;
  virtual Result<std::vector<TemplateRecord>> list_templates() = 0;

  virtual Status insert_api_key(const ApiKeyRecord& key) = 0;
  virtual Result<std::optional<ApiKeyRecord>> get_api_key(const std::string& id) = 0;
  virtual Result<std::vector<ApiKeyRecord>> list_api_keys() = 0;
  virtual Status revoke_api_key(const std::string& id, TimeMs at) = 0;

  virtual Status insert_opt_out(const OptOutRecord& record) = 0;
  virtual Result<std::vector<OptOutRecord>> list_opt_outs(int limit) = 0;

  // True when a provider reported an 080 opt-out call from this number.
  virtual Result<bool> has_opt_out(const std::string& phone) = 0;

  // Customer directory. put_customer inserts or replaces (keeping created_ms) and re-indexes the
  // addresses. erase_customer deletes the customer, their consent history and inbox read marks, and
  // anonymises the recipient of every message sent to them (right to erasure); false when there was none.
  virtual Status put_customer(const CustomerRecord& customer) = 0;
  virtual Result<std::optional<CustomerRecord>> get_customer(const std::string& id) = 0;
  virtual Result<bool> erase_customer(const std::string& id, TimeMs now) = 0;
  // In id order after `after_id`; with a non-empty `address`, only customers holding it.
  virtual Result<std::vector<CustomerRecord>> list_customers(const std::string& after_id, const std::string& address,
                                                             int limit) = 0;
  // Customers holding this phone number or email address.
  virtual Result<std::vector<std::string>> customers_with_address(const std::string& address) = 0;
  virtual Status insert_consent_event(ConsentEventRecord& event) = 0;  // assigns event.id
  virtual Result<std::vector<ConsentEventRecord>> list_consent_events(const std::string& customer_id, int limit) = 0;
  // The two-yearly re-confirmation notice for the consent given at `consent_at` (its RFC 3339 text)
  // was sent already; record that it was.
  virtual Result<bool> reconfirm_notice_sent(const std::string& customer_id, const std::string& consent_at) = 0;
  virtual Status record_reconfirm_notice(const std::string& customer_id, const std::string& consent_at,
                                         const std::string& message_id, TimeMs now) = 0;
  // Remembers which customer a message was addressed to, for erasure.
  virtual Status link_message_customer(const std::string& message_id, const std::string& customer_id) = 0;

  // The customer's inbox page and short links (migration 5). The inbox shows the messages addressed
  // to the customer (message_customers) that are not canceled, still have their body, and are no
  // longer waiting for their first send (accepted or held on step 0 with no attempt: scheduled, or
  // an ad held for the daytime), newest first by (created_ms, id), strictly before the position
  // (before_created_ms, before_id); before_created_ms = 0 starts at the newest.
  virtual Result<std::vector<InboxItem>> list_customer_messages(const std::string& customer_id,
                                                                TimeMs before_created_ms,
                                                                const std::string& before_id, int limit) = 0;
  // How many messages the inbox shows to this customer that they have not marked read.
  virtual Result<std::int64_t> count_unread(const std::string& customer_id) = 0;
  // Marks read those of `message_ids` that the inbox shows to this customer; any other id (someone
  // else's message, an unknown one) is ignored. A message keeps the time it was first read.
  // Returns how many were newly marked.
  virtual Result<std::int64_t> mark_read(const std::string& customer_id, const std::vector<std::string>& message_ids,
                                         TimeMs now) = 0;
  virtual Result<std::int64_t> mark_all_read(const std::string& customer_id, TimeMs now) = 0;
  virtual Status insert_short_link(const ShortLinkRecord& link) = 0;  // Error "conflict" when the code is taken
  // The URL of `code`, counting the click in the same statement; nullopt for an unknown code.
  virtual Result<std::optional<std::string>> click_short_link(const std::string& code, TimeMs now) = 0;
  virtual Result<std::vector<ShortLinkRecord>> list_short_links(const std::string& message_id) = 0;  // by code

  virtual Status insert_webhook_event(WebhookEventRecord& event) = 0;  // assigns event.id
  // Pending events due at `now`, oldest first, skipping any event whose message has an earlier
  // event still pending (per-message order).
  virtual Result<std::vector<WebhookEventRecord>> due_webhook_events(TimeMs now, int limit) = 0;
  // Takes the events due_webhook_events would return and moves their next_attempt_ms to
  // lease_until, so that no other node sends them meanwhile (rows locked by another node's claim are
  // skipped). A node that dies mid-send leaves them due again at lease_until: webhooks are
  // at-least-once, and receivers deduplicate by webhook-id.
  virtual Result<std::vector<WebhookEventRecord>> claim_webhook_events(TimeMs now, TimeMs lease_until,
                                                                       int limit) = 0;
  virtual Status update_webhook_event(const WebhookEventRecord& event) = 0;
  virtual Result<std::int64_t> count_pending_webhook_events() = 0;

  // Each node's published view of its providers (GET /v1/channels shows the cluster's). put replaces
  // the node's row; list returns the rows updated at or after `updated_after`, by node id.
  virtual Status put_node_status(const NodeStatusRecord& status) = 0;
  virtual Result<std::vector<NodeStatusRecord>> list_node_status(TimeMs updated_after) = 0;

  // ---- Operator console (records.hpp) -------------------------------------------------------------
  // Error "conflict" when the email is taken.
  virtual Status insert_operator(const OperatorRecord& op) = 0;
  virtual Status update_operator(const OperatorRecord& op) = 0;  // by id; Error "not_found" when absent
  virtual Result<std::optional<OperatorRecord>> get_operator(const std::string& id) = 0;
  virtual Result<std::optional<OperatorRecord>> get_operator_by_email(const std::string& email) = 0;
  virtual Result<std::vector<OperatorRecord>> list_operators() = 0;  // by email
  virtual Result<std::int64_t> count_operators() = 0;

  virtual Status insert_operator_session(const OperatorSessionRecord& session) = 0;
  virtual Result<std::optional<OperatorSessionRecord>> get_operator_session(const std::string& token_hash) = 0;
  // Replaces the row (second factor passed, last seen, expiry).
  virtual Status update_operator_session(const OperatorSessionRecord& session) = 0;
  virtual Status delete_operator_session(const std::string& token_hash) = 0;
  // Signs the operator out everywhere (password changed, disabled, role lowered).
  virtual Status delete_operator_sessions(const std::string& operator_id) = 0;
  virtual Result<std::int64_t> purge_operator_sessions(TimeMs expired_before) = 0;

  // Login throttling: failed sign-ins per key ("account:EMAIL", "ip:ADDRESS") in a fixed window.
  // Counts one more failure in one statement (atomic across nodes) and returns the count in the
  // current window; a window older than window_ms restarts at 1.
  virtual Result<std::int64_t> add_login_failure(const std::string& key, TimeMs now, TimeMs window_ms) = 0;
  // The failures in the current window (0 when the window has passed).
  virtual Result<std::int64_t> login_failures(const std::string& key, TimeMs now, TimeMs window_ms) = 0;
  virtual Status clear_login_failures(const std::string& key) = 0;

  virtual Status insert_audit(AuditRecord& record) = 0;  // assigns record.id
  // Newest first, with id < before_id (0 = from the newest); action_prefix filters when not empty.
  virtual Result<std::vector<AuditRecord>> list_audit(std::int64_t before_id, const std::string& action_prefix,
                                                      int limit) = 0;

  // Error "conflict" for an automatic notice while the channel already has an unresolved one.
  virtual Status insert_status_notice(const StatusNoticeRecord& notice) = 0;
  virtual Status update_status_notice(const StatusNoticeRecord& notice) = 0;  // Error "not_found" when absent
  virtual Result<std::optional<StatusNoticeRecord>> get_status_notice(const std::string& id) = 0;
  // Unresolved notices and those resolved at or after resolved_after, newest first, at most limit.
  virtual Result<std::vector<StatusNoticeRecord>> list_status_notices(TimeMs resolved_after, int limit) = 0;

  // Inserts unless an alert with the same dedup_key exists, or one of the same kind and subject was
  // created after alert.created_ms - quiet_ms (the quiet period against alert storms). Assigns
  // alert.id and returns true when inserted.
  virtual Result<bool> insert_staff_alert(StaffAlertRecord& alert, TimeMs quiet_ms) = 0;
  virtual Status update_staff_alert(const StaffAlertRecord& alert) = 0;  // delivery, acknowledgement
  // Newest first, with id < before_id (0 = from the newest).
  virtual Result<std::vector<StaffAlertRecord>> list_staff_alerts(std::int64_t before_id, int limit) = 0;

  virtual Status put_setting(const SettingRecord& setting) = 0;
  virtual Result<std::optional<SettingRecord>> get_setting(const std::string& key) = 0;
  virtual Result<std::vector<SettingRecord>> list_settings(const std::string& key_prefix) = 0;  // by key

  // The console's message search (MessageQuery).
  virtual Result<std::vector<MessageRecord>> search_messages(const MessageQuery& query) = 0;

  // Retention: drops message bodies (text, variables, rendered forms) of terminal messages updated
  // before `before`; the attempt timeline stays. Returns how many were purged.
  virtual Result<std::int64_t> purge_bodies(TimeMs before, int limit) = 0;
};

struct StoreStats {
  std::uint64_t commits = 0;        // group commits (each one durable sync)
  std::uint64_t operations = 0;     // write operations committed
  std::uint64_t failed_commits = 0;
  std::size_t queue_depth = 0;      // write operations waiting
};

class Store {
 public:
  using WriteOp = std::function<Status(StoreSession&)>;
  using ReadOp = std::function<void(StoreSession&)>;
  using Done = std::function<void(Status)>;

  virtual ~Store() = default;

  // Queues op for the next group commit. done runs on the store's writer thread once the group is
  // durable (or failed); it must be quick (post to your own executor). When the queue is full,
  // done receives Error{"overloaded"} at once and op never runs: back-pressure, never a silent drop.
  virtual void write(WriteOp op, Done done) = 0;
  // Runs op on a reader thread against a consistent snapshot.
  virtual void read(ReadOp op) = 0;
  // For the CLI and start-up: queues op like write() and blocks until it is durable.
  // REQUIRES: not called on the store's writer thread or on an I/O thread.
  virtual Status run_now(const WriteOp& op);

  virtual StoreStats stats() const = 0;
  // True when other jarip processes may use the same database (PostgreSQL): their leases must be
  // left to expire, never released at start-up.
  virtual bool shared() const { return false; }
  // False while the database cannot be reached (writes then fail fast with storage_unavailable).
  virtual bool available() const { return true; }
  // "sqlite" or "postgresql".
  virtual const char* engine() const = 0;
  // Finishes queued writes, then stops the threads.
  virtual void stop() = 0;
};

struct SqliteOptions {
  std::string path;                 // database file
  std::string vfs;                  // empty = default; "jarip-powercut" for the power-cut drill
  std::size_t max_queue = 100000;   // write operations waiting before back-pressure
  std::size_t max_group = 20000;    // operations per transaction at most
  // The server holds an exclusive lock on the database (it owns every lease). Admin commands such
  // as `jarip keys create` open it without the lock, for one short transaction, while it runs.
  bool exclusive = true;
};

// Opens (creating and migrating as needed) a SQLite database in WAL mode with synchronous=FULL.
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options);

struct PostgresOptions {
  // A libpq URI or key=value string. Several hosts with target_session_attrs=read-write make jarip
  // follow whichever of them is the primary (postgresql://a:5432,b:5432/jarip?target_session_attrs=read-write).
  std::string url;
  std::size_t max_queue = 100000;  // write operations waiting before back-pressure
  std::size_t max_group = 5000;    // operations per transaction at most
  int readers = 2;                 // reader connections (threads)
  int connect_timeout_s = 3;       // per host and attempt
  int statement_timeout_ms = 30000;
  // Time partitions of messages and attempts (store/pg_schema.hpp).
  std::int64_t partition_days = 7;
  // Messages (with their attempts) older than this are dropped with their partition; 0 keeps them.
  std::int64_t keep_days = 0;
};

// Connects, migrates (under an advisory lock, so several nodes may start at once) and creates the
// current time partitions. Fails when the database cannot be reached at start; once running, the
// store reconnects by itself and fails writes fast with storage_unavailable meanwhile.
Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options);

// For tests: the journal mode and synchronous setting the store runs with.
struct SqlitePragmas {
  std::string journal_mode;
  int synchronous = -1;  // 2 = FULL
};
Result<SqlitePragmas> read_sqlite_pragmas(Store& store);

}  // namespace jarip::store
