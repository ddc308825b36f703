// Node: one Tally process's engine. It owns the log client, a projection
// store and a pipeline thread per partition, the timer scheduler and the
// outbox relay, and answers producers and queries (docs/design.md "The data
// flow"). `tally serve`, `tally demo` and the benchmarks run one; tests
// drive it directly.
//
// Every append the engine makes — Node::append, the relay's, the
// scheduler's — goes through one circuit breaker around the log
// (recovery/breaker_log.h); reads do not, so queries keep working while the
// log is down and /health says "degraded" with the reason.
//
// Startup (start()) and shutdown (stop()) run in a fixed order, described
// there and in docs/recovery.md.
//
// Ownership: a node serves the partitions it owns: their pipelines run, and
// the scheduler and the relay act for them only. By default it owns every
// partition from start() on. A member of a consumer group (`tally serve
// --group`) starts owning none and is handed partitions with acquire() and
// release() as the group assigns them (engine/node/node_ownership.cc,
// docs/operations.md "Several serve processes"). Every partition keeps its
// own store, so a partition owned elsewhere is left as it was and resumes
// from there (replaying what it missed) when it comes back.
//
// Data directory layout: DATA/log (the embedded log, when used) and
// DATA/partitions/<P> (one RocksDB per partition's projection; after a
// rebuild was switched in, a symbolic link to DATA/partitions/<P>.g<N>,
// the store that rebuild made).
//
// Thread safety: every public method may be called from any thread after
// start() and before stop().
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/tally_limits.h"
#include "engine/core/thread_annotations.h"
#include "engine/log/log.h"
#include "engine/node/node_admin.h"
#include "engine/node/pipeline.h"
#include "projections/queries.h"
#include "recovery/breaker_log.h"
#include "recovery/in_flight.h"
#include "recovery/relay.h"
#include "recovery/saga_hold.h"
#include "recovery/saga_status.h"
#include "recovery/sagas.h"
#include "recovery/scheduler.h"
#include "recovery/stuck.h"

