// The embedded log's keys (internal to engine/log; docs/log.md "On-disk
// format", frozen): 'r' | partition u32 BE | offset u64 BE, and the meta
// key holding the partition count.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/slice.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/core/bytes.h"
#include "engine/core/status.h"
#include "engine/core/types.h"

namespace tally::embedded {

inline constexpr char kPartitionsKey[] = "m:partitions";
inline constexpr size_t kKeySize = 13;

inline std::string record_key(Partition p, Offset o) {
  std::string k(kKeySize, '\0');
  k[0] = 'r';
  put_be32(&k[1], p.value);
  put_be64(&k[5], o.value);
  return k;
}

struct RecordPosition {
  Partition partition;
  Offset offset;
};

// The position a record key names; nullopt for any other key.
inline std::optional<RecordPosition> parse_record_key(const rocksdb::Slice& k) {
  if (k.size() != kKeySize || k[0] != 'r') return std::nullopt;
  return RecordPosition{Partition{get_be32(k.data() + 1)}, Offset{get_be64(k.data() + 5)}};
}

// Each partition's end (last stored offset + 1, or 0) in `db`.
Result<std::vector<uint64_t>> load_ends(rocksdb::DB& db, uint32_t partitions);

// Called when opening the log at `dir` failed on damage (`failure`, a
// corruption): opens it read-only twice more, stopping at the damage and
// skipping past it, to name the damaged WAL file and the offsets that
// cannot be recovered intact. Returns the corruption Status to report.
Status describe_damage(const std::string& dir, const rocksdb::Options& options,
                       const rocksdb::Status& failure);

}  // namespace tally::embedded
