// TimerScheduler: appends the commands that due timers stand for
// (docs/design.md "Recovery scheduler"). It runs outside the deterministic apply
// path: it reads the wall clock, draws random jitter, and only ever acts by
// appending commands to the log, which the pipelines then apply in log
// order. So a post racing an expiry is decided by the log, and an expiry
// appended early is answered not_yet_due and changes nothing.
//
// Per partition, a tick
//   1. asks its TimerTracker what to check: timers whose expiry record the
//      pipeline has applied (cleared? then done; still set? re-append after
//      backoff) and timers whose retry time came (still set? append again).
//      An expiry whose recorded outcome is `expired` cleared its timer in
//      the same write, so it is forgotten without a lookup;
//   2. if the partition's timers changed since the last scan (wake(), from
//      the pipeline's on_effects) or the next known deadline came, scans the
//      timer index from where a scan must start (recovery/timer_scan.h) up to
//      the first deadline after now: work proportional to the due timers;
//   3. appends the commands of the new and re-driven timers, in records of
//      at most kMaxBatchCommands, through the node's (circuit-broken) log.
// The thread sleeps until a wake(), the earliest next deadline or retry, or
// max_sleep (a safety net against wall-clock jumps); it never polls a
// partition that has nothing due. An idle tick with millions of timers and
// none due reads one index key per partition, and only when woken.
//
// Thread safety: start()/stop() from one owner thread; wake(), stuck(),
// stats() from any thread. tick() is for tests and benchmarks and
// REQUIRES that the thread is not running.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/log/log.h"
#include "projections/store.h"
#include "recovery/backoff.h"
#include "recovery/in_flight.h"
#include "recovery/partition_loop.h"
#include "recovery/stuck.h"
#include "recovery/timer_scan.h"
#include "recovery/timer_tracker.h"
#include "recovery/waker.h"

namespace tally {

struct SchedulerOptions {
  // Re-appends of a timer's command; stuck after backoff.max_attempts
  // appends that did not clear the timer.
  BackoffPolicy backoff;
  // Due timers tracked (appended, awaiting apply or retry) per partition;
  // a scan pauses when full.
  size_t max_tracked = 65'536;
  // Index keys one tick reads per partition, at most.
  size_t max_visits_per_tick = 65'536;
  // Longest sleep of the thread: a safety net for wall-clock jumps.
  std::chrono::milliseconds max_sleep{5'000};
  // How often to look whether appended commands were applied while any are
  // waiting (an expiry answered not_yet_due wakes nothing by itself).
  std::chrono::milliseconds apply_poll{100};
  // How long a held saga deadline waits before it is looked at again
  // (±25% jitter).
  std::chrono::milliseconds hold_recheck{500};
  uint64_t jitter_seed = 0;  // 0: a random seed
};

struct SchedulerDeps {
  std::vector<const PartitionStore*> stores;  // one per partition, in order
  Log* log = nullptr;                          // where commands are appended
  // Every record of the partition below this offset is applied.
  std::function<Offset(Partition)> applied;
  // Wall clock; default: the system clock.
  std::function<Timestamp()> clock;
  // Whether this process serves the partition now: a member of a consumer
  // group serves only the partitions assigned to it (engine/node/node.h,
  // acquire/release). Default: every partition.
  std::function<bool(Partition)> serves;
  // For a due saga deadline of partition p: why to hold it instead of
  // appending its SagaTimeout (the saga's messages are queued in a healthy
  // node, recovery/saga_hold.h), or nullopt to append. Default: never hold.
  std::function<std::optional<std::string>(Partition, const Timer&)> hold_saga;
  // Commands appended, reported per record (recovery/in_flight.h); may be null.
  InFlight* in_flight = nullptr;
};

struct SchedulerStats {
  uint64_t ticks = 0;
  uint64_t scans = 0;
  uint64_t keys_visited = 0;         // index keys read by scans
  uint64_t checks = 0;               // point lookups of tracked timers
  uint64_t expiries_appended = 0;    // ExpirePending commands appended (re-appends too)
  uint64_t saga_timeouts_appended = 0;
  uint64_t saga_deadlines_held = 0;  // holds (each a look at an overdue saga that was only queued)
  uint64_t held = 0;                 // saga deadlines held now
  uint64_t append_failures = 0;      // failed appends (each may carry many timers)
  uint64_t timers_due = 0;           // tracked now: due and not yet cleared
  uint64_t awaiting_apply = 0;       // appended, record not yet applied
  uint64_t stuck = 0;
  Status error;                      // the last scan error of any partition, or ok
};

struct TickReport {
  bool scanned = false;
  size_t visited = 0;   // index keys read
  size_t found = 0;     // newly due timers
  size_t checked = 0;   // tracked timers looked up
  size_t appended = 0;  // commands appended
  size_t held = 0;      // saga deadlines held (recovery/saga_hold.h)
  bool append_failed = false;
};

class TimerScheduler {
 public:
  // REQUIRES: deps.stores.size() == deps.log->partition_count(); stores and
  // log outlive the scheduler.
  TimerScheduler(SchedulerDeps deps, SchedulerOptions options);
  ~TimerScheduler();
  TimerScheduler(const TimerScheduler&) = delete;
  TimerScheduler& operator=(const TimerScheduler&) = delete;

