// `jarip backup` and `jarip restore`. Both write a temporary file beside the destination, sync it,
// check it, and rename it into place, so that a crash at any moment leaves either the old file or
// the complete new one under the final name (plus, at worst, a stale *.tmp that the next run removes).
#include "store/sqlite_backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "store/sqlite_schema.hpp"

namespace jarip::store {

namespace {

namespace fs = std::filesystem;

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Handle = std::unique_ptr<sqlite3, Closer>;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

Error os_error(const char* code, const std::string& what) {
  return make_error(code, what + ": " + std::strerror(errno));
}

Result<Handle> open_db(const std::string& path, int flags, const char* code) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Handle db(raw);
  if (rc != SQLITE_OK) {
    return make_error(code, "cannot open '" + path + "': " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  return Result<Handle>(std::move(db));
}

// The first column of every row; errors (including "file is not a database") are values.
Result<std::vector<std::string>> query(sqlite3* db, const std::string& sql, const char* code) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return make_error(code, sql + ": " + sqlite3_errmsg(db));
  }
  std::vector<std::string> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    rows.emplace_back(text ? text : "");
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return make_error(code, sql + ": " + sqlite3_errmsg(db));
  return rows;
}

Status exec(sqlite3* db, const std::string& sql, const char* code) {
  auto rows = query(db, sql, code);
  return rows ? Status{} : Status(rows.error());
}

Status fsync_path(const std::string& path, int flags, const char* code) {
  Fd f(::open(path.c_str(), flags | O_CLOEXEC));
  if (f.fd < 0) return os_error(code, "cannot open '" + path + "' to sync it");
  if (::fsync(f.fd) != 0) return os_error(code, "cannot sync '" + path + "'");
  return {};
}

// A rename is durable only once the directory holding it is synced.
Status fsync_dir_of(const std::string& path, const char* code) {
  fs::path dir = fs::path(path).parent_path();
  return fsync_path(dir.empty() ? "." : dir.string(), O_RDONLY | O_DIRECTORY, code);
}

void remove_with_sidecars(const std::string& path) {
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
}

// Checks a finished copy: integrity_check must say ok. Returns its schema version (0: none).
Result<int> verify_copy(const std::string& path, int flags) {
  auto db = open_db(path, flags, "backup_corrupt");
  if (!db) return db.error();
  auto verdict = query(db->get(), "PRAGMA integrity_check", "backup_corrupt");
  if (!verdict) {
    return make_error("backup_corrupt", "'" + path + "' is not a readable SQLite database: " + verdict.error().message);
  }
  if (verdict->empty() || verdict->front() != "ok") {
    std::string first = verdict->empty() ? "no answer" : verdict->front();
    return make_error("backup_corrupt", "'" + path + "' failed PRAGMA integrity_check: " + first);
  }
  auto has_table = query(db->get(), "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'",
                         "backup_corrupt");
  if (!has_table) return has_table.error();
  if (has_table->empty()) return 0;
  auto version = query(db->get(), "SELECT COALESCE(MAX(version), 0) FROM schema_version", "backup_corrupt");
  if (!version) return version.error();
  return version->empty() ? 0 : std::atoi(version->front().c_str());
}

std::int64_t file_size(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(n);
}

// Renames `tmp` to `to` without ever replacing a file that appeared meanwhile (unless force).
Status rename_into_place(const std::string& tmp, const std::string& to, bool force) {
  const std::string failed = "cannot rename '" + tmp + "' to '" + to + "'";
  const std::string appeared = "'" + to + "' appeared while the backup ran; it was left alone";
  if (force) return ::rename(tmp.c_str(), to.c_str()) == 0 ? Status{} : Status(os_error("backup_io_error", failed));
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return {};
  if (errno == EEXIST) return make_error("backup_exists", appeared);
  if (errno != EINVAL && errno != ENOSYS) return os_error("backup_io_error", failed);
  // A filesystem without RENAME_NOREPLACE: the check and the rename are then two steps.
  std::error_code ec;
  if (fs::exists(to, ec)) return make_error("backup_exists", appeared);
  return ::rename(tmp.c_str(), to.c_str()) == 0 ? Status{} : Status(os_error("backup_io_error", failed));
}

// A backup renamed over the live database (or its -wal) would pair the server's WAL with a file it
// does not describe.
bool is_database_file(const std::string& to, const std::string& db_path) {
  std::error_code ec;
  auto target = fs::weakly_canonical(to, ec);
  for (const char* suffix : {"", "-wal", "-shm", "-journal", ".lock"}) {
    std::error_code ec2;
    if (!ec && target == fs::weakly_canonical(db_path + suffix, ec2) && !ec2) return true;
  }
  return false;
}

// Pages copied into `dest`, from one snapshot of `src`.
Result<std::int64_t> copy_pages(sqlite3* src, sqlite3* dest, const BackupOptions& options) {
  // A read transaction held for the whole copy: every step reads the same snapshot, and commits by
  // the server meanwhile do not make sqlite3_backup_step start over (which, with a server that
  // commits every few milliseconds, it would do forever).
  if (auto s = exec(src, "BEGIN", "backup_failed"); !s) return s.error();
  if (auto s = exec(src, "SELECT COUNT(*) FROM sqlite_master", "backup_failed"); !s) return s.error();
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", src, "main");
  if (!backup) return make_error("backup_failed", std::string("cannot start the backup: ") + sqlite3_errmsg(dest));
  int rc;
  int busy_retries = 0;
  for (;;) {
    rc = sqlite3_backup_step(backup, options.pages_per_step > 0 ? options.pages_per_step : 256);
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_OK) {
      if (options.on_step) {
        int total = sqlite3_backup_pagecount(backup);
        options.on_step(BackupProgress{total - sqlite3_backup_remaining(backup), total});
      }
    } else if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
      break;
    } else if (++busy_retries > 1000) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(options.sleep_ms > 0 ? options.sleep_ms : 1));
  }
  std::int64_t pages = sqlite3_backup_pagecount(backup);
  int finish = sqlite3_backup_finish(backup);
  (void)exec(src, "COMMIT", "backup_failed");
  if (rc != SQLITE_DONE || finish != SQLITE_OK) {
    return make_error("backup_failed", std::string("backup step failed: ") +
                                           sqlite3_errstr(rc != SQLITE_DONE ? rc : finish) + " (" +
                                           sqlite3_errmsg(dest) + ")");
  }
  return pages;
}

