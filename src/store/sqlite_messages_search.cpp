// The console's message search (StoreSession::search_messages, MessageQuery) on SQLite.
//
// Indexes it relies on (migration 8): messages_created for the newest-first walk every search ends
// in, messages_phone and messages_template for the two selective filters. A state, or an email
// address (inside recipient_json, not a column), filters rows along one of those walks: an index on
// state would be rewritten at every state change of every message, on the delivery path, for a
// console query that a time range or another filter narrows anyway.
#include "store/console_detail.hpp"
#include "store/sqlite_session.hpp"

namespace jarip::store {

Result<std::vector<MessageRecord>> SqliteSession::search_messages(const MessageQuery& q) {
  // Only the filters given are in the SQL, so that the planner sees which index each search can use
  // (a "?1 = '' OR phone = ?1" term would hide it). Statements are cached by their text: there are
  // at most a few dozen shapes.
  std::string where = "1";
  if (!q.id.empty()) where += " AND id = ?1";
  if (!q.recipient.empty()) {
    // The partial indexes' predicates are repeated, so that the planner may use them.
    where += console_detail::is_email_recipient(q.recipient) ? " AND instr(recipient_json, ?2) > 0"
                                                              : " AND phone = ?2 AND phone <> ''";
  }
  if (!q.template_name.empty()) where += " AND template_name = ?3 AND template_name <> ''";
  if (!q.state.empty()) where += " AND state = ?4";
  if (q.created_from_ms > 0) where += " AND created_ms >= ?5";
  if (q.created_to_ms > 0) where += " AND created_ms < ?6";
  // Row values would be neater, but this form gives the created_ms index its upper bound.
  if (q.before_created_ms > 0) where += " AND created_ms <= ?7 AND (created_ms < ?7 OR id < ?8)";

  std::vector<std::string> ids;
  {
    auto s = db_.prepare("SELECT id FROM messages WHERE " + where + " ORDER BY created_ms DESC, id DESC LIMIT ?9");
    if (!q.id.empty()) s.bind(1, q.id);
    if (!q.recipient.empty()) {
      s.bind(2, console_detail::is_email_recipient(q.recipient) ? console_detail::email_needle(q.recipient)
                                                                : q.recipient);
    }
    if (!q.template_name.empty()) s.bind(3, q.template_name);
    if (!q.state.empty()) s.bind(4, q.state);
    if (q.created_from_ms > 0) s.bind(5, q.created_from_ms);
    if (q.created_to_ms > 0) s.bind(6, q.created_to_ms);
    if (q.before_created_ms > 0) s.bind(7, q.before_created_ms).bind(8, q.before_id);
    s.bind(9, console_detail::clamp_search_limit(q.limit));
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) ids.push_back(s.text(0));
    if (rc != SQLITE_DONE) return db_.last_error("search messages");
  }
  // Then each row through get_message, as the inbox does: one reader of the messages row.
  std::vector<MessageRecord> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    auto m = get_message(id);
    if (!m) return m.error();
    if (*m) out.push_back(std::move(**m));
  }
  return out;
}

}  // namespace jarip::store
