// The customer directory's tables (migration 4): customers, their indexed addresses, the consent
// history, and which customer each message was addressed to.
#include "store/sqlite_session.hpp"

namespace jarip::store {

namespace {

CustomerRecord read_customer(const SqliteStatement& s) {
  CustomerRecord c;
  c.id = s.text(0);
  c.doc_json = s.text(1);
  c.created_ms = s.int64(2);
  c.updated_ms = s.int64(3);
  return c;
}

}  // namespace

Result<bool> SqliteSession::has_opt_out(const std::string& phone) {
  auto s = db_.prepare("SELECT 1 FROM opt_outs WHERE phone = ? LIMIT 1");
  s.bind(1, phone);
  int rc = s.step();
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) return db_.last_error("look up opt-out");
  return false;
}

Status SqliteSession::put_customer(const CustomerRecord& c) {
  auto s = db_.prepare(
      "INSERT INTO customers (id, doc, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms");
  s.bind(1, c.id).bind(2, c.doc_json).bind(3, c.created_ms).bind(4, c.updated_ms);
  if (auto st = done_or_error(db_, s.step(), "put customer"); !st) return st;
  auto clear = db_.prepare("DELETE FROM customer_addresses WHERE customer_id = ?");
  clear.bind(1, c.id);
  if (auto st = done_or_error(db_, clear.step(), "re-index customer"); !st) return st;
  for (const auto& address : c.addresses) {
    auto add = db_.prepare("INSERT OR IGNORE INTO customer_addresses (address, customer_id) VALUES (?, ?)");
    add.bind(1, address).bind(2, c.id);
    if (auto st = done_or_error(db_, add.step(), "index customer address"); !st) return st;
  }
  return {};
}

Result<std::optional<CustomerRecord>> SqliteSession::get_customer(const std::string& id) {
  auto s = db_.prepare("SELECT id, doc, created_ms, updated_ms FROM customers WHERE id = ?");
  s.bind(1, id);
  int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<CustomerRecord>();
  if (rc != SQLITE_ROW) return db_.last_error("get customer");
  return std::optional<CustomerRecord>(read_customer(s));
}

Result<bool> SqliteSession::erase_customer(const std::string& id, TimeMs now) {
  auto del = db_.prepare("DELETE FROM customers WHERE id = ?");
  del.bind(1, id);
  if (auto st = done_or_error(db_, del.step(), "erase customer"); !st) return st.error();
  bool existed = db_.changes() > 0;
  for (const char* sql : {"DELETE FROM customer_addresses WHERE customer_id = ?",
                          "DELETE FROM consent_events WHERE customer_id = ?",
                          "DELETE FROM inbox_reads WHERE customer_id = ?",
                          "DELETE FROM reconfirm_notices WHERE customer_id = ?"}) {
    auto s = db_.prepare(sql);
    s.bind(1, id);
    if (auto st = done_or_error(db_, s.step(), "erase customer"); !st) return st.error();
  }
  // The messages stay (the merchant's record of what was sent and when) without who received them
  // or what they said.
  auto anon = db_.prepare(
      "UPDATE messages SET recipient_json = '{\"customer_id\":\"(erased)\"}', phone = '', rendered_json = '{}', "
      "metadata_json = '{}', body_purged = 1, updated_ms = ?2 "
      "WHERE id IN (SELECT message_id FROM message_customers WHERE customer_id = ?1)");
  anon.bind(1, id).bind(2, now);
  if (auto st = done_or_error(db_, anon.step(), "anonymise messages"); !st) return st.error();
  auto unlink = db_.prepare("UPDATE message_customers SET customer_id = '' WHERE customer_id = ?");
  unlink.bind(1, id);
  if (auto st = done_or_error(db_, unlink.step(), "anonymise messages"); !st) return st.error();
  return existed;
}

