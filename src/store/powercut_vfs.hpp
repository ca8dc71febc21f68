// A SQLite VFS for the power-cut drill. "jarip-powercut" wraps the unix VFS and keeps every write
// and truncate of a database, journal or WAL file in process memory until SQLite syncs that file;
// only then does the data reach the real file, which is then really fsync'd. Reads see the pending
// data, as they would through an OS page cache.
//
// A process killed with kill -9 while using this VFS therefore loses exactly the writes SQLite had
// not synced, as a power cut would lose the page cache (a plain kill -9 loses nothing: the kernel
// keeps the page cache). SQLite's own crash tests (test6.c) work the same way. Shared memory
// (-shm) and temporary files pass straight through: neither has to survive a power cut.
//
// Unsynced data also dies with a cleanly exiting process (a real page cache would keep it), so a
// drill judges only what SQLite synced: acknowledged must mean synced.
//
// For drills and tests only; the throughput cost is an in-memory copy and a global lock per I/O.
// Thread-safe.
#pragma once

#include <cstdint>

#include "common/result.hpp"

namespace jarip::store {

inline constexpr const char* kPowercutVfsName = "jarip-powercut";

// Registers the VFS under kPowercutVfsName (never as the default). Idempotent.
// Errors: powercut_vfs_unavailable (no unix VFS in this SQLite build, or registration failed).
Status register_powercut_vfs();

// xSync calls that reached the real file since start-up.
std::uint64_t powercut_vfs_sync_count();

// Bytes written through the VFS and not yet synced, over all files.
std::uint64_t powercut_vfs_pending_bytes();

// Simulates the power cut in-process: drops every pending write and truncate. Connections still
// open on the files hold caches that a real crash would also have lost, so a faithful drill only
// closes them afterwards, with SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE set so that closing writes nothing,
// and then reopens the database.
void discard_unsynced_writes();

}  // namespace jarip::store
