// Node: one Tally process's engine. It owns the log client, a projection
// store and a pipeline thread per partition, and answers producers and
// queries (DESIGN.md "The data flow"). `tally serve`, `tally demo` and the
// benchmarks run one; tests drive it directly.
//
// Data directory layout: DATA/log (the embedded log, when used) and
// DATA/partitions/<P> (one RocksDB per partition's projection).
//
// Thread safety: every public method may be called from any thread after
// start() and before stop().
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/log/log.h"
#include "engine/node/pipeline.h"
#include "projections/queries.h"
#include "recovery/sagas.h"

namespace tally {

struct NodeOptions {
  std::string data_dir;
  PipelineOptions pipeline;
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
  Offset log_end;
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

  // Recovers every pipeline from its store, then starts their threads.
  Status start();
  // Stops the pipelines after their current step; flushes the stores.
  void stop();

  Log& log() { return *log_; }
  uint32_t partition_count() const { return static_cast<uint32_t>(stores_.size()); }

  // Routes each command to its partition, packs them into records (at most
  // kMaxBatchCommands each, input order kept per partition) and appends
  // them durably. Placements are in the order of `commands`.
  Result<std::vector<Placement>> append(std::span<const Command> commands);
  // Waits until the record at `placement` is applied; then its outcome.
  // timeout → Status::Timeout.
  Result<Outcome> outcome(const Placement& placement, std::chrono::milliseconds timeout);
  bool wait_applied(Partition partition, Offset offset, std::chrono::milliseconds timeout);
  // Waits until every partition has applied everything appended so far.
  Status wait_caught_up(std::chrono::milliseconds timeout);

  // Queries. Accounts route by id; a transfer id is looked up in every
  // partition (transfers live in their debit account's partition).
  Result<std::optional<Account>> account(AccountId id) const;
  Result<std::optional<Transfer>> transfer(TransferId id) const;
  Result<HistoryPage> history(const HistoryQuery& query) const;
  Result<Balances> balance_at(AccountId id, Timestamp at) const;

  Partition partition_of_account(AccountId id) const;
  const PartitionStore& store(Partition p) const { return *stores_.at(p.value); }
  PartitionPipeline& pipeline(Partition p) { return *pipelines_.at(p.value); }
  std::vector<PartitionStatus> status();
  HealthReport health();
  // Prometheus text exposition of every counter (applied offset and lag per
  // partition, commands by outcome, apply latency histogram, ...).
  std::string metrics_text();

 private:
  Node(std::unique_ptr<Log> log, NodeOptions options);

  std::unique_ptr<Log> log_;
  NodeOptions options_;
  SagaCoordinator sagas_;  // stateless: one serves every partition
  std::vector<std::unique_ptr<PartitionStore>> stores_;
  std::vector<std::unique_ptr<PartitionPipeline>> pipelines_;
  std::vector<std::jthread> threads_;
};

}  // namespace tally
