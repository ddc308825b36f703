// PartitionPipeline: reads one partition's records from the log, verifies
// them, applies them to the partition's state and commits state + outcomes
// + the next offset + the digest in one RocksDB write (DESIGN.md "Exactly
// once"). One thread drives a pipeline (step() or run()); any thread may
// read its progress and wait for an offset to be applied.
//
// A record that fails verification is quarantined: kept with its offset and
// reason (key 'E'), counted, digested as such, and the partition moves on.
// A failed commit is fatal for the pipeline: it stops and reports the error
// rather than move past an offset whose effects it could not store.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>

#include "engine/log/log.h"
#include "engine/node/metrics.h"
#include "projections/ledger.h"
#include "projections/store.h"

namespace tally {

struct PipelineOptions {
  size_t max_records_per_step = 64;       // records applied per RocksDB commit, at most
  size_t max_cached_transfers = 1u << 16; // cached transfers kept between steps
  std::chrono::milliseconds poll_wait{100};
  // Called on the pipeline thread after each commit that staged outbox
  // entries or timers (the relay and scheduler wake up).
  std::function<void()> on_effects;
};

class PartitionPipeline {
 public:
  // REQUIRES: `log`, `store`, `extension` (may be null) outlive the pipeline.
  PartitionPipeline(Partition partition, Log& log, PartitionStore& store,
                    CommandExtension* extension, PipelineOptions options);
  ~PartitionPipeline();

  // Loads the stored state and positions the reader at the stored offset.
  Status recover();
  // Reads what is available (waiting up to `wait` for the first record),
  // applies it and commits. Returns the number of records applied.
  Result<size_t> step(std::chrono::milliseconds wait);
  // Steps until `stop` is requested or a fatal error; transient log errors
  // are retried with backoff. Flushes the store on a clean stop.
  void run(std::stop_token stop);

  Partition partition() const { return partition_; }
  // Records below this offset are applied and committed.
  Offset applied() const { return Offset{metrics_.applied_next_offset.load()}; }
  // Waits until `offset` is applied; false on timeout.
  bool wait_applied(Offset offset, std::chrono::milliseconds timeout);
  // The running digest state as of applied().
  uint64_t digest() const;
  // The error that stopped the pipeline, or ok.
  Status status() const;
  const PartitionMetrics& metrics() const { return metrics_; }
  // The last error that was retried (log unavailable), or ok.
  Status last_transient_error() const;

 private:
  Status apply_records(std::vector<LogRecord>& records);
  Status prefetch(const std::vector<std::vector<Command>>& decoded,
                  const std::vector<bool>& good);
  void digest_record(const LogRecord& record, const std::vector<Command>& commands,
                     const RecordOutcome& outcome);

  const Partition partition_;
  Log& log_;
  PartitionStore& store_;
  CommandExtension* extension_;
  const PipelineOptions options_;

  PartitionState state_;
  PartitionMeta meta_;
  std::unique_ptr<LogReader> reader_;
  StoreBatch batch_;
  RecordOutcome outcome_;
  PartitionMetrics metrics_;

  mutable std::mutex mu_;
  std::condition_variable applied_cv_;
  uint64_t digest_published_ = 0;  // GUARDED_BY(mu_)
  Status fatal_;                   // GUARDED_BY(mu_)
  Status transient_;               // GUARDED_BY(mu_)
};

}  // namespace tally
