#include "store/powercut_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace jarip::store {
namespace {

// What the OS page cache would hold for one file: writes and truncates since its last sync. Keyed
// by path, not by handle, because SQLite opens one file through several handles (one per
// connection) and each must see the others' unsynced writes, as with a real page cache.
struct PendingFile {
  std::string path;
  int open_handles = 0;
  bool dirty = false;              // false: the real file is the whole truth
  sqlite3_int64 logical_size = 0;  // the size readers see, when dirty
  // Real bytes at or past `cut` are hidden: a truncate happened, and a later write extending the
  // file again must expose zeros there, not the old contents.
  std::optional<sqlite3_int64> cut;
  std::map<sqlite3_int64, std::string> extents;  // offset → bytes, non-overlapping, newest wins

  void clear() {
    dirty = false;
    logical_size = 0;
    cut.reset();
    extents.clear();
  }

  void write(sqlite3_int64 offset, const char* data, sqlite3_int64 size) {
    if (size <= 0) return;
    sqlite3_int64 end = offset + size;
    auto it = extents.upper_bound(offset);
    if (it != extents.begin()) --it;
    while (it != extents.end() && it->first < end) {
      sqlite3_int64 start = it->first;
      sqlite3_int64 stop = start + static_cast<sqlite3_int64>(it->second.size());
      if (stop <= offset) {
        ++it;
        continue;
      }
      std::string old = std::move(it->second);
      it = extents.erase(it);
      if (start < offset) extents.emplace(start, old.substr(0, static_cast<std::size_t>(offset - start)));
      if (stop > end) extents.emplace(end, old.substr(static_cast<std::size_t>(end - start)));
    }
    extents.emplace(offset, std::string(data, static_cast<std::size_t>(size)));
    logical_size = std::max(logical_size, end);
  }

  void truncate(sqlite3_int64 size) {
    auto it = extents.lower_bound(size);
    extents.erase(it, extents.end());
    if (!extents.empty()) {
      auto& [start, bytes] = *extents.rbegin();
      if (start + static_cast<sqlite3_int64>(bytes.size()) > size) bytes.resize(static_cast<std::size_t>(size - start));
    }
    cut = std::min(cut.value_or(size), size);
    logical_size = size;
  }

