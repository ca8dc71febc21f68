// SQLite-only storage tests: pragmas, the lock file, and migrations from older schema versions done
// with raw SQL. The StoreSession contract itself runs against both engines in store_contract_test.cpp
// and store_portal_contract_test.cpp.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <future>

#include "store/sqlite_schema.hpp"
#include "store/store.hpp"

namespace jarip::store {
namespace {

std::string temp_db(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("jarip-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  return path.string();
}

SqliteOptions at(const std::string& path) {
  SqliteOptions options;
  options.path = path;
  return options;
}

MessageRecord sample(const std::string& id, TimeMs due) {
  MessageRecord m;
  m.id = id;
  m.api_key_id = "k1";
  m.created_ms = m.updated_ms = due;
  m.recipient_json = R"({"phone":"01012345678"})";
  m.phone = "01012345678";
  m.rendered_json = "{}";
  m.chain_json = R"(["sms@nhn"])";
  m.metadata_json = "{}";
  m.due_ms = due;
  return m;
}

Status write_sync(Store& store, Store::WriteOp op) {
  std::promise<Status> p;
  store.write(std::move(op), [&](Status s) { p.set_value(std::move(s)); });
  return p.get_future().get();
}

TEST(SqliteStore, RunsWalWithSynchronousFull) {
  auto store = open_sqlite_store(at(temp_db("pragmas.db")));
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto pragmas = read_sqlite_pragmas(**store);
  ASSERT_TRUE(pragmas.ok());
  EXPECT_EQ(pragmas->journal_mode, "wal");
  EXPECT_EQ(pragmas->synchronous, 2);  // FULL
}

TEST(SqliteStore, SecondProcessOnSameFileIsRefused) {
  auto path = temp_db("lock.db");
  auto first = open_sqlite_store(at(path));
  ASSERT_TRUE(first.ok());
  auto second = open_sqlite_store(at(path));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "storage_locked");
}

// Migration 3 replaces two indexes; a database at version 2 must come up with the new ones.
TEST(SqliteStore, MigratesVersionTwoIndexes) {
  auto path = temp_db("migrate.db");
  {
    auto store = open_sqlite_store(at(path));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(write_sync(**store, [](StoreSession& s) { return s.insert_message(sample("kept", 1)); }));
  }
  {  // back to version 2's indexes
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* sql =
        "DROP INDEX messages_due; DROP INDEX messages_purgeable;"
        "CREATE INDEX messages_due ON messages(due_ms) WHERE state IN ('accepted', 'held', 'sending');"
        "CREATE INDEX messages_updated ON messages(updated_ms);"
        "DROP TABLE customers; DROP TABLE customer_addresses; DROP TABLE consent_events;"
        "DROP TABLE message_customers;"  // version 4's, so that 3 and 4 run again
        "DROP TABLE inbox_reads; DROP TABLE short_links;"  // and version 5's
        "DROP TABLE reconfirm_notices;"  // and version 6's
        "DELETE FROM schema_version WHERE version >= 3;";
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  {
    auto store = open_sqlite_store(at(path));
    ASSERT_TRUE(store.ok()) << store.error().message;
    std::vector<MessageRecord> due;
    ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
      due = *s.claim_due("n", 10, 20, 10);
      return {};
    }));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].id, "kept");
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE "
                                   "type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL ORDER BY name)",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))),
            "messages_created,messages_due,messages_leased,messages_phone,messages_purgeable,messages_report_deadline,"
            "messages_template");
  sqlite3_finalize(st);
  sqlite3_close(db);
}


// A database at version 4 gains migration 5's tables and keeps its rows.
TEST(SqliteStore, MigratesVersionFourDatabase) {
  auto path = temp_db("migrate4.db");
  {
    auto store = open_sqlite_store(at(path));
    ASSERT_TRUE(store.ok()) << store.error().message;
    MessageRecord m = sample("kept", 1000);
    m.state = kStateDelivered;
    m.recipient_json = R"({"customer_id":"c-1"})";
    ASSERT_TRUE((*store)->run_now([&](StoreSession& s) -> Status {
      if (auto st = s.insert_message(m); !st) return st;
      return s.link_message_customer("kept", "c-1");
    }));
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* sql = "DROP TABLE inbox_reads; DROP TABLE short_links; DROP TABLE reconfirm_notices; DELETE FROM schema_version WHERE version >= 5;";
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(at(path));
  ASSERT_TRUE(store.ok()) << store.error().message;
  std::vector<InboxItem> items;
  std::int64_t unread = -1;
  ASSERT_TRUE((*store)->run_now([&](StoreSession& s) -> Status {
    auto r = s.list_customer_messages("c-1", 0, "", 10);
    if (!r) return r.error();
    items = *r;
    if (auto m = s.mark_all_read("c-1", 2000); !m) return m.error();
    if (auto st = s.insert_short_link(ShortLinkRecord{"Abcdefg", "kept", "https://x.example.kr/long", 1, 0, 0}); !st)
      return st;
    auto n = s.count_unread("c-1");
    if (!n) return n.error();
    unread = *n;
    return {};
  }));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].message.id, "kept");
  EXPECT_EQ(unread, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT (SELECT MAX(version) FROM schema_version), (SELECT COUNT(*) FROM sqlite_master "
                               "WHERE type = 'index' AND name IN ('short_links_by_message', 'inbox_reads_by_customer'))",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), sqlite_schema_version());
  EXPECT_EQ(sqlite3_column_int(st, 1), 2);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

}  // namespace
}  // namespace jarip::store
