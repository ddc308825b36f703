// CPU seconds this process's threads used, by thread name, for the scaling
// runs (bench/scale_bench.h): which threads took the CPU that the
// partitions' pipelines did not (RocksDB's flushes, "rocksdb:high", and
// compactions, "rocksdb:low"; the pipelines are named "tally pipe N",
// engine/node/pipeline.cc). Linux only (/proc/self/task); elsewhere, empty.
#pragma once

#include <map>
#include <string>

namespace tally::bench {

// Name → CPU seconds (user + system) of the threads alive now. Names are
// grouped without their trailing partition number ("tally pipe 3" counts
// as "tally pipe"). Threads that already exited are not in it.
std::map<std::string, double> thread_cpu_by_name();

// `after` − `before`, per name (names absent before count from 0).
std::map<std::string, double> thread_cpu_delta(const std::map<std::string, double>& before,
                                               const std::map<std::string, double>& after);

}  // namespace tally::bench
