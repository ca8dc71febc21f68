#include <gtest/gtest.h>

#include <filesystem>
#include <future>

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

}  // namespace
}  // namespace jarip::store
