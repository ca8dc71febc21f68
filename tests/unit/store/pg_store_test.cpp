// PostgreSQL-only storage tests: several nodes on one database (claims under concurrency, migrations
// started together), and the time partitions. The StoreSession contract itself runs against both
// engines in store_contract_test.cpp and store_portal_contract_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <set>
#include <thread>

#include "notify/compose.hpp"
#include "pg_test_server.hpp"
#include "store/pg_db.hpp"
#include "store/pg_schema.hpp"
#include "store/store.hpp"

namespace jarip::store {
namespace {

TimeMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
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

class PgStore : public ::testing::Test {
 protected:
  void SetUp() override {
    JARIP_REQUIRE_POSTGRES();
    url_ = fresh_database();
    ASSERT_FALSE(url_.empty());
  }

  void TearDown() override {
    for (auto& s : stores_) {
      if (s) s->stop();
    }
    stores_.clear();
  }

  std::string fresh_database() { return test::PgTestServer::instance().fresh_database(); }

  // A store ("node") on `url`; nullptr (and a test failure) when it cannot open.
  Store* open(const std::string& url) {
    PostgresOptions options;
    options.url = url;
    auto s = open_postgres_store(options);
    EXPECT_TRUE(s.ok()) << s.error().code << ": " << s.error().message;
    if (!s.ok()) return nullptr;
    stores_.push_back(std::move(*s));
    return stores_.back().get();
  }

  // A direct connection to `url`, for looking at what the store wrote.
  std::unique_ptr<PgConn> connect(const std::string& url) {
    auto db = std::make_unique<PgConn>();
    auto s = db->connect(url, 10, 0);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return db;
  }

  std::string scalar(PgConn& db, const std::string& sql, const PgParams& params = {}) {
    auto r = db.query(sql, params);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.error().message;
    if (!r.ok() || r->rows() == 0 || r->is_null(0, 0)) return "";
    return r->text(0, 0);
  }

