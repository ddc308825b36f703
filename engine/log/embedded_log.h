// EmbeddedLog: the command log kept in a local RocksDB, for running Tally on
// one machine with nothing else installed (the default without --kafka).
//
// Layout (frozen): key 'r' | partition u32 BE | offset u64 BE, value
// append_time_ns u64 LE | key length u16 LE | key | record bytes; key "m:partitions" holds the
// partition count fixed when the log was created.
//
// Durability: appends are group-committed. Concurrent appenders queue up;
// one of them writes everyone's records in one RocksDB WriteBatch with the
// WAL fsync'd, then wakes the rest. An append returns only after that
// fsync, so every acknowledged record survives kill -9 and power loss, and a
// record is never half-written (WriteBatch is atomic). After a failed write
// every later append fails with the same error until the log is reopened:
// offsets already handed out could otherwise be reused. Except a write the
// disk refused (full, read-only): appends fail with resource_exhausted
// until RocksDB resumes (asked once a second), then go on.
//
// Damage: opening drops only a torn last WAL record (never acknowledged);
// damage before the end of the WAL fails the open with a corruption naming
// the file and the offsets at stake. Reads verify RocksDB's checksums; a
// damaged table file fails the read that reaches it, naming file and offset.
#pragma once

#include <memory>
#include <string>

#include "engine/log/log.h"

namespace tally {

inline constexpr uint32_t kDefaultPartitions = 8;

struct EmbeddedLogOptions {
  std::string dir;                  // created if missing
  // Partition count. 0: the stored count, or kDefaultPartitions when creating.
  // Otherwise it must match the stored count.
  uint32_t partitions = 0;
  bool sync = true;                 // fsync each group commit; false only for tests of speed
  size_t max_record_bytes = 1u << 20;
  // Open for reading only, without the directory's lock, so tools (replay,
  // reconcile) can read the log while a `tally serve` appends to it. The
  // log is then a snapshot: it holds every record appended before the open
  // (RocksDB replays the writer's WAL into memory) and none appended after;
  // end_offset() stays where it was. Appends fail with failed_precondition.
  // The directory must hold a log already (nothing is created).
  bool read_only = false;
};

// Opens or creates the log. Fails if `dir` holds a log with a different
// partition count, or cannot be opened (locked by another process, disk).
Result<std::unique_ptr<Log>> open_embedded_log(const EmbeddedLogOptions& options);

}  // namespace tally
