// Sagas in `tally bench transfers --cross F`: waiting until every saga has
// settled (part of the timed run: a cross-partition transfer is done when
// its saga is), and two views of settle latency:
//   - observed: a sample of sagas, polled from a thread of the bench's own
//     until the source partition's store shows them settled; latency runs
//     from the saga's start (its record's append time in the log, which the
//     ledger clock takes as the command's timestamp) to that sight;
//   - log time: every saga, from its stored record, settled − started: from
//     the record's append to the append of the reply that settled it (it
//     leaves out the source's apply of that reply).
// Thread safety: SettleSampler's methods are called from one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bench/workload.h"
#include "engine/node/node.h"

namespace tally::bench {


// Waits until every partition applied everything appended so far and no
// saga is in flight in any partition. timeout → Status::Timeout.
Status wait_sagas_settled(Node& node, std::chrono::milliseconds timeout);

// A saga to watch: its id and the partition that keeps it (the debit account's).
struct SagaSample {
  TransferId id;
  Partition source;
};

// Every n-th cross-partition transfer of `w` (in id order), n chosen so
// that at most `max` are picked.
std::vector<SagaSample> sample_cross(const Workload& w, size_t max);

class SettleSampler {
 public:
  // REQUIRES: `node` outlives the sampler; `samples` in the order they are appended.
  SettleSampler(const Node& node, std::vector<SagaSample> samples,
                std::chrono::microseconds poll = std::chrono::milliseconds(2));
  ~SettleSampler();
  SettleSampler(const SettleSampler&) = delete;
  SettleSampler& operator=(const SettleSampler&) = delete;

  void start();
  // Once every saga has settled: lets the poller see the last samples
  // settle (a few rounds, at most `timeout`), then stops it.
  void finish(std::chrono::milliseconds timeout);
  // Stops polling; latencies() then holds the samples seen settled so far.
  void stop();
  // Milliseconds from each sampled saga's start to its settling being seen.
  const std::vector<double>& latencies() const { return latencies_; }
  size_t sampled() const { return samples_.size(); }
  // CPU seconds the sampler's own thread used (its polls read RocksDB);
  // final once stop() returned. The bench's observer, not the engine's work.
  double cpu_seconds() const { return cpu_seconds_.load(std::memory_order_acquire); }

 private:
  void run(std::stop_token stop);
  // Polls the first unsettled samples once; returns how many it settled.
  size_t poll_once();

  const Node& node_;
  const std::vector<SagaSample> samples_;
  const std::chrono::microseconds poll_;
  size_t next_ = 0;                 // samples before this are settled or in `active_`
  std::vector<SagaSample> active_;  // polled each round, at most kActive
  std::vector<double> latencies_;
  std::atomic<bool> drained_{false};  // every sample was seen settled
  std::atomic<double> cpu_seconds_{0};
  std::jthread thread_;
};

// settled − started of every settled saga in every partition, in ms.
Result<std::vector<double>> log_time_settle_ms(const Node& node, uint64_t* compensated = nullptr);

// The two stages of each completed saga's log-time settle latency, in ms:
// from the request's append to the credit leg's (the credit transfer's
// timestamp in the destination: the source applied and committed the
// request, the relay appended the leg), and from there to the reply's
// append (the destination applied the leg, the relay appended the reply).
struct SettleStages {
  std::vector<double> to_credit_ms, to_reply_ms;
};
Result<SettleStages> log_time_stages(const Node& node);

// What report_settle printed, for --compare and --json.
struct SettleFigures {
  size_t sampled = 0, seen = 0;  // sagas sampled, and seen settled
  double observed_p50_ms = 0, observed_p99_ms = 0, observed_p100_ms = 0;
  bool log_time_ok = false;      // false: the log-time figures could not be read
  double log_p50_ms = 0, log_p99_ms = 0, log_p100_ms = 0;
  // log_time_stages' percentiles: request → credit leg, credit leg → reply.
  double credit_p50_ms = 0, credit_p99_ms = 0, reply_p50_ms = 0, reply_p99_ms = 0;
  uint64_t sagas = 0, compensated = 0;
  uint64_t relayed = 0, relay_appends = 0;  // outbox entries, in appends
  uint64_t saga_timeouts_appended = 0;      // re-sends after the first deadline
  uint64_t saga_deadlines_held = 0;
};

// Prints the observed (sampled) and the log-time settle latency,
// p50/p99/p100 each, and what the relay and scheduler did for the sagas;
// returns those figures.
SettleFigures report_settle(Node& node, const SettleSampler& sampler);

}  // namespace tally::bench
