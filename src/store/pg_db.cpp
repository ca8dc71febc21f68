#include "store/pg_db.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace jarip::store {

PgParams& PgParams::add(std::string_view text) {
  values_.emplace_back(text);
  nulls_.push_back(false);
  return *this;
}

PgParams& PgParams::add(std::int64_t value) {
  values_.push_back(std::to_string(value));
  nulls_.push_back(false);
  return *this;
}

PgParams& PgParams::add(bool value) { return add(std::string_view(value ? "true" : "false")); }

PgParams& PgParams::add(double value) {
  char buf[64];
  // %.17g round-trips every double through text.
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return add(std::string_view(buf));
}

PgParams& PgParams::add_null() {
  values_.emplace_back();
  nulls_.push_back(true);
  return *this;
}

PgParams& PgParams::add_text_array(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) literal += ',';
    literal += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  return add(std::string_view(literal));
}

const char* const* PgParams::pointers() const {
  pointers_.resize(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) pointers_[i] = nulls_[i] ? nullptr : values_[i].c_str();
  return pointers_.data();
}

PgResult::PgResult(pg_result* result) : result_(result) {}
PgResult::PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}
PgResult::~PgResult() {
  if (result_) PQclear(result_);
}

int PgResult::rows() const { return result_ ? PQntuples(result_) : 0; }

