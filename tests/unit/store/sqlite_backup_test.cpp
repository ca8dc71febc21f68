#include "store/sqlite_backup.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "store/sqlite_schema.hpp"
#include "store/store.hpp"

namespace jarip::store {
namespace {

namespace fs = std::filesystem;

MessageRecord message(const std::string& id) {
  MessageRecord m;
  m.id = id;
  m.api_key_id = "k1";
  m.created_ms = m.updated_ms = m.due_ms = 1;
  m.recipient_json = R"({"phone":"01012345678"})";
  m.phone = "01012345678";
  // Bodies of about a kilobyte: a few thousand rows make a file of many backup steps.
  m.rendered_json = R"({"sms":{"text":")" + std::string(1000, 'x') + R"("}})";
  m.chain_json = R"(["sms@nhn"])";
  m.metadata_json = "{}";
  return m;
}

Status write_sync(Store& store, Store::WriteOp op) {
  std::promise<Status> p;
  store.write(std::move(op), [&](Status s) { p.set_value(std::move(s)); });
  return p.get_future().get();
}

Status insert(Store& store, const std::string& prefix, int n) {
  return write_sync(store, [&](StoreSession& s) -> Status {
    for (int i = 0; i < n; ++i) {
      if (auto st = s.insert_message(message(prefix + std::to_string(i))); !st) return st;
    }
    return {};
  });
}

// Opened with SQLite itself, not through the store: what a backup holds, seen from outside.
struct RawDb {
  sqlite3* db = nullptr;
  explicit RawDb(const std::string& path, int flags = SQLITE_OPEN_READWRITE) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, flags, nullptr), SQLITE_OK) << path;
  }
  ~RawDb() { sqlite3_close_v2(db); }
  std::vector<std::string> column(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    while (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      out.emplace_back(text ? text : "");
    }
    sqlite3_finalize(stmt);
    return out;
  }
  std::string one(const std::string& sql) {
    auto rows = column(sql);
    return rows.empty() ? std::string() : rows.front();
  }
};

class SqliteBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "jarip-backup-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    db_ = (dir_ / "jarip.db").string();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::unique_ptr<Store> open_store() {
    auto store = open_sqlite_store(options());
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(*store) : nullptr;
  }
  SqliteOptions options() const {
    SqliteOptions o;
    o.path = db_;
    return o;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string db_;
};

