// A private PostgreSQL for the unit tests, and the store fixture that runs one test suite against
// both storage engines.
//
// PgTestServer::instance() starts, on first use, one PostgreSQL server per test process: initdb into
// a temporary directory (run as user postgres when the tests run as root: initdb and pg_ctl refuse
// root), listening on a free loopback port only, fsync on. Each test takes a new database of its
// own: empty (fresh_database()), or one for a store to open, usually migrated already
// (store_database()). The server is stopped and its directory deleted when the process exits; a
// watchdog process does the same if the test process dies without exiting (crash, kill -9, timeout).
//
// initdb takes about a second, and ctest runs each test in its own process, so the initdb'd data
// directory is cached beside the test binary (pg-test-cache/) and copied for later processes.
//
// The binaries are found with `pg_config --bindir`, else in /usr/lib/postgresql/15/bin
// (JARIP_TEST_PG_BINDIR=/path/bin overrides both). Without them available() is false, and
// JARIP_REQUIRE_POSTGRES() fails the test with the reason, or skips it when the environment has
// JARIP_TEST_NO_POSTGRES=1. CI installs PostgreSQL: a missing server is an error by default, never a
// silent skip.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "store/store.hpp"

namespace jarip::test {

class PgTestServer {
 public:
  // Starts the server on first call (thread-safe); never throws.
  static PgTestServer& instance();

  bool available() const { return available_; }
  // Why the server is not available (empty when it is).
  const std::string& reason() const { return reason_; }
  int port() const { return port_; }
  // postgresql://postgres@127.0.0.1:PORT/<database>
  std::string url(const std::string& database) const;

  // Creates a new empty database and returns its URL. Empty string (and a gtest failure) when the
  // server is unavailable or CREATE DATABASE fails. Databases are not dropped (DROP DATABASE costs as
  // much as a test): they go with the server at exit.
  std::string fresh_database();
  // A new database without rows for open_postgres_store: from the second call on, a copy of one that
  // open_postgres_store migrated once per process (cheaper than migrating again for every test); the
  // first call returns an empty one, which the store migrates. For tests of the stored rows, not of
  // migrations (those take fresh_database()).
  std::string store_database();

  // True when JARIP_TEST_NO_POSTGRES=1: tests may skip instead of failing without a server.
  static bool skip_allowed();

  // Stops the server and removes its directory (also done at exit).
  void shutdown();

 private:
  PgTestServer() = default;
  void start();
  void start_watchdog();
  std::string create_database(const std::string& template_name);

  bool available_ = false;
  std::string reason_;
  int port_ = 0;
  std::string bindir_;
  std::string dir_;   // temporary directory: data/, the socket, server.log
  std::string data_;  // dir_/data
  bool as_postgres_ = false;  // run initdb/pg_ctl through runuser -u postgres
  int watchdog_fd_ = -1;      // write end of the watchdog's pipe
  int owner_pid_ = 0;         // the process that started the server (not a forked child)
  int next_db_ = 0;
  std::mutex mutex_;
  std::mutex template_mutex_;
  int store_databases_ = 0;     // store_database() calls
  std::string template_name_;   // the migrated database copied by store_database()
  std::string template_error_;  // why it could not be made
};

}  // namespace jarip::test

// In a test body or SetUp(): fails the test when no PostgreSQL server could be started (with the
// reason), or skips it when JARIP_TEST_NO_POSTGRES=1.
#define JARIP_REQUIRE_POSTGRES()                                                                        \
  do {                                                                                                  \
    auto& jarip_pg_server_ = ::jarip::test::PgTestServer::instance();                                  \
    if (!jarip_pg_server_.available()) {                                                                \
      if (::jarip::test::PgTestServer::skip_allowed()) {                                                \
        GTEST_SKIP() << "PostgreSQL unavailable, skipped (JARIP_TEST_NO_POSTGRES=1): "                  \
                     << jarip_pg_server_.reason();                                                      \
      }                                                                                                 \
      FAIL() << "PostgreSQL unavailable: " << jarip_pg_server_.reason()                                 \
             << " (install PostgreSQL 15, or set JARIP_TEST_NO_POSTGRES=1 to skip these tests)";        \
    }                                                                                                   \
  } while (0)

namespace jarip::test {

enum class Engine { kSqlite, kPostgres };

// For gtest's messages and test listing ("GetParam() = Postgres").
inline void PrintTo(Engine engine, std::ostream* os) { *os << (engine == Engine::kSqlite ? "Sqlite" : "Postgres"); }

// "Sqlite" / "Postgres", for INSTANTIATE_TEST_SUITE_P's names.
std::string engine_test_name(const ::testing::TestParamInfo<Engine>& info);

// A fixture base for tests that run against both engines: SetUp() opens a fresh, empty store of
// GetParam()'s engine (a new SQLite file, or a new PostgreSQL database: store_database()), and
// TearDown() stops it (and deletes the SQLite file).
class StoreEngineTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Stops the store and opens it again on the same database (migrations run again).
  void reopen();
  // Stops the store (keeps the database).
  void close_store();
  // Opens the store on the current database.
  void open_store();

  Engine engine() const { return GetParam(); }
  store::Store& store() { return *store_; }
  Status run(const store::Store::WriteOp& op) { return store_->run_now(op); }
  // The first column of the first row of `sql` run directly on the database, as text ("" for NULL
  // or no row). The SQL must be valid in both SQLite and PostgreSQL.
  std::string raw_scalar(const std::string& sql);

  std::unique_ptr<store::Store> store_;
  std::string sqlite_path_;  // SQLite
  std::string pg_url_;       // PostgreSQL
};

}  // namespace jarip::test
