// PartitionPipeline: reads one partition's records from the log, verifies
// them, applies them to the partition's state and commits state + outcomes
// + the next offset + the digest in one RocksDB write (docs/design.md "Exactly
// once"). One thread drives a pipeline (step() or run()); any thread may
// read its progress and wait for an offset to be applied.
//
// A record that fails verification is quarantined: kept with its offset and
// reason (key 'E'), counted, digested as such, and the partition moves on.
// A failed commit is fatal for the pipeline: it stops and reports the error
// rather than move past an offset whose effects it could not store. One
// exception: a commit the store's disk refused (full, read-only; the store
// says resource_exhausted) is retried: the pipeline starts over from what
// the store holds and tries again with backoff, reporting the error as
// transient meanwhile, so it resumes by itself once the disk takes writes.
//
// Reading the log: any read error (broker down, leader unknown, request
// errors) is transient: the reader is made again from the applied offset
// and the step retried with exponential backoff and jitter, so nothing is
// skipped or applied twice. A consumer sees nothing while a broker is
// paused or unreachable, so an idle pipeline also probes the log's end
// offset every probe_interval: while that fails, or while the log holds
// records the reader does not deliver for stall_timeout, the pipeline
// reports the error as transient ("retrying" in /health). Fetch failures,
// quarantined records and misrouted commands (wrong_partition) go to the
// operator log, rate-limited.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>

#include "engine/core/codec.h"
#include "engine/core/thread_annotations.h"
#include "engine/log/log.h"
#include "engine/node/metrics.h"
#include "engine/core/logging.h"
#include "engine/node/saga_points.h"
#include "engine/node/account_table.h"
#include "projections/ledger.h"
#include "projections/store.h"

namespace tally {

// A bound on what a pipeline applies, for replays to an offset or a time.
// The default bounds nothing.
struct ApplyLimit {
  // Only records below this offset are read.
  Offset end{~uint64_t{0}};
  // A record whose commands would get a timestamp past this (ns since the
  // epoch) is not applied, nor anything after it. A record without
  // commands (quarantined) counts at its append time.
  Timestamp until{~uint64_t{0}};
};

struct PipelineOptions {
  size_t max_records_per_step = 64;       // records applied per RocksDB commit, at most
  // The bytes of records read per step, about: a step reads as many
  // records as fit at the size of the last step's (at least one), so what
  // a lagging partition holds in read and decoded records stays near
  // 2.5 times this, whatever its backlog (docs/operations.md "Memory").
  size_t max_bytes_per_step = 8u << 20;
  size_t max_cached_transfers = 1u << 16; // cached transfers kept between steps
  std::chrono::milliseconds poll_wait{100};
  // run() flushes the store's memtables (without waiting) once this long
  // has passed since the last flush and something was committed since.
  // The stores write no WAL, so this bounds what a partition replays after
  // a kill -9 to about this much of traffic (docs/operations.md "When the
  // disk fails"). 0: only the clean stop flushes.
  std::chrono::milliseconds flush_interval{1000};
  // How often an idle pipeline checks that the log answers (end offset),
  // and how long records may sit in the log undelivered before the
  // reader is reported stalled and made again. 0: no probe.
  std::chrono::milliseconds probe_interval{1000};
  std::chrono::milliseconds stall_timeout{5000};
  // Called on the pipeline thread after each commit that staged outbox
  // entries or timers (the relay and scheduler wake up).
  std::function<void()> on_effects;
  // Called on the pipeline thread after every commit (the node retires what
  // it counted in flight, recovery/in_flight.h).
  std::function<void()> on_commit;
  // Slots of the table of latest committed accounts that balance lookups
  // read without locks (account_table.h): 168 bytes each, so the default
  // 65536 is 10.5 MiB per partition. Accounts that do not fit are
  // read from the store. 0: no table, every lookup reads the store.
  size_t account_table_slots = 1u << 16;
};

class PartitionPipeline {
 public:
  // REQUIRES: `log`, `store`, `extension` (may be null) outlive the pipeline.
  PartitionPipeline(Partition partition, Log& log, PartitionStore& store,
                    CommandExtension* extension, PipelineOptions options);
  ~PartitionPipeline();

  // Loads the stored state and positions the reader at the stored offset.
  // May be called again after run() returned (and after release()): it
  // starts over from what the store holds, clearing a stopped pipeline's
  // error.
  Status recover();
  // The log's end as the node found it after recover() (startup step 3):
  // once run() has applied up to it, the store is flushed and the flush
  // waited for, so that a crash soon after a restart does not lose the
  // replay. REQUIRES: after recover(), before run().
  void note_replay_end(Offset end);
  // Frees the in-memory state and the reader once run() has returned (the
  // node handed the partition to another process); applied() and digest()
  // keep showing what was committed. recover() brings them back.
  void release();
  // Reads what is available (waiting up to `wait` for the first record),
  // applies it and commits. Returns the number of records applied.
  Result<size_t> step(std::chrono::milliseconds wait);
  // Steps until `stop` is requested or a fatal error; transient log errors
  // are retried with backoff. Flushes the store on a clean stop.
  void run(std::stop_token stop);

  // Bounds what later steps apply (a step that would cross the limit
  // applies only the records before it). Called on the driving thread
  // between steps; a new limit replaces the old one, and the pipeline goes
  // on from where it stopped.
  void set_limit(const ApplyLimit& limit);
  // Whether the limit stops the next record: everything below limit.end is
  // applied, or the next record would pass limit.until. Driving thread only.
  bool at_limit() const;

