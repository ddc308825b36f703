// Saga holds: telling a saga whose messages wait in the queues of a healthy
// node from one that needs its credit leg sent again (docs/sagas.md
// "Deadlines, re-sends and cancelling").
//
// A saga's deadline is in log time, 5 s after its reservation. Under load
// its credit leg or its reply may simply be queued behind other records,
// in its source or destination partition; sending it again then only adds
// work (the receiver answers the copy from what it decided), and under
// overload that extra work is what made the queues collapse. So when a
// saga deadline comes due, the scheduler (recovery/scheduler.h) asks first:
//   - both partitions served by this node, neither stopped on an error;
//   - neither stalled: a partition with commands queued whose applied
//     offset has not moved for `stall_after`;
//   - and something queued on the way: commands this node appended to the
//     source or the destination that are not yet applied (in_flight.h).
// Then the deadline is held (looked at again in about half a second) and
// nothing is appended. Otherwise — a partition elsewhere, stopped or
// stalled, or nothing queued so the message must be lost — the SagaTimeout
// is appended and the saga's own schedule (backoff, cancel after
// kCreditAttempts) runs as before.
//
// This lives outside the apply path: holding appends nothing, so the state
// machine and what a replay produces are as without it; the log records
// every re-send that was made.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/thread_annotations.h"
#include "engine/core/types.h"

namespace tally {

// What the node knows of one partition when a deadline comes due.
struct PartitionFlow {
  bool served = false;   // this node runs the partition's pipeline
  bool failed = false;   // the pipeline stopped, or retries an error
  uint64_t queued = 0;   // commands this node appended there, not yet applied
  std::chrono::nanoseconds since_progress{0};  // since its applied offset last moved
};

struct SagaHoldPolicy {
  // A partition with commands queued and no progress for this long is
  // stalled: its sagas' deadlines are not held.
  std::chrono::milliseconds stall_after{10'000};
};

// Why to hold the deadline of a saga from `source` to `destination`, or
// nullopt to send again. Pure.
std::optional<std::string> saga_hold_reason(Partition source, const PartitionFlow& src,
                                            Partition destination, const PartitionFlow& dst,
                                            const SagaHoldPolicy& policy);

// When each partition's applied offset last moved, as seen by whoever asks
// (the scheduler's thread). Thread-safe.
class ProgressWatch {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProgressWatch(uint32_t partitions);
  // The time since `applied` (partition p's applied offset now) last changed.
  std::chrono::nanoseconds since_progress(Partition p, Offset applied, Clock::time_point now);

 private:
  struct Seen {
    Offset applied;
    Clock::time_point at;
  };
  tally::Mutex mu_;
  std::vector<Seen> seen_ GUARDED_BY(mu_);
};

}  // namespace tally
