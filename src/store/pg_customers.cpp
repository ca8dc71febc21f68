// The customer directory's tables on PostgreSQL: customers, their indexed addresses, the consent
// history, and which customer each message was addressed to (as store/sqlite_customers.cpp).
#include "store/pg_session.hpp"
#include "store/pg_session_detail.hpp"

namespace jarip::store {

using pg_session_detail::add_limit;
using pg_session_detail::fail;

namespace {

CustomerRecord read_customer(const PgResult& r, int i) {
  CustomerRecord c;
  c.id = r.text(i, 0);
  c.doc_json = r.text(i, 1);
  c.created_ms = r.int64(i, 2);
  c.updated_ms = r.int64(i, 3);
  return c;
}

Status done(const Result<std::int64_t>& r, const char* what) {
  if (!r) return fail(r.error(), what);
  return {};
}

}  // namespace

Result<bool> PgSession::has_opt_out(const std::string& phone) {
  static const std::string sql = "SELECT 1 FROM opt_outs WHERE phone = $1 LIMIT 1";
  auto r = db_.query(sql, PgParams().add(phone));
  if (!r) return fail(r.error(), "look up opt-out");
  return r->rows() > 0;
}

Status PgSession::put_customer(const CustomerRecord& c) {
  // created_ms stays as first stored; the addresses are indexed again from scratch.
  static const std::string upsert =
      "INSERT INTO customers (id, doc, created_ms, updated_ms) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc, updated_ms = EXCLUDED.updated_ms";
  static const std::string clear = "DELETE FROM customer_addresses WHERE customer_id = $1";
  static const std::string index =
      "INSERT INTO customer_addresses (address, customer_id) SELECT a, $2 FROM unnest($1::text[]) AS a "
      "ON CONFLICT DO NOTHING";
  if (auto st = done(db_.command(upsert, PgParams().add(c.id).add(c.doc_json).add(c.created_ms).add(c.updated_ms)),
                     "put customer");
      !st) {
    return st;
  }
  if (auto st = done(db_.command(clear, PgParams().add(c.id)), "re-index customer"); !st) return st;
  if (c.addresses.empty()) return {};
  return done(db_.command(index, PgParams().add_text_array(c.addresses).add(c.id)), "index customer address");
}

Result<std::optional<CustomerRecord>> PgSession::get_customer(const std::string& id) {
  static const std::string sql = "SELECT id, doc, created_ms, updated_ms FROM customers WHERE id = $1";
  auto r = db_.query(sql, PgParams().add(id));
  if (!r) return fail(r.error(), "get customer");
  if (r->rows() == 0) return std::optional<CustomerRecord>();
  return std::optional<CustomerRecord>(read_customer(*r, 0));
}

Result<bool> PgSession::erase_customer(const std::string& id, TimeMs now) {
  static const std::string del = "DELETE FROM customers WHERE id = $1";
  static const std::string side[] = {"DELETE FROM customer_addresses WHERE customer_id = $1",
                                     "DELETE FROM consent_events WHERE customer_id = $1",
                                     "DELETE FROM inbox_reads WHERE customer_id = $1",
                                     "DELETE FROM reconfirm_notices WHERE customer_id = $1"};
  // The messages stay (the merchant's record of what was sent and when) without who received them
  // or what they said. message_customers has no part_ms: each partition is searched by id.
  static const std::string anon =
      "UPDATE messages SET recipient_json = '{\"customer_id\":\"(erased)\"}', phone = '', rendered_json = '{}', "
      "metadata_json = '{}', body_purged = true, updated_ms = $2 "
      "WHERE id IN (SELECT message_id FROM message_customers WHERE customer_id = $1)";
  static const std::string unlink = "UPDATE message_customers SET customer_id = '' WHERE customer_id = $1";
  auto n = db_.command(del, PgParams().add(id));
  if (!n) return fail(n.error(), "erase customer");
  bool existed = *n > 0;
  for (const auto& sql : side) {
    if (auto st = done(db_.command(sql, PgParams().add(id)), "erase customer"); !st) return st.error();
  }
  if (auto st = done(db_.command(anon, PgParams().add(id).add(now)), "anonymise messages"); !st) return st.error();
  if (auto st = done(db_.command(unlink, PgParams().add(id)), "anonymise messages"); !st) return st.error();
  return existed;
}

Result<std::vector<CustomerRecord>> PgSession::list_customers(const std::string& after_id, const std::string& address,
                                                              int limit) {
  // Plain ORDER BY id, so the primary key serves the page: byte order (SQLite's) when customers.id
  // uses the C collation (the database's or the column's).
  static const std::string all =
      "SELECT id, doc, created_ms, updated_ms FROM customers WHERE id > $1 ORDER BY id LIMIT $2";
  static const std::string by_address =
      "SELECT c.id, c.doc, c.created_ms, c.updated_ms FROM customer_addresses a "
      "JOIN customers c ON c.id = a.customer_id WHERE a.address = $3 AND c.id > $1 ORDER BY c.id LIMIT $2";
  PgParams p;
  add_limit(p.add(after_id), limit);
  if (!address.empty()) p.add(address);
  auto r = db_.query(address.empty() ? all : by_address, p);
  if (!r) return fail(r.error(), "list customers");
  std::vector<CustomerRecord> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_customer(*r, i));
  return out;
}

