#include "bench/log_bench.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <cassert>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/figures.h"
#include "bench/workload.h"
#include "engine/core/codec.h"
#include "engine/core/partitioner.h"
#include "engine/core/thread_annotations.h"

namespace tally::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string millis(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", std::chrono::duration<double, std::milli>(d).count());
  return buf;
}

struct Prepared {
  Partition partition;
  std::vector<uint8_t> key;
  std::vector<uint8_t> value;
};

}  // namespace

std::string LogBenchResult::summary() const {
  char rates[96];
  std::snprintf(rates, sizeof rates, "  %.1f MB/s  %.0f records/s", megabytes_per_second(),
                records_per_second());
  return with_commas(static_cast<uint64_t>(commands_per_second())) + " commands/s" + rates +
         "  latency p50 " + millis(latency_p50) + " p99 " + millis(latency_p99) + " max " +
         millis(latency_max);
}

namespace {

// Records ready before the clock starts: the workload's transfers in id
// order, each put in a record of its debit account's partition, keyed
// like a producer would (the first transfer's routing key).
std::vector<Prepared> prepare(const LogBenchOptions& options, uint32_t partitions) {
  std::vector<Prepared> records;
  {
    Workload workload({.seed = options.seed});
    std::vector<std::unique_ptr<BatchBuilder>> builders;
    std::vector<std::vector<uint8_t>> keys(partitions);
    std::vector<size_t> made(partitions, 0);
    for (uint32_t p = 0; p < partitions; p++) builders.push_back(std::make_unique<BatchBuilder>());
    const size_t wanted = size_t{partitions} * options.records_per_partition;
    for (uint64_t id = 1; records.size() < wanted; id++) {
      const CreateTransfer t = workload.transfer(id);
      const uint32_t p = partition_of(t.debit_account_id, partitions).value;
      if (made[p] == options.records_per_partition) continue;
      BatchBuilder& b = *builders[p];
      if (b.empty()) {
        const RoutingKey k = routing_key(t.debit_account_id);
        const auto* bytes = reinterpret_cast<const uint8_t*>(k.bytes);
        keys[p].assign(bytes, bytes + sizeof k.bytes);
      }
      b.add(t);
      if (b.size() == options.commands_per_record) {
        records.push_back({Partition{p}, keys[p], b.finish()});
        made[p]++;
      }
    }
  }
  return records;
}

}  // namespace

DiskProbe::~DiskProbe() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(path_.c_str());
}

Result<DiskBandwidth> DiskProbe::run(size_t group_bytes, std::chrono::nanoseconds duration,
                                     size_t writers) {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IoError("creating " + path_ + ": " + std::strerror(errno));
  }
  if (group_.size() != group_bytes) {
    group_.resize(group_bytes);
    for (size_t i = 0; i < group_.size(); i++) group_[i] = static_cast<char>(i * 131 + 7);
  }
  writers = std::max<size_t>(writers, 1);
  std::vector<DiskBandwidth> each(writers);
  std::vector<Status> failed(writers);
  const Clock::time_point start = Clock::now();
  auto loop = [&](size_t t) {
    // Each writer appends whole groups (O_APPEND: one write lands whole).
    while (Clock::now() - start < duration) {
      const ssize_t w = ::write(fd_, group_.data(), group_.size());
      if (w != static_cast<ssize_t>(group_.size())) {
        failed[t] = Status::IoError("writing " + path_ + ": " +
                                    (w < 0 ? std::strerror(errno) : "short write"));
        return;
      }
      if (::fdatasync(fd_) != 0) {
        failed[t] = Status::IoError("syncing " + path_ + ": " + std::strerror(errno));
        return;
      }
      each[t].bytes += group_.size();
      each[t].syncs++;
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < writers; t++) threads.emplace_back(loop, t);
  loop(0);
  for (auto& th : threads) th.join();
  DiskBandwidth out;
  out.group_bytes = group_bytes;
  out.writers = writers;
  for (size_t t = 0; t < writers; t++) {
    TALLY_RETURN_IF_ERROR(failed[t]);
    out.bytes += each[t].bytes;
    out.syncs += each[t].syncs;
  }
  out.elapsed = Clock::now() - start;
  return out;
}

double disk_megabytes_per_second(const DiskBandwidth& one, const DiskBandwidth& many) {
  return std::max(one.megabytes_per_second(), many.megabytes_per_second());
}

