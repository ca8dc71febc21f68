// PostgreSQL engine: the same shape as the SQLite one (one writer thread doing group commit, reader
// threads on their own connections), plus what a database on the network needs: reconnecting by
// itself, failing fast while it cannot (503, never a 202 for something not stored), and keeping its
// time partitions ahead of the clock.
//
// Durability: COMMIT returns after PostgreSQL has flushed the group's WAL (synchronous_commit=on, the
// server's default) and, with synchronous_standby_names set, after a standby has it too. Only then
// does done() run, and so the 202.
//
// A connection lost during COMMIT leaves the group's fate unknown: every operation of it is answered
// storage_unavailable, although some may have been stored. A client retrying with its
// Idempotency-Key gets the stored answer; without one it may store the message twice. That is the
// price of never answering 202 for something that might not be stored (docs/operations.md).
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "store/pg_db.hpp"
#include "store/pg_schema.hpp"
#include "store/pg_session.hpp"
#include "store/store.hpp"

namespace jarip::store {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr auto kReconnectInterval = std::chrono::milliseconds(500);
constexpr auto kPartitionInterval = std::chrono::minutes(30);

struct PendingWrite {
  Store::WriteOp op;
  Store::Done done;
};

TimeMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class PgStore final : public Store {
 public:
  explicit PgStore(PostgresOptions options) : options_(std::move(options)) {
    plan_.period_ms = std::max<std::int64_t>(1, options_.partition_days) * 24 * 3600 * 1000;
  }

  ~PgStore() override { stop(); }

  Status open() {
    if (auto s = connect(writer_db_); !s) return s;
    if (auto s = migrate_postgres(writer_db_); !s) return s;
    if (auto s = maintain_partitions(); !s) return s;
    int readers = std::max(1, options_.readers);
    reader_dbs_.resize(static_cast<std::size_t>(readers));
    for (auto& db : reader_dbs_) {
      db = std::make_unique<PgConn>();
      if (auto s = connect(*db); !s) return s;
    }
    available_ = true;
    log::info("storage: PostgreSQL connected", {{"server", writer_db_.server()}});
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "jarip-pgwriter");
      writer_loop();
    });
    for (auto& db : reader_dbs_) {
      readers_.emplace_back([this, conn = db.get()] {
        pthread_setname_np(pthread_self(), "jarip-pgreader");
        reader_loop(*conn);
      });
    }
    return {};
  }

  void write(WriteOp op, Done done) override {
    {
      std::lock_guard lock(mutex_);
      // While the database is away, fail at once: a request must not wait for a reconnect it
      // cannot see the end of, and a queue of writes nobody can commit helps no one.
      if (!stopping_ && available_ && writes_.size() < options_.max_queue) {
        writes_.push_back(PendingWrite{std::move(op), std::move(done)});
        write_cv_.notify_one();
        return;
      }
    }
    if (!available_) {
      done(make_error("storage_unavailable", "the database is unavailable; jarip is reconnecting, retry later"));
    } else {
      done(make_error("overloaded", "storage write queue is full; retry later"));
    }
  }

  void read(ReadOp op) override {
    std::lock_guard lock(mutex_);
    reads_.push_back(std::move(op));
    read_cv_.notify_one();
  }

  StoreStats stats() const override {
    std::lock_guard lock(mutex_);
    StoreStats s = stats_;
    s.queue_depth = writes_.size();
    return s;
  }

  bool shared() const override { return true; }
  bool available() const override { return available_; }
  const char* engine() const override { return "postgresql"; }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      write_cv_.notify_all();
      read_cv_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    for (auto& t : readers_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  Status connect(PgConn& db) {
    return db.connect(options_.url, options_.connect_timeout_s, options_.statement_timeout_ms);
  }

  Status maintain_partitions() {
    TimeMs now = wall_ms();
    if (auto s = pg_ensure_partitions(writer_db_, now, plan_); !s) return s;
    if (options_.keep_days > 0) {
      auto dropped = pg_drop_partitions_before(writer_db_, now - options_.keep_days * 24 * 3600 * 1000, plan_);
      if (!dropped) return dropped.error();
      if (*dropped > 0) log::info("storage: dropped old time partitions", {{"count", std::to_string(*dropped)}});
    }
    next_partition_check_ = SteadyClock::now() + kPartitionInterval;
    return {};
  }

  // On the writer thread: after a failure, try to come back, at most every kReconnectInterval.
  void try_reconnect() {
    auto now = SteadyClock::now();
    if (now < next_reconnect_) return;
    next_reconnect_ = now + kReconnectInterval;
    if (auto s = connect(writer_db_); !s) {
      if (!reported_down_) log::warn("storage: PostgreSQL unavailable", {{"error", s.error().message}});
      reported_down_ = true;
      return;
    }
    // A promoted replica or a restarted server may lack partitions created meanwhile elsewhere.
    if (auto s = maintain_partitions(); !s) {
      log::warn("storage: partition upkeep failed after reconnect", {{"error", s.error().message}});
    }
    reported_down_ = false;
    log::info("storage: PostgreSQL reconnected", {{"server", writer_db_.server()}});
    std::lock_guard lock(mutex_);
    available_ = true;
  }

  void mark_unavailable(const Error& why) {
    writer_db_.close();
    next_reconnect_ = SteadyClock::now();  // first retry at once: a restart is often already over
    if (available_) log::warn("storage: lost PostgreSQL", {{"error", why.message}});
    std::lock_guard lock(mutex_);
    available_ = false;
    // What is queued was accepted into the queue while the database looked fine; it cannot be
    // committed now, so it is answered now.
    failing_.insert(failing_.end(), std::make_move_iterator(writes_.begin()), std::make_move_iterator(writes_.end()));
    writes_.clear();
  }

  void writer_loop() {
    std::deque<PendingWrite> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (available_) {
          write_cv_.wait(lock, [&] { return stopping_ || !writes_.empty(); });
        } else {
          write_cv_.wait_for(lock, kReconnectInterval, [&] { return stopping_; });
        }
        if (writes_.empty() && stopping_) return;
        std::size_t n = std::min(writes_.size(), options_.max_group);
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(writes_.front()));
          writes_.pop_front();
        }
      }
      fail_pending();
      if (!available_) {
        try_reconnect();
      } else if (SteadyClock::now() >= next_partition_check_) {
        if (auto s = maintain_partitions(); !s) {
          log::warn("storage: partition upkeep failed", {{"error", s.error().message}});
          if (s.error().code == "storage_unavailable") mark_unavailable(s.error());
          next_partition_check_ = SteadyClock::now() + std::chrono::minutes(1);
        }
      }
      if (!batch.empty()) commit_group(batch);
      batch.clear();
      fail_pending();
    }
  }

  void fail_pending() {
    std::deque<PendingWrite> failing;
    {
      std::lock_guard lock(mutex_);
      failing.swap(failing_);
    }
    for (auto& w : failing) {
      w.done(make_error("storage_unavailable", "the database became unavailable before this write was committed"));
    }
  }

  void commit_group(std::deque<PendingWrite>& batch) {
    PgSession session(writer_db_);
    std::vector<Status> results(batch.size());
    Status group = available_ ? Status() : Status(make_error("storage_unavailable", "the database is unavailable"));
    // BEGIN, SAVEPOINT and RELEASE are deferred: each goes out in one pipeline with the operation's
    // first statement (or with COMMIT), so they cost no round trip of their own. They run first all
    // the same, and if one fails, that statement fails with its error and deferred_failed() says so.
    if (group) writer_db_.defer("BEGIN");
    for (std::size_t i = 0; group && i < batch.size(); ++i) {
      // A savepoint per operation: PostgreSQL aborts the whole transaction on any error, and one
      // operation's conflict must not cost the rest of the group their commit.
      if (i > 0) writer_db_.defer("RELEASE SAVEPOINT op");
      writer_db_.defer("SAVEPOINT op");
      results[i] = batch[i].op(session);
      // The operation's own deferred commands (PgSession::update_message, update_attempt) go out
      // before its savepoint is released, so that their failure is this operation's.
      if (results[i] && writer_db_.has_deferred_commands()) results[i] = writer_db_.flush();
      if (writer_db_.deferred_failed()) {  // the group's BEGIN or a savepoint failed, not the operation
        group = results[i] ? Status(make_error("storage_error", "a savepoint of the group failed")) : results[i];
        break;
      }
      if (!results[i]) {
        writer_db_.discard_deferred_commands();  // rolled back with their operation, never sent
        if (results[i].error().code == "storage_unavailable" || !writer_db_.healthy()) {
          group = results[i];
          break;
        }
        group = writer_db_.exec("ROLLBACK TO SAVEPOINT op");
      }
    }
    // commit() also refuses a COMMIT that PostgreSQL turned into a ROLLBACK (an aborted transaction):
    // nobody is answered success for what was not stored.
    bool reached_commit = static_cast<bool>(group);
    if (group) group = writer_db_.commit();
    // The connection went down while COMMIT was on its way: the server may have committed.
    bool outcome_unknown = reached_commit && !group && !writer_db_.healthy();
    if (!group) {
      // The server's own words go to the log only; clients get jarip's.
      log::warn("storage: group not committed", {{"error", group.error().message}});
      writer_db_.discard_deferred();
      if (writer_db_.healthy()) (void)writer_db_.exec("ROLLBACK");
      if (group.error().code == "storage_unavailable" || !writer_db_.healthy()) mark_unavailable(group.error());
    }
    {
      std::lock_guard lock(mutex_);
      if (group) {
        ++stats_.commits;
        stats_.operations += batch.size();
      } else {
        ++stats_.failed_commits;
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!group) {
        batch[i].done(make_error(
            "storage_unavailable",
            outcome_unknown ? "the connection to the database was lost while committing; whether this was stored is "
                              "unknown: retry with the same Idempotency-Key to get the stored answer"
                            : "the database could not commit this write; nothing was stored, retry later"));
      } else {
        batch[i].done(std::move(results[i]));
      }
    }
  }

  void reader_loop(PgConn& db) {
    PgSession session(db);
    auto next_reconnect = SteadyClock::now();
    for (;;) {
      ReadOp op;
      {
        std::unique_lock lock(mutex_);
        read_cv_.wait(lock, [&] { return stopping_ || !reads_.empty(); });
        if (reads_.empty() && stopping_) return;
        op = std::move(reads_.front());
        reads_.pop_front();
      }
      if (!db.healthy() && SteadyClock::now() >= next_reconnect) {
        next_reconnect = SteadyClock::now() + kReconnectInterval;
        (void)connect(db);
      }
      // One snapshot for the whole read (taken at its first query, with which the deferred BEGIN goes
      // out). When the database is away, the op still runs: its queries fail with
      // storage_unavailable and it answers that way.
      bool in_transaction = db.healthy();
      if (in_transaction) db.defer("BEGIN ISOLATION LEVEL REPEATABLE READ");
      op(session);
      if (in_transaction && !db.exec("COMMIT")) {
        db.discard_deferred();
        if (db.healthy()) (void)db.exec("ROLLBACK");
      }
    }
  }

  PostgresOptions options_;
  PartitionPlan plan_;
  PgConn writer_db_;
  std::vector<std::unique_ptr<PgConn>> reader_dbs_;
  mutable std::mutex mutex_;
  std::condition_variable write_cv_;
  std::condition_variable read_cv_;
  std::deque<PendingWrite> writes_;
  std::deque<PendingWrite> failing_;
  std::deque<ReadOp> reads_;
  bool stopping_ = false;
  std::atomic<bool> available_{false};
  bool reported_down_ = false;
  SteadyClock::time_point next_reconnect_{};
  SteadyClock::time_point next_partition_check_{};
  StoreStats stats_;
  std::thread writer_;
  std::vector<std::thread> readers_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options) {
  if (options.url.empty()) return make_error("config_invalid", "storage.url is empty", "storage.url");
  auto store = std::make_unique<PgStore>(options);
  if (auto s = store->open(); !s) return s.error();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace jarip::store
