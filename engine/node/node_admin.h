// What the node's operator actions report: switching in a rebuilt store for
// a partition (Node::rebuild) and copying every store and the embedded log
// into a backup directory (Node::checkpoint), both while the node serves.
// docs/operations.md describes how to use them; docs/http-api.md their
// routes (POST /v1/admin/rebuild, POST /v1/admin/checkpoint).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/types.h"

namespace tally {

struct RebuildOptions {
  // The rebuild follows the live pipeline until it is at most this many
  // records behind, then pauses the live pipeline for the last stretch.
  uint64_t pause_within_records = 256;
  // A rebuild that reads no record from the log for this long fails.
  std::chrono::milliseconds stall_timeout{30'000};
  // How long to wait for queries still reading the old store to finish
  // before it is closed and its directory removed.
  std::chrono::milliseconds drain_timeout{10'000};
};

struct RebuildReport {
  Partition partition;
  // Whether the rebuilt store now serves the partition. False: the digests
  // differed at `offset`; the live store stays and the rebuilt one is gone.
  bool switched = false;
  Offset offset;              // where the two were compared (the live applied offset)
  uint64_t live_digest = 0;   // Digest state; print with Digest::hex
  uint64_t rebuilt_digest = 0;
  uint64_t records = 0;       // records the rebuild applied
  // How long the live pipeline stood still, at most: from asking it to
  // pause (it finishes its step and flushes its store) to its restart on
  // the new store. An idle pipeline notices the request within its
  // poll_wait, which counts here too.
  std::chrono::microseconds paused{0};
  double seconds = 0;         // the whole rebuild
  // Outbox entries the rebuilt store held that the relay had already
  // delivered from the old store; removed, so nothing is sent twice.
  uint64_t outbox_delivered = 0;
  std::string store_dir;      // the store now serving the partition
  // Anything an operator should know: the old directory could not be
  // removed yet, etc. Empty when all went as planned.
  std::string note;
};

struct CheckpointPartition {
  Partition partition;
  Offset offset;          // the checkpointed store has applied the records below this
  uint64_t digest = 0;    // its digest there
};

struct CheckpointReport {
  std::string dir;
  std::vector<CheckpointPartition> partitions;
  // How long the pipelines stood still for the cut, at most: from asking
  // them to pause until they resumed.
  std::chrono::microseconds paused{0};
  bool log_copied = false;  // false: the log lives elsewhere (Kafka)
  std::string log_note;     // what happened to the log
  double seconds = 0;
};

}  // namespace tally
