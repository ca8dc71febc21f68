// The console's message search (StoreSession::search_messages, MessageQuery) on PostgreSQL, as
// store/sqlite_messages_search.cpp, over the same indexes (migration 2).
//
// Time bounds also bound part_ms, so that only the partitions that can hold matching messages are
// read. That rests on part_ms being the time in the id, which jarip takes from the same clock
// reading as created_ms (notify/compose.cpp: both are the acceptance time); ids of another form have
// part_ms 0 and stay in every search (the default partition).
#include "store/console_detail.hpp"
#include "store/pg_schema.hpp"
#include "store/pg_session.hpp"
#include "store/pg_session_detail.hpp"

namespace jarip::store {

using pg_session_detail::fail;

namespace {

// Parameters numbered as they are added: PostgreSQL must be able to type every $n it is sent, so
// the filters not given take no number.
class Args {
 public:
  std::string add(const std::string& text) {
    params_.add(text);
    return next();
  }
  std::string add(std::int64_t value) {
    params_.add(value);
    return next() + "::bigint";
  }
  const PgParams& params() const { return params_; }

 private:
  std::string next() { return "$" + std::to_string(params_.size()); }
  PgParams params_;
};

}  // namespace

Result<std::vector<MessageRecord>> PgSession::search_messages(const MessageQuery& q) {
  // Only the filters given are in the SQL, so that the planner (and partition pruning, which happens
  // at execution for a prepared statement's parameters) sees what each search can use. Statements
  // are prepared once per shape: a few dozen at most.
  Args a;
  std::string where = "true";
  if (!q.id.empty()) {
    std::string id = a.add(q.id);
    where += " AND id = " + id + " AND part_ms = " + a.add(pg_message_part_ms(q.id));
  }
  if (!q.recipient.empty()) {
    // The partial indexes' predicates are repeated, so that the planner may use them.
    if (console_detail::is_email_recipient(q.recipient)) {
      where += " AND strpos(recipient_json, " + a.add(console_detail::email_needle(q.recipient)) + ") > 0";
    } else {
      where += " AND phone = " + a.add(q.recipient) + " AND phone <> ''";
    }
  }
  if (!q.template_name.empty()) where += " AND template_name = " + a.add(q.template_name) + " AND template_name <> ''";
  if (!q.state.empty()) where += " AND state = " + a.add(q.state);
  if (q.created_from_ms > 0) {
    std::string from = a.add(q.created_from_ms);
    where += " AND created_ms >= " + from + " AND (part_ms = 0 OR part_ms >= " + from + ")";
  }
  if (q.created_to_ms > 0) {
    std::string to = a.add(q.created_to_ms);
    where += " AND created_ms < " + to + " AND part_ms < " + to;
  }
  if (q.before_created_ms > 0) {
    // Ids compare in byte order, as SQLite's: the cursor is the same for both engines.
    std::string before = a.add(q.before_created_ms);
    std::string before_id = a.add(q.before_id);
    where += " AND created_ms <= " + before + " AND part_ms <= " + before + " AND (created_ms < " + before +
             " OR id COLLATE \"C\" < " + before_id + "::text COLLATE \"C\")";
  }
  std::string limit = a.add(static_cast<std::int64_t>(console_detail::clamp_search_limit(q.limit)));
  std::string sql = "SELECT " + pg_session_detail::message_columns("") + " FROM messages WHERE " + where +
                    " ORDER BY created_ms DESC, id COLLATE \"C\" DESC LIMIT " + limit;
  auto r = db_.query(sql, a.params());
  if (!r) return fail(r.error(), "search messages");
  std::vector<MessageRecord> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(pg_session_detail::read_message(*r, i, 0));
  return out;
}

}  // namespace jarip::store
