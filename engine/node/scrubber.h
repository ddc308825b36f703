// The background scrub of `tally serve --scrub-interval` (scrub.h): one
// pass every interval, counted from the end of the previous one, paced to
// at most bytes_per_second, on a thread of its own; none when the interval
// is 0. serve's defaults are in docs/operations.md "When the disk fails".
//
// What it reports: health() is the /health component "scrub", never
// critical: degraded, naming each damaged file by role and name, from the
// first pass that finds damage until a pass finds none. Each damaged file
// and each clean pass is a line in the operator log (engine/core/logging.h,
// component "scrub"). The scrub only reads: repairing is the operator's
// (restore from a checkpoint, or rebuild the store with tally replay).
//
// Thread safety: health() from any thread; start() and stop() from one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "engine/core/thread_annotations.h"
#include "engine/node/node.h"
#include "engine/node/scrub.h"

namespace tally {

struct ScrubberOptions {
  std::chrono::milliseconds interval{0};  // 0: no background scrub
  uint64_t bytes_per_second = 4u << 20;   // 0: unpaced
};

class Scrubber {
 public:
  // `log` (may be null: stores only) must outlive the scrubber.
  Scrubber(std::vector<ScrubTarget> targets, Log* log, ScrubberOptions options);
  ~Scrubber();
  Scrubber(const Scrubber&) = delete;
  Scrubber& operator=(const Scrubber&) = delete;

  void start();  // no thread when the interval is 0
  // The pass in progress gives up at its next read; idempotent.
  void stop();
  ComponentHealth health() const;
  uint64_t passes() const;

 private:
  void run();
  void record(const ScrubReport& report);

  const std::vector<ScrubTarget> targets_;
  Log* const log_;
  const ScrubberOptions options_;
  std::atomic<bool> stop_flag_{false};
  mutable tally::Mutex mu_;
  std::condition_variable cv_;
  bool in_pass_ GUARDED_BY(mu_) = false;
  uint64_t passes_ GUARDED_BY(mu_) = 0;
  std::optional<ScrubReport> last_ GUARDED_BY(mu_);  // the last finished pass
  std::chrono::steady_clock::time_point last_end_ GUARDED_BY(mu_) = {};
  std::thread thread_;
};

}  // namespace tally
