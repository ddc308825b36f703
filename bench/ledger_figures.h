// The figures of one `tally bench transfers` run (bench/ledger_bench.cc),
// gathered for --compare and --json, and their JSON form.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/lookup_bench.h"
#include "bench/saga_settle.h"

namespace tally::bench {

// One run's figures, as its text printed them.
struct TransferFigures {
  bool complete = false;  // the run got as far as its figures
  uint64_t transfers = 0;
  size_t records = 0;
  double seconds = 0, cpu_seconds = 0;
  double tps = 0;
  double cpu_us_per_transfer = 0;
  // Sagas only: CPU seconds of the bench's own settle sampler (included in
  // cpu_seconds; the observer, not the engine's work).
  double observer_cpu_seconds = 0;
  uint64_t keys_written = 0;
  double keys_per_transfer = 0;  // RocksDB keys the stores wrote
  // CPU seconds of the timed part by thread name, and seconds runnable but
  // waiting for a CPU (bench/thread_cpu.h); what threads that exited
  // meanwhile used (the process's CPU less the rest).
  std::map<std::string, double> cpu_by_thread, cpu_wait_by_thread;
  double cpu_exited_threads = 0;
  double latency_p50_ms = 0, latency_p99_ms = 0, latency_p100_ms = 0;  // per record, append to applied
  uint64_t admission_window = 0, admitted = 0, refused = 0;
  bool sagas = false;
  SettleFigures settle;  // cross-partition transfers only
  std::optional<LookupFigures> lookups_under_load, lookups_idle;
  std::optional<bool> validated;  // --validate only
  std::vector<std::pair<uint32_t, std::string>> digests;  // partition, digest (hex)
  std::vector<uint64_t> applied_records;  // by partition
};

// The figures as fields of `o` (docs/benchmarks.md names them): totals,
// rates, CPU, keys written, record latency, admission, and where the run
// had them saga settle figures, lookups, --validate's verdict; last the
// partitions' applied records and digests.
void add_figures(boost::json::object& o, const TransferFigures& f);

}  // namespace tally::bench
