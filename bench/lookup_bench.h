// Balance lookups in process, for `tally bench transfers` (--lookups,
// --lookup-rate; docs/benchmarks.md "Transfers").
//
// Contract:
// - Every lookup goes through Node::account(AccountId), the call that
//   answers GET /v1/accounts/{id} (engine/http/node_backend.cc) without the
//   HTTP parsing and JSON; each is timed on its own with two readings of
//   std::chrono::steady_clock around that call alone (the account ids are
//   drawn before the clock starts).
// - Accounts are drawn from a seeded splitmix64 stream (reproducible for a
//   given workload seed): uniformly over the workload's accounts, or by the
//   workload's Zipfian law when it has one (--zipf).
// - time_lookups (idle: after the run, nothing being applied): every answer
//   must equal the expected final balances (debits and credits posted);
//   the first mismatch, a missing account or an error fails it.
// - LoadLookups (under load: one reader thread while the transfers are
//   applied, paced at `rate` lookups/s): balances move while it reads, so
//   each answer is checked to be at most the final expected balances and
//   never below what the reader saw before for that account (posted
//   amounts only grow); a violation fails it. Pacing sleeps until each
//   lookup's slot; a lookup is timed from its call, not from its slot.
// Thread safety: a LoadLookups is driven by one thread (start, then finish).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "bench/workload.h"
#include "engine/core/status.h"
#include "engine/node/node.h"

namespace tally::bench {

struct LookupFigures {
  uint64_t lookups = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  double per_second = 0;     // lookups / wall time of the timed loop (idle only)
  double clock_ns = 0;       // median cost of one pair of steady_clock readings (idle only)
  double cpu_seconds = 0;    // the reader thread's CPU (under load only)
};

// Final balances by workload account index: [0] debits posted, [1] credits posted.
using ExpectedBalances = std::vector<std::array<u128, 2>>;

// `count` lookups, one at a time, on the calling thread.
Result<LookupFigures> time_lookups(const Node& node, const Workload& w, const ExpectedBalances& expected,
                                   uint64_t count);

class LoadLookups {
 public:
  // rate: lookups per second; 0: start() does nothing and finish() reports none.
  LoadLookups(const Node& node, const Workload& w, const ExpectedBalances& expected, double rate);
  ~LoadLookups();
  LoadLookups(const LoadLookups&) = delete;
  LoadLookups& operator=(const LoadLookups&) = delete;
  void start();
  // Stops the reader; its figures, or the first check that failed.
  Result<LookupFigures> finish();

 private:
  void loop();
  const Node& node_;
  const Workload& w_;
  const ExpectedBalances& expected_;
  double rate_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<int64_t> nanos_;
  double cpu_seconds_ = 0;
  Status error_;
};

void print_lookups(const char* label, const LookupFigures& f, bool idle);

}  // namespace tally::bench
