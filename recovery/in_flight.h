// InFlight: the commands a node has in flight, and the admission of new
// work against a window (docs/sagas.md "Admission: what a full node does").
//
// In flight = commands appended to the log by this node's writers (its
// producers through Node::append, the outbox relay's saga legs and
// replies, the scheduler's expiries and saga timeouts) in records the
// partition has not yet applied. Every writer reports what it appended
// (appended()); the partition's applied offset, read through `applied`,
// retires records. Producers' appends are admitted only while the count
// plus what they bring stays within the window, so the queues in front of
// the pipelines stay bounded: what is admitted finishes at the rate the
// node applies, and a producer of a full node waits (admit() up to its
// deadline) or is told to come back (HTTP 429 with Retry-After). The
// engine's own writers are never held back: they finish admitted work.
//
// The bound: every admitted create_transfer that crosses partitions makes
// at most two more commands (the credit leg and the reply; re-sends are
// held while the node is healthy, recovery/saga_hold.h), so in flight
// stays below about 3 × window.
//
// Counted from this process's start: records another process appended, or
// that were in the log before a restart, are applied without being
// counted; they drain at the apply rate as before.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/core/thread_annotations.h"
#include "engine/core/types.h"

namespace tally {

class InFlight {
 public:
  using Clock = std::chrono::steady_clock;
  // `window` commands at most (0: no admission control); `applied(p)` is
  // the offset below which partition p has applied every record;
  // `outbox(p)`, when given, the entries p's outbox holds that the relay
  // has not yet appended (they count as in flight too).
  InFlight(uint32_t partitions, uint64_t window, std::function<Offset(Partition)> applied,
           std::function<uint64_t(Partition)> outbox = {});

  uint64_t window() const { return window_; }

  // A writer appended a record of `commands` commands at (p, offset).
  void appended(Partition p, Offset offset, uint64_t commands);
  // Records below `applied(p)` are done; waiters are woken. The pipeline
  // calls it after each commit (cheap when nothing is tracked).
  void retire(Partition p);

  // Commands in flight now (retires what is applied first), outbox entries
  // waiting included: all, or p's (its log queue and its outbox).
  uint64_t count();
  uint64_t count(Partition p);

  // Waits until `commands` more fit in the window, or the deadline. A node
  // with nothing in flight always admits (a batch larger than the window
  // goes through alone). Returns whether admitted; counts both outcomes.
  bool admit(uint64_t commands, Clock::time_point deadline);

  uint64_t admitted_total() const { return admitted_.load(); }
  uint64_t refused_total() const { return refused_.load(); }

 private:
  struct Part {
    tally::Mutex mu;
    std::map<uint64_t, uint64_t> records GUARDED_BY(mu);  // offset → commands
    uint64_t commands GUARDED_BY(mu) = 0;                  // sum of records
  };
  uint64_t retire_locked(uint32_t p, Part& part) REQUIRES(part.mu);

  const uint64_t window_;
  const std::function<Offset(Partition)> applied_;
  const std::function<uint64_t(Partition)> outbox_;
  std::vector<std::unique_ptr<Part>> parts_;
  std::atomic<uint64_t> total_{0};
  tally::Mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::atomic<uint64_t> admitted_{0}, refused_{0};
};

}  // namespace tally
