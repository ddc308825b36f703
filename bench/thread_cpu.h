// CPU seconds this process's threads used, by thread name, for the scaling
// runs (bench/scale_bench.h): which threads took the CPU that the
// partitions' pipelines did not (RocksDB's flushes, "rocksdb:high", and
// compactions, "rocksdb:low"; the pipelines are named "tally pipe N",
// engine/node/pipeline.cc), and how long they were runnable but waited for
// a CPU (the kernel's schedstat: on a shared machine, the other load).
// Linux only (/proc/self/task); elsewhere, empty.
#pragma once

#include <map>
#include <string>

namespace tally::bench {

struct ThreadTimes {
  double cpu = 0;     // seconds on a CPU (schedstat; without it, stat's user + system)
  double waited = 0;  // seconds runnable on a run queue, not running
};

// Name → times of the threads alive now. Names are grouped without their
// trailing partition number ("tally pipe 3" counts as "tally pipe").
// Threads that already exited are not in it.
std::map<std::string, ThreadTimes> thread_times_by_name();

// `after` − `before`, per name (names absent before count from 0).
std::map<std::string, ThreadTimes> thread_times_delta(const std::map<std::string, ThreadTimes>& before,
                                                      const std::map<std::string, ThreadTimes>& after);

}  // namespace tally::bench