TEST_F(SqliteBackupTest, BackupWhileWritingHoldsEveryWriteAcknowledgedBeforeIt) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(insert(*store, "base-", 3000));

  std::mutex mutex;
  std::vector<std::string> acked;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      std::string id = "live-" + std::to_string(i);
      if (write_sync(*store, [&](StoreSession& s) { return s.insert_message(message(id)); })) {
        std::lock_guard lock(mutex);
        acked.push_back(id);
      }
    }
  });
  auto acked_count = [&] {
    std::lock_guard lock(mutex);
    return acked.size();
  };
  while (acked_count() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  std::vector<std::string> before;
  {
    std::lock_guard lock(mutex);
    before = acked;
  }
  int steps = 0;
  std::size_t acked_at_first_step = 0;
  BackupOptions options;
  options.pages_per_step = 16;
  options.sleep_ms = 1;
  std::int64_t last_copied = 0;
  options.on_step = [&](const BackupProgress& p) {
    if (steps++ == 0) acked_at_first_step = acked_count();
    EXPECT_LE(p.copied_pages, p.total_pages);
    EXPECT_GT(p.copied_pages, last_copied) << "a commit by the server made the backup start over";
    last_copied = p.copied_pages;
  };
  auto report = backup_sqlite(db_, path("backup.db"), options);
  std::size_t acked_after = acked_count();
  stop = true;
  writer.join();
  ASSERT_TRUE(report.ok()) << report.error().message;

  EXPECT_GT(steps, 10);
  EXPECT_GT(acked_after, acked_at_first_step) << "the server's writer must keep committing during a backup";
  EXPECT_GT(report->pages, 0);
  EXPECT_EQ(report->bytes, static_cast<std::int64_t>(fs::file_size(path("backup.db"))));
  EXPECT_EQ(report->schema_version, sqlite_schema_version());
  EXPECT_FALSE(fs::exists(path("backup.db.tmp")));
  EXPECT_FALSE(fs::exists(path("backup.db-wal")));

  RawDb copy(path("backup.db"));
  EXPECT_EQ(copy.one("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(copy.one("PRAGMA journal_mode"), "delete") << "a backup is one file, with no -wal to go with it";
  auto rows = copy.column("SELECT id FROM messages");
  std::set<std::string> ids(rows.begin(), rows.end());
  EXPECT_EQ(std::count_if(ids.begin(), ids.end(), [](auto& id) { return id.rfind("base-", 0) == 0; }), 3000);
  for (auto& id : before) EXPECT_TRUE(ids.count(id)) << id << " was acknowledged before the backup began";
  // One snapshot: nothing committed once the copy was under way.
  for (std::size_t i = acked_at_first_step; i < acked.size(); ++i) EXPECT_FALSE(ids.count(acked[i])) << acked[i];
}

TEST_F(SqliteBackupTest, RefusesToOverwriteUnlessForcedAndReplacesAStaleTmp) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(insert(*store, "m", 10));
  std::string to = path("b.db");
  ASSERT_TRUE(backup_sqlite(db_, to, {}).ok());
  auto size = fs::file_size(to);

  auto again = backup_sqlite(db_, to, {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "backup_exists");
  EXPECT_EQ(fs::file_size(to), size);

  // What a backup killed mid-way leaves: it must not stop the next one.
  std::ofstream(to + ".tmp") << "half a backup";
  BackupOptions force;
  force.force = true;
  auto forced = backup_sqlite(db_, to, force);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  EXPECT_FALSE(fs::exists(to + ".tmp"));
  EXPECT_EQ(RawDb(to).one("SELECT COUNT(*) FROM messages"), "10");

  for (const std::string& live : {db_, db_ + "-wal", path("./jarip.db")}) {
    auto onto_itself = backup_sqlite(db_, live, force);
    ASSERT_FALSE(onto_itself.ok()) << live;
    EXPECT_EQ(onto_itself.error().code, "backup_target_invalid");
  }

  auto missing = backup_sqlite(path("nothing.db"), path("x.db"), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "storage_not_found");
}

TEST_F(SqliteBackupTest, RestoreKeepsTheOldDatabaseAndPutsTheBackupInPlace) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(insert(*store, "old-", 5));
  std::string backup = path("b.db");
  ASSERT_TRUE(backup_sqlite(db_, backup, {}).ok());
  ASSERT_TRUE(insert(*store, "new-", 3));

  auto locked = restore_sqlite(db_, backup, {true});
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code, "storage_locked");
  EXPECT_NE(locked.error().message.find("stop jarip first"), std::string::npos);

  store.reset();  // the server stops
  auto refused = restore_sqlite(db_, backup, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "restore_exists");

  auto restored = restore_sqlite(db_, backup, {true});
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->schema_version, sqlite_schema_version());
  ASSERT_FALSE(restored->previous.empty());
  EXPECT_NE(restored->previous.find("jarip.db.before-restore-"), std::string::npos);
  EXPECT_FALSE(fs::exists(db_ + ".restore-tmp"));
  EXPECT_FALSE(fs::exists(db_ + "-wal"));
  {
    RawDb kept(restored->previous);
    EXPECT_EQ(kept.one("SELECT COUNT(*) FROM messages"), "8");
    RawDb now(db_);
    EXPECT_EQ(now.one("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(now.one("SELECT COUNT(*) FROM messages"), "5");
  }
  auto reopened = open_store();
  ASSERT_TRUE(reopened);
  std::optional<MessageRecord> m;
  ASSERT_TRUE(write_sync(*reopened, [&](StoreSession& s) -> Status {
    m = *s.get_message("old-4");
    return {};
  }));
  EXPECT_TRUE(m.has_value());
}

// After a kill -9 the newest transactions may be only in jarip.db-wal: the kept file must have them,
// and that WAL must not be left beside the restored file (SQLite would replay it onto it).
TEST_F(SqliteBackupTest, RestoreOverACrashedDatabaseKeepsWhatItsWalHeld) {
  {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(insert(*store, "old-", 3));
    ASSERT_TRUE(backup_sqlite(db_, path("b.db"), {}).ok());
  }
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto store = open_sqlite_store(options());
    if (!store.ok()) _exit(1);
    _exit(insert(**store, "crash-", 4).ok() ? 0 : 2);  // no clean close, as with kill -9
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_TRUE(fs::exists(db_ + "-wal"));

  auto restored = restore_sqlite(db_, path("b.db"), {true});
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_FALSE(fs::exists(db_ + "-wal"));
  EXPECT_EQ(RawDb(restored->previous).one("SELECT COUNT(*) FROM messages"), "7");
  EXPECT_EQ(RawDb(db_).one("SELECT COUNT(*) FROM messages"), "3");
}

TEST_F(SqliteBackupTest, RestoreIntoAnEmptyDataDirNeedsNoForce) {
  {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(insert(*store, "m", 2));
    ASSERT_TRUE(backup_sqlite(db_, path("b.db"), {}).ok());
  }
  std::string fresh = path("other/jarip.db");
  auto restored = restore_sqlite(fresh, path("b.db"), {});
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_TRUE(restored->previous.empty());
  EXPECT_EQ(RawDb(fresh).one("SELECT COUNT(*) FROM messages"), "2");
}

TEST_F(SqliteBackupTest, RestoreRefusesANewerSchemaAndLeavesTheDatabaseAlone) {
  {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(insert(*store, "m", 2));
    ASSERT_TRUE(backup_sqlite(db_, path("b.db"), {}).ok());
  }
  {
    RawDb backup(path("b.db"));
    backup.column("INSERT INTO schema_version(version) VALUES (" + std::to_string(sqlite_schema_version() + 1) + ")");
  }
  auto before = fs::file_size(db_);
  auto r = restore_sqlite(db_, path("b.db"), {true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "storage_schema_too_new");
  EXPECT_EQ(fs::file_size(db_), before);
  EXPECT_FALSE(fs::exists(db_ + ".restore-tmp"));
  for (auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().string().find("before-restore"), std::string::npos) << entry.path();
  }
}

TEST_F(SqliteBackupTest, RestoreRefusesDamagedOrForeignFiles) {
  { ASSERT_TRUE(open_store()); }
  std::ofstream(path("garbage.db")) << std::string(8192, 'g');
  auto garbage = restore_sqlite(db_, path("garbage.db"), {true});
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, "backup_corrupt");

  {
    RawDb other(path("other.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    other.column("CREATE TABLE t(x)");
  }
  auto foreign = restore_sqlite(db_, path("other.db"), {true});
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, "backup_not_jarip");

  auto missing = restore_sqlite(db_, path("none.db"), {true});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "backup_not_found");
}

// The start-up check's message is what an operator reads after a disk fault: it must name the file
// and the way back.
TEST_F(SqliteBackupTest, DamagedDatabaseIsRefusedWithTheRestoreCommand) {
  {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(insert(*store, "m", 500));
  }
  {
    // Overwrites a run of pages in the middle of the file (the header stays valid).
    std::fstream f(db_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(db_) / 2));
    std::string junk(4096 * 4, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto store = open_sqlite_store(options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "storage_corrupt");
  EXPECT_NE(store.error().message.find(db_), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("jarip restore --from"), std::string::npos) << store.error().message;
}

}  // namespace
}  // namespace jarip::store
