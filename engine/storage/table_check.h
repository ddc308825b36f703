// Reading a RocksDB directory's table files with every checksum verified
// (issue 16: latent corruption is otherwise found only when a query or a
// replay happens to read the damaged block).
//
// verify_table_files() opens each table file (*.sst) of a directory on its
// own (rocksdb::SstFileReader, no database open, so it works beside the
// process that writes the directory) and verifies the checksum of every
// block in it: data, index, filter, properties and the other meta blocks.
// Only the table format's footer padding is outside every checksum
// (format version 5). Blob files (the embedded log's records) are not table
// files; they are read through the log (tally verify, the serve scrub).
//
// Pacing: reads go through a file system that sleeps to keep the average
// at most ScanPace::bytes_per_second, and gives up when `stop` is set, so a
// background scrub costs a bounded share of the disk and never delays a
// shutdown by more than one read.
//
// Thread-safe: each call uses its own readers; ScanPace is read only.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace tally {

struct ScanPace {
  uint64_t bytes_per_second = 0;             // 0: as fast as the disk goes
  const std::atomic<bool>* stop = nullptr;   // set: the scan stops at its next read
};

struct DamagedFile {
  std::string file;    // the file's name within the directory ("000012.sst"), never a path
  std::string error;   // RocksDB's words, which may hold the path: for the operator's log
};

struct TableScan {
  size_t files = 0;    // table files verified (damaged ones included)
  uint64_t bytes = 0;  // their sizes
  std::vector<DamagedFile> damaged;  // in file-name order
  bool stopped = false;              // ScanPace::stop cut the scan short
};

// Verifies every *.sst in `dir`, in name order. A file removed meanwhile (a
// compaction of a running writer) is skipped, not damaged. An error only
// when `dir` cannot be listed.
Result<TableScan> verify_table_files(const std::string& dir, const ScanPace& pace = {});

// Sleeps as needed so that `bytes` more read keeps the average since
// `started_ns` (steady clock) within pace.bytes_per_second; false when
// pace.stop is set. For scans that read through other means (the log).
class Pacer {
 public:
  explicit Pacer(ScanPace pace);
  bool charge(uint64_t bytes);
  bool stopped() const { return pace_.stop != nullptr && pace_.stop->load(); }

 private:
  ScanPace pace_;
  int64_t started_ns_;
  uint64_t total_ = 0;
};

}  // namespace tally
