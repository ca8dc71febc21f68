// The StoreSession methods a cluster of nodes needs (leases per owner, claimed webhook events, each
// node's published status), in their SQLite form. One process owns a SQLite database, so nothing here
// has to lock against another node: these exist so that both engines answer the same interface and
// pass the same tests.
#include "store/sqlite_session.hpp"

namespace jarip::store {

Status SqliteSession::release_leases(const std::string& owner) {
  // "lease_owner <> ''" lets the planner use messages_leased; an empty owner holds nothing.
  auto s = db_.prepare("UPDATE messages SET lease_owner = '', lease_until_ms = 0 WHERE lease_owner = ? AND lease_owner <> ''");
  s.bind(1, owner);
  return done_or_error(db_, s.step(), "release leases");
}

// The events due_webhook_events would return, moved to lease_until. They come back as stored after
// the claim (next_attempt_ms = lease_until), as the PostgreSQL engine returns them.
Result<std::vector<WebhookEventRecord>> SqliteSession::claim_webhook_events(TimeMs now, TimeMs lease_until,
                                                                           int limit) {
  auto due = due_webhook_events(now, limit);
  if (!due) return due.error();
  for (auto& e : *due) {
    auto s = db_.prepare("UPDATE webhook_events SET next_attempt_ms = ? WHERE id = ?");
    s.bind(1, lease_until).bind(2, e.id);
    if (auto st = done_or_error(db_, s.step(), "claim webhook events"); !st) return st.error();
    e.next_attempt_ms = lease_until;
  }
  return due;
}

Status SqliteSession::put_node_status(const NodeStatusRecord& status) {
  auto s = db_.prepare(
      "INSERT INTO node_status (node_id, started_ms, updated_ms, status_json) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (node_id) DO UPDATE SET started_ms = excluded.started_ms, updated_ms = excluded.updated_ms, "
      "status_json = excluded.status_json");
  s.bind(1, status.node_id).bind(2, status.started_ms).bind(3, status.updated_ms).bind(4, status.status_json);
  return done_or_error(db_, s.step(), "store node status");
}

Result<std::vector<NodeStatusRecord>> SqliteSession::list_node_status(TimeMs updated_after) {
  auto s = db_.prepare(
      "SELECT node_id, started_ms, updated_ms, status_json FROM node_status WHERE updated_ms >= ? ORDER BY node_id");
  s.bind(1, updated_after);
  std::vector<NodeStatusRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(NodeStatusRecord{s.text(0), s.int64(1), s.int64(2), s.text(3)});
  if (rc != SQLITE_DONE) return db_.last_error("list node status");
  return out;
}

}  // namespace jarip::store
