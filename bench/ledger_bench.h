// `tally bench transfers`: end-to-end ledger throughput. Appends the
// workload's transfers durably to the log in records of up to --batch
// commands, lets the node apply them, and reports accepted transfers/s
// (first append to last apply) and per-record latency (append start to
// applied) p50/p99/p100. --validate re-reads every account and transfer.
// Balance lookups (bench/lookup_bench.h): --lookup-rate per second by one
// reader while the transfers are applied, and --lookups after the run,
// each timed and checked against the workload's final balances. --json:
// one object per run on stdout (bench/run_json.h, bench/ledger_figures.h).
#pragma once

#include <string>
#include <vector>

namespace tally::bench {

int ledger_bench_main(const std::vector<std::string>& args);

}  // namespace tally::bench