  std::uint64_t pending_bytes() const {
    std::uint64_t total = 0;
    for (const auto& [offset, bytes] : extents) total += bytes.size();
    return total;
  }
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, PendingFile> files;  // node-based: PendingFile addresses stay valid
  std::atomic<std::uint64_t> syncs{0};
};

Registry& registry() {
  // Never destroyed: SQLite may still close files during static destruction.
  static Registry* instance = new Registry;
  return *instance;
}

// SQLite allocates szOsFile bytes per open file; ours is this header followed by the real file.
struct PowercutFile {
  sqlite3_file base;
  sqlite3_file* real;
  PendingFile* pending;
  bool delete_on_close;
};
constexpr int kHeaderSize = (sizeof(PowercutFile) + 7) & ~7;

PowercutFile* as_powercut(sqlite3_file* file) { return reinterpret_cast<PowercutFile*>(file); }
sqlite3_file* real_of(sqlite3_file* file) { return as_powercut(file)->real; }

int make_dirty(PendingFile& pending, sqlite3_file* real) {
  if (pending.dirty) return SQLITE_OK;
  sqlite3_int64 size = 0;
  int rc = real->pMethods->xFileSize(real, &size);
  if (rc != SQLITE_OK) return rc;
  pending.dirty = true;
  pending.logical_size = size;
  return SQLITE_OK;
}

int flush(PendingFile& pending, sqlite3_file* real) {
  if (!pending.dirty) return SQLITE_OK;
  const sqlite3_io_methods* io = real->pMethods;
  sqlite3_int64 size = 0;
  int rc = io->xFileSize(real, &size);
  if (rc == SQLITE_OK && pending.cut && *pending.cut < size) rc = io->xTruncate(real, *pending.cut);
  for (auto it = pending.extents.begin(); rc == SQLITE_OK && it != pending.extents.end(); ++it) {
    rc = io->xWrite(real, it->second.data(), static_cast<int>(it->second.size()), it->first);
  }
  if (rc == SQLITE_OK) rc = io->xFileSize(real, &size);
  if (rc == SQLITE_OK && size != pending.logical_size) rc = io->xTruncate(real, pending.logical_size);
  // On error the overlay stays: the caller's sync fails and SQLite treats the data as not durable.
  if (rc == SQLITE_OK) pending.clear();
  return rc;
}

int read_through(PendingFile& pending, sqlite3_file* real, void* buffer, int amount, sqlite3_int64 offset) {
  char* out = static_cast<char*>(buffer);
  std::memset(out, 0, static_cast<std::size_t>(amount));
  sqlite3_int64 real_size = 0;
  int rc = real->pMethods->xFileSize(real, &real_size);
  if (rc != SQLITE_OK) return rc;
  sqlite3_int64 visible = pending.cut ? std::min(real_size, *pending.cut) : real_size;
  if (offset < visible) {
    auto count = static_cast<int>(std::min<sqlite3_int64>(amount, visible - offset));
    rc = real->pMethods->xRead(real, out, count, offset);
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
  }
  sqlite3_int64 end = offset + amount;
  auto it = pending.extents.upper_bound(offset);
  if (it != pending.extents.begin()) --it;
  for (; it != pending.extents.end() && it->first < end; ++it) {
    sqlite3_int64 start = std::max(offset, it->first);
    sqlite3_int64 stop = std::min(end, it->first + static_cast<sqlite3_int64>(it->second.size()));
    if (start >= stop) continue;
    std::memcpy(out + (start - offset), it->second.data() + (start - it->first), static_cast<std::size_t>(stop - start));
  }
  // SQLite requires the unread tail zeroed (done above) and this code for a read past the end.
  return end <= pending.logical_size ? SQLITE_OK : SQLITE_IOERR_SHORT_READ;
}

// ---- sqlite3_io_methods ----

int file_close(sqlite3_file* file) {
  PowercutFile* self = as_powercut(file);
  {
    Registry& reg = registry();
    std::lock_guard lock(reg.mutex);
    PendingFile& pending = *self->pending;
    // Unsynced data outlives the handle, as in a page cache, until a discard or the process dies.
    if (self->delete_on_close) pending.clear();
    if (--pending.open_handles == 0 && !pending.dirty) reg.files.erase(std::string(pending.path));
  }
  return self->real->pMethods->xClose(self->real);
}

int file_read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  PowercutFile* self = as_powercut(file);
  std::lock_guard lock(registry().mutex);
  if (!self->pending->dirty) return self->real->pMethods->xRead(self->real, buffer, amount, offset);
  return read_through(*self->pending, self->real, buffer, amount, offset);
}

int file_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  PowercutFile* self = as_powercut(file);
  std::lock_guard lock(registry().mutex);
  int rc = make_dirty(*self->pending, self->real);
  if (rc != SQLITE_OK) return rc;
  self->pending->write(offset, static_cast<const char*>(data), amount);
  return SQLITE_OK;
}

int file_truncate(sqlite3_file* file, sqlite3_int64 size) {
  PowercutFile* self = as_powercut(file);
  std::lock_guard lock(registry().mutex);
  int rc = make_dirty(*self->pending, self->real);
  if (rc != SQLITE_OK) return rc;
  self->pending->truncate(size);
  return SQLITE_OK;
}

int file_sync(sqlite3_file* file, int flags) {
  PowercutFile* self = as_powercut(file);
  {
    std::lock_guard lock(registry().mutex);
    int rc = flush(*self->pending, self->real);
    if (rc != SQLITE_OK) return rc;
  }
  registry().syncs.fetch_add(1, std::memory_order_relaxed);
  return self->real->pMethods->xSync(self->real, flags);
}