  void start();
  // Returns once the thread has finished its tick: nothing is appended after.
  void stop();
  bool running() const { return loop_.running(); }

  // The partition's timers changed (or may have): scan it on the next tick.
  void wake(Partition partition);
  // Returns once no tick of `partition` runs. Once deps.serves(partition)
  // is false, no new tick starts, and stuck() and stats() leave it out; its
  // tracked timers are kept for when it is served again.
  void wait_idle(Partition partition);

  // One tick of `partition` at the clock's now. REQUIRES: !running().
  Result<TickReport> tick(Partition partition);

  std::vector<StuckOperation> stuck(size_t limit) const;
  SchedulerStats stats() const;

  // Moves `partition` to `store`, a copy of its projection rebuilt from the
  // log (Node::rebuild): the same timers, so what the scheduler tracks stays
  // valid; the next tick scans `store`. Between two ticks, from any thread.
  // REQUIRES: `store` outlives the scheduler.
  void switch_store(Partition partition, const PartitionStore& store);

 private:
  struct Work;
  static std::vector<std::unique_ptr<Work>> make_work(size_t partitions, const SchedulerOptions& options);
  Result<TickReport> tick_locked(uint32_t p, Work& w, Timestamp now);
  // The loop's mark for a woken or unserved partition (w.mu held).
  void mark(uint32_t p, Work& w);
  // Folds the deadlines the partition's commits set since the last tick
  // into when the next scan comes (recovery/timer_scan.h).
  void note_new_timers(uint32_t p, Work& w);
  void check_tracked(uint32_t p, Work& w, Timestamp now, std::vector<Timer>& to_append,
                     TickReport& report);
  Status scan(uint32_t p, Work& w, Timestamp now, std::vector<Timer>& to_append,
              TickReport& report);
  void append(uint32_t p, Work& w, const std::vector<Timer>& timers, Timestamp now,
              TickReport& report);
  // Takes out of `timers` the saga deadlines deps_.hold_saga holds.
  void hold_queued_sagas(uint32_t p, Work& w, std::vector<Timer>& timers, Timestamp now,
                         TickReport& report);
  Timestamp next_wake_locked(Work& w, Timestamp now) const;
  bool serves(uint32_t p) const;

  SchedulerDeps deps_;  // stores[p] is GUARDED_BY(loop_.at(p).mu) (switch_store)
  const SchedulerOptions options_;
  PartitionLoop<Work> loop_;  // the thread and one Work per partition, each with its own mutex

  std::atomic<uint64_t> ticks_{0}, scans_{0}, visited_{0}, checks_{0};
  std::atomic<uint64_t> expiries_{0}, saga_timeouts_{0}, append_failures_{0}, holds_{0};
};

}  // namespace tally
