// SQLite engine: one writer thread doing group commit (LevelDB's DBImpl::Write pattern: whoever is
// queued when the writer wakes shares one transaction and one sync), and one reader thread on a
// second connection, which WAL mode lets read while the writer writes.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "store/sqlite_db.hpp"
#include "store/sqlite_schema.hpp"
#include "store/sqlite_session.hpp"
#include "store/store.hpp"

namespace jarip::store {

namespace {

struct PendingWrite {
  Store::WriteOp op;
  Store::Done done;
};

Status configure_connection(SqliteDb& db, bool writer) {
  // synchronous=FULL: a commit returns only after the WAL is fsync'd. NORMAL would be faster and
  // could lose the last transactions on power loss: exactly what "202 means durable" forbids.
  if (auto s = db.exec("PRAGMA journal_mode=WAL"); !s) return s;
  if (auto s = db.exec("PRAGMA synchronous=FULL"); !s) return s;
  if (auto s = db.exec("PRAGMA foreign_keys=OFF"); !s) return s;
  if (auto s = db.exec("PRAGMA cache_size=-16000"); !s) return s;  // 16 MB: small VMs
  // Statement journals (one per savepoint and per REPLACE-style statement) and the ephemeral
  // tables of IN lists stay in memory: with the default, a group's sub-journal spilled past 64 KiB
  // into a temporary file and every op paid pwrite()s for it. Only scratch data lives there;
  // durability (WAL, synchronous=FULL) is unaffected.
  if (auto s = db.exec("PRAGMA temp_store=MEMORY"); !s) return s;
  if (writer) {
    if (auto s = db.exec("PRAGMA wal_autocheckpoint=4000"); !s) return s;
  }
  return {};
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

  ~SqliteStore() override {
    stop();
    if (lock_fd_ >= 0) close(lock_fd_);
  }

  Status open() {
    // An exclusive lock file: two jarip processes on one SQLite file would both believe they own
    // every lease. The lock dies with the process, so kill -9 never leaves it stale.
    std::string lock_path = options_.path + ".lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0) return make_error("storage_open_failed", "cannot create lock file '" + lock_path + "'");
    if (options_.exclusive && flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      return make_error("storage_locked", "database '" + options_.path +
                                              "' is in use by another jarip process (lock file " + lock_path + ")");
    }
    if (auto s = writer_db_.open(options_.path, options_.vfs, false); !s) return s;
    if (auto s = configure_connection(writer_db_, true); !s) return as_corruption(s.error());
    if (auto s = check_integrity(); !s) return s;
    if (auto s = migrate_sqlite(writer_db_); !s) return s;
    if (auto s = reader_db_.open(options_.path, options_.vfs, false); !s) return s;
    if (auto s = configure_connection(reader_db_, false); !s) return s;
    writer_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "jarip-writer");
      writer_loop();
    });
    reader_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "jarip-reader");
      reader_loop();
    });
    return {};
  }

  void write(WriteOp op, Done done) override {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_ && writes_.size() < options_.max_queue) {
        writes_.push_back(PendingWrite{std::move(op), std::move(done)});
        write_cv_.notify_one();
        return;
      }
    }
    done(make_error("overloaded", "storage write queue is full; retry later"));
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

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      write_cv_.notify_all();
      read_cv_.notify_all();
    }
    if (writer_.joinable()) writer_.join();
    if (reader_.joinable()) reader_.join();
  }

  const char* engine() const override { return "sqlite"; }

  SqliteDb& writer_db() { return writer_db_; }

 private:
  // A file whose first page is destroyed, or that was truncated, fails at its first PRAGMA, before the
  // integrity check: the operator gets the same message naming the file and the way back.
  Error as_corruption(const Error& e) const {
    if (e.message.find("not a database") == std::string::npos && e.message.find("malformed") == std::string::npos) {
      return e;
    }
    return make_error("storage_corrupt", "database '" + options_.path + "' is damaged (" + e.message +
                                             "); restore a backup over it: jarip restore --from BACKUP --force "
                                             "(see docs/operations.md)");
  }

  Status check_integrity() {
    // quick_check reads every page once: the clear start-up message for a damaged file, instead of
    // an obscure error on the first unlucky query.
    auto s = writer_db_.prepare("PRAGMA quick_check");
    if (s.step() != SQLITE_ROW) return writer_db_.last_error("integrity check");
    std::string verdict = s.text(0);
    if (verdict != "ok") {
      return make_error("storage_corrupt", "database '" + options_.path + "' failed its integrity check (" +
                                               verdict + "); restore a backup over it: jarip restore --from BACKUP --force (see docs/operations.md)");
    }
    return {};
  }

  void writer_loop() {
    std::deque<PendingWrite> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        write_cv_.wait(lock, [&] { return stopping_ || !writes_.empty(); });
        if (writes_.empty() && stopping_) return;
        std::size_t n = std::min(writes_.size(), options_.max_group);
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(writes_.front()));
          writes_.pop_front();
        }
      }
      commit_group(batch);
      batch.clear();
    }
  }

  void commit_group(std::deque<PendingWrite>& batch) {
    SqliteSession session(writer_db_);
    std::vector<Status> results(batch.size());
    Status group = writer_db_.exec("BEGIN IMMEDIATE");
    if (group) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        // A savepoint per operation: a failing one rolls back alone.
        // Prepared once and cached: parsing these per operation showed up in profiles.
        (void)writer_db_.prepare("SAVEPOINT op").step();
        results[i] = batch[i].op(session);
        if (!results[i]) (void)writer_db_.prepare("ROLLBACK TO op").step();
        (void)writer_db_.prepare("RELEASE op").step();
      }
      group = writer_db_.exec("COMMIT");
      if (!group) (void)writer_db_.exec("ROLLBACK");
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
        batch[i].done(make_error("storage_unavailable", "could not commit: " + group.error().message));
      } else {
        batch[i].done(std::move(results[i]));
      }
    }
  }

  void reader_loop() {
    SqliteSession session(reader_db_);
    for (;;) {
      ReadOp op;
      {
        std::unique_lock lock(mutex_);
        read_cv_.wait(lock, [&] { return stopping_ || !reads_.empty(); });
        if (reads_.empty() && stopping_) return;
        op = std::move(reads_.front());
        reads_.pop_front();
      }
      // A read transaction so that multi-statement reads see one snapshot.
      (void)reader_db_.exec("BEGIN");
      op(session);
      // A read transaction left open would pin an old snapshot for every later read.
      if (!reader_db_.exec("COMMIT")) (void)reader_db_.exec("ROLLBACK");
    }
  }

  SqliteOptions options_;
  SqliteDb writer_db_;
  SqliteDb reader_db_;
  int lock_fd_ = -1;
  mutable std::mutex mutex_;
  std::condition_variable write_cv_;
  std::condition_variable read_cv_;
  std::deque<PendingWrite> writes_;
  std::deque<ReadOp> reads_;
  bool stopping_ = false;
  StoreStats stats_;
  std::thread writer_;
  std::thread reader_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>(options);
  if (auto s = store->open(); !s) return s.error();
  return std::unique_ptr<Store>(std::move(store));
}

Result<SqlitePragmas> read_sqlite_pragmas(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  if (!sqlite) return make_error("not_sqlite", "store is not SQLite");
  SqlitePragmas p;
  Status st = store.run_now([&](StoreSession&) -> Status {
    auto jm = sqlite->writer_db().prepare("PRAGMA journal_mode");
    if (jm.step() == SQLITE_ROW) p.journal_mode = jm.text(0);
    auto sy = sqlite->writer_db().prepare("PRAGMA synchronous");
    if (sy.step() == SQLITE_ROW) p.synchronous = static_cast<int>(sy.int64(0));
    return {};
  });
  if (!st) return st.error();
  return p;
}

}  // namespace jarip::store