std::string disk_share(const LogBenchResult& log, const DiskBandwidth& one, const DiskBandwidth& many) {
  const double disk = disk_megabytes_per_second(one, many);
  char line[512];
  std::snprintf(line, sizeof line,
                "log: %.1f MB/s = %.0f%% of the disk's fsync'd sequential bandwidth, %.1f MB/s "
                "(the better of one writer, %.1f MB/s, and %zu writers at once, %.1f MB/s; each "
                "write + fdatasync of %zu bytes, the log's mean group)",
                log.megabytes_per_second(), 100.0 * log.megabytes_per_second() / disk, disk,
                one.megabytes_per_second(), many.writers, many.megabytes_per_second(),
                one.group_bytes);
  return line;
}

Result<LogBenchResult> run_log_bench(Log& log, const LogBenchOptions& options) {
  assert(options.threads >= 1 && options.commands_per_record <= kMaxBatchCommands);
  const uint32_t partitions = log.partition_count();
  const std::vector<Prepared> records = prepare(options, partitions);

  // The end offsets before and after: every acknowledged append must have
  // moved one of them by exactly one, or the figures count phantom records.
  auto total_end = [&]() -> Result<uint64_t> {
    uint64_t sum = 0;
    for (uint32_t p = 0; p < partitions; p++) {
      TALLY_ASSIGN_OR_RETURN(Offset end, log.end_offset(Partition{p}));
      sum += end.value;
    }
    return sum;
  };
  TALLY_ASSIGN_OR_RETURN(const uint64_t end_before, total_end());
  const uint64_t commits_before = log.group_commits();

  std::atomic<bool> stop{false};
  tally::Mutex mu;
  Status failure;  // guarded by mu (a local: clang checks members only)
  std::vector<Clock::duration> latencies;  // guarded by mu (a local: clang checks members only)
  LogBenchResult result;  // the counts; guarded by mu (a local: clang checks members only)

  // The run in `slices` slices; between two, no append is in flight and
  // options.between runs (its time not counted).
  const size_t slices = std::max<size_t>(options.slices, 1);
  size_t next_record = 0;
  for (size_t slice = 0; slice < slices && failure.ok(); slice++) {
    stop = false;
    const Clock::time_point start = Clock::now();
    std::vector<std::thread> threads;
    for (size_t t = 0; t < options.threads; t++) {
      threads.emplace_back([&, t] {
        std::vector<Clock::duration> mine;
        uint64_t n = 0, bytes = 0;
        // Thread t starts at its own record and strides by the thread count,
        // so concurrent appends go to different partitions where possible.
        for (size_t i = next_record + t; !stop.load(std::memory_order_relaxed); i += options.threads) {
          const Prepared& r = records[i % records.size()];
          const Clock::time_point before = Clock::now();
          auto o = log.append_one(r.partition, r.value, r.key);
          mine.push_back(Clock::now() - before);
          if (!o.ok()) {
            tally::MutexLock lock(mu);
            if (failure.ok()) failure = o.status();
            stop = true;
            break;
          }
          n++;
          bytes += r.value.size();
        }
        tally::MutexLock lock(mu);
        latencies.insert(latencies.end(), mine.begin(), mine.end());
        result.records += n;
        result.bytes += bytes;
      });
    }
    std::this_thread::sleep_until(start + options.duration / slices);
    stop = true;
    for (auto& th : threads) th.join();
    result.elapsed += Clock::now() - start;
    next_record += result.records;
    if (failure.ok() && options.between && slice + 1 < slices) {
      LogBenchResult so_far = result;
      so_far.group_commits = log.group_commits() - commits_before;
      failure = options.between(so_far);
    }
  }
  if (!failure.ok()) return failure;
  TALLY_ASSIGN_OR_RETURN(const uint64_t end_after, total_end());
  if (end_after - end_before != result.records) {
    return Status::Internal("the log's end offsets moved by " + std::to_string(end_after - end_before) +
                            " records, but " + std::to_string(result.records) +
                            " appends were acknowledged");
  }

  result.group_commits = log.group_commits() - commits_before;
  result.commands = result.records * options.commands_per_record;
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double q) { return percentile_of_sorted<Clock::duration>(latencies, q); };
    result.latency_p50 = at(0.50);
    result.latency_p99 = at(0.99);
    result.latency_max = latencies.back();
  }
  return result;
}

}  // namespace tally::bench
