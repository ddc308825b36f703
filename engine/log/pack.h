// Routing and packing commands into log records: the one mechanism behind
// every append of commands (Node::append for producers, the relay's outbox
// entries, the scheduler's expiries, `tally produce --no-wait`). A record holds
// commands of one partition only, at most kMaxBatchCommands of them and at
// most `max_bytes` bytes, in input order; its key is the routing key of its
// first command (docs/log.md "Limits", docs/architecture.md "The data flow").
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

#include "engine/core/command.h"
#include "engine/core/partitioner.h"
#include "engine/log/log.h"

namespace tally {

struct PackedRecord {
  Partition partition;
  RoutingKey key;                  // the routing key of its first command
  std::vector<uint8_t> value;      // the encoded batch (engine/core/codec.h)
  std::vector<uint32_t> commands;  // the input indices of its commands, in record order
};

// No byte limit: a record over the log's limit is then refused by the log
// (check_append in engine/log/log.h) rather than split.
inline constexpr size_t kNoRecordByteLimit = std::numeric_limits<size_t>::max();

// Records for `commands`, each routed by its routing account to one of
// `partition_count` partitions (partition_of). Records come partition by
// partition, in ascending partition order.
// REQUIRES: partition_count > 0.
std::vector<PackedRecord> pack_routed(std::span<const Command> commands, uint32_t partition_count,
                                      size_t max_bytes);
// The same records, each handed to `sink` as soon as it is encoded (so
// only one is held at a time), in the same order.
void pack_routed(std::span<const Command> commands, uint32_t partition_count, size_t max_bytes,
                 const std::function<void(PackedRecord&&)>& sink);

// Records for `commands`, all bound for `partition`. A record over
// `max_bytes` is split in halves until it fits (a single command always fits
// the logs Tally supports).
std::vector<PackedRecord> pack_records(Partition partition, std::span<const Command> commands,
                                       size_t max_bytes);

// Append requests pointing into `records` (valid while they live).
std::vector<AppendRequest> append_requests(const std::vector<PackedRecord>& records);

}  // namespace tally
