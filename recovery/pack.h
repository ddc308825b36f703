// Packing commands that the engine itself produces (expiries, outbox
// entries) into log records: at most kMaxBatchCommands commands and at most
// the log's max_record_bytes bytes each, order kept.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/core/command.h"
#include "engine/core/partitioner.h"
#include "engine/log/log.h"

namespace tally {

struct PackedRecord {
  Partition partition;
  size_t first = 0;  // the record holds commands [first, first + count) of the input
  size_t count = 0;
  RoutingKey key;    // the routing key of its first command
  std::vector<uint8_t> value;
};

// Records for `commands`, all bound for `partition`. A record over
// `max_bytes` is split in halves until it fits (a single command always fits
// the logs Tally supports).
std::vector<PackedRecord> pack_records(Partition partition, std::span<const Command> commands,
                                       size_t max_bytes);

// Append requests pointing into `records` (valid while they live).
std::vector<AppendRequest> append_requests(const std::vector<PackedRecord>& records);

}  // namespace tally
