// One run of `tally bench transfers` (bench/ledger_bench.cc), callable by
// the modes that run it more than once in a process: --compare and the
// scaling runs (bench/scale_bench.h). A run opens a fresh node in its own
// directory, creates the workload's accounts, times the transfers, prints
// its text lines and fills `figures`; nothing is shared between runs but
// the process (RocksDB's background threads, its block cache).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

#include "bench/ledger_figures.h"
#include "bench/run_json.h"
#include "bench/workload.h"
#include "engine/core/codec.h"
#include "engine/node/node.h"

namespace tally::bench {

struct LedgerOptions {
  WorkloadOptions workload;
  uint32_t partitions = 8;
  size_t batch = kMaxBatchCommands;
  std::string dir;
  bool validate = false;
  bool keep = false;
  bool apply_only = false;  // append everything first (untimed), then time applying it
  int appenders = 4;
  size_t window = 32;  // records appended but not yet applied, at most
  bool compare = false;  // with --cross: first the same run with no cross-partition transfers
  int64_t lookups = 1'000'000;  // balance lookups timed after the run (0: none)
  double lookup_rate = 2'000;  // lookups/s by one reader while the transfers are applied (0: none)
  std::string workload_name = "groups";  // or "wallets" (WorkloadOptions::wallets)
  uint64_t admission_window = NodeOptions{}.admission_window;
  double rate = 0;  // open loop: transfers/s offered at a steady pace (0: closed loop, as fast as admitted)
  bool json = false;  // one JSON object per run on stdout (bench/run_json.h)
  std::string lookup_path = "table";  // "table": the pipelines' account tables; "store": RocksDB only
};

// Runs `o` once; 0 when it ran and its checks passed. REQUIRES: `o`
// validated by ledger_bench_main, o.workload.partitions == o.partitions.
int run_ledger(const LedgerOptions& o, TransferFigures& figures);

// Prints run `name`'s object (header, its figures, "ok") when --json asked
// for it and the run got as far as its figures.
void print_ledger_run(const JsonStdout& out, boost::json::object header, const char* name,
                      const TransferFigures& f, int rc);

}  // namespace tally::bench
