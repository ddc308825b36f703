// Waker: how the scheduler's and the relay's threads sleep without polling.
// Producers of work (the pipelines' on_effects callbacks) mark a partition
// and notify; the worker takes the marks and sleeps until the next mark,
// its own next deadline or a stop request. Thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <vector>

#include "engine/core/thread_annotations.h"
#include "engine/core/types.h"

namespace tally {

class Waker {
 public:
  explicit Waker(uint32_t partitions) : marks_(partitions, false) {}

  // Marks `partition` and wakes the worker. Cheap: a lock and a notify.
  void wake(Partition partition) {
    {
      tally::MutexLock lock(mu_);
      marks_.at(partition.value) = true;
      any_ = true;
    }
    cv_.notify_one();
  }

  // The marks since the last take (and clears them).
  std::vector<bool> take() {
    tally::MutexLock lock(mu_);
    std::vector<bool> out = marks_;
    std::fill(marks_.begin(), marks_.end(), false);
    any_ = false;
    return out;
  }

  // Sleeps until a mark, `timeout` or a stop request, whichever comes first.
  void wait(std::chrono::nanoseconds timeout, std::stop_token stop) {
    tally::UniqueLock lock(mu_);
    cv_.wait_for(lock.native(), stop, timeout, [&]() REQUIRES(mu_) { return any_; });
  }

 private:
  tally::Mutex mu_;
  std::condition_variable_any cv_;
  std::vector<bool> marks_ GUARDED_BY(mu_);
  bool any_ GUARDED_BY(mu_) = false;
};

}  // namespace tally
