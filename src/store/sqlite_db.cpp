#include "store/sqlite_db.hpp"

#include <cstdio>
#include <cstdlib>

namespace jarip::store {

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  if (db_) sqlite3_close_v2(db_);
}

Status SqliteDb::open(const std::string& path, const std::string& vfs, bool read_only) {
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;  // each connection is used by one thread only
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    Error e = make_error("storage_open_failed",
                         "cannot open database '" + path + "': " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
    if (db_) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
    }
    return e;
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
  return {};
}

Status SqliteDb::exec(std::string_view sql) {
  char* message = nullptr;
  std::string copy(sql);
  if (sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return make_error("storage_error", text);
  }
  return {};
}

sqlite3_stmt* SqliteDb::compile(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                           nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "jarip: invalid SQL (%s): %s\n", sqlite3_errmsg(db_), sql.c_str());
      std::abort();
    }
    it = statements_.emplace(sql, stmt).first;
  }
  return it->second;
}

SqliteStatement SqliteDb::prepare(const std::string& sql) { return SqliteStatement(compile(sql)); }

SqliteStatement SqliteDb::prepare_static(const std::string& sql) {
  auto it = by_address_.find(&sql);
  if (it == by_address_.end()) it = by_address_.emplace(&sql, compile(sql)).first;
  return SqliteStatement(it->second);
}

SqliteStatement SqliteDb::prepare_keyed(std::uint64_t key, const std::function<std::string()>& make_sql) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) it = by_key_.emplace(key, compile(make_sql())).first;
  return SqliteStatement(it->second);
}

Error SqliteDb::last_error(std::string_view what) const {
  return make_error("storage_error", std::string(what) + ": " + sqlite3_errmsg(db_));
}

Status done_or_error(SqliteDb& db, int rc, const char* what) {
  if (rc == SQLITE_DONE) return {};
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return make_error("conflict", std::string(what) + ": already exists");
  return db.last_error(what);
}

}  // namespace jarip::store
