// tally reconcile: recompute every balance from the recorded postings and
// check the design's invariants over the stores in DIR/partitions (opened
// read-only, so it runs beside `tally serve`); the log (DIR/log, read-only,
// or --kafka) is read for the outcome counts. See tools/reconcile/reconcile.h
// for every check and docs/operations.md for reading the report.
//
// Exit: 0 clean, 1 any discrepancy (or a failure to read, or DIR/log missing
// without --kafka or --without-log), 2 bad usage.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "tools/reconcile/reconcile.h"
#include "tools/tally/cli.h"
#include "tools/tally/progress.h"
#include "tools/tally/log_options.h"

namespace po = boost::program_options;

namespace tally::cli {

int reconcile_main(const Args& args) {
  LogOptions log_options;
  bool json = false;
  size_t jobs = 0;
  size_t max_listed = 1000;
  bool without_log = false;
  po::options_description desc("tally reconcile --data DIR [--json]\nOptions");
  desc.add_options()("help,h", "this help")
      ("json", po::bool_switch(&json), "print the report as one JSON object")
      ("jobs", po::value(&jobs), "partitions checked at once (default: one per CPU)")
      ("max-listed", po::value(&max_listed)->default_value(1000),
       "discrepancies listed at most (all are counted)")
      ("without-log", po::bool_switch(&without_log),
       "check the stores alone when DIR/log is gone (and no --kafka): not a clean bill");
  add_log_options(desc, log_options);
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  const std::string& data = log_options.data_dir;
  if (data.empty()) throw UsageError("give --data DIR, whose partitions/ hold the stores");
  if (!std::filesystem::is_directory(data)) throw UsageError("--data " + data + " is not a directory");
  if (!std::filesystem::is_directory(data + "/partitions")) {
    throw UsageError("no projection stores under " + data + "/partitions");
  }
  const bool log_here = std::filesystem::is_directory(data + "/log");
  if (log_options.kafka.empty() && !log_here && !without_log) {
    // The stores applied records of a log; with it gone, "clean" would
    // vouch for what nothing can be compared with.
    throw Failure("reconciling " + data + ": there is no log at " + data +
                  "/log, so the stores cannot be compared with the records they applied. If the "
                  "log is on Kafka give --kafka BOOTSTRAP; if it is lost, restore it from a "
                  "checkpoint (docs/operations.md, \"When the disk fails\"); --without-log checks "
                  "the stores alone");
  }
  std::unique_ptr<Log> log;
  if (!log_options.kafka.empty() || log_here) {
    log_options.read_only = true;
    log = open_log(log_options);
  }
  // Progress on stderr, as tally replay shows it: partitions checked.
  ProgressDisplay display("reconcile");
  const auto started = std::chrono::steady_clock::now();
  const auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
  const reconcile::Report report = check(
      reconcile::reconcile({.data_dir = data,
                            .log = log.get(),
                            .partitions = log_options.partitions,
                            .jobs = jobs,
                            .max_listed = max_listed,
                            .on_partition = [&](uint32_t done, uint32_t total) {
                              display.update(done, total, "partitions", done, "partitions", seconds());
                            }}),
      "reconciling " + data);
  const uint32_t n = report.stats.partitions;
  display.finish(n, n, "partitions", n, "partitions", seconds());
  std::cout << (json ? reconcile::render_json(report) : reconcile::render_text(report));
  return report.clean() ? 0 : 1;
}

}  // namespace tally::cli
