// The tables of the customer's pages (migration 5): which inbox messages each customer has read,
// and the short links that stand for long URLs in SMS texts. The inbox itself is the messages table:
// a message is in a customer's inbox through message_customers.
#include "store/sqlite_session.hpp"

namespace jarip::store {

// Which of a customer's messages (alias m) the inbox shows: not canceled, body still there, and no
// longer waiting for its first send (a scheduled message, or an ad held for the daytime, would
// otherwise show before its time).
#define JARIP_INBOX_VISIBLE                                                                       \
  "m.state <> 'canceled' AND m.body_purged = 0 AND NOT ((m.state = 'accepted' OR m.state = 'held') " \
  "AND m.step = 0 AND m.step_attempts = 0)"

Result<std::vector<InboxItem>> SqliteSession::list_customer_messages(const std::string& customer_id,
                                                                     TimeMs before_created_ms,
                                                                     const std::string& before_id, int limit) {
  // Ids first, then each row through get_message: one reader of the messages row for the whole store.
  std::vector<std::pair<std::string, TimeMs>> ids;
  {
    auto s = db_.prepare(
        "SELECT m.id, COALESCE(r.read_ms, 0) FROM message_customers mc "
        "JOIN messages m ON m.id = mc.message_id "
        "LEFT JOIN inbox_reads r ON r.message_id = m.id AND r.customer_id = mc.customer_id "
        "WHERE mc.customer_id = ?1 AND " JARIP_INBOX_VISIBLE
        " AND (?2 = 0 OR (m.created_ms, m.id) < (?2, ?3)) "
        "ORDER BY m.created_ms DESC, m.id DESC LIMIT ?4");
    s.bind(1, customer_id).bind(2, before_created_ms).bind(3, before_id).bind(4, limit);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) ids.emplace_back(s.text(0), s.int64(1));
    if (rc != SQLITE_DONE) return db_.last_error("list customer messages");
  }
  std::vector<InboxItem> out;
  out.reserve(ids.size());
  for (auto& [id, read_ms] : ids) {
    auto m = get_message(id);
    if (!m) return m.error();
    if (!*m) continue;
    out.push_back(InboxItem{std::move(**m), read_ms});
  }
  return out;
}

Result<std::int64_t> SqliteSession::count_unread(const std::string& customer_id) {
  auto s = db_.prepare(
      "SELECT COUNT(*) FROM message_customers mc JOIN messages m ON m.id = mc.message_id "
      "WHERE mc.customer_id = ?1 AND " JARIP_INBOX_VISIBLE
      " AND NOT EXISTS (SELECT 1 FROM inbox_reads r WHERE r.message_id = m.id AND r.customer_id = mc.customer_id)");
  s.bind(1, customer_id);
  if (s.step() != SQLITE_ROW) return db_.last_error("count unread messages");
  return s.int64(0);
}

Result<std::int64_t> SqliteSession::mark_read(const std::string& customer_id,
                                              const std::vector<std::string>& message_ids, TimeMs now) {
  std::int64_t marked = 0;
  for (const auto& id : message_ids) {
    auto s = db_.prepare(
        "INSERT OR IGNORE INTO inbox_reads (message_id, customer_id, read_ms) "
        "SELECT m.id, mc.customer_id, ?3 FROM message_customers mc JOIN messages m ON m.id = mc.message_id "
        "WHERE mc.message_id = ?1 AND mc.customer_id = ?2 AND " JARIP_INBOX_VISIBLE);
    s.bind(1, id).bind(2, customer_id).bind(3, now);
    if (auto st = done_or_error(db_, s.step(), "mark message read"); !st) return st.error();
    marked += db_.changes();
  }
  return marked;
}

Result<std::int64_t> SqliteSession::mark_all_read(const std::string& customer_id, TimeMs now) {
  auto s = db_.prepare(
      "INSERT OR IGNORE INTO inbox_reads (message_id, customer_id, read_ms) "
      "SELECT m.id, mc.customer_id, ?2 FROM message_customers mc JOIN messages m ON m.id = mc.message_id "
      "WHERE mc.customer_id = ?1 AND " JARIP_INBOX_VISIBLE);
  s.bind(1, customer_id).bind(2, now);
  if (auto st = done_or_error(db_, s.step(), "mark messages read"); !st) return st.error();
  return static_cast<std::int64_t>(db_.changes());
}

#undef JARIP_INBOX_VISIBLE

Status SqliteSession::insert_short_link(const ShortLinkRecord& link) {
  auto s = db_.prepare(
      "INSERT INTO short_links (code, message_id, url, created_ms, clicks, last_click_ms) VALUES (?,?,?,?,?,?)");
  s.bind(1, link.code).bind(2, link.message_id).bind(3, link.url).bind(4, link.created_ms);
  s.bind(5, link.clicks).bind(6, link.last_click_ms);
  return done_or_error(db_, s.step(), "insert short link");
}

Result<std::optional<std::string>> SqliteSession::click_short_link(const std::string& code, TimeMs now) {
  auto s = db_.prepare(
      "UPDATE short_links SET clicks = clicks + 1, last_click_ms = ?2 WHERE code = ?1 RETURNING url");
  s.bind(1, code).bind(2, now);
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return db_.last_error("follow short link");
  std::string url = s.text(0);
  if (auto st = done_or_error(db_, s.step(), "follow short link"); !st) return st.error();
  return std::optional<std::string>(std::move(url));
}

Result<std::vector<ShortLinkRecord>> SqliteSession::list_short_links(const std::string& message_id) {
  auto s = db_.prepare(
      "SELECT code, message_id, url, created_ms, clicks, last_click_ms FROM short_links WHERE message_id = ? "
      "ORDER BY code");
  s.bind(1, message_id);
  std::vector<ShortLinkRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    ShortLinkRecord l;
    l.code = s.text(0);
    l.message_id = s.text(1);
    l.url = s.text(2);
    l.created_ms = s.int64(3);
    l.clicks = s.int64(4);
    l.last_click_ms = s.int64(5);
    out.push_back(std::move(l));
  }
  if (rc != SQLITE_DONE) return db_.last_error("list short links");
  return out;
}

}  // namespace jarip::store
