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

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/log/log.h"

namespace tally::bench {

struct LogBenchResult;

struct LogBenchOptions {
  size_t threads = 4;                        // concurrent appenders
  size_t commands_per_record = 8189;         // transfers in each record
  std::chrono::milliseconds duration{5000};  // how long to append
  size_t records_per_partition = 2;          // distinct records kept ready per partition
  uint64_t seed = 1;
  // The run in this many equal slices of `duration`; after each but the
  // last, with no append in flight, `between` runs (untimed) with the
  // figures so far (`tally bench log` measures the disk there, so that the
  // log and the disk see the same moments of a shared machine). An error
  // from it ends the run with that error.
  size_t slices = 1;
  std::function<Status(const LogBenchResult&)> between;
};

struct LogBenchResult {
  uint64_t records = 0;
  uint64_t commands = 0;
  uint64_t bytes = 0;  // record values appended
  uint64_t group_commits = 0;  // the log's, during the run (Log::group_commits; 0: not counted)
  std::chrono::nanoseconds elapsed{0};
  std::chrono::nanoseconds latency_p50{0};
  std::chrono::nanoseconds latency_p99{0};
  std::chrono::nanoseconds latency_max{0};

  double seconds() const { return std::chrono::duration<double>(elapsed).count(); }
  double commands_per_second() const { return static_cast<double>(commands) / seconds(); }
  double records_per_second() const { return static_cast<double>(records) / seconds(); }
  double megabytes_per_second() const { return static_cast<double>(bytes) / 1e6 / seconds(); }
  // Bytes per group commit; 0 when the log does not count them.
  size_t mean_group_bytes() const { return group_commits == 0 ? 0 : bytes / group_commits; }
  // "2,345,678 commands/s  286.5 MB/s  286 records/s  latency p50 12.3 ms p99 25.1 ms max 30.0 ms"
  std::string summary() const;
};

// The disk's own fsync'd sequential bandwidth, measured beside a log run:
// one thread appends `group_bytes` (the log's mean group in that run) to a
// fresh file with write(), then fdatasync()s, over and over, for
// `duration`; the file is removed after. Also with several such threads at
// once: a disk with a queue takes more that way (one writer leaves it idle
// while it copies the next group into the page cache), which is what the
// log's pipelined group commit uses.
// What a log that writes each byte once, one fsync per group commit, can
// reach at best on that disk.
struct DiskBandwidth {
  uint64_t bytes = 0;
  uint64_t syncs = 0;
  size_t group_bytes = 0;
  size_t writers = 1;
  std::chrono::nanoseconds elapsed{0};
  double seconds() const { return std::chrono::duration<double>(elapsed).count(); }
  double megabytes_per_second() const { return static_cast<double>(bytes) / 1e6 / seconds(); }
  // Adds another measurement's figures (the group size becomes the mean).
  void add(const DiskBandwidth& o) {
    writers = o.writers;
    group_bytes = (bytes + o.bytes) / std::max<uint64_t>(syncs + o.syncs, 1);
    bytes += o.bytes;
    syncs += o.syncs;
    elapsed += o.elapsed;
  }
};

// Measures it with one file in the existing directory `dir`, appended to by
// every run() (as a log appends to its segment), removed when the probe
// dies. (A file per measurement would be deleted between them, and ext4
// mounted with `discard` then trims its blocks in front of the next fsyncs.)
class DiskProbe {
 public:
  explicit DiskProbe(std::string dir) : path_(std::move(dir) + "/disk-bandwidth.probe") {}
  ~DiskProbe();
  DiskProbe(const DiskProbe&) = delete;
  DiskProbe& operator=(const DiskProbe&) = delete;
  // Appends groups of `group_bytes` for `duration`, from `writers` threads
  // at once (each: write a group, fdatasync, again). REQUIRES: group_bytes >= 1.
  Result<DiskBandwidth> run(size_t group_bytes, std::chrono::nanoseconds duration,
                            size_t writers = 1);

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<char> group_;
};

// The disk's figure: the better of one writer and several at once.
double disk_megabytes_per_second(const DiskBandwidth& one, const DiskBandwidth& many);

// "log: 812.3 MB/s = 88% of the disk's fsync'd sequential bandwidth, 921.0
// MB/s (the better of one writer, 610.4 MB/s, and 4 writers at once, 921.0
// MB/s; each write + fdatasync of 1091465 bytes, the log's mean group)"
std::string disk_share(const LogBenchResult& log, const DiskBandwidth& one, const DiskBandwidth& many);

// Runs the benchmark against `log`. Stops at the first failed append and
// returns its error. REQUIRES: commands_per_record <= kMaxBatchCommands,
// threads >= 1.
Result<LogBenchResult> run_log_bench(Log& log, const LogBenchOptions& options);

}  // namespace tally::bench
