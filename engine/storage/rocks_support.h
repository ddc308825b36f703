// Helpers shared by the two RocksDB users, the embedded log (engine/log)
// and the partition stores (projections): where RocksDB's own log lines go,
// how a RocksDB status becomes a Tally Status, and what a disk failure
// looks like to a client and to the operator.
//
// Why RocksDB's log does not go to its LOG file: that file lives in the
// data directory, and on a full disk RocksDB 7.8 aborts the process when it
// writes a log line after a failed one (an assertion in
// WritableFileWriter). Lines go to the process's stderr instead (the
// operator's log), warnings and errors only.
//
// Thread-safe: every function may be called from any thread.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/listener.h>
#include <rocksdb/status.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/core/status.h"

namespace tally {

// A RocksDB info logger that writes warnings and errors to stderr, each
// line prefixed with `component` ("embedded log", "partition store 3").
std::shared_ptr<rocksdb::Logger> make_rocks_logger(std::string component);

// Refuses a directory that holds RocksDB files but no CURRENT file (the
// file that names the live MANIFEST). RocksDB would otherwise refuse with a
// misleading "wal_dir contains existing log file", or, once no WAL file is
// left, create an empty database beside the old files. ok when `dir` is
// missing, empty or has its CURRENT. The error (corruption) names `role`,
// the directory, some of the files found, and `remedy`.
Status check_current_file(const std::string& dir, const std::string& role,
                          const std::string& remedy);

// Watches one database's background errors (a RocksDB listener, one per
// database). It turns off RocksDB's own recovery from a full disk, which
// waits until the free space exceeds a whole write buffer (64 MiB for the
// log) and meanwhile answers Tally's once-a-second DB::Resume with Busy;
// Tally's Resume needs only the room the flush takes. And it remembers
// whether the last error is one RocksDB cannot resume from (fatal: in 7.8,
// failing to create a file while switching memtables, as in a directory
// that turned unwritable); only reopening the database recovers from it.
class DiskErrorListener final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
    fatal_ = error->severity() >= rocksdb::Status::Severity::kFatalError;
  }
  bool fatal() const { return fatal_; }

 private:
  std::atomic<bool> fatal_{false};
};

// Free and total bytes of the file system holding `path` (statvfs).
struct DiskSpace {
  uint64_t free_bytes = 0;   // available to this (unprivileged or not) process
  uint64_t total_bytes = 0;
};
Result<DiskSpace> disk_space(const std::string& path);

// "1.5 MiB", "812 B": for messages.
std::string format_bytes(uint64_t bytes);

// Whether a RocksDB status says the disk failed under a write: no space
// left, or the file system refused the write (read-only, permissions).
bool is_disk_write_failure(const rocksdb::Status& s);

// The Status a client sees for a write that failed on the disk of `role`
// ("the embedded log", "partition 3's store"): resource_exhausted (HTTP 503,
// retryable), naming the disk by role and its free space, never a path.
// The operator's line (path, device, RocksDB's words) is written to stderr
// by the caller's log_disk_failure.
// `fatal`: RocksDB cannot resume (DiskErrorListener::fatal); the message
// then says that a restart is needed once the disk is fixed.
Status disk_write_status(const std::string& role, const std::string& dir,
                         const rocksdb::Status& s, bool fatal = false);
// Writes the operator's line for a disk failure under `dir`.
void log_disk_failure(const std::string& role, const std::string& dir, const rocksdb::Status& s);

}  // namespace tally
