// The tables of the customer's pages on PostgreSQL (as store/sqlite_portal.cpp): which inbox messages
// each customer has read, and the short links that stand for long URLs in SMS texts. The inbox itself
// is the messages table, reached through message_customers. Those side tables carry no part_ms, so
// their joins with messages go by id alone (one index probe per partition), except mark_read, which
// knows its ids and so their partitions.
#include "store/pg_schema.hpp"
#include "store/pg_session.hpp"
#include "store/pg_session_detail.hpp"

namespace jarip::store {

using pg_session_detail::add_limit;
using pg_session_detail::fail;
using pg_session_detail::insert_once;

namespace {

// Which of a customer's messages (alias m) the inbox shows: not canceled, body still there, and no
// longer waiting for its first send (a scheduled message, or an ad held for the daytime, would
// otherwise show before its time).
#define JARIP_PG_INBOX_VISIBLE                                                                      \
  "m.state <> 'canceled' AND NOT m.body_purged AND NOT (m.state IN ('accepted', 'held') " \
  "AND m.step = 0 AND m.step_attempts = 0)"

Result<std::int64_t> changed(Result<std::int64_t> r, const char* what) {
  if (!r) return fail(r.error(), what);
  return *r;
}

}  // namespace

Result<std::vector<InboxItem>> PgSession::list_customer_messages(const std::string& customer_id,
                                                                 TimeMs before_created_ms,
                                                                 const std::string& before_id, int limit) {
  // The whole rows in one query (a round trip per message would cost more than the rows). Ids
  // compare in byte order (COLLATE "C"), as SQLite's do: the cursor is SQLite's.
  static const std::string sql =
      "SELECT " + pg_session_detail::message_columns("m.") +
      ", COALESCE(r.read_ms, 0) FROM message_customers mc "
      "JOIN messages m ON m.id = mc.message_id "
      "LEFT JOIN inbox_reads r ON r.message_id = m.id AND r.customer_id = mc.customer_id "
      "WHERE mc.customer_id = $1 AND " JARIP_PG_INBOX_VISIBLE
      " AND ($2::bigint = 0 OR (m.created_ms, m.id COLLATE \"C\") < ($2::bigint, $3::text COLLATE \"C\")) "
      "ORDER BY m.created_ms DESC, m.id COLLATE \"C\" DESC LIMIT $4";
  auto r = db_.query(sql, add_limit(PgParams().add(customer_id).add(before_created_ms).add(before_id), limit));
  if (!r) return fail(r.error(), "list customer messages");
  std::vector<InboxItem> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(InboxItem{pg_session_detail::read_message(*r, i, 0), r->int64(i, 25)});
  }
  return out;
}

Result<std::int64_t> PgSession::count_unread(const std::string& customer_id) {
  static const std::string sql =
      "SELECT COUNT(*) FROM message_customers mc JOIN messages m ON m.id = mc.message_id "
      "WHERE mc.customer_id = $1 AND " JARIP_PG_INBOX_VISIBLE
      " AND NOT EXISTS (SELECT 1 FROM inbox_reads r WHERE r.message_id = m.id AND r.customer_id = mc.customer_id)";
  auto r = db_.query(sql, PgParams().add(customer_id));
  if (!r) return fail(r.error(), "count unread messages");
  return r->int64(0, 0);
}

Result<std::int64_t> PgSession::mark_read(const std::string& customer_id, const std::vector<std::string>& message_ids,
                                          TimeMs now) {
  if (message_ids.empty()) return std::int64_t{0};
  // One statement for the whole list, each id with its partition. An id given twice is marked once,
  // and a message keeps the time it was first read (DO NOTHING).
  static const std::string sql =
      "INSERT INTO inbox_reads (message_id, customer_id, read_ms) "
      "SELECT m.id, mc.customer_id, $4::bigint FROM unnest($1::text[], $2::bigint[]) AS x(id, part_ms) "
      "JOIN message_customers mc ON mc.message_id = x.id "
      "JOIN messages m ON m.id = x.id AND m.part_ms = x.part_ms "
      "WHERE mc.customer_id = $3 AND " JARIP_PG_INBOX_VISIBLE " ON CONFLICT DO NOTHING";
  std::string parts = "{";
  for (std::size_t i = 0; i < message_ids.size(); ++i) {
    if (i) parts += ',';
    parts += std::to_string(pg_message_part_ms(message_ids[i]));
  }
  parts += '}';
  PgParams p;
  p.add_text_array(message_ids).add(parts).add(customer_id).add(now);
  return changed(db_.command(sql, p), "mark message read");
}

Result<std::int64_t> PgSession::mark_all_read(const std::string& customer_id, TimeMs now) {
  static const std::string sql =
      "INSERT INTO inbox_reads (message_id, customer_id, read_ms) "
      "SELECT m.id, mc.customer_id, $2::bigint FROM message_customers mc JOIN messages m ON m.id = mc.message_id "
      "WHERE mc.customer_id = $1 AND " JARIP_PG_INBOX_VISIBLE " ON CONFLICT DO NOTHING";
  return changed(db_.command(sql, PgParams().add(customer_id).add(now)), "mark messages read");
}

#undef JARIP_PG_INBOX_VISIBLE

Status PgSession::insert_short_link(const ShortLinkRecord& link) {
  // DO NOTHING and a "conflict" of our own: the caller may draw another code and try again in the
  // same transaction, which a failed statement would have aborted.
  static const std::string sql =
      "INSERT INTO short_links (code, message_id, url, created_ms, clicks, last_click_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING";
  PgParams p;
  p.add(link.code).add(link.message_id).add(link.url).add(link.created_ms).add(link.clicks).add(link.last_click_ms);
  return insert_once(db_, sql, p, "insert short link");
}

Result<std::optional<std::string>> PgSession::click_short_link(const std::string& code, TimeMs now) {
  static const std::string sql =
      "UPDATE short_links SET clicks = clicks + 1, last_click_ms = $2 WHERE code = $1 RETURNING url";
  auto r = db_.query(sql, PgParams().add(code).add(now));
  if (!r) return fail(r.error(), "follow short link");
  if (r->rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r->text(0, 0));
}

Result<std::vector<ShortLinkRecord>> PgSession::list_short_links(const std::string& message_id) {
  static const std::string sql =
      "SELECT code, message_id, url, created_ms, clicks, last_click_ms FROM short_links WHERE message_id = $1 "
      "ORDER BY code COLLATE \"C\"";
  auto r = db_.query(sql, PgParams().add(message_id));
  if (!r) return fail(r.error(), "list short links");
  std::vector<ShortLinkRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    ShortLinkRecord l;
    l.code = r->text(i, 0);
    l.message_id = r->text(i, 1);
    l.url = r->text(i, 2);
    l.created_ms = r->int64(i, 3);
    l.clicks = r->int64(i, 4);
    l.last_click_ms = r->int64(i, 5);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace jarip::store
