// The log append benchmark (`tally bench log`): how fast a Log takes records
// of realistic transfers, durably.
//
// `threads` appenders each append one record at a time and wait for it to
// be acknowledged (for the embedded log: fsync'd; for Kafka: acks=all), so
// the embedded log's group commit and the Kafka producer's batching have
// concurrent work to combine. Records are encoded before the clock starts:
// this measures the log, not the encoder. Appenders spread over all
// partitions. Every append's latency is recorded. At the end the log's end
// offsets must have moved by exactly the number of acknowledged appends.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/core/status.h"
#include "engine/log/log.h"

namespace tally::bench {

struct LogBenchOptions {
  size_t threads = 4;                        // concurrent appenders
  size_t commands_per_record = 8189;         // transfers in each record
  std::chrono::milliseconds duration{5000};  // how long to append
  size_t records_per_partition = 2;          // distinct records kept ready per partition
  uint64_t seed = 1;
};

struct LogBenchResult {
  uint64_t records = 0;
  uint64_t commands = 0;
  uint64_t bytes = 0;  // record values appended
  std::chrono::nanoseconds elapsed{0};
  std::chrono::nanoseconds latency_p50{0};
  std::chrono::nanoseconds latency_p99{0};
  std::chrono::nanoseconds latency_max{0};

  double seconds() const { return std::chrono::duration<double>(elapsed).count(); }
  double commands_per_second() const { return static_cast<double>(commands) / seconds(); }
  double records_per_second() const { return static_cast<double>(records) / seconds(); }
  double megabytes_per_second() const { return static_cast<double>(bytes) / 1e6 / seconds(); }
  // "2,345,678 commands/s  286.5 MB/s  286 records/s  latency p50 12.3 ms p99 25.1 ms max 30.0 ms"
  std::string summary() const;
};

// Runs the benchmark against `log`. Stops at the first failed append and
// returns its error. REQUIRES: commands_per_record <= kMaxBatchCommands,
// threads >= 1.
Result<LogBenchResult> run_log_bench(Log& log, const LogBenchOptions& options);

}  // namespace tally::bench
