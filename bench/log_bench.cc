#include "bench/log_bench.h"

#include <algorithm>
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

Result<LogBenchResult> run_log_bench(Log& log, const LogBenchOptions& options) {
  assert(options.threads >= 1 && options.commands_per_record <= kMaxBatchCommands);
  const uint32_t partitions = log.partition_count();

  // Records ready before the clock starts: the workload's transfers in id
  // order, each put in a record of its debit account's partition, keyed
  // like a producer would (the first transfer's routing key).
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

  std::atomic<bool> stop{false};
  tally::Mutex mu;
  Status failure;  // guarded by mu (a local: clang checks members only)
  std::vector<Clock::duration> latencies;  // guarded by mu (a local: clang checks members only)
  LogBenchResult result;  // the counts; guarded by mu (a local: clang checks members only)

  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (size_t t = 0; t < options.threads; t++) {
    threads.emplace_back([&, t] {
      std::vector<Clock::duration> mine;
      uint64_t n = 0, bytes = 0;
      // Thread t starts at its own record and strides by the thread count,
      // so concurrent appends go to different partitions where possible.
      for (size_t i = t; !stop.load(std::memory_order_relaxed); i += options.threads) {
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
  std::this_thread::sleep_until(start + options.duration);
  stop = true;
  for (auto& th : threads) th.join();
  result.elapsed = Clock::now() - start;
  if (!failure.ok()) return failure;
  TALLY_ASSIGN_OR_RETURN(const uint64_t end_after, total_end());
  if (end_after - end_before != result.records) {
    return Status::Internal("the log's end offsets moved by " + std::to_string(end_after - end_before) +
                            " records, but " + std::to_string(result.records) +
                            " appends were acknowledged");
  }

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