namespace tally {

struct NodeOptions {
  std::string data_dir;
  PipelineOptions pipeline;
  // The circuit breaker around every append (defaults: open after 5
  // consecutive failures, half-open after 30 s, closed after 3 successes).
  BreakerOptions breaker;
  SchedulerOptions scheduler;
  RelayOptions relay;
  // Run the timer scheduler and the outbox relay (tools that only read or
  // rebuild a projection turn them off).
  bool run_scheduler = true;
  bool run_relay = true;
  // Own every partition from start() on (the default); false: own none
  // until acquire() (a consumer group member).
  bool own_every_partition = true;
  // Admission (recovery/in_flight.h): producers' appends wait while this
  // many commands are in flight in the node (appended by any of its
  // writers, not yet applied); 0 turns admission off. Sagas make up to two
  // more commands each, so in flight stays below about 3 × this.
  uint64_t admission_window = limits::kDefaultAdmissionWindow;  // commands
  // Saga deadlines are held while their messages queue in a healthy node
  // (recovery/saga_hold.h); a partition this long without progress, with
  // commands queued, counts as stalled.
  SagaHoldPolicy saga_hold;
  // Wall clock for the scheduler and relay; default: the system clock.
  std::function<Timestamp()> clock;
  // The breaker's clock; default: std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> breaker_clock;
};

// Where a command went: its record's partition and offset, and its index
// within the record.
struct Placement {
  Partition partition;
  Offset offset;
  uint32_t index = 0;
};

struct PartitionStatus {
  Partition partition;
  Offset applied;
  Offset log_end;          // meaningful only when log_end_known
  bool log_end_known = false;  // false: the log did not answer (lag unknown)
  uint64_t digest = 0;  // Digest state; print with Digest::hex
  Status error;         // fatal pipeline error, or ok
  Status transient;     // last retried error, or ok
};

// One part of the engine as /health shows it.
struct ComponentHealth {
  std::string name;     // "pipeline/3", "log", "scheduler", ...
  bool critical = true; // a critical part that is down makes the node unhealthy
  bool ok = true;       // false: down (critical) or degraded (non-critical)
  std::string detail;   // why, when not ok; else a short status
};

struct HealthReport {
  // "ok", "degraded" (a non-critical part is not ok) or "down" (a critical one).
  std::string status;
  std::vector<ComponentHealth> components;
};

class Node {
 public:
  // Opens (creates) the stores for every partition of `log`.
  static Result<std::unique_ptr<Node>> open(std::unique_ptr<Log> log, NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the engine, in order: (1) the stores, opened by open(); (2) every
  // pipeline recovers its state and positions its reader at its stored
  // offset; (3) the log is checked against the stores; (4) the pipelines
  // start applying; (5) the scheduler and the relay start. Steps 1-3 are
  // critical: a failure stops startup with an error naming the step. A log
  // that cannot be reached at step 3 is not: the node starts degraded and
  // the pipelines and appends retry. REQUIRES: called once.
  Status start();
  // Stops, in order: new appends through append() are refused; the
  // scheduler and the relay finish their tick and stop; each pipeline
  // finishes its step (committing what it applied) and flushes its store.
  // Idempotent; the destructor calls it.
  void stop();

  // The log, behind the circuit breaker: appends through it are guarded.
  Log& log() { return *log_; }
  const BreakerLog& breaker_log() const { return *log_; }
  uint32_t partition_count() const { return static_cast<uint32_t>(pipelines_.size()); }

  // Routes each command to its partition, packs them into records (at most
  // kMaxBatchCommands each, input order kept per partition) and appends
  // them durably. Placements are in the order of `commands`. Admission
  // first: while the node is full (NodeOptions::admission_window) it waits,
  // up to `deadline`, then answers overloaded (HTTP 429) having appended
  // nothing. Then the append gives up at `deadline` (Log::append_by) with
  // unavailable. Deadline::max(): admission waits kDefaultAdmissionWait,
  // the log its own bound (KafkaLogOptions::append_timeout).
  using Deadline = Log::Deadline;
  Result<std::vector<Placement>> append(std::span<const Command> commands,
                                        Deadline deadline = Deadline::max());
  static constexpr std::chrono::seconds kDefaultAdmissionWait = limits::kDefaultAdmissionWait;
  // One record already encoded (a Batch of `commands` commands) for
  // partition p, admitted and counted as append() does: for benchmarks and
  // tools that build their own records.
  Result<Offset> append_record(Partition p, std::span<const uint8_t> value, uint64_t commands,
                               Deadline deadline);
  // What the node has in flight, for admission and saga holds.
  InFlight& in_flight() { return *in_flight_; }
  // Waits until the record at `placement` is applied; then its outcome.
  // timeout → Status::Timeout.
  Result<Outcome> outcome(const Placement& placement, std::chrono::milliseconds timeout);
  bool wait_applied(Partition partition, Offset offset, std::chrono::milliseconds timeout);
  // Waits until every owned partition has applied everything appended so far.
  Status wait_caught_up(std::chrono::milliseconds timeout);

  // Starts owning `partitions` (those already owned are skipped): each
  // pipeline recovers from its store, is checked against the log (as
  // start() steps 2-3) and starts applying; then the scheduler and relay
  // serve it. A partition that fails to start is not owned; the error is
  // returned (the first one) and shown in health() until the next acquire
  // or release of that partition. REQUIRES: start() returned ok.
  Status acquire(std::span<const Partition> partitions);
  // Stops owning `partitions`: the scheduler and relay stop acting for
  // them, then their pipelines finish their step, commit, flush and free
  // their memory. Returns once all of that is done.
  void release(std::span<const Partition> partitions);
  bool owns(Partition p) const { return owned_.at(p.value).load(); }
  // Stops partition p's pipeline after its commit, keeping the partition
  // owned (its queries answer what is applied; the relay and scheduler go
  // on; its sagas' deadlines see it stalled once it has work queued), until
  // resume(p). A control for tests and operators (a stalled partition,
  // docs/sagas.md). Returns false when p is not owned or already paused.
  bool pause(Partition p);
  bool resume(Partition p);
  std::vector<Partition> owned() const;

  // Queries. Accounts route by id; a transfer id is looked up in every
  // owned partition (transfers live in their debit account's partition).
  // Queries on a partition this node does not own (its store is left as it
  // was when it was last owned) fail with failed_precondition.
  Result<std::optional<Account>> account(AccountId id) const;
  Result<std::optional<Transfer>> transfer(TransferId id) const;
  // The owned partitions, in order, whose store holds a transfer `id` that
  // is not a saga's credit leg. More than one only in a store written before
  // transfer ids had to route to their debit account's partition
  // (docs/design.md "One transfer id, one partition"); transfer() answers
  // the first.
  Result<std::vector<Partition>> transfer_partitions(TransferId id) const;
  Result<HistoryPage> history(const HistoryQuery& query) const;
  Result<Balances> balance_at(AccountId id, Timestamp at) const;

  Partition partition_of_account(AccountId id) const;
  // The store serving partition p. The reference is valid until a rebuild
  // of p is switched in (rebuild()); readers that may run beside one hold
  // store_ref() for the length of their read instead.
  const PartitionStore& store(Partition p) const { return *store_ref(p); }
  std::shared_ptr<const PartitionStore> store_ref(Partition p) const;
  // Writes an operational key of partition p's store (progress of a
  // component outside the apply path, e.g. the event publisher's "V"; not
  // digested), through the WAL so it survives a kill -9.
  Status put_operational(Partition p, const std::string& key, const std::string& value);
  PartitionPipeline& pipeline(Partition p) { return *pipelines_.at(p.value); }
  // The owned partitions'.
  std::vector<PartitionStatus> status();
  // Components: "pipeline/P" of each owned partition (critical), "log" (the
  // circuit breaker; not critical), "scheduler", "relay" and "sagas" (in
  // flight and stuck; not critical: stuck work or errors show as degraded
  // with the reason), "ownership"
  // (not critical: the owned partitions; degraded until a group member got
  // its first assignment, or when an assigned partition failed to start).
  HealthReport health();
  // Prometheus text exposition of every counter (applied offset and lag per
  // partition, commands by outcome, apply latency histogram, timers due,
  // expiries appended, outbox pending and relayed, stuck operations, the
  // breaker's state and transitions, ...).
  std::string metrics_text();

  // Operations re-driven the bounded number of times without success:
  // timers (by partition, deadline), then outbox entries, then sagas still
  // in flight after SagaSchedule::kStuckAttempts sends; at most `limit`.
  // What GET /v1/stuck and `tally query stuck` show.
  std::vector<StuckOperation> stuck(size_t limit = 1000) const;
  // Rebuilds partition p's store from the log beside the live pipeline and
  // switches it in without stopping queries (engine/node/node_rebuild.cc):
  // the rebuild catches up, the live pipeline pauses, the rebuild reaches
  // exactly the live applied offset, the digests are compared, and on a
  // match the new store replaces the old one for the pipeline, the
  // scheduler, the relay and readers at once; the old store is closed
  // when its last reader is done and its directory removed. On a mismatch
  // nothing changes (report.switched == false). One operator action
  // (rebuild or checkpoint) runs at a time: failed_precondition otherwise.
  // Runs on the caller's thread; REQUIRES: started.
  Result<RebuildReport> rebuild(Partition p, const RebuildOptions& options = {});
  // Copies every partition's store into DIR/partitions/<P> (RocksDB
  // checkpoints, taken while every pipeline pauses for a moment: one cut
  // across partitions) and then the embedded log into DIR/log, while the
  // node serves (engine/node/node_checkpoint.cc). DIR is a data directory
  // `tally serve --data DIR` starts from.
  // invalid_argument for a relative DIR, one that exists, whose parent does
  // not, or inside the data directory.
  Result<CheckpointReport> checkpoint(const std::string& dir);
  // Makes a rebuild in progress give up soon (serve calls it on SIGTERM,
  // before it waits for requests in progress).
  void cancel_admin() { admin_cancel_ = true; }

  // The recovery parts, for tests, tools and benchmarks.
  TimerScheduler& scheduler() { return *scheduler_; }
  OutboxRelay& relay() { return *relay_; }

 private:
  Node(std::unique_ptr<Log> log, NodeOptions options);
  Status open_stores();
  ComponentHealth log_health();
  ComponentHealth scheduler_health();
  ComponentHealth relay_health();
  std::string recovery_metrics_text();
  ComponentHealth saga_health();
  static constexpr size_t kMaxSagaScan = 100'000;  // in-flight keys read per partition
  struct SagaReport {
    std::vector<SagaCounts> partitions;  // index = partition; zero for those not owned
    uint64_t in_flight = 0, stuck = 0;
    bool truncated = false;
    Status error;  // the first partition that could not be counted
  };
  SagaReport saga_report(size_t limit, std::vector<StuckOperation>* out) const;
  Status recover_pipelines();
  std::shared_ptr<PartitionStore> store_slot(Partition p) const;
  struct OwnedReaders;
  OwnedReaders owned_readers() const;  // for the lookups across partitions
  void publish_store(Partition p, std::shared_ptr<PartitionStore> store);
  // Stops the threads of `ps` (each after its commit; all asked at once)
  // and starts them again. REQUIRES: ownership_mu_ held throughout, from
  // the pause to the resume; every p owned.
  void pause_pipelines(const std::vector<Partition>& ps) REQUIRES(ownership_mu_);
  void resume_pipelines(const std::vector<Partition>& ps) REQUIRES(ownership_mu_);
  struct Rebuild;  // node_rebuild.cc
  Status check_log();
  void start_pipelines();
  void start_recovery();
  // node_ownership.cc
  Status start_partition(Partition p) REQUIRES(ownership_mu_);
  Status check_partition(Partition p);
  Status require_owned(Partition p) const;
  ComponentHealth ownership_health() const;
  std::string ownership_metrics_text() const;

  std::optional<std::string> saga_hold(Partition source, const Timer& deadline);
  PartitionFlow flow(Partition p);
  Status admit(uint64_t commands, Deadline deadline);

  std::unique_ptr<BreakerLog> log_;
  NodeOptions options_;
  std::unique_ptr<InFlight> in_flight_;
  std::unique_ptr<ProgressWatch> progress_;
  SagaCoordinator sagas_;  // stateless: one serves every partition
  mutable tally::Mutex stores_mu_;
  // One per partition, sized by open(); a rebuild replaces an element
  // (readers copy the pointer and read outside).
  std::vector<std::shared_ptr<PartitionStore>> stores_ GUARDED_BY(stores_mu_);
  std::vector<std::unique_ptr<PartitionPipeline>> pipelines_;  // one per partition, sized by open()
  std::unique_ptr<TimerScheduler> scheduler_;
  std::unique_ptr<OutboxRelay> relay_;
  std::vector<std::atomic<bool>> owned_;  // by partition; written under ownership_mu_
  mutable tally::Mutex ownership_mu_;
  std::vector<std::jthread> threads_ GUARDED_BY(ownership_mu_);  // by partition, running if owned
  std::vector<Status> start_errors_ GUARDED_BY(ownership_mu_);  // by partition
  bool assigned_ GUARDED_BY(ownership_mu_) = false;  // acquire() was called
  std::vector<bool> paused_ GUARDED_BY(ownership_mu_);  // by partition, pause()
  tally::Mutex admin_mu_;  // one rebuild or checkpoint at a time; stop() waits for it
  std::atomic<bool> admin_cancel_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> started_{false};
  mutable tally::Mutex startup_mu_;
  Status startup_log_error_ GUARDED_BY(startup_mu_);  // the log was unreachable at step 3
};

}  // namespace tally
