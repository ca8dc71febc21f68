#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <future>
#include <set>

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
  auto store = open_sqlite_store({temp_db("pragmas.db")});
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto pragmas = read_sqlite_pragmas(**store);
  ASSERT_TRUE(pragmas.ok());
  EXPECT_EQ(pragmas->journal_mode, "wal");
  EXPECT_EQ(pragmas->synchronous, 2);  // FULL
}

TEST(SqliteStore, SecondProcessOnSameFileIsRefused) {
  auto path = temp_db("lock.db");
  auto first = open_sqlite_store({path});
  ASSERT_TRUE(first.ok());
  auto second = open_sqlite_store({path});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "storage_locked");
}

TEST(SqliteStore, GroupCommitIsolatesAFailingOperation) {
  auto store = open_sqlite_store({temp_db("group.db")});
  ASSERT_TRUE(store.ok());
  std::vector<std::promise<Status>> done(3);
  (*store)->write([](StoreSession& s) { return s.insert_message(sample("a", 1)); },
                  [&](Status s) { done[0].set_value(s); });
  (*store)->write([](StoreSession& s) { return s.insert_message(sample("a", 1)); },  // duplicate id
                  [&](Status s) { done[1].set_value(s); });
  (*store)->write([](StoreSession& s) { return s.insert_message(sample("b", 1)); },
                  [&](Status s) { done[2].set_value(s); });
  EXPECT_TRUE(done[0].get_future().get().ok());
  auto dup = done[1].get_future().get();
  EXPECT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "conflict");
  EXPECT_TRUE(done[2].get_future().get().ok());
  std::optional<MessageRecord> a, b;
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
    a = *s.get_message("a");
    b = *s.get_message("b");
    return {};
  }));
  EXPECT_TRUE(a.has_value());
  EXPECT_TRUE(b.has_value());
}

TEST(SqliteStore, ClaimLeasesDueMessagesOnce) {
  auto store = open_sqlite_store({temp_db("claim.db")});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(write_sync(**store, [](StoreSession& s) -> Status {
    for (int i = 0; i < 5; ++i) {
      if (auto st = s.insert_message(sample("m" + std::to_string(i), 100 + i)); !st) return st;
    }
    return s.insert_message(sample("later", 10'000));
  }));
  std::vector<MessageRecord> first, second, third;
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
    first = *s.claim_due("node-a", 1000, 5000, 3);
    second = *s.claim_due("node-b", 1000, 5000, 10);
    return {};
  }));
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(second.size(), 2u);  // the rest of the due ones; "later" is not due
  for (auto& m : second) EXPECT_EQ(m.lease_owner, "node-b");
  // Leases expire: at t=6000 node-c takes everything that is still due.
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
    third = *s.claim_due("node-c", 6000, 9000, 100);
    return {};
  }));
  EXPECT_EQ(third.size(), 5u);
}

TEST(SqliteStore, IdempotencyKeysArePerApiKey) {
  auto store = open_sqlite_store({temp_db("idem.db")});
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(write_sync(**store, [](StoreSession& s) {
    return s.put_idempotency(IdempotencyRecord{"k1", "abc", "h", 202, "{}", 5});
  }));
  auto again = write_sync(**store, [](StoreSession& s) {
    return s.put_idempotency(IdempotencyRecord{"k1", "abc", "h2", 202, "{}", 6});
  });
  EXPECT_FALSE(again.ok());
  EXPECT_TRUE(write_sync(**store, [](StoreSession& s) {
    return s.put_idempotency(IdempotencyRecord{"k2", "abc", "h", 202, "{}", 6});
  }));
}


void expect_same(const MessageRecord& a, const MessageRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.api_key_id, b.api_key_id);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.recipient_json, b.recipient_json);
  EXPECT_EQ(a.phone, b.phone);
  EXPECT_EQ(a.template_name, b.template_name);
  EXPECT_EQ(a.rendered_json, b.rendered_json);
  EXPECT_EQ(a.chain_json, b.chain_json);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.step_attempts, b.step_attempts);
  EXPECT_EQ(a.due_ms, b.due_ms);
  EXPECT_EQ(a.expires_ms, b.expires_ms);
  EXPECT_EQ(a.step_deadline_ms, b.step_deadline_ms);
  EXPECT_EQ(a.lease_owner, b.lease_owner);
  EXPECT_EQ(a.lease_until_ms, b.lease_until_ms);
  EXPECT_EQ(a.metadata_json, b.metadata_json);
  EXPECT_EQ(a.night_consent, b.night_consent);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.final_code, b.final_code);
  EXPECT_EQ(a.final_detail, b.final_detail);
  EXPECT_EQ(a.delivered_via, b.delivered_via);
  EXPECT_EQ(a.body_purged, b.body_purged);
}

MessageRecord read_back(Store& store, const std::string& id) {
  std::optional<MessageRecord> m;
  EXPECT_TRUE(write_sync(store, [&](StoreSession& s) -> Status {
    m = *s.get_message(id);
    return {};
  }));
  EXPECT_TRUE(m.has_value()) << id;
  return m.value_or(MessageRecord{});
}

