// `tally bench transfers --scale-partitions 1,2` and `--scale-accounts
// 10000,1000000`: the same transfers benchmark run once per value in one
// process, the first value being the baseline, each run printed as usual
// and then a line beside the baseline: its transfers/s, the ratio of the
// two, CPU per transfer, the load average before and after, and the CPU of
// the run's threads by name (pipelines, RocksDB flushes and compactions,
// the rest), and what the run's CPU alone says it would have done with
// every core free (its slowest pipeline, or all its CPU over the cores;
// on a shared machine the figure that holds). --scale-rounds N runs the
// list N times, interleaved (1,2,1,2),
// so that the machine's other load falls on both alike; the summary takes
// each value's best round (the run least disturbed) and its median.
// With --json each run's object carries "scale" (axis, value, round,
// baseline, ratio to the same round's baseline, the CPU-bound figure and
// its ratio, load average) and the last one "scale_summary"
// (docs/benchmarks.md "Scaling").
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/ledger_run.h"
#include "bench/run_json.h"
#include "engine/core/status.h"

namespace tally::bench {

enum class ScaleAxis { partitions, accounts };

struct ScaleOptions {
  ScaleAxis axis = ScaleAxis::partitions;
  std::vector<uint64_t> values;  // the first is the baseline
  int rounds = 1;
};

// "1,2,4" → {1, 2, 4}. invalid_argument naming `option` unless every item
// is a whole number in 1..max and there are 1..16 of them.
Result<std::vector<uint64_t>> parse_scale_list(std::string_view option, std::string_view text, uint64_t max);

// Runs `base` once per value and round as `s` says. 0 when every run's
// checks passed. REQUIRES: every value valid for `base` (ledger_bench_main
// checks).
int scale_main(const LedgerOptions& base, const ScaleOptions& s, const JsonStdout& out,
               const boost::json::object& header);

}  // namespace tally::bench