  std::string url_;
  std::vector<std::unique_ptr<Store>> stores_;
};

// Two nodes on one database claim from many threads at once: every due message is taken exactly once.
TEST_F(PgStore, TwoNodesClaimingConcurrentlyNeverTakeTheSameMessage) {
  constexpr int kMessages = 2000;
  constexpr int kThreadsPerNode = 4;
  Store* node_a = open(url_);
  Store* node_b = open(url_);
  ASSERT_TRUE(node_a && node_b);
  const TimeMs now = wall_ms();
  std::set<std::string> all;
  std::vector<MessageRecord> messages;
  for (int i = 0; i < kMessages; ++i) {
    MessageRecord m = sample(notify::new_message_id(now - 60'000 + i), now - 1000 + i % 100);
    ASSERT_TRUE(all.insert(m.id).second);
    messages.push_back(std::move(m));
  }
  ASSERT_TRUE(node_a->run_now([&](StoreSession& s) -> Status {
    for (auto& m : messages) {
      if (auto st = s.insert_message(m); !st) return st;
    }
    return {};
  }));

  std::atomic<int> claimed{0};
  std::vector<std::vector<std::string>> got(2 * kThreadsPerNode);
  std::vector<std::string> errors(2 * kThreadsPerNode);
  std::vector<int> wrong_owner(2 * kThreadsPerNode, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::latch go(2 * kThreadsPerNode);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerNode; ++t) {
    threads.emplace_back([&, t] {
      Store* node = t % 2 == 0 ? node_a : node_b;
      const std::string owner = t % 2 == 0 ? "node-a" : "node-b";
      go.arrive_and_wait();
      while (claimed.load() < kMessages && std::chrono::steady_clock::now() < deadline) {
        std::vector<MessageRecord> batch;
        Status st = node->run_now([&](StoreSession& s) -> Status {
          auto r = s.claim_due(owner, now, now + 600'000, 50);
          if (!r) return r.error();
          batch = std::move(*r);
          return {};
        });
        if (!st) {  // rolled back: nothing was claimed
          if (errors[t].empty()) errors[t] = st.error().code + ": " + st.error().message;
          continue;
        }
        for (auto& m : batch) {
          if (m.lease_owner != owner || m.lease_until_ms != now + 600'000) ++wrong_owner[t];
          got[t].push_back(m.id);
        }
        claimed += static_cast<int>(batch.size());
        if (batch.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  for (auto& th : threads) th.join();

  std::set<std::string> by_a, by_b;
  std::size_t total = 0;
  int duplicates = 0;
  for (int t = 0; t < 2 * kThreadsPerNode; ++t) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
    EXPECT_EQ(wrong_owner[t], 0) << "thread " << t << " got messages not leased to its node";
    for (auto& id : got[t]) {
      ++total;
      if (!(t % 2 == 0 ? by_a : by_b).insert(id).second) ++duplicates;
    }
  }
  std::set<std::string> both;
  for (auto& id : by_a) {
    if (by_b.count(id)) both.insert(id);
  }
  std::set<std::string> union_ids = by_a;
  union_ids.insert(by_b.begin(), by_b.end());
  EXPECT_EQ(duplicates, 0) << "a node claimed a message twice";
  EXPECT_TRUE(both.empty()) << both.size() << " messages claimed by both nodes, e.g. " << *both.begin();
  EXPECT_EQ(union_ids, all) << union_ids.size() << " of " << all.size() << " claimed";
  EXPECT_EQ(total, all.size());
  RecordProperty("claimed_by_node_a", static_cast<int>(by_a.size()));
  RecordProperty("claimed_by_node_b", static_cast<int>(by_b.size()));
  // What is stored agrees with what each node was handed.
  auto db = connect(url_);
  EXPECT_EQ(scalar(*db, "SELECT COUNT(*) FROM messages WHERE lease_owner = 'node-a'"), std::to_string(by_a.size()));
  EXPECT_EQ(scalar(*db, "SELECT COUNT(*) FROM messages WHERE lease_owner = 'node-b'"), std::to_string(by_b.size()));
  // Nothing is left for a third node while the leases live.
  std::vector<MessageRecord> rest;
  ASSERT_TRUE(node_b->run_now([&](StoreSession& s) -> Status {
    auto r = s.claim_due("node-c", now, now + 1000, 100);
    if (!r) return r.error();
    rest = *r;
    return {};
  }));
  EXPECT_TRUE(rest.empty());
}

// A message id of jarip's form (msg_<ms in hex>…) lands in the time partition of its acceptance time;
// its attempts in the attempts partition of the same period; any other id in the default partition.
TEST_F(PgStore, MessageIdLandsInItsTimePartition) {
  Store* store = open(url_);
  ASSERT_TRUE(store);
  const TimeMs now = wall_ms();
  const std::string current = notify::new_message_id(now);
  const std::string next_week = notify::new_message_id(now + 7LL * 24 * 3600 * 1000);
  const std::string plain = "plain-id";
  ASSERT_EQ(pg_message_part_ms(current), now);
  ASSERT_EQ(pg_message_part_ms(plain), 0);
  ASSERT_TRUE(store->run_now([&](StoreSession& s) -> Status {
    for (auto& id : {current, next_week, plain}) {
      if (auto st = s.insert_message(sample(id, now)); !st) return st;
    }
    AttemptRecord a;
    a.message_id = current;
    a.channel = "sms";
    a.provider = "nhn";
    a.send_kind = "sms";
    a.dedup_key = current + ".0";
    a.started_ms = now;
    return s.insert_attempt(a);
  }));

  auto db = connect(url_);
  struct Placement {
    std::string partition, parent, bound;
  };
  auto placement = [&](const std::string& table, const std::string& column, const std::string& id) {
    auto r = db->query("SELECT c.relname, p.relname, pg_get_expr(c.relpartbound, c.oid) FROM " + table +
                           " t JOIN pg_class c ON c.oid = t.tableoid JOIN pg_inherits i ON i.inhrelid = c.oid "
                           "JOIN pg_class p ON p.oid = i.inhparent WHERE t." + column + " = $1",
                       PgParams().add(id));
    EXPECT_TRUE(r.ok()) << r.error().message;
    Placement out;
    if (r.ok()) {
      EXPECT_EQ(r->rows(), 1) << table << " " << id;
      if (r->rows() > 0) out = {r->text(0, 0), r->text(0, 1), r->text(0, 2)};
    }
    return out;
  };
  // "FOR VALUES FROM ('1700000000000') TO ('1700604800000')" → [from, to)
  auto bounds = [](const std::string& bound) {
    std::vector<std::int64_t> numbers;
    std::string digits;
    for (char c : bound + " ") {
      if (c >= '0' && c <= '9') {
        digits += c;
      } else if (!digits.empty()) {
        numbers.push_back(std::stoll(digits));
        digits.clear();
      }
    }
    return numbers;
  };

  Placement cur = placement("messages", "id", current);
  EXPECT_EQ(cur.parent, "messages");
  EXPECT_NE(cur.partition, "messages_default");
  auto cur_bounds = bounds(cur.bound);
  ASSERT_EQ(cur_bounds.size(), 2u) << cur.bound;
  EXPECT_LE(cur_bounds[0], now) << cur.bound;
  EXPECT_GT(cur_bounds[1], now) << cur.bound;

  Placement next = placement("messages", "id", next_week);
  EXPECT_EQ(next.parent, "messages");
  EXPECT_NE(next.partition, "messages_default");
  EXPECT_NE(next.partition, cur.partition);
  auto next_bounds = bounds(next.bound);
  ASSERT_EQ(next_bounds.size(), 2u) << next.bound;
  EXPECT_LE(next_bounds[0], pg_message_part_ms(next_week)) << next.bound;
  EXPECT_GT(next_bounds[1], pg_message_part_ms(next_week)) << next.bound;

  Placement other = placement("messages", "id", plain);
  EXPECT_EQ(other.partition, "messages_default");
  EXPECT_EQ(other.bound, "DEFAULT");

  Placement attempt = placement("attempts", "message_id", current);
  EXPECT_EQ(attempt.parent, "attempts");
  EXPECT_EQ(attempt.bound, cur.bound);  // the same period as its message
  ASSERT_GE(cur.partition.size(), 9u);
  EXPECT_EQ(attempt.partition, "attempts" + cur.partition.substr(8));  // messages_pX → attempts_pX

  // Lookups by id find each of them.
  for (auto& id : {current, next_week, plain}) {
    std::optional<MessageRecord> m;
    ASSERT_TRUE(store->run_now([&](StoreSession& s) -> Status {
      auto r = s.get_message(id);
      if (!r) return r.error();
      m = *r;
      return {};
    }));
    EXPECT_TRUE(m.has_value()) << id;
  }
  std::vector<AttemptRecord> attempts;
  ASSERT_TRUE(store->run_now([&](StoreSession& s) -> Status {
    auto r = s.list_attempts(current);
    if (!r) return r.error();
    attempts = *r;
    return {};
  }));
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_GT(attempts[0].id, 0);
}

// Opening a migrated database again changes nothing: no migration runs twice, no relation appears.
TEST_F(PgStore, MigratingTwiceIsANoOp) {
  Store* first = open(url_);
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->run_now([](StoreSession& s) { return s.insert_message(sample("kept", 10)); }));
  first->stop();
  auto db = connect(url_);
  const std::string versions_sql = "SELECT COUNT(*) || '/' || COUNT(DISTINCT version) || '/' || MAX(version) FROM schema_version";
  const std::string relations_sql =
      "SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname) FROM pg_class "
      "WHERE relnamespace = current_schema()::regnamespace";
  const std::string versions = scalar(*db, versions_sql);
  const std::string relations = scalar(*db, relations_sql);
  const std::string expected_versions = std::to_string(postgres_schema_version()) + "/" +
                                        std::to_string(postgres_schema_version()) + "/" +
                                        std::to_string(postgres_schema_version());
  EXPECT_EQ(versions, expected_versions);
  Store* second = open(url_);
  ASSERT_TRUE(second);
  EXPECT_EQ(scalar(*db, versions_sql), versions);
  EXPECT_EQ(scalar(*db, relations_sql), relations);
  std::optional<MessageRecord> kept;
  ASSERT_TRUE(second->run_now([&](StoreSession& s) -> Status {
    auto r = s.get_message("kept");
    if (!r) return r.error();
    kept = *r;
    return {};
  }));
  EXPECT_TRUE(kept.has_value());
}

// Nodes starting together on a fresh database: the advisory lock lets one of them migrate, and every
// one of them opens.
TEST_F(PgStore, NodesOpeningAFreshDatabaseTogetherAllSucceed) {
  constexpr int kNodes = 4;
  for (int round = 0; round < 2; ++round) {
    std::string url = round == 0 ? url_ : fresh_database();
    ASSERT_FALSE(url.empty());
    std::vector<Result<std::unique_ptr<Store>>> results;
    for (int i = 0; i < kNodes; ++i) results.emplace_back(make_error("not_run", "not run"));
    std::latch go(kNodes);
    std::vector<std::thread> threads;
    for (int i = 0; i < kNodes; ++i) {
      threads.emplace_back([&, i] {
        PostgresOptions options;
        options.url = url;
        go.arrive_and_wait();
        results[static_cast<std::size_t>(i)] = open_postgres_store(options);
      });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < kNodes; ++i) {
      auto& r = results[static_cast<std::size_t>(i)];
      EXPECT_TRUE(r.ok()) << "round " << round << ", node " << i << ": " << r.error().code << ": " << r.error().message;
      if (r.ok()) stores_.push_back(std::move(*r));
    }
    auto db = connect(url);
    const std::string n = std::to_string(postgres_schema_version());
    EXPECT_EQ(scalar(*db, "SELECT COUNT(*) || '/' || COUNT(DISTINCT version) || '/' || MAX(version) FROM schema_version"),
              n + "/" + n + "/" + n)
        << "round " << round;
    // They share the data: written through one, read through another.
    if (stores_.size() >= 2) {
      Store* writer = stores_[stores_.size() - 1].get();
      Store* reader = stores_[stores_.size() - 2].get();
      const std::string id = "shared-" + std::to_string(round);
      ASSERT_TRUE(writer->run_now([&](StoreSession& s) { return s.insert_message(sample(id, 10)); }));
      bool found = false;
      ASSERT_TRUE(reader->run_now([&](StoreSession& s) -> Status {
        auto r = s.get_message(id);
        if (!r) return r.error();
        found = r->has_value();
        return {};
      }));
      EXPECT_TRUE(found);
    }
    for (auto& s : stores_) s->stop();
    stores_.clear();
  }
}

}  // namespace
}  // namespace jarip::store
