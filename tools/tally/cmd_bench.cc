// tally bench: benchmarks, one mode each, `tally bench <mode> [options]`.
// Without a mode (or with only options) it runs the first mode of the table.
// Each mode prints what it ran and its figures (with --json, one JSON
// object per run on stdout: bench/run_json.h); docs/benchmarks.md records
// the results on the reference machine. A mode's code lives in bench/ (or
// cmd_bench_<mode>.cc); adding one is a line in the table.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <string_view>

#include "bench/expire_bench.h"
#include "bench/ledger_bench.h"
#include "bench/figures.h"
#include "tools/tally/cli.h"

namespace tally::cli {
namespace {

struct BenchMode {
  std::string_view name;
  std::string_view summary;
  std::function<int(const Args&)> run;
};

const BenchMode kModes[] = {
    {"transfers", "end to end: transfers appended durably and applied (TigerBeetle-style workload)",
     bench::ledger_bench_main},
    {"log", "appends of records of 8,189 transfers to the embedded log and to Kafka",
     bench_log_main},
    {"replay", "tally replay of a prepared log of transfers into a fresh directory",
     bench_replay_main},
    {"reconcile", "tally reconcile of the stores a replay of that log built",
     bench_reconcile_main},
    {"expire", "expiring 1,000,000 due pending transfers; a tick with 10,000,000 timers, none due",
     bench::expire_bench_main},
};

void list_modes(std::FILE* out) {
  std::fprintf(out, "usage: tally bench <mode> [options]   (tally bench <mode> --help)\n\n");
  for (const BenchMode& m : kModes) {
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(m.name.size()), m.name.data(),
                 static_cast<int>(m.summary.size()), m.summary.data());
  }
}

// Runs the mode, then prints the process's peak resident set (issue 14:
// every bench prints it): on stdout, or on stderr with --json, whose stdout
// is JSON alone (each object carries it as "peak_rss_bytes").
int with_peak_rss(const BenchMode& m, const Args& args) {
  const int rc = m.run(args);
  if (rc != 0) return rc;  // a refused or failed run: its error alone
  const bool json = std::find(args.begin(), args.end(), "--json") != args.end();
  std::fprintf(json ? stderr : stdout, "peak RSS: %.1f MiB (the process's high-water mark)\n",
               static_cast<double>(peak_rss_bytes()) / (1024.0 * 1024.0));
  return rc;
}

}  // namespace

int bench_main(const Args& args) {
  if (args.empty() || args[0].starts_with("-")) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
      list_modes(stdout);
      return 0;
    }
    return with_peak_rss(kModes[0], args);
  }
  for (const BenchMode& m : kModes) {
    if (m.name == args[0]) return with_peak_rss(m, Args(args.begin() + 1, args.end()));
  }
  std::string names;
  for (const BenchMode& m : kModes) names += (names.empty() ? "" : ", ") + std::string(m.name);
  throw UsageError("unknown bench mode '" + args[0] + "' (modes: " + names + ")");
}

}  // namespace tally::cli
