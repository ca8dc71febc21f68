// Online backup and offline restore of the SQLite database (`jarip backup`, `jarip restore`).
// A backup is one self-contained SQLite file (no -wal beside it) holding a consistent snapshot: every
// transaction committed before the backup began, nothing committed after.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.hpp"

namespace jarip::store {

struct BackupProgress {
  std::int64_t copied_pages = 0;
  std::int64_t total_pages = 0;
};

struct BackupOptions {
  bool force = false;         // replace an existing file at the destination
  int pages_per_step = 256;   // copied per sqlite3_backup_step
  int sleep_ms = 10;          // between steps, so the server's own disk I/O keeps its share
  // Called after each step (tests use it to write while a backup runs).
  std::function<void(const BackupProgress&)> on_step;
};

struct BackupReport {
  std::int64_t pages = 0;
  std::int64_t bytes = 0;
  double seconds = 0;
  int schema_version = 0;
};

// Copies the database at db_path (which a running server may keep writing) to `to`, through
// `to`.tmp: written, synced, checked with PRAGMA integrity_check, then renamed into place, so that
// `to` is never a partial file. Error codes: storage_not_found, backup_exists, backup_target_invalid,
// backup_failed, backup_corrupt, backup_io_error.
Result<BackupReport> backup_sqlite(const std::string& db_path, const std::string& to, const BackupOptions& options);

struct RestoreOptions {
  bool force = false;  // replace an existing database (it is kept as <db>.before-restore-<UTC time>)
};

struct RestoreReport {
  std::int64_t bytes = 0;
  int schema_version = 0;
  std::string previous;  // where the replaced database was kept; empty when there was none
};

// Puts the backup `from` in place of db_path. Refuses while a server holds db_path.lock, when the
// backup is damaged or newer than this binary, and (without force) when db_path exists. Error codes:
// storage_locked, restore_exists, backup_not_found, backup_corrupt, backup_not_jarip,
// storage_schema_too_new, restore_io_error.
Result<RestoreReport> restore_sqlite(const std::string& db_path, const std::string& from,
                                     const RestoreOptions& options);

}  // namespace jarip::store
