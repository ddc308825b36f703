// PartitionLoop: the one thread, the per-partition state and locking, and
// the sleep that the timer scheduler (recovery/scheduler.h) and the outbox
// relay (recovery/relay.h) share. Each keeps a Work per partition, guarded
// by that Work's own mutex `mu`; the loop visits every partition in turn:
//   - a partition that was woken (wake(): the pipeline committed timers or
//     outbox entries) or that this process does not serve now is marked
//     (Hooks::mark: look again at the next chance);
//   - a served partition is stepped (Hooks::step: act if due, and say when
//     it next needs a visit);
// with Hooks::finish set, a round keeps every partition locked until
// finish() has acted for all of them at once;
// then the thread sleeps until the earliest of those, a wake(), max_sleep
// (a safety net against wall-clock jumps) or stop(). It never polls a
// partition that has nothing due.
//
// Thread safety: start()/stop() by the owner; wake(), wait_idle(), at() and
// serves() from any thread (lock at(p).mu to read a Work); mark_woken()
// only while the thread is not running (the owners' tick() for tests).
#pragma once

#include <cassert>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/thread_annotations.h"
#include "engine/core/types.h"
#include "recovery/waker.h"

namespace tally {

template <class Work>
class PartitionLoop {
 public:
  struct Hooks {
    // Marks a partition to be looked at again. Called with w.mu held.
    std::function<void(uint32_t p, Work& w)> mark;
    // Acts for a served partition if anything is due at `now`; returns when
    // it next needs a visit. Called with w.mu held.
    std::function<Timestamp(uint32_t p, Work& w, Timestamp now)> step;
    // Optional: called once per round, after every partition was visited,
    // with every partition's mu still held (taken in partition order, so a
    // round acts for all partitions at once: the relay appends what each
    // step staged in one call); returns when the round next needs to run.
    // Set, a round holds each visited partition's mu until it returns.
    std::function<Timestamp(Timestamp now)> finish;
  };

  // REQUIRES: one Work per partition; `clock` set.
  PartitionLoop(std::vector<std::unique_ptr<Work>> work, std::function<Timestamp()> clock,
                std::function<bool(Partition)> serves, std::chrono::milliseconds max_sleep)
      : work_(std::move(work)),
        clock_(std::move(clock)),
        serves_(std::move(serves)),
        max_sleep_(max_sleep),
        waker_(static_cast<uint32_t>(work_.size())) {
    assert(clock_);
  }
  ~PartitionLoop() { stop(); }
  PartitionLoop(const PartitionLoop&) = delete;
  PartitionLoop& operator=(const PartitionLoop&) = delete;

  uint32_t size() const { return static_cast<uint32_t>(work_.size()); }
  Work& at(uint32_t p) const { return *work_.at(p); }
  bool serves(uint32_t p) const { return !serves_ || serves_(Partition{p}); }

  // REQUIRES: !running().
  void start(Hooks hooks) {
    assert(!running());
    hooks_ = std::move(hooks);
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  }
  // Returns once the thread has finished its visit: nothing acts after.
  void stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
  }
  bool running() const { return thread_.joinable(); }

  void wake(Partition p) { waker_.wake(p); }
  // Returns once no visit of `p` runs.
  void wait_idle(Partition p) { tally::MutexLock lock(at(p.value).mu); }

  // Applies the marks of wake() calls with `mark` (for a tick driven by
  // hand). REQUIRES: !running().
  void mark_woken(const std::function<void(uint32_t, Work&)>& mark) {
    assert(!running());
    const std::vector<bool> marks = waker_.take();
    for (uint32_t p = 0; p < size(); p++) {
      if (!marks[p]) continue;
      tally::MutexLock lock(at(p).mu);
      mark(p, at(p));
    }
  }

 private:
  // One partition's visit; returns when it next needs one (`none`: not served).
  Timestamp visit(uint32_t p, Work& w, bool marked, Timestamp now, Timestamp none) {
    const bool served = serves(p);
    // Not served: another process acts for it meanwhile; look again once served.
    if (marked || !served) hooks_.mark(p, w);
    if (!served) return none;
    return hooks_.step(p, w, now);
  }

  // Visits the partitions from `p` on, each under its mu, and calls
  // hooks_.finish once all are visited, before any mu is released. Recurses
  // once per partition (at most 1000: a few hundred bytes of stack each) so
  // that every lock is a scoped one the analysis can check.
  Timestamp visit_holding(uint32_t p, const std::vector<bool>& marks, Timestamp now, Timestamp none) {
    if (p == size()) return std::min(none, hooks_.finish(now));
    Work& w = at(p);
    tally::MutexLock lock(w.mu);
    const Timestamp wake = visit(p, w, marks[p], now, none);
    return std::min(wake, visit_holding(p + 1, marks, now, none));
  }

  void run(std::stop_token stop) {
    while (!stop.stop_requested()) {
      const std::vector<bool> marks = waker_.take();
      const Timestamp now = clock_();
      Timestamp wake = plus(now, max_sleep_);
      if (hooks_.finish) {
        wake = visit_holding(0, marks, now, wake);
      } else {
        for (uint32_t p = 0; p < size() && !stop.stop_requested(); p++) {
          Work& w = at(p);
          tally::MutexLock lock(w.mu);
          wake = std::min(wake, visit(p, w, marks[p], now, wake));
        }
      }
      const Timestamp after = clock_();
      if (wake > after) waker_.wait(std::chrono::nanoseconds(wake.ns - after.ns), stop);
    }
  }

  std::vector<std::unique_ptr<Work>> work_;
  const std::function<Timestamp()> clock_;
  const std::function<bool(Partition)> serves_;
  const std::chrono::milliseconds max_sleep_;
  Waker waker_;
  Hooks hooks_;  // set by start(), read by the thread only
  std::jthread thread_;
};

}  // namespace tally
