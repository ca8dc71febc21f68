// Time partitions of the PostgreSQL engine (store/pg_schema.hpp): created ahead of the clock, a
// message and its attempts in the partition of the time in its id, and old partitions dropped whole.
#include <gtest/gtest.h>

#include "store/pg_db.hpp"
#include "store/pg_schema.hpp"
#include "pg_test_server.hpp"

namespace jarip::store {
namespace {

constexpr TimeMs kDay = 24LL * 3600 * 1000;

class PgPartitions : public ::testing::Test {
 protected:
  void SetUp() override {
    JARIP_REQUIRE_POSTGRES();
    url_ = test::PgTestServer::instance().fresh_database();
    ASSERT_FALSE(url_.empty());
    ASSERT_TRUE(db_.connect(url_, 5, 30000).ok());
    ASSERT_TRUE(migrate_postgres(db_).ok());
  }

  std::int64_t scalar(const std::string& sql) {
    auto r = db_.query(sql);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() && r->rows() > 0 ? r->int64(0, 0) : -1;
  }

  int partitions_of(const std::string& table) {
    return static_cast<int>(scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = '" + table + "'::regclass"));
  }

  void insert_message_at(TimeMs ms, const std::string& suffix) {
    char head[16];
    std::snprintf(head, sizeof head, "%011llx", static_cast<unsigned long long>(ms));
    std::string id = std::string("msg_") + head + suffix;
    std::string sql =
        "INSERT INTO messages VALUES ('" + id + "', " + std::to_string(pg_message_part_ms(id)) + ", 'k', " +
        std::to_string(ms) + ", " + std::to_string(ms) +
        ", 'delivered', 'info', '{}', '', '', '{}', '[]', 0, 0, 0, 0, 0, '', 0, '{}', false, '', '', '', '', false)";
    ASSERT_TRUE(db_.exec(sql).ok());
    ASSERT_TRUE(db_.exec("INSERT INTO attempts (message_id, part_ms, step, channel, provider, send_kind, dedup_key, "
                         "started_ms, ended_ms, outcome, provider_message_id, error_code, error_text) VALUES ('" +
                         id + "', " + std::to_string(pg_message_part_ms(id)) +
                         ", 0, 'sms', 'nhn', 'sms', '', 0, 0, 'delivered', '', '', '')")
                    .ok());
    ASSERT_TRUE(db_.exec("INSERT INTO message_customers VALUES ('" + id + "', 'c1')").ok());
  }

  std::string url_;
  PgConn db_;
  PartitionPlan plan_;  // 7 days, 3 ahead
};

TEST_F(PgPartitions, PartOfAnIdIsItsTimeAndZeroForForeignIds) {
  EXPECT_EQ(pg_message_part_ms("msg_0193a4f2c1b0123456789abcdef0"), 0x0193a4f2c1bLL);
  EXPECT_EQ(pg_message_part_ms("m1"), 0);
  EXPECT_EQ(pg_message_part_ms("msg_0193A4F2C1B0123456789abcdef0"), 0);  // jarip writes lower case
  EXPECT_EQ(pg_message_part_ms("msg_12"), 0);
}

TEST_F(PgPartitions, EnsureCreatesThePeriodBeforeNowAndAheadIdempotently) {
  TimeMs now = 1'765'000'000'000;
  ASSERT_TRUE(pg_ensure_partitions(db_, now, plan_).ok());
  // default + previous + current + 3 ahead
  EXPECT_EQ(partitions_of("messages"), 1 + 1 + 1 + 3);
  EXPECT_EQ(partitions_of("attempts"), 1 + 1 + 1 + 3);
  ASSERT_TRUE(pg_ensure_partitions(db_, now, plan_).ok());
  EXPECT_EQ(partitions_of("messages"), 6);
  // A day later, still in the same week: nothing new; a week later: one more.
  ASSERT_TRUE(pg_ensure_partitions(db_, now + 7 * kDay, plan_).ok());
  EXPECT_EQ(partitions_of("messages"), 7);
}

TEST_F(PgPartitions, RowsLandInTheirPeriodAndOldPeriodsAreDroppedWhole) {
  TimeMs now = 1'765'000'000'000;
  ASSERT_TRUE(pg_ensure_partitions(db_, now - 3 * 7 * kDay, plan_).ok());
  ASSERT_TRUE(pg_ensure_partitions(db_, now, plan_).ok());
  insert_message_at(now - 20 * kDay, "0000000000000001");
  insert_message_at(now - 10 * kDay, "0000000000000002");
  insert_message_at(now, "0000000000000003");
  EXPECT_EQ(scalar("SELECT count(*) FROM messages_default"), 0);  // every one found its period
  EXPECT_EQ(scalar("SELECT count(DISTINCT tableoid) FROM messages"), 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM attempts_default"), 0);

  int before = partitions_of("messages");
  auto dropped = pg_drop_partitions_before(db_, now - 14 * kDay, plan_);
  ASSERT_TRUE(dropped.ok()) << dropped.error().message;
  EXPECT_GE(*dropped, 2);  // at least the 20-day-old period, for messages and for attempts
  EXPECT_LT(partitions_of("messages"), before);
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 2);  // the 10-day-old period may end after the cut
  EXPECT_EQ(scalar("SELECT count(*) FROM attempts"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM message_customers"), 2);  // side rows went with their messages
  // The default partition is never dropped.
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_class WHERE relname = 'messages_default'"), 1);
  // Nothing older left to drop: a second run drops nothing.
  auto again = pg_drop_partitions_before(db_, now - 14 * kDay, plan_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST_F(PgPartitions, ForeignIdsGoToTheDefaultPartition) {
  ASSERT_TRUE(pg_ensure_partitions(db_, 1'765'000'000'000, plan_).ok());
  ASSERT_TRUE(db_.exec("INSERT INTO messages VALUES ('m1', 0, 'k', 1, 1, 'accepted', 'info', '{}', '', '', '{}', "
                       "'[]', 0, 0, 0, 0, 0, '', 0, '{}', false, '', '', '', '', false)")
                  .ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM messages_default"), 1);
}

}  // namespace
}  // namespace jarip::store
