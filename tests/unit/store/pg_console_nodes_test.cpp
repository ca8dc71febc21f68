// Two PostgreSQL nodes racing on the operator-console rows they share (login failure counts, staff
// alert dedup): each is its own store on one database, as two nodes of a cluster.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>

#include "pg_test_server.hpp"
#include "store/store.hpp"

namespace jarip::store {
namespace {

using test::Engine;

// Two stores on one database, as two nodes of a cluster: each has its own writer connection and
// group transactions, so their statements interleave and wait on each other's row locks.
class PgConsoleNodes : public test::StoreEngineTest {};

INSTANTIATE_TEST_SUITE_P(Engine, PgConsoleNodes, ::testing::Values(Engine::kPostgres), test::engine_test_name);

// Queues every op of `ops[node]` on its node at once (two threads, released together) and waits for
// every done(). Returns the statuses in the same layout.
std::vector<std::vector<Status>> race(std::vector<Store*> nodes,
                                      const std::vector<std::vector<Store::WriteOp>>& ops) {
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t pending = 0;
  std::vector<std::vector<Status>> results(nodes.size());
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    results[n].resize(ops[n].size());
    pending += ops[n].size();
  }
  std::latch go(static_cast<std::ptrdiff_t>(nodes.size()));
  std::vector<std::thread> threads;
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    threads.emplace_back([&, n] {
      go.arrive_and_wait();
      for (std::size_t i = 0; i < ops[n].size(); ++i) {
        nodes[n]->write(ops[n][i], [&, n, i](Status st) {
          std::lock_guard lock(mutex);
          results[n][i] = std::move(st);
          if (--pending == 0) cv.notify_all();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  std::unique_lock lock(mutex);
  cv.wait(lock, [&] { return pending == 0; });
  return results;
}

TEST_P(PgConsoleNodes, RacingNodesCountLoginFailuresAndDedupStaffAlertsExactly) {
  PostgresOptions options;
  options.url = pg_url_;
  auto second = open_postgres_store(options);
  ASSERT_TRUE(second.ok()) << second.error().message;
  std::vector<Store*> nodes{store_.get(), second->get()};
  constexpr int kPerNode = 150;

  // Login failures: every failure of either node counts once, and each sees a distinct count.
  std::mutex mutex;
  std::vector<std::int64_t> counts;
  std::vector<std::vector<Store::WriteOp>> failure_ops(2);
  for (int n = 0; n < 2; ++n) {
    for (int i = 0; i < kPerNode; ++i) {
      failure_ops[n].push_back([&](StoreSession& s) -> Status {
        auto c = s.add_login_failure("account:amy@example.kr", 1000, 900000);
        if (!c) return c.error();
        std::lock_guard lock(mutex);
        counts.push_back(*c);
        return {};
      });
    }
  }
  for (auto& node : race(nodes, failure_ops)) {
    for (auto& st : node) ASSERT_TRUE(st.ok()) << st.error().code << ": " << st.error().message;
  }
  std::sort(counts.begin(), counts.end());
  ASSERT_EQ(counts.size(), static_cast<std::size_t>(2 * kPerNode));
  for (int i = 0; i < 2 * kPerNode; ++i) ASSERT_EQ(counts[static_cast<std::size_t>(i)], i + 1);
  EXPECT_EQ(raw_scalar("SELECT count FROM login_failures WHERE key = 'account:amy@example.kr'"),
            std::to_string(2 * kPerNode));

  // Staff alerts: both nodes see the same events (one dedup key each, in the same order); each
  // event is inserted by exactly one of them, and the other is told "not inserted", not an error.
  constexpr int kEvents = 100;
  std::vector<int> inserted(kEvents, 0);
  std::vector<std::vector<Store::WriteOp>> alert_ops(2);
  for (int n = 0; n < 2; ++n) {
    for (int e = 0; e < kEvents; ++e) {
      alert_ops[n].push_back([&, e](StoreSession& s) -> Status {
        StaffAlertRecord a;
        a.kind = "breaker_open";
        a.subject = "provider-" + std::to_string(e);
        a.dedup_key = "breaker_open:provider-" + std::to_string(e) + ":1000";
        a.created_ms = 1000;
        auto r = s.insert_staff_alert(a, 60000);
        if (!r) return r.error();
        std::lock_guard lock(mutex);
        if (*r) ++inserted[static_cast<std::size_t>(e)];
        return {};
      });
    }
  }
  for (auto& node : race(nodes, alert_ops)) {
    for (auto& st : node) ASSERT_TRUE(st.ok()) << st.error().code << ": " << st.error().message;
  }
  for (int e = 0; e < kEvents; ++e) EXPECT_EQ(inserted[static_cast<std::size_t>(e)], 1) << "event " << e;
  EXPECT_EQ(raw_scalar("SELECT COUNT(*) FROM staff_alerts"), std::to_string(kEvents));
  (*second)->stop();
}

}  // namespace
}  // namespace jarip::store
