#include "store/powercut_vfs.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

namespace jarip::store {
namespace {

namespace fs = std::filesystem;

class PowercutVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(register_powercut_vfs().ok());
    std::string pattern = (fs::temp_directory_path() / "jarip-powercut-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    db_path_ = (dir_ / "test.db").string();
  }

  void TearDown() override {
    discard_unsynced_writes();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  static sqlite3* open(const std::string& path, const char* vfs) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs);
    EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errstr(rc);
    return db;
  }

  static void exec(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }

  static std::string query_text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string out;
    if (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text ? reinterpret_cast<const char*>(text) : "";
    }
    sqlite3_finalize(stmt);
    return out;
  }

  // Rows id = first..first+count-1, `per_commit` to a transaction.
  static void insert_rows(sqlite3* db, int first, int count, int per_commit) {
    for (int i = 0; i < count; i += per_commit) {
      std::string sql = "BEGIN;";
      for (int j = i; j < std::min(count, i + per_commit); ++j) {
        sql += "INSERT INTO t(id, body) VALUES(" + std::to_string(first + j) + ", printf('%.300c', 'x'));";
      }
      exec(db, sql + "COMMIT;");
    }
  }

  // What a crashed process leaves: SQLite must write nothing more, not even a checkpoint at close.
  static void crash_close(sqlite3* db) {
    ASSERT_EQ(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr), SQLITE_OK);
    discard_unsynced_writes();
    EXPECT_EQ(powercut_vfs_pending_bytes(), 0u);
    ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
  }

  // Reopens with the ordinary unix VFS: what is on disk is all there is.
  void expect_after_restart(const std::string& count, const std::string& max_id) {
    sqlite3* db = open(db_path_, "unix");
    EXPECT_EQ(query_text(db, "PRAGMA integrity_check"), "ok");
    EXPECT_EQ(query_text(db, "SELECT count(*) FROM t"), count);
    EXPECT_EQ(query_text(db, "SELECT max(id) FROM t"), max_id);
    EXPECT_EQ(query_text(db, "SELECT count(*) FROM t WHERE length(body) <> 300"), "0");
    sqlite3_close(db);
  }

  static std::string disk_contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
  std::string db_path_;
};

// ---- the VFS as a file system ----

class RawFile {
 public:
  explicit RawFile(const std::string& path) : vfs_(sqlite3_vfs_find(kPowercutVfsName)) {
    memory_.reset(static_cast<char*>(std::calloc(1, static_cast<std::size_t>(vfs_->szOsFile))));
    int flags = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE;
    rc_ = vfs_->xOpen(vfs_, path.c_str(), file(), flags, &flags);
  }
  ~RawFile() {
    if (rc_ == SQLITE_OK) file()->pMethods->xClose(file());
  }
  int open_rc() const { return rc_; }
  sqlite3_file* file() { return reinterpret_cast<sqlite3_file*>(memory_.get()); }
  int write(std::string_view data, sqlite3_int64 offset) {
    return file()->pMethods->xWrite(file(), data.data(), static_cast<int>(data.size()), offset);
  }
  int read(std::string& out, int size, sqlite3_int64 offset) {
    out.assign(static_cast<std::size_t>(size), '?');
    return file()->pMethods->xRead(file(), out.data(), size, offset);
  }
  sqlite3_int64 size() {
    sqlite3_int64 size = -1;
    EXPECT_EQ(file()->pMethods->xFileSize(file(), &size), SQLITE_OK);
    return size;
  }
  int truncate(sqlite3_int64 size) { return file()->pMethods->xTruncate(file(), size); }
  int sync() { return file()->pMethods->xSync(file(), SQLITE_SYNC_NORMAL); }

 private:
  sqlite3_vfs* vfs_;
  std::unique_ptr<char, decltype(&std::free)> memory_{nullptr, &std::free};
  int rc_ = SQLITE_ERROR;
};

TEST_F(PowercutVfsTest, RegistrationIsIdempotentAndNotDefault) {
  EXPECT_TRUE(register_powercut_vfs().ok());
  EXPECT_NE(sqlite3_vfs_find(kPowercutVfsName), nullptr);
  EXPECT_STRNE(sqlite3_vfs_find(nullptr)->zName, kPowercutVfsName);
}