std::int64_t PgResult::affected() const {
  if (!result_) return 0;
  const char* n = PQcmdTuples(result_);
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

bool PgResult::is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string_view PgResult::view(int row, int column) const {
  return std::string_view(PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

std::string PgResult::text(int row, int column) const { return std::string(view(row, column)); }

std::int64_t PgResult::int64(int row, int column) const {
  auto v = view(row, column);
  std::int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

double PgResult::real(int row, int column) const { return std::strtod(PQgetvalue(result_, row, column), nullptr); }

bool PgResult::boolean(int row, int column) const {
  auto v = view(row, column);
  return !v.empty() && (v[0] == 't' || v[0] == '1');
}

std::string_view PgResult::command_status() const {
  return result_ ? std::string_view(PQcmdStatus(result_)) : std::string_view();
}

PgConn::~PgConn() { close(); }

void PgConn::close() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  prepared_.clear();
  deferred_.clear();  // never sent on a later connection: they belonged to this one's transaction
  next_statement_ = 0;
}

Status PgConn::connect(const std::string& conninfo, int connect_timeout_s, int statement_timeout_ms) {
  close();
  std::string timeout = std::to_string(connect_timeout_s);
  std::string options = "-c statement_timeout=" + std::to_string(statement_timeout_ms) +
                        " -c idle_in_transaction_session_timeout=60000";
  // Defaults first: keys in the operator's URL (expanded from dbname) override them. Keepalives and
  // tcp_user_timeout notice a primary that vanished without closing its sockets (power loss, kill -9
  // of the machine) within seconds instead of the kernel's two hours.
  const char* keys[] = {"connect_timeout", "application_name", "options",  "keepalives",
                        "keepalives_idle", "keepalives_interval", "keepalives_count",
                        "tcp_user_timeout", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "jarip", options.c_str(), "1", "5", "2", "3", "10000",
                          conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    close();
    return make_error("storage_unavailable", "cannot connect to PostgreSQL: " + why);
  }
  // libpq prints NOTICEs (CREATE … IF NOT EXISTS skipping) to stderr; they are not errors and would
  // only break jarip's one-JSON-object-per-line log.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  return {};
}

bool PgConn::healthy() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

std::string PgConn::server() const {
  if (!conn_) return {};
  std::string host = PQhost(conn_) ? PQhost(conn_) : "";
  std::string port = PQport(conn_) ? PQport(conn_) : "";
  return host + ":" + port;
}

Error PgConn::error_from(pg_result* result, std::string_view what) const {
  std::string message = result ? PQresultErrorMessage(result) : (conn_ ? PQerrorMessage(conn_) : "not connected");
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  std::string text = std::string(what) + ": " + message;
  if (sqlstate == "23505") return make_error("conflict", text);
  // A lost connection, a server shutting down or in recovery, or a standby that refuses writes:
  // nothing was stored, and the caller should answer 503 and reconnect.
  if (!healthy() || sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03" || sqlstate == "25006" || sqlstate == "53300") {
    return make_error("storage_unavailable", text);
  }
  if (sqlstate == "40P01" || sqlstate == "40001" || sqlstate == "55P03") return make_error("storage_retry", text);
  if (sqlstate == "57014") return make_error("storage_timeout", text);
  return make_error("storage_error", text);
}

void PgConn::defer(std::string sql) {
  Deferred d;
  d.sql = std::move(sql);
  deferred_.push_back(std::move(d));
}

void PgConn::defer_command(const std::string& sql, const PgParams& params, const char* what) {
  Deferred d;
  d.sql = sql;
  d.params = params;
  d.command = true;
  d.what = what;
  deferred_.push_back(std::move(d));
}

bool PgConn::has_deferred_commands() const {
  for (const auto& d : deferred_) {
    if (d.command) return true;
  }
  return false;
}

void PgConn::discard_deferred_commands() {
  std::erase_if(deferred_, [](const Deferred& d) { return d.command; });
}

Status PgConn::flush() {
  if (deferred_.empty()) return {};
  if (!conn_) return make_error("storage_unavailable", "not connected to PostgreSQL");
  auto r = pipeline(nullptr, nullptr);
  if (!r) return r.error();
  return {};
}

// Pipeline mode (libpq 14+): every statement is queued, one Sync ends them, and the results come back
// in order, each followed by a null result. After a failed statement the server skips the rest up to
// the Sync (PGRES_PIPELINE_ABORTED); in an open transaction block that leaves the transaction aborted,
// exactly as the same statements sent one by one would.
Result<PgResult> PgConn::pipeline(const std::string* sql, const PgParams* params) {
  std::vector<Deferred> deferred;
  deferred.swap(deferred_);
  deferred_failed_ = false;
  struct Step {
    int deferred = -1;        // index into `deferred`, or -1 for the statement itself
    std::string prepare_sql;  // a Prepare (of this text, named prepare_name) rather than an execution
    std::string prepare_name;
  };
  std::vector<Step> steps;
  std::unordered_map<std::string, std::string> preparing;  // prepared within this pipeline
  bool sent = PQenterPipelineMode(conn_) == 1;
  auto send_prepared = [&](const std::string& text, const PgParams& p, int index) {
    std::string name;
    if (auto it = prepared_.find(text); it != prepared_.end()) {
      name = it->second;
    } else if (auto jt = preparing.find(text); jt != preparing.end()) {
      name = jt->second;
    } else {
      name = "j" + std::to_string(next_statement_++);
      preparing.emplace(text, name);
      sent = sent && PQsendPrepare(conn_, name.c_str(), text.c_str(), 0, nullptr) == 1;
      steps.push_back(Step{index, text, name});
    }
    sent = sent && PQsendQueryPrepared(conn_, name.c_str(), p.size(), p.pointers(), nullptr, nullptr, 0) == 1;
    steps.push_back(Step{index, {}, {}});
  };
  for (std::size_t i = 0; i < deferred.size(); ++i) {
    if (deferred[i].command) {
      send_prepared(deferred[i].sql, deferred[i].params, static_cast<int>(i));
    } else {
      sent = sent && PQsendQueryParams(conn_, deferred[i].sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
      steps.push_back(Step{static_cast<int>(i), {}, {}});
    }
  }
  if (sql && params) {
    send_prepared(*sql, *params, -1);
  } else if (sql) {
    sent = sent && PQsendQueryParams(conn_, sql->c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    steps.push_back(Step{-1, {}, {}});
  }
  sent = sent && PQpipelineSync(conn_) == 1;

  std::optional<Error> failure;
  pg_result* last = nullptr;
  bool in_step = sent;  // false once the results stop making sense (connection lost)
  for (std::size_t k = 0; in_step && k < steps.size(); ++k) {
    const Step& step = steps[k];
    pg_result* r = PQgetResult(conn_);
    if (!r) {
      in_step = false;
      break;
    }
    auto status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_ABORTED) {
      PQclear(r);  // skipped after an earlier failure
    } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (!failure) {
        if (step.deferred >= 0 && deferred[static_cast<std::size_t>(step.deferred)].command) {
          const Deferred& d = deferred[static_cast<std::size_t>(step.deferred)];
          failure = error_from(r, step.prepare_sql.empty() ? "query" : "prepare");
          failure->message = std::string(d.what) + ": " + failure->message;
        } else if (step.deferred >= 0) {
          failure = error_from(r, "deferred statement");
          deferred_failed_ = true;
        } else {
          failure = error_from(r, !step.prepare_sql.empty() ? "prepare" : (params ? "query" : "exec"));
        }
      }
      PQclear(r);
    } else if (!step.prepare_sql.empty()) {
      prepared_.emplace(step.prepare_sql, step.prepare_name);
      PQclear(r);
    } else if (step.deferred < 0) {
      last = r;
    } else {
      PQclear(r);
    }
    if (pg_result* extra = PQgetResult(conn_)) {  // the null result that ends each statement's results
      PQclear(extra);
      in_step = false;
    }
  }
  bool synced = false;
  if (in_step) {
    pg_result* r = PQgetResult(conn_);
    synced = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    if (r) PQclear(r);
  }
  if (!synced || PQexitPipelineMode(conn_) != 1) {
    // Lost mid-way, or results out of step: this connection cannot go on. Its owner reconnects.
    std::string why = failure ? failure->message : error_from(nullptr, "pipeline").message;
    if (last) PQclear(last);
    close();
    return make_error("storage_unavailable", why);
  }
  if (failure) {
    if (last) PQclear(last);
    return *failure;
  }
  return PgResult(last);
}

Result<PgResult> PgConn::exec_result(std::string_view sql) {
  if (!conn_) return make_error("storage_unavailable", "not connected to PostgreSQL");
  std::string text(sql);
  // With statements deferred, one pipeline (so `sql` must be one statement).
  if (!deferred_.empty()) return pipeline(&text, nullptr);
  // PQexec returns the last statement's result; a failing statement ends the string there and is
  // the one returned.
  pg_result* raw = PQexec(conn_, text.c_str());
  auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    Error e = error_from(raw, "exec");
    if (raw) PQclear(raw);
    return e;
  }
  return PgResult(raw);
}

Status PgConn::exec(std::string_view sql) {
  auto r = exec_result(sql);
  if (!r) return r.error();
  return {};
}

Status PgConn::commit() {
  auto r = exec_result("COMMIT");
  if (!r) return r.error();
  // COMMIT of a transaction that a failed statement aborted succeeds, with the tag ROLLBACK.
  if (r->command_status() != "COMMIT") {
    return make_error("storage_error", "COMMIT: the transaction had failed and was rolled back (" +
                                           std::string(r->command_status()) + ")");
  }
  return {};
}

Result<PgResult> PgConn::query(const std::string& sql, const PgParams& params) {
  if (!conn_) return make_error("storage_unavailable", "not connected to PostgreSQL");
  if (!deferred_.empty()) return pipeline(&sql, &params);
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "j" + std::to_string(next_statement_++);
    pg_result* prepared = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
    if (!prepared || PQresultStatus(prepared) != PGRES_COMMAND_OK) {
      Error e = error_from(prepared, "prepare");
      if (prepared) PQclear(prepared);
      return e;
    }
    PQclear(prepared);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  pg_result* raw = PQexecPrepared(conn_, it->second.c_str(), params.size(), params.pointers(), nullptr, nullptr, 0);
  auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    Error e = error_from(raw, "query");
    if (raw) PQclear(raw);
    return e;
  }
  return PgResult(raw);
}

Result<std::int64_t> PgConn::command(const std::string& sql, const PgParams& params) {
  auto r = query(sql, params);
  if (!r) return r.error();
  return r->affected();
}

std::string pg_quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace jarip::store
