// The scrub: reads everything a data directory holds at rest, with every
// checksum verified, so that latent damage (a flipped bit in a file nobody
// has read lately) is found before a query, a replay or a restart needs it
// (issue 16 item 6; docs/operations.md "When the disk fails").
//
// One pass reads:
//   1. every table file (.sst) of each target directory, every block of it
//      (engine/storage/table_check.h): the embedded log's and each partition
//      store's;
//   2. with a log, every record of every partition from offset 0 to its
//      end, through the log's own reader: for the embedded log that reads
//      its blob files, where records larger than 1 KiB live, each value
//      under RocksDB's checksum. A read error stops that partition's read
//      (the records after it are not reached) and is reported.
// `tally verify` runs one pass as fast as the disk goes; `tally serve
// --scrub-interval` runs one every interval, paced (scrubber.h).
//
// Findings name the part by role and the file by name ("partition 3 store
// table 000012.sst"); the reason is RocksDB's, with the table file's
// directory taken out (a log read's reason is the log's error as it is;
// /health redacts the data directory's path).
//
// Thread-safe: scrub_pass() reads only; it may run beside the writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/log/log.h"
#include "engine/storage/table_check.h"

namespace tally {

struct ScrubTarget {
  std::string role;  // "the embedded log", "partition 3 store"
  std::string dir;
};

struct ScrubFinding {
  std::string role;
  std::string file;    // "000012.sst"; "" for a read of the log's records
  std::string reason;  // without the directory's path
  std::string where() const;  // "partition 3 store table 000012.sst"
};

struct ScrubReport {
  size_t files = 0;      // table files read
  uint64_t bytes = 0;    // their sizes
  uint64_t records = 0;  // log records read
  uint64_t record_bytes = 0;
  std::vector<ScrubFinding> damaged;
  bool stopped = false;  // ScanPace::stop cut the pass short
  double seconds = 0;
};

// DATA/log (when `embedded_log`) and DATA/partitions/<P> for P < partitions.
std::vector<ScrubTarget> scrub_targets(const std::string& data_dir, uint32_t partitions,
                                       bool embedded_log);

// One pass over `targets`, then (when `log` is given) over the log's
// records. Directories that do not exist are skipped. `pace` is shared by
// both parts.
ScrubReport scrub_pass(const std::vector<ScrubTarget>& targets, Log* log, const ScanPace& pace);

}  // namespace tally