// update_message writes only the columns that changed; the row must still end up exactly as given,
// and a row that is not there is inserted (what REPLACE did).
TEST(SqliteStore, UpdateMessageStoresEveryFieldAndInsertsMissingRows) {
  auto store = open_sqlite_store({temp_db("update.db")});
  ASSERT_TRUE(store.ok());
  MessageRecord m = sample("u1", 100);
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) { return s.insert_message(m); }));
  MessageRecord all = m;  // every column but the key changed
  all.api_key_id = "k2";
  all.created_ms = 7;
  all.updated_ms = 8;
  all.state = kStateSent;
  all.kind = "ad";
  all.recipient_json = R"({"phone":"01099998888"})";
  all.phone = "01099998888";
  all.template_name = "t";
  all.rendered_json = R"({"sms":{"text":"안녕하세요"}})";
  all.chain_json = R"(["alimtalk@solapi"])";
  all.step = 2;
  all.step_attempts = 3;
  all.due_ms = 9;
  all.expires_ms = 10;
  all.step_deadline_ms = 11;
  all.lease_owner = "node-x";
  all.lease_until_ms = 12;
  all.metadata_json = R"({"a":1})";
  all.night_consent = true;
  all.idempotency_key = "idem";
  all.final_code = "c";
  all.final_detail = "d";
  all.delivered_via = "sms@nhn";
  all.body_purged = true;
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) { return s.update_message(all); }));
  expect_same(read_back(**store, "u1"), all);
  // A few columns back and forth, and an update that changes nothing.
  MessageRecord some = all;
  some.state = kStateAccepted;
  some.lease_owner.clear();
  some.body_purged = false;
  some.final_detail.clear();
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) { return s.update_message(some); }));
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) { return s.update_message(some); }));
  expect_same(read_back(**store, "u1"), some);
  MessageRecord fresh = sample("u2", 5);
  fresh.state = kStateHeld;
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) { return s.update_message(fresh); }));
  expect_same(read_back(**store, "u2"), fresh);
}

TEST(SqliteStore, UpdateMessageIfWritesOnlyFromTheExpectedStateAndStep) {
  auto store = open_sqlite_store({temp_db("update_if.db")});
  ASSERT_TRUE(store.ok());
  MessageRecord m = sample("c1", 100);
  m.state = kStateSending;
  m.step = 1;
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) { return s.insert_message(m); }));
  MessageRecord next = m;
  next.state = kStateSent;
  next.step_deadline_ms = 500;
  std::vector<bool> results;
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
    results.push_back(*s.update_message_if(next, kStateAccepted, 1));  // wrong state
    results.push_back(*s.update_message_if(next, kStateSending, 0));   // wrong step
    MessageRecord missing = next;
    missing.id = "nope";
    results.push_back(*s.update_message_if(missing, kStateSending, 1));  // no row: not inserted
    return {};
  }));
  EXPECT_EQ(results, (std::vector<bool>{false, false, false}));
  expect_same(read_back(**store, "c1"), m);
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
    results.push_back(*s.update_message_if(next, kStateSending, 1));
    EXPECT_FALSE(s.get_message("nope")->has_value());
    return {};
  }));
  EXPECT_TRUE(results.back());
  expect_same(read_back(**store, "c1"), next);
}

TEST(SqliteStore, ClaimsRenewalsAndPurgesSelectTheRightRows) {
  auto store = open_sqlite_store({temp_db("select.db")});
  ASSERT_TRUE(store.ok());
  auto with = [](const std::string& id, const char* state, TimeMs due) {
    MessageRecord m = sample(id, due);
    m.state = state;
    return m;
  };
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
    for (auto& m : {with("a", kStateAccepted, 1), with("h", kStateHeld, 1), with("s", kStateSending, 1),
                    with("t", kStateSent, 1), with("d", kStateDelivered, 1), with("f", kStateFailed, 1)}) {
      if (auto st = s.insert_message(m); !st) return st;
    }
    MessageRecord late = with("late", kStateSent, 1);
    late.step_deadline_ms = 50;
    return s.insert_message(late);
  }));
  std::vector<MessageRecord> due, overdue;
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
    due = *s.claim_due("node-a", 100, 1000, 100);
    overdue = *s.claim_overdue_reports("node-a", 100, 1000, 100);
    return {};
  }));
  std::set<std::string> due_ids, overdue_ids;
  for (auto& m : due) due_ids.insert(m.id);
  for (auto& m : overdue) overdue_ids.insert(m.id);
  EXPECT_EQ(due_ids, (std::set<std::string>{"a", "h", "s"}));
  // "t" has step_deadline_ms 0 (sample), so it is overdue too.
  EXPECT_EQ(overdue_ids, (std::set<std::string>{"late", "t"}));
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) { return s.renew_leases("node-a", 2000); }));
  for (const char* id : {"a", "h", "s", "t", "late"}) EXPECT_EQ(read_back(**store, id).lease_until_ms, 2000) << id;
  EXPECT_EQ(read_back(**store, "d").lease_until_ms, 0);
  // Bodies: only terminal messages updated before the cut.
  std::int64_t purged = 0;
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
    purged = *s.purge_bodies(10, 100);
    return {};
  }));
  EXPECT_EQ(purged, 2);
  EXPECT_TRUE(read_back(**store, "d").body_purged);
  EXPECT_EQ(read_back(**store, "f").rendered_json, "{}");
  EXPECT_FALSE(read_back(**store, "a").body_purged);
  ASSERT_TRUE(write_sync(**store, [&](StoreSession& s) -> Status {
    purged = *s.purge_bodies(10, 100);
    return {};
  }));
  EXPECT_EQ(purged, 0);
}

// Migration 3 replaces two indexes; a database at version 2 must come up with the new ones.
TEST(SqliteStore, MigratesVersionTwoIndexes) {
  auto path = temp_db("migrate.db");
  {
    auto store = open_sqlite_store({path});
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
    auto store = open_sqlite_store({path});
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
            "messages_due,messages_leased,messages_purgeable,messages_report_deadline");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

}  // namespace
}  // namespace jarip::store