Result<std::vector<CustomerRecord>> SqliteSession::list_customers(const std::string& after_id,
                                                                  const std::string& address, int limit) {
  auto s = address.empty()
               ? db_.prepare("SELECT id, doc, created_ms, updated_ms FROM customers WHERE id > ? ORDER BY id LIMIT ?")
               : db_.prepare(
                     "SELECT c.id, c.doc, c.created_ms, c.updated_ms FROM customer_addresses a "
                     "JOIN customers c ON c.id = a.customer_id WHERE a.address = ?3 AND c.id > ?1 ORDER BY c.id LIMIT ?2");
  s.bind(1, after_id).bind(2, limit);
  if (!address.empty()) s.bind(3, address);
  std::vector<CustomerRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_customer(s));
  if (rc != SQLITE_DONE) return db_.last_error("list customers");
  return out;
}

Result<std::vector<std::string>> SqliteSession::customers_with_address(const std::string& address) {
  auto s = db_.prepare("SELECT customer_id FROM customer_addresses WHERE address = ? ORDER BY customer_id LIMIT 1000");
  s.bind(1, address);
  std::vector<std::string> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
  if (rc != SQLITE_DONE) return db_.last_error("customers by address");
  return out;
}

Status SqliteSession::insert_consent_event(ConsentEventRecord& e) {
  auto s = db_.prepare(
      "INSERT INTO consent_events (customer_id, channel, purpose, granted, at, source, evidence, recorded_ms) "
      "VALUES (?,?,?,?,?,?,?,?)");
  s.bind(1, e.customer_id).bind(2, e.channel).bind(3, e.purpose).bind(4, e.granted).bind(5, e.at);
  s.bind(6, e.source).bind(7, e.evidence).bind(8, e.recorded_ms);
  if (auto st = done_or_error(db_, s.step(), "record consent"); !st) return st;
  e.id = db_.last_insert_rowid();
  return {};
}

Result<std::vector<ConsentEventRecord>> SqliteSession::list_consent_events(const std::string& customer_id, int limit) {
  auto s = db_.prepare(
      "SELECT id, customer_id, channel, purpose, granted, at, source, evidence, recorded_ms FROM consent_events "
      "WHERE customer_id = ? ORDER BY id LIMIT ?");
  s.bind(1, customer_id).bind(2, limit);
  std::vector<ConsentEventRecord> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    ConsentEventRecord e;
    e.id = s.int64(0);
    e.customer_id = s.text(1);
    e.channel = s.text(2);
    e.purpose = s.text(3);
    e.granted = s.int64(4) != 0;
    e.at = s.text(5);
    e.source = s.text(6);
    e.evidence = s.text(7);
    e.recorded_ms = s.int64(8);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return db_.last_error("list consent events");
  return out;
}

Result<bool> SqliteSession::reconfirm_notice_sent(const std::string& customer_id, const std::string& consent_at) {
  auto s = db_.prepare("SELECT 1 FROM reconfirm_notices WHERE customer_id = ? AND consent_at = ?");
  s.bind(1, customer_id).bind(2, consent_at);
  int rc = s.step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_.last_error("read re-confirmation notices");
}

Status SqliteSession::record_reconfirm_notice(const std::string& customer_id, const std::string& consent_at,
                                              const std::string& message_id, TimeMs now) {
  auto s = db_.prepare(
      "INSERT OR REPLACE INTO reconfirm_notices (customer_id, consent_at, message_id, sent_ms) VALUES (?, ?, ?, ?)");
  s.bind(1, customer_id).bind(2, consent_at).bind(3, message_id).bind(4, now);
  return done_or_error(db_, s.step(), "record re-confirmation notice");
}

Status SqliteSession::link_message_customer(const std::string& message_id, const std::string& customer_id) {
  auto s = db_.prepare("INSERT OR REPLACE INTO message_customers (message_id, customer_id) VALUES (?, ?)");
  s.bind(1, message_id).bind(2, customer_id);
  return done_or_error(db_, s.step(), "link message to customer");
}

}  // namespace jarip::store
