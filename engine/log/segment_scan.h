// Reading the segment log's files at open (internal to engine/log): every
// frame is checked (magic, both crc32c, partition in range, offsets in
// sequence per partition) and indexed.
//
// What the end of the LAST segment may hold that is not a frame: a write
// that never completed (kill -9, power loss, a full disk), so never
// acknowledged: the bytes left of a frame whose header is intact but whose
// body runs past the end of the file, fewer bytes than a header, or zeros
// to the end. That is a torn tail; the scan reports where the good part
// ends (the writer truncates the rest away). Anything else that fails a
// check is damage: the scan fails with a corruption naming the segment
// file, the byte, the offsets whose records are at stake, and never skips.
// A sealed segment (not the last) must be whole.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace tally::segment {

// Where one record's frame lies.
struct IndexEntry {
  uint32_t segment;  // position in the list of segments (not its number)
  uint32_t bytes;    // the whole frame
  uint64_t pos;      // byte of the frame's start in that segment file
};

struct ScanResult {
  std::vector<std::vector<IndexEntry>> index;  // per partition, by offset
  uint64_t last_end = 0;   // where the last segment's good part ends
  uint64_t torn_bytes = 0; // what follows it (a torn last write)
};

// Scans the segment files `paths` (in order; the last one is the active
// segment) of the log at `dir` with `partitions` partitions.
Result<ScanResult> scan_segments(const std::string& dir, const std::vector<std::string>& paths,
                                 uint32_t partitions);

}  // namespace tally::segment