TEST_F(PowercutVfsTest, WritesStayInMemoryUntilSync) {
  RawFile file(db_path_);
  ASSERT_EQ(file.open_rc(), SQLITE_OK);
  ASSERT_EQ(file.write("hello", 0), SQLITE_OK);
  ASSERT_EQ(file.write("world", 8'192), SQLITE_OK);
  EXPECT_EQ(fs::file_size(db_path_), 0u) << "nothing reached the disk";
  EXPECT_EQ(file.size(), 8'197);
  EXPECT_EQ(powercut_vfs_pending_bytes(), 10u);

  std::string out;
  ASSERT_EQ(file.read(out, 5, 8'192), SQLITE_OK) << "reads past the on-disk size see pending data";
  EXPECT_EQ(out, "world");
  ASSERT_EQ(file.read(out, 4, 4), SQLITE_OK);
  EXPECT_EQ(out, std::string("o\0\0\0", 4)) << "the gap reads as zeros";
  EXPECT_EQ(file.read(out, 8, 8'194), SQLITE_IOERR_SHORT_READ);
  EXPECT_EQ(out, std::string("rld\0\0\0\0\0", 8)) << "a short read zero-fills the tail";

  std::uint64_t syncs = powercut_vfs_sync_count();
  ASSERT_EQ(file.sync(), SQLITE_OK);
  EXPECT_EQ(powercut_vfs_sync_count(), syncs + 1);
  EXPECT_EQ(powercut_vfs_pending_bytes(), 0u);
  std::string disk = disk_contents(db_path_);
  ASSERT_EQ(disk.size(), 8'197u);
  EXPECT_EQ(disk.substr(0, 5), "hello");
  EXPECT_EQ(disk.substr(8'192), "world");
}

TEST_F(PowercutVfsTest, OverlappingWritesNewestWins) {
  RawFile file(db_path_);
  ASSERT_EQ(file.write("aaaaaaaaaa", 0), SQLITE_OK);
  ASSERT_EQ(file.write("bbbb", 3), SQLITE_OK);
  ASSERT_EQ(file.write("cc", 6), SQLITE_OK);
  ASSERT_EQ(file.write("dddd", 8), SQLITE_OK);
  std::string out;
  ASSERT_EQ(file.read(out, 12, 0), SQLITE_OK);
  EXPECT_EQ(out, "aaabbbccdddd");
  ASSERT_EQ(file.sync(), SQLITE_OK);
  EXPECT_EQ(disk_contents(db_path_), "aaabbbccdddd");
}

TEST_F(PowercutVfsTest, TruncateIsPendingAndHidesOldBytes) {
  {
    RawFile file(db_path_);
    ASSERT_EQ(file.write("0123456789", 0), SQLITE_OK);
    ASSERT_EQ(file.sync(), SQLITE_OK);
  }
  RawFile file(db_path_);
  ASSERT_EQ(file.truncate(4), SQLITE_OK);
  EXPECT_EQ(file.size(), 4);
  EXPECT_EQ(fs::file_size(db_path_), 10u);
  ASSERT_EQ(file.write("X", 7), SQLITE_OK);  // re-extends: 4..6 must read as zeros, not "456"
  std::string out;
  ASSERT_EQ(file.read(out, 8, 0), SQLITE_OK);
  EXPECT_EQ(out, std::string("0123\0\0\0X", 8));
  ASSERT_EQ(file.sync(), SQLITE_OK);
  EXPECT_EQ(disk_contents(db_path_), std::string("0123\0\0\0X", 8));
}

TEST_F(PowercutVfsTest, DiscardDropsWritesAndTruncates) {
  {
    RawFile file(db_path_);
    ASSERT_EQ(file.write("durable", 0), SQLITE_OK);
    ASSERT_EQ(file.sync(), SQLITE_OK);
  }
  RawFile file(db_path_);
  ASSERT_EQ(file.write("LOST", 0), SQLITE_OK);
  ASSERT_EQ(file.write("more", 100), SQLITE_OK);
  discard_unsynced_writes();
  std::string out;
  ASSERT_EQ(file.read(out, 7, 0), SQLITE_OK);
  EXPECT_EQ(out, "durable");
  EXPECT_EQ(file.size(), 7);
  ASSERT_EQ(file.truncate(0), SQLITE_OK);
  discard_unsynced_writes();
  EXPECT_EQ(file.size(), 7);
  EXPECT_EQ(disk_contents(db_path_), "durable");
}

TEST_F(PowercutVfsTest, HandlesOnOneFileShareUnsyncedData) {
  RawFile writer(db_path_);
  RawFile reader(db_path_);
  ASSERT_EQ(writer.write("shared", 0), SQLITE_OK);
  std::string out;
  ASSERT_EQ(reader.read(out, 6, 0), SQLITE_OK);
  EXPECT_EQ(out, "shared");
  ASSERT_EQ(reader.sync(), SQLITE_OK) << "fsync through any handle flushes the file";
  EXPECT_EQ(disk_contents(db_path_), "shared");
}

TEST_F(PowercutVfsTest, UnsyncedDataOutlivesTheHandleLikeAPageCache) {
  { RawFile(db_path_).write("cached", 0); }
  RawFile again(db_path_);
  std::string out;
  ASSERT_EQ(again.read(out, 6, 0), SQLITE_OK);
  EXPECT_EQ(out, "cached");
  EXPECT_EQ(fs::file_size(db_path_), 0u);
}

// ---- the drill: SQLite through the VFS ----

TEST_F(PowercutVfsTest, WalFullKeepsEveryCommitAcrossPowerCut) {
  sqlite3* db = open(db_path_, kPowercutVfsName);
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  std::uint64_t syncs = powercut_vfs_sync_count();
  insert_rows(db, 1, 50, 10);
  exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");  // puts rows in the database file too
  insert_rows(db, 51, 50, 10);
  EXPECT_GE(powercut_vfs_sync_count(), syncs + 10) << "one WAL sync per commit at least";
  EXPECT_EQ(powercut_vfs_pending_bytes(), 0u) << "with synchronous=FULL a commit leaves nothing unsynced";

  // An uncommitted transaction big enough to spill pages into the WAL before COMMIT.
  exec(db, "PRAGMA cache_size=10");
  exec(db, "BEGIN");
  exec(db, "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
           "INSERT INTO t(id, body) SELECT i, printf('%.300c', 'y') FROM n");
  exec(db, "UPDATE t SET body = printf('%.300c', 'z') WHERE id <= 100");
  EXPECT_GT(powercut_vfs_pending_bytes(), 100'000u);
  crash_close(db);

  expect_after_restart("100", "100");
  sqlite3* check = open(db_path_, "unix");
  EXPECT_EQ(query_text(check, "SELECT count(*) FROM t WHERE body = printf('%.300c', 'x')"), "100");
  sqlite3_close(check);
}

TEST_F(PowercutVfsTest, SynchronousOffLosesCommittedRows) {
  // The negative control: if this kept the rows, the VFS would not be discarding anything.
  sqlite3* db = open(db_path_, kPowercutVfsName);
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  insert_rows(db, 1, 10, 5);
  exec(db, "PRAGMA synchronous=OFF");
  insert_rows(db, 11, 40, 5);
  EXPECT_EQ(query_text(db, "SELECT count(*) FROM t"), "50") << "committed, as far as SQLite knows";
  EXPECT_GT(powercut_vfs_pending_bytes(), 0u);
  crash_close(db);

  expect_after_restart("10", "10");
}

TEST_F(PowercutVfsTest, RollbackJournalModeSurvivesPowerCut) {
  sqlite3* db = open(db_path_, kPowercutVfsName);
  exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;");
  exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  insert_rows(db, 1, 60, 20);
  EXPECT_EQ(powercut_vfs_pending_bytes(), 0u);
  exec(db, "PRAGMA cache_size=5");
  exec(db, "BEGIN");
  exec(db, "UPDATE t SET body = printf('%.300c', 'q')");
  exec(db, "DELETE FROM t WHERE id > 30");
  crash_close(db);

  expect_after_restart("60", "60");
}

// kill -9 of a process using the VFS: the real drill, with no cooperation from the dying process.
// The child only runs SQLite and then SIGKILLs itself; the parent reopens with the unix VFS.
class PowercutKillTest : public PowercutVfsTest {
 protected:
  // Runs body in a child process that then dies by SIGKILL. body returns false on failure.
  template <class Body>
  void run_and_kill(Body body) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      if (!body()) _exit(3);
      raise(SIGKILL);
      _exit(4);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
  }

  static bool child_exec(sqlite3* db, const char* sql) {
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }
};

TEST_F(PowercutKillTest, KilledWriterKeepsSyncedCommitsOnly) {
  const std::string path = db_path_;
  run_and_kill([&path] {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kPowercutVfsName) != SQLITE_OK) {
      return false;
    }
    return child_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
                          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 70) "
                          "INSERT INTO t SELECT i, printf('%.300c', 'x') FROM n;"
                          "PRAGMA synchronous=OFF;"
                          "WITH RECURSIVE n(i) AS (SELECT 71 UNION ALL SELECT i + 1 FROM n WHERE i < 90) "
                          "INSERT INTO t SELECT i, printf('%.300c', 'x') FROM n;"
                          "PRAGMA cache_size=10; BEGIN;"
                          "WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
                          "INSERT INTO t SELECT i, printf('%.300c', 'y') FROM n;") &&
           powercut_vfs_pending_bytes() > 0;
  });
  expect_after_restart("70", "70");
}

TEST_F(PowercutKillTest, KilledWriterLeavesHotJournalThatRollsBack) {
  const std::string path = db_path_;
  run_and_kill([&path] {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kPowercutVfsName) != SQLITE_OK) {
      return false;
    }
    return child_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;"
                          "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
                          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) "
                          "INSERT INTO t SELECT i, printf('%.300c', 'x') FROM n;"
                          "PRAGMA cache_size=5; BEGIN; UPDATE t SET body = printf('%.300c', 'q');");
  });
  EXPECT_TRUE(fs::exists(db_path_ + "-journal")) << "the synced journal survived the cut";
  expect_after_restart("200", "200");
}

}  // namespace
}  // namespace jarip::store