// Matches the owner of `reference` when running as root, so that a jarip running as its own user
// can open what root restored.
void match_owner(int fd, const std::string& reference) {
  struct stat st {};
  if (::geteuid() == 0 && ::stat(reference.c_str(), &st) == 0) (void)::fchown(fd, st.st_uid, st.st_gid);
}

Result<std::int64_t> copy_file_synced(const std::string& from, const std::string& to, const std::string& owner_of) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) return os_error("restore_io_error", "cannot read '" + from + "'");
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (out.fd < 0) return os_error("restore_io_error", "cannot create '" + to + "'");
  match_owner(out.fd, owner_of);
  std::vector<char> buffer(1 << 20);
  std::int64_t total = 0;
  for (;;) {
    ssize_t n = ::read(in.fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os_error("restore_io_error", "cannot read '" + from + "'");
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out.fd, buffer.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return os_error("restore_io_error", "cannot write '" + to + "'");
      done += w;
    }
    total += n;
  }
  if (::fsync(out.fd) != 0) return os_error("restore_io_error", "cannot sync '" + to + "'");
  return total;
}

std::string utc_stamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// Keeps the current database (and a -wal or -journal that may hold its last transactions) under
// a new name, by hard links: instant, and the files under the old names stay until replaced.
Result<std::string> keep_current(const std::string& db_path) {
  // Folds a WAL left by a kill -9 into the main file, so that the kept file stands alone. Best
  // effort: a damaged file may refuse, and then its -wal is kept beside it below.
  if (auto db = open_db(db_path, SQLITE_OPEN_READWRITE, "restore_io_error"); db) {
    (void)exec(db->get(), "PRAGMA wal_checkpoint(TRUNCATE)", "restore_io_error");
  }
  std::string base = db_path + ".before-restore-" + utc_stamp();
  std::string kept = base;
  std::error_code ec;
  for (int n = 1; fs::exists(kept, ec) || fs::exists(kept + "-wal", ec); ++n) kept = base + "-" + std::to_string(n);
  for (const char* suffix : {"", "-wal", "-journal"}) {
    std::string current = db_path + suffix;
    if (!fs::exists(current, ec)) continue;
    if (::link(current.c_str(), (kept + suffix).c_str()) == 0) continue;
    // A filesystem without hard links: a copy.
    auto copied = copy_file_synced(current, kept + suffix, current);
    if (!copied) return copied.error();
  }
  if (auto s = fsync_dir_of(db_path, "restore_io_error"); !s) return s.error();
  return fs::exists(kept, ec) ? kept : std::string();
}

}  // namespace