int file_size(sqlite3_file* file, sqlite3_int64* size) {
  PowercutFile* self = as_powercut(file);
  std::lock_guard lock(registry().mutex);
  if (!self->pending->dirty) return self->real->pMethods->xFileSize(self->real, size);
  *size = self->pending->logical_size;
  return SQLITE_OK;
}

int file_control(sqlite3_file* file, int op, void* arg) {
  switch (op) {
    // The unix VFS would grow the real file directly (fallocate), behind the overlay's back.
    case SQLITE_FCNTL_SIZE_HINT:
      return SQLITE_OK;
    // A memory map of the real file would bypass the overlay. Answer "no mmap, limit 0".
    case SQLITE_FCNTL_MMAP_SIZE:
      *static_cast<sqlite3_int64*>(arg) = 0;
      return SQLITE_OK;
    default:
      return real_of(file)->pMethods->xFileControl(real_of(file), op, arg);
  }
}

int file_lock(sqlite3_file* file, int level) { return real_of(file)->pMethods->xLock(real_of(file), level); }
int file_unlock(sqlite3_file* file, int level) { return real_of(file)->pMethods->xUnlock(real_of(file), level); }
int file_check_reserved_lock(sqlite3_file* file, int* out) {
  return real_of(file)->pMethods->xCheckReservedLock(real_of(file), out);
}
int file_sector_size(sqlite3_file* file) { return real_of(file)->pMethods->xSectorSize(real_of(file)); }
int file_device_characteristics(sqlite3_file* file) {
  return real_of(file)->pMethods->xDeviceCharacteristics(real_of(file));
}
int file_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return real_of(file)->pMethods->xShmMap(real_of(file), region, size, extend, out);
}
int file_shm_lock(sqlite3_file* file, int offset, int count, int flags) {
  return real_of(file)->pMethods->xShmLock(real_of(file), offset, count, flags);
}
void file_shm_barrier(sqlite3_file* file) { real_of(file)->pMethods->xShmBarrier(real_of(file)); }
int file_shm_unmap(sqlite3_file* file, int delete_flag) {
  return real_of(file)->pMethods->xShmUnmap(real_of(file), delete_flag);
}

// Version 2: shared memory, but no xFetch, so SQLite never maps the file and every read comes here.
const sqlite3_io_methods kIoMethods = {
    2,
    file_close,
    file_read,
    file_write,
    file_truncate,
    file_sync,
    file_size,
    file_lock,
    file_unlock,
    file_check_reserved_lock,
    file_control,
    file_sector_size,
    file_device_characteristics,
    file_shm_map,
    file_shm_lock,
    file_shm_barrier,
    file_shm_unmap,
    nullptr,  // xFetch
    nullptr,  // xUnfetch
};

// ---- sqlite3_vfs ----

sqlite3_vfs* real_vfs(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int vfs_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* real = real_vfs(vfs);
  constexpr int kDurable = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL | SQLITE_OPEN_SUPER_JOURNAL;
  // Temporary files need not survive a power cut: hand them the real file directly.
  if (name == nullptr || (flags & kDurable) == 0) return real->xOpen(real, name, file, flags, out_flags);

  PowercutFile* self = as_powercut(file);
  self->base.pMethods = nullptr;
  self->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kHeaderSize);
  self->real->pMethods = nullptr;
  int rc = real->xOpen(real, name, self->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // xOpen may fail with pMethods set, and then the file must still be closed.
    if (self->real->pMethods != nullptr) self->real->pMethods->xClose(self->real);
    return rc;
  }
  {
    Registry& reg = registry();
    std::lock_guard lock(reg.mutex);
    PendingFile& pending = reg.files[name];
    pending.path = name;
    ++pending.open_handles;
    self->pending = &pending;
  }
  self->delete_on_close = (flags & SQLITE_OPEN_DELETEONCLOSE) != 0;
  self->base.pMethods = &kIoMethods;
  return SQLITE_OK;
}

