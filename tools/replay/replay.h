// Replay: rebuild a projection from the log into fresh stores (docs/design.md
// "Tools", "State digest"). The records go through the engine's own
// PartitionPipeline and saga coordinator, so a replay of the same log
// prefix reproduces the live store's state and digest byte for byte. Only
// the log is read; nothing is appended (outbox entries and timers are
// stored in the new stores, never relayed).
//
// Layout of the target: INTO/partitions/<P>, the same as a data directory,
// one RocksDB per partition.
//
// Who calls it: `tally replay`, `tally bench replay` and tests, from one
// thread; replay() runs partitions on worker threads of its own and calls
// `on_progress` on the calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/log/log.h"
#include "engine/node/pipeline.h"
#include "projections/records.h"

namespace tally::replay {

struct ReplayOptions {
  // The new data directory. Created when missing; refused (failed
  // precondition) when it holds anything.
  std::string into_dir;
  // Per partition: apply only records below this offset. Partitions not
  // named replay to the end of the log as it was when replay() began.
  std::map<uint32_t, Offset> to_offset;
  // Stop each partition before the first record whose commands would get a
  // timestamp past this (ns since the epoch). Default: no time bound.
  Timestamp to_time{~uint64_t{0}};
  // Per partition: also record the digest when exactly this many records
  // are applied (--verify compares it with the live store's), then go on.
  std::map<uint32_t, Offset> checkpoints;
  // When set: a checkpoint short of its partition's end also leaves a copy
  // of the store as it was there (a RocksDB checkpoint, hard links) in
  // DIR/<P>, for a key-by-key comparison (compare.h). The caller removes it.
  std::string checkpoint_copies;
  // Partitions replayed at once; 0 = one per hardware thread.
  size_t jobs = 0;
  // How often on_progress is called.
  std::chrono::milliseconds progress_interval{1000};
  // A stalled partition (no record arrives from the log) fails after this.
  std::chrono::milliseconds stall_timeout{30'000};
  PipelineOptions pipeline;
  // Build the stores in bulk mode (projections/store.h StoreOptions::bulk):
  // every commit an ingested table file, compactions once at the end.
  // Same keys, values and digests as false, which goes through the
  // memtables like a live node (kept to compare and measure).
  bool bulk = true;
};

struct Progress {
  uint64_t records_done = 0;
  uint64_t records_total = 0;  // what the targets add up to
  uint64_t commands = 0;       // commands applied so far
  double seconds = 0;          // since replay() began
};

struct Checkpoint {
  Offset offset;
  bool reached = false;  // false: the replay ended before it (time bound, or log end)
  uint64_t digest = 0;   // Digest state at `offset`, when reached
  // The store as it was at `offset`, when reached: the copy made for
  // ReplayOptions::checkpoint_copies, or the replayed store itself when
  // `offset` is where it ended. Empty when neither.
  std::string store_dir;
};

struct PartitionResult {
  Partition partition;
  Offset log_end;          // the log's end when replay() began
  Offset target;           // min(log_end, to_offset)
  Offset applied;          // records below this are applied
  uint64_t digest = 0;     // Digest state at `applied`; print with Digest::hex
  uint64_t commands = 0;   // commands applied
  bool stopped_by_time = false;
  std::optional<Checkpoint> checkpoint;
};

struct Report {
  std::vector<PartitionResult> partitions;
  uint64_t commands = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // this process's CPU time (user + system) during the replay
};

// Replays every partition of `log` into options.into_dir.
// REQUIRES: on_progress, when set, does not call back into replay.
Result<Report> replay(Log& log, const ReplayOptions& options,
                      const std::function<void(const Progress&)>& on_progress = {});

// The metas of the stores DATA/partitions/<P> for P < partition_count,
// opened read-only: beside a running `tally serve` they show what it has
// flushed, a consistent but possibly older prefix. Index = partition;
// nullopt where a partition has no store.
Result<std::vector<std::optional<PartitionMeta>>> read_live_metas(const std::string& data_dir,
                                                                  uint32_t partition_count);
// One of them: DATA/partitions/<P>'s meta; nullopt without a store.
Result<std::optional<PartitionMeta>> read_live_meta(const std::string& data_dir, Partition p,
                                                    uint32_t partition_count);

// Whether `dir` is missing or an empty directory.
bool is_empty_dir(const std::string& dir);

}  // namespace tally::replay
