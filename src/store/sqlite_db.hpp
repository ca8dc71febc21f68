// A thin SQLite connection with a prepared-statement cache. Internal to store/.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"

namespace jarip::store {

class SqliteStatement {
 public:
  explicit SqliteStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  // Every user binds every parameter before each step, so bindings are not cleared here.
  ~SqliteStatement() { sqlite3_reset(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  SqliteStatement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  SqliteStatement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  SqliteStatement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  SqliteStatement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  SqliteStatement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value)); }
  SqliteStatement& bind(int index, double value) {
    sqlite3_bind_double(stmt_, index, value);
    return *this;
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }

  // Compare a column of the current row with a value without copying it.
  bool text_equals(int column, const std::string& value) const {
    auto* p = sqlite3_column_text(stmt_, column);
    auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
    return n == value.size() && (n == 0 || std::memcmp(p, value.data(), n) == 0);
  }

  std::string text(int column) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
  }
  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }

 private:
  sqlite3_stmt* stmt_;
};

class SqliteDb;

// A statement's step that should have finished: ok for SQLITE_DONE, Error "conflict" for a constraint
// violation, else the connection's error for `what`.
Status done_or_error(SqliteDb& db, int rc, const char* what);

class SqliteDb {
 public:
  SqliteDb() = default;
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status open(const std::string& path, const std::string& vfs, bool read_only);
  Status exec(std::string_view sql);
  // Returns a cached prepared statement; aborts on SQL that does not compile (a programming error).
  SqliteStatement prepare(const std::string& sql);
  // The same, cached under the string's address: for SQL held in a static std::string, so that
  // the hot statements cost a pointer lookup instead of hashing their text on every call.
  SqliteStatement prepare_static(const std::string& sql);
  // The same, cached under a caller-chosen key; make_sql runs only the first time.
  SqliteStatement prepare_keyed(std::uint64_t key, const std::function<std::string()>& make_sql);
  Error last_error(std::string_view what) const;
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* compile(const std::string& sql);
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  std::unordered_map<const std::string*, sqlite3_stmt*> by_address_;  // values also in statements_
  std::unordered_map<std::uint64_t, sqlite3_stmt*> by_key_;           // values also in statements_
};

}  // namespace jarip::store