int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  {
    Registry& reg = registry();
    std::lock_guard lock(reg.mutex);
    auto it = reg.files.find(name);
    if (it != reg.files.end()) {
      it->second.clear();
      if (it->second.open_handles == 0) reg.files.erase(it);
    }
  }
  return real_vfs(vfs)->xDelete(real_vfs(vfs), name, sync_dir);
}

int vfs_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return real_vfs(vfs)->xAccess(real_vfs(vfs), name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return real_vfs(vfs)->xFullPathname(real_vfs(vfs), name, size, out);
}
void* vfs_dl_open(sqlite3_vfs* vfs, const char* name) { return real_vfs(vfs)->xDlOpen(real_vfs(vfs), name); }
void vfs_dl_error(sqlite3_vfs* vfs, int size, char* out) { real_vfs(vfs)->xDlError(real_vfs(vfs), size, out); }
void (*vfs_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return real_vfs(vfs)->xDlSym(real_vfs(vfs), handle, symbol);
}
void vfs_dl_close(sqlite3_vfs* vfs, void* handle) { real_vfs(vfs)->xDlClose(real_vfs(vfs), handle); }
int vfs_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return real_vfs(vfs)->xRandomness(real_vfs(vfs), size, out);
}
int vfs_sleep(sqlite3_vfs* vfs, int microseconds) { return real_vfs(vfs)->xSleep(real_vfs(vfs), microseconds); }
int vfs_current_time(sqlite3_vfs* vfs, double* out) { return real_vfs(vfs)->xCurrentTime(real_vfs(vfs), out); }
int vfs_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  return real_vfs(vfs)->xGetLastError(real_vfs(vfs), size, out);
}
int vfs_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return real_vfs(vfs)->xCurrentTimeInt64(real_vfs(vfs), out);
}

}  // namespace

Status register_powercut_vfs() {
  static std::once_flag once;
  static int rc = SQLITE_ERROR;
  static sqlite3_vfs vfs{};
  std::call_once(once, [] {
    sqlite3_vfs* real = sqlite3_vfs_find("unix");
    if (real == nullptr || real->iVersion < 2) return;
    vfs.iVersion = 2;
    vfs.szOsFile = kHeaderSize + real->szOsFile;
    vfs.mxPathname = real->mxPathname;
    vfs.zName = kPowercutVfsName;
    vfs.pAppData = real;
    vfs.xOpen = vfs_open;
    vfs.xDelete = vfs_delete;
    vfs.xAccess = vfs_access;
    vfs.xFullPathname = vfs_full_pathname;
    vfs.xDlOpen = vfs_dl_open;
    vfs.xDlError = vfs_dl_error;
    vfs.xDlSym = vfs_dl_sym;
    vfs.xDlClose = vfs_dl_close;
    vfs.xRandomness = vfs_randomness;
    vfs.xSleep = vfs_sleep;
    vfs.xCurrentTime = vfs_current_time;
    vfs.xGetLastError = vfs_get_last_error;
    vfs.xCurrentTimeInt64 = vfs_current_time_int64;
    rc = sqlite3_vfs_register(&vfs, 0);
  });
  if (rc != SQLITE_OK) {
    return make_error("powercut_vfs_unavailable", "could not register the jarip-powercut SQLite VFS");
  }
  return Status::success();
}

std::uint64_t powercut_vfs_sync_count() { return registry().syncs.load(std::memory_order_relaxed); }

std::uint64_t powercut_vfs_pending_bytes() {
  Registry& reg = registry();
  std::lock_guard lock(reg.mutex);
  std::uint64_t total = 0;
  for (const auto& [path, pending] : reg.files) total += pending.pending_bytes();
  return total;
}

void discard_unsynced_writes() {
  Registry& reg = registry();
  std::lock_guard lock(reg.mutex);
  for (auto it = reg.files.begin(); it != reg.files.end();) {
    it->second.clear();
    it = it->second.open_handles == 0 ? reg.files.erase(it) : std::next(it);
  }
}

}  // namespace jarip::store