Result<std::vector<std::string>> PgSession::customers_with_address(const std::string& address) {
  static const std::string sql =
      "SELECT customer_id FROM customer_addresses WHERE address = $1 ORDER BY customer_id COLLATE \"C\" LIMIT 1000";
  auto r = db_.query(sql, PgParams().add(address));
  if (!r) return fail(r.error(), "customers by address");
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->text(i, 0));
  return out;
}

Status PgSession::insert_consent_event(ConsentEventRecord& e) {
  static const std::string sql =
      "INSERT INTO consent_events (customer_id, channel, purpose, granted, at, source, evidence, recorded_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
  PgParams p;
  p.add(e.customer_id).add(e.channel).add(e.purpose).add(e.granted).add(e.at);
  p.add(e.source).add(e.evidence).add(e.recorded_ms);
  auto r = db_.query(sql, p);
  if (!r) return fail(r.error(), "record consent");
  e.id = r->int64(0, 0);
  return {};
}

Result<std::vector<ConsentEventRecord>> PgSession::list_consent_events(const std::string& customer_id, int limit) {
  static const std::string sql =
      "SELECT id, customer_id, channel, purpose, granted, at, source, evidence, recorded_ms FROM consent_events "
      "WHERE customer_id = $1 ORDER BY id LIMIT $2";
  auto r = db_.query(sql, add_limit(PgParams().add(customer_id), limit));
  if (!r) return fail(r.error(), "list consent events");
  std::vector<ConsentEventRecord> out;
  for (int i = 0; i < r->rows(); ++i) {
    ConsentEventRecord e;
    e.id = r->int64(i, 0);
    e.customer_id = r->text(i, 1);
    e.channel = r->text(i, 2);
    e.purpose = r->text(i, 3);
    e.granted = r->boolean(i, 4);
    e.at = r->text(i, 5);
    e.source = r->text(i, 6);
    e.evidence = r->text(i, 7);
    e.recorded_ms = r->int64(i, 8);
    out.push_back(std::move(e));
  }
  return out;
}

Result<bool> PgSession::reconfirm_notice_sent(const std::string& customer_id, const std::string& consent_at) {
  static const std::string sql = "SELECT 1 FROM reconfirm_notices WHERE customer_id = $1 AND consent_at = $2";
  auto r = db_.query(sql, PgParams().add(customer_id).add(consent_at));
  if (!r) return fail(r.error(), "read re-confirmation notices");
  return r->rows() > 0;
}

Status PgSession::record_reconfirm_notice(const std::string& customer_id, const std::string& consent_at,
                                          const std::string& message_id, TimeMs now) {
  static const std::string sql =
      "INSERT INTO reconfirm_notices (customer_id, consent_at, message_id, sent_ms) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (customer_id, consent_at) DO UPDATE SET message_id = EXCLUDED.message_id, sent_ms = EXCLUDED.sent_ms";
  return done(db_.command(sql, PgParams().add(customer_id).add(consent_at).add(message_id).add(now)),
              "record re-confirmation notice");
}

Status PgSession::link_message_customer(const std::string& message_id, const std::string& customer_id) {
  static const std::string sql =
      "INSERT INTO message_customers (message_id, customer_id) VALUES ($1, $2) "
      "ON CONFLICT (message_id) DO UPDATE SET customer_id = EXCLUDED.customer_id";
  return done(db_.command(sql, PgParams().add(message_id).add(customer_id)), "link message to customer");
}

}  // namespace jarip::store