Result<BackupReport> backup_sqlite(const std::string& db_path, const std::string& to,
                                   const BackupOptions& options) {
  auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::exists(db_path, ec)) {
    return make_error("storage_not_found", "no database at '" + db_path + "' (check storage.data_dir)");
  }
  if (is_database_file(to, db_path)) {
    return make_error("backup_target_invalid", "'" + to + "' is the database itself; back up to another path");
  }
  if (!options.force && fs::exists(to, ec)) {
    return make_error("backup_exists", "'" + to + "' exists; choose another path, or add --force to replace it");
  }
  const std::string tmp = to + ".tmp";
  remove_with_sidecars(tmp);  // left by a backup killed mid-way
  {
    // Created here rather than by SQLite: a backup holds customers' phone numbers, so owner-only.
    Fd created(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (created.fd < 0) return os_error("backup_io_error", "cannot create '" + tmp + "'");
  }
  BackupReport report;
  {
    auto src = open_db(db_path, SQLITE_OPEN_READWRITE, "backup_failed");
    if (!src) return src.error();
    auto dest = open_db(tmp, SQLITE_OPEN_READWRITE, "backup_io_error");
    if (!dest) return dest.error();
    // No journal and no syncs while copying: until the rename, a crash leaves only the *.tmp, and
    // the whole file is synced once at the end.
    if (auto s = exec(dest->get(), "PRAGMA journal_mode=OFF", "backup_failed"); !s) return s.error();
    if (auto s = exec(dest->get(), "PRAGMA synchronous=OFF", "backup_failed"); !s) return s.error();
    auto pages = copy_pages(src->get(), dest->get(), options);
    if (!pages) return pages.error();
    report.pages = *pages;
    // The copied first page says WAL; a backup should be one file that needs no -wal beside it.
    if (auto s = exec(dest->get(), "PRAGMA journal_mode=DELETE", "backup_failed"); !s) return s.error();
  }
  if (auto s = fsync_path(tmp, O_RDONLY, "backup_io_error"); !s) return s.error();
  auto version = verify_copy(tmp, SQLITE_OPEN_READONLY);
  if (!version) return version.error();  // the *.tmp stays for inspection; the next run replaces it
  report.schema_version = *version;
  report.bytes = file_size(tmp);
  if (auto s = rename_into_place(tmp, to, options.force); !s) return s.error();
  if (auto s = fsync_dir_of(to, "backup_io_error"); !s) return s.error();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

Result<RestoreReport> restore_sqlite(const std::string& db_path, const std::string& from,
                                     const RestoreOptions& options) {
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) return make_error("backup_not_found", "no backup file at '" + from + "'");
  fs::path data_dir = fs::path(db_path).parent_path();
  if (data_dir.empty()) data_dir = ".";
  fs::create_directories(data_dir, ec);
  // The server's own lock, held until the end: a server started meanwhile is refused rather than
  // opening a half-restored directory.
  const std::string lock_path = db_path + ".lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock.fd < 0) return os_error("restore_io_error", "cannot open lock file '" + lock_path + "'");
  match_owner(lock.fd, data_dir.string());
  if (::flock(lock.fd, LOCK_EX | LOCK_NB) != 0) {
    return make_error("storage_locked", "a jarip process is using '" + db_path + "' (it holds " + lock_path +
                                            "): stop jarip first, then restore");
  }
  const bool current = fs::exists(db_path, ec);
  if (current && !options.force) {
    return make_error("restore_exists", "'" + db_path + "' exists; add --force to replace it (it is then kept as " +
                                            db_path + ".before-restore-<UTC time>)");
  }
  const std::string tmp = db_path + ".restore-tmp";
  remove_with_sidecars(tmp);
  RestoreReport report;
  auto bytes = copy_file_synced(from, tmp, current ? db_path : data_dir.string());
  if (!bytes) return bytes.error();
  report.bytes = *bytes;
  // The copy, not the original, is checked: what is verified is exactly what is renamed in.
  auto version = verify_copy(tmp, SQLITE_OPEN_READWRITE);
  Status ok;
  if (!version) {
    ok = version.error();
  } else if (*version == 0) {
    ok = make_error("backup_not_jarip", "'" + from + "' is SQLite but not a jarip database (no schema_version)");
  } else if (*version > sqlite_schema_version()) {
    ok = make_error("storage_schema_too_new",
                    "'" + from + "' has schema version " + std::to_string(*version) + ", newer than this jarip (" +
                        std::to_string(sqlite_schema_version()) + "); restore it with that jarip, or upgrade");
  }
  if (ok) ok = fsync_path(tmp, O_RDONLY, "restore_io_error");
  if (!ok) {
    remove_with_sidecars(tmp);
    return ok.error();
  }
  report.schema_version = *version;
  auto kept = keep_current(db_path);
  if (!kept) {
    remove_with_sidecars(tmp);
    return kept.error();
  }
  report.previous = *kept;
  // Only now, with the old files kept: a -wal or -journal left beside the restored file would be
  // replayed onto it by SQLite, and the old -shm describes the old WAL.
  for (const char* suffix : {"-wal", "-journal", "-shm"}) ::unlink((db_path + suffix).c_str());
  for (const char* suffix : {"-wal", "-shm"}) ::unlink((tmp + suffix).c_str());  // the check's, if a WAL file
  if (::rename(tmp.c_str(), db_path.c_str()) != 0) {
    return os_error("restore_io_error", "cannot rename '" + tmp + "' to '" + db_path + "'");
  }
  if (auto s = fsync_dir_of(db_path, "restore_io_error"); !s) return s.error();
  return report;
}

}  // namespace jarip::store