  // Switches a rebuild in (Node::rebuild): from now on this pipeline applies
  // to `rebuilt`'s store, starting from `rebuilt`'s state, read from that
  // store and the log, not from memory it had before. Its progress,
  // waiters and metrics go on unchanged. `rebuilt` is left without state;
  // destroy it. REQUIRES: neither pipeline is being driven; both of the
  // same partition, at the same offset with the same digest (else
  // failed_precondition and nothing changes); `rebuilt`'s store outlives
  // this pipeline or the next adopt().
  Status adopt(PartitionPipeline& rebuilt);

  Partition partition() const { return partition_; }
  // The latest committed accounts, for lock-free lookups from any thread;
  // null when options.account_table_slots is 0.
  const AccountTable* account_table() const { return table_.get(); }
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
  // The periodic flush (PipelineOptions::flush_interval); run() only.
  void flush_if_due(bool committed);
  // Publishes to_publish_'s accounts to table_ (after a successful commit).
  void publish_accounts();
  // After a step that read nothing: whether the log answers and delivers
  // (PipelineOptions::probe_interval); an error while it does not. run() only.
  // True when it probed and the reader is caught up with the log's end;
  // false when no probe was due or records wait to be read (not stalled
  // yet); an error when the log does not answer or the reader stalled.
  Result<bool> probe_if_due();
  // One line per failure to read (rate-limited), and one when reads resume.
  void log_read_failure(const Status& s);
  void log_read_resumed();
  // The operator log lines for what the last commit quarantined or
  // refused as misrouted (noted by stage_records).
  void log_rejected_records();
  // A step's records, decoded. A record that does not decode is quarantined.
  struct Decoded {
    std::vector<std::vector<Command>> commands;  // per record; empty when quarantined
    std::vector<bool> good;
    std::vector<std::string> reasons;            // why a record is quarantined
    void resize(size_t n);
  };

  Decoded decoded_;  // reused from step to step (its vectors keep their capacity)
  Status apply_records(std::vector<LogRecord>& records);
  void decode_records(const std::vector<LogRecord>& records, Decoded& out) const;
  // How many of `records`, from the front, stay within limit_.until.
  size_t records_within_time(const std::vector<LogRecord>& records, const Decoded& decoded) const;
  Status prefetch(const Decoded& decoded);
  // Applies the records to state_ and stages their writes in batch_;
  // returns whether any staged outbox entries or timers.
  bool stage_records(const std::vector<LogRecord>& records, const Decoded& decoded,
                     uint64_t& commands);
  void digest_record(const LogRecord& record, const std::vector<Command>& commands,
                     const RecordOutcome& outcome);
  // After a commit the store's disk refused: starts over from the store.
  Status recover_after_disk_failure();
  // Commits batch_ and publishes the new progress.
  Status commit(size_t records, uint64_t commands, bool effects,
                std::chrono::steady_clock::time_point started);

  const Partition partition_;
  Log& log_;
  PartitionStore* store_;  // replaced only by adopt()
  std::unique_ptr<AccountTable> table_;  // read side only: the apply path never reads it
  std::vector<AccountId> to_publish_;    // accounts the step being applied changed
  CommandExtension* extension_;
  const PipelineOptions options_;

  PartitionState state_;
  PartitionMeta meta_;
  std::unique_ptr<LogReader> reader_;
  StoreBatch batch_;
  bool unflushed_ = false;  // committed since the last flush; run() only
  std::chrono::steady_clock::time_point last_flush_;
  uint64_t flushed_offset_ = 0;  // meta_.next_offset at the last flush or recover(); run() only
  // The log's end note_replay_end() named, and whether the pipeline applied
  // up to it since (the restart's replay is done: flush_if_due saves it).
  uint64_t replay_end_ = 0;
  bool caught_up_ = false;
  RecordOutcome outcome_;
  PartitionMetrics metrics_;
  SagaSteps saga_steps_;  // what the next commit holds, for crash points (saga_points.h)

  // Driving thread only.
  ApplyLimit limit_;
  bool time_limit_reached_ = false;  // a step stopped before a record past limit_.until
  bool reader_stale_ = false;        // the reader read past what was applied
  // The size the next step reads at (the largest record of the last
  // step); before any, the largest a record may be.
  size_t record_bytes_ = kMaxRecordBytes;
  bool needs_recover_ = false;       // a commit failed on the disk; state_ is ahead of the store
  std::chrono::steady_clock::time_point last_probe_{};
  std::chrono::steady_clock::time_point last_delivery_{};  // records read, or the log was caught up
  std::chrono::steady_clock::time_point failing_since_{};  // first read failure of the current run of them
  uint32_t read_failures_ = 0;       // consecutive failed steps
  // Records the last stage_records quarantined or found misrouted:
  // (offset, reason), logged after the commit.
  std::vector<std::pair<Offset, std::string>> rejected_;
  logging::RateLimited read_log_{std::chrono::seconds(10)};
  logging::RateLimited rejected_log_{std::chrono::seconds(1)};

  mutable tally::Mutex mu_;
  std::condition_variable applied_cv_;
  uint64_t digest_published_ GUARDED_BY(mu_) = 0;
  Status fatal_ GUARDED_BY(mu_);
  Status transient_ GUARDED_BY(mu_);
};

}  // namespace tally
