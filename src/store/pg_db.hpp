// A thin libpq connection: text parameters, statements prepared once per connection, results as
// RAII values, and SQLSTATEs mapped onto jarip's error codes. Internal to store/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"

struct pg_conn;
struct pg_result;

namespace jarip::store {

// Parameters in libpq's text format. Integers are sent as decimal text, booleans as "true"/"false";
// PostgreSQL casts them to each placeholder's column type.
class PgParams {
 public:
  PgParams& add(std::string_view text);
  PgParams& add(const char* text) { return add(std::string_view(text)); }
  PgParams& add(const std::string& text) { return add(std::string_view(text)); }
  PgParams& add(std::int64_t value);
  PgParams& add(int value) { return add(static_cast<std::int64_t>(value)); }
  PgParams& add(bool value);
  PgParams& add(double value);
  PgParams& add_null();
  // A text[] literal ({"a","b"}) for `= ANY($n::text[])`.
  PgParams& add_text_array(const std::vector<std::string>& values);

  int size() const { return static_cast<int>(values_.size()); }
  // For libpq: pointers into values_ (nullptr for NULL). Valid until the next add().
  const char* const* pointers() const;

 private:
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  mutable std::vector<const char*> pointers_;
};

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* result);
  PgResult(PgResult&&) noexcept;
  PgResult& operator=(PgResult&&) noexcept;
  ~PgResult();

  int rows() const;
  // Rows changed by INSERT/UPDATE/DELETE (PQcmdTuples).
  std::int64_t affected() const;
  bool is_null(int row, int column) const;
  std::string text(int row, int column) const;
  std::string_view view(int row, int column) const;
  std::int64_t int64(int row, int column) const;
  double real(int row, int column) const;
  bool boolean(int row, int column) const;  // PostgreSQL's 't'/'f'
  // The command tag ("INSERT 0 1", "COMMIT", and "ROLLBACK" for a COMMIT of a failed transaction).
  std::string_view command_status() const;

 private:
  pg_result* result_ = nullptr;
};

// One connection. Not thread-safe: used only by the thread that owns it.
class PgConn {
 public:
  PgConn() = default;
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // conninfo: a libpq URI or key=value string, multi-host allowed (postgresql://a:5432,b:5432/db?
  // target_session_attrs=read-write follows a promoted replica). connect_timeout_s bounds each host's
  // attempt; statement_timeout_ms bounds every statement (0 = none). A previous connection is closed.
  // Errors: storage_unavailable.
  Status connect(const std::string& conninfo, int connect_timeout_s, int statement_timeout_ms);
  void close();
  // False after a connection-level failure: the owner should reconnect.
  bool healthy() const;
  // The server this connection reached, "host:port", for logs (never the password).
  std::string server() const;

  // Simple-query protocol: no parameters, may hold several statements (migrations, BEGIN/COMMIT).
  Status exec(std::string_view sql);
  // Extended protocol with parameters; the statement is prepared on first use and reused after.
  // Errors: conflict (unique violation), storage_unavailable (connection lost, server shutting down,
  // read-only server), storage_retry (deadlock, serialization failure, lock timeout), storage_error.
  Result<PgResult> query(const std::string& sql, const PgParams& params = {});
  // The same for a statement that returns no rows; the number of rows it changed.
  Result<std::int64_t> command(const std::string& sql, const PgParams& params = {});

  // A statement without parameters or rows (BEGIN, SAVEPOINT, RELEASE SAVEPOINT) that need not cost a
  // round trip of its own: it is sent with the next statement on this connection (query, command,
  // exec or flush), in one pipeline ahead of it, and runs first. If a deferred statement fails,
  // nothing after it runs: that next statement fails with the deferred one's error, and
  // deferred_failed() is true until the next deferred statements are sent. exec() of several
  // statements at once is refused while statements are deferred.
  void defer(std::string sql);
  bool deferred_failed() const { return deferred_failed_; }
  // An operation's statement whose rows and row count nobody needs (an upsert, an UPDATE that fails
  // only by an error), deferred the same way: it goes out with the next statement or with flush(), and
  // its error, prefixed with `what`, is that statement's error (deferred_failed() stays false: the
  // operation failed, not the transaction's control statements).
  void defer_command(const std::string& sql, const PgParams& params, const char* what);
  bool has_deferred_commands() const;
  // Sends whatever is deferred (one round trip; none when nothing is): the first failure.
  Status flush();
  // Forgets deferred statements not sent yet: every one (before a ROLLBACK of the whole transaction),
  // or only the commands (their operation is being rolled back to its savepoint).
  void discard_deferred() { deferred_.clear(); }
  void discard_deferred_commands();
  // COMMIT (with whatever is deferred); an error also when PostgreSQL rolled back instead, as it does
  // for a transaction a failed statement left aborted.
  Status commit();

 private:
  struct Deferred {
    std::string sql;
    PgParams params;
    bool command = false;  // defer_command (prepared, with parameters) rather than defer
    const char* what = "";
  };
  Error error_from(pg_result* result, std::string_view what) const;
  // Sends deferred_, then (unless sql is null) the statement: prepared, with params, or as it is when
  // params is null. One round trip; the statement's result.
  Result<PgResult> pipeline(const std::string* sql, const PgParams* params);
  Result<PgResult> exec_result(std::string_view sql);
  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text → statement name
  std::uint64_t next_statement_ = 0;                       // names j0, j1, … on this connection
  std::vector<Deferred> deferred_;
  bool deferred_failed_ = false;
};

// Quotes an identifier or literal built from trusted parts (partition names, migration text).
std::string pg_quote_literal(std::string_view text);

}  // namespace jarip::store
