// Writes a benchmark workload (bench/workload.h) into an embedded log, for
// the benchmarks of the tools that read a log (`tally bench replay`,
// `tally bench reconcile`): first every account, then the transfers in id
// order, packed per partition into records of up to `batch` commands.
// Nothing is applied; the log is the whole input.
#pragma once

#include <string>

#include "bench/workload.h"
#include "engine/core/status.h"

namespace tally::bench {

struct WorkloadLogStats {
  uint64_t records = 0;
  uint64_t commands = 0;
};

// REQUIRES: `log_dir` holds no log yet; 1 <= batch <= kMaxBatchCommands.
Result<WorkloadLogStats> write_workload_log(const std::string& log_dir, const Workload& workload,
                                            uint32_t partitions, size_t batch);

}  // namespace tally::bench
