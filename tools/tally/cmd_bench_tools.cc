// tally bench replay / tally bench reconcile: the operator tools on a
// generated ledger (bench/workload.h: 10,000 accounts in groups of 10 that
// share a partition, transfers within a group), appended untimed to an
// embedded log in records of up to 8,189 commands.
//
//   replay:    times a replay of the whole log into a fresh directory.
//   reconcile: builds the stores with a replay (untimed), then times
//              reconcile over them, outcome counts against the log included.
//
// --data DIR keeps the prepared log (DIR/log) and stores (DIR/partitions)
// and reuses them on the next run; without it a temporary directory is used
// and removed. Each prints wall and CPU time: the machine may be shared.
// --json: one object on stdout with those figures (bench/run_json.h).
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "bench/data_dir.h"
#include "bench/run_json.h"
#include "bench/workload_log.h"
#include "engine/core/codec.h"
#include "engine/core/temp_dir.h"
#include "engine/log/embedded_log.h"
#include "tools/reconcile/reconcile.h"
#include "tools/replay/replay.h"
#include "tools/tally/cli.h"
#include "tools/tally/progress.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

struct ToolBench {
  bench::WorkloadOptions workload;
  uint32_t partitions = 8;
  size_t batch = kMaxBatchCommands;
  std::string data;  // empty: a temporary directory
  size_t jobs = 0;
  bool json = false;           // one JSON object on stdout (bench/run_json.h)
  bool no_bulk = false;        // replay through the memtables, as a live node (ReplayOptions::bulk)
  boost::json::object header;  // its header: mode, args, options, build, machine
};

std::optional<ToolBench> parse(std::string_view mode, const Args& args, const std::string& usage) {
  ToolBench b;
  b.workload.transfers = 10'000'000;
  po::options_description desc(usage + "\nOptions");
  desc.add_options()("help,h", "this help")
      ("transfers", po::value(&b.workload.transfers)->default_value(10'000'000), "transfers")
      ("accounts", po::value(&b.workload.accounts)->default_value(10'000), "accounts")
      ("partitions", po::value(&b.partitions)->default_value(8), "log partitions")
      ("batch", po::value(&b.batch)->default_value(kMaxBatchCommands), "commands per record")
      ("jobs", po::value(&b.jobs), "partitions at once (default: one per CPU)")
      ("data", po::value(&b.data), "keep (and reuse) the prepared log and stores in DIR")
      ("json", po::bool_switch(&b.json), "one JSON object on stdout (the text goes to stderr)")
      ("no-bulk", po::bool_switch(&b.no_bulk), "replay through the memtables (not the bulk mode)");
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return std::nullopt;
  }
  if (b.batch == 0 || b.batch > kMaxBatchCommands) {
    throw UsageError("--batch must be in 1.." + std::to_string(kMaxBatchCommands));
  }
  if (b.workload.accounts < 2 || b.workload.accounts % b.workload.group_size != 0) {
    throw UsageError("--accounts must be a multiple of " + std::to_string(b.workload.group_size));
  }
  b.header = bench::run_header(mode, args, vm);
  return b;
}

// The data directory for a run: --data (created when missing), or a
// temporary one removed after.
class DataDir {
 public:
  explicit DataDir(const std::string& given) : path_(given), temporary_(given.empty()) {
    if (temporary_) {
      path_ = check(make_temp_dir("tally-bench"));
    } else {
      check(bench::create_data_dir(path_));
    }
  }
  ~DataDir() {
    std::error_code ec;
    if (temporary_) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool temporary_;
};

// DIR/log, written from the workload unless it exists already.
void prepare_log(const ToolBench& b, const std::string& dir) {
  const std::string log_dir = dir + "/log";
  if (std::filesystem::exists(log_dir)) {
    std::printf("using the log at %s (prepared before)\n", log_dir.c_str());
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const bench::Workload workload(b.workload);
  const auto stats = check(bench::write_workload_log(log_dir, workload, b.partitions, b.batch),
                           "preparing the log");
  std::printf("prepared %s commands (%s accounts, %s transfers) in %s records at %s in %.1f s "
              "(not timed)\n",
              with_commas(stats.commands).c_str(), with_commas(b.workload.accounts).c_str(),
              with_commas(b.workload.transfers).c_str(), with_commas(stats.records).c_str(),
              log_dir.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

std::unique_ptr<Log> open_read_only(const std::string& dir) {
  return check(open_embedded_log({.dir = dir + "/log", .read_only = true}), "opening the log");
}

// A fresh directory inside `dir` for a replay's output.
std::string fresh_subdir(const std::string& dir, const char* name) {
  return check(make_temp_dir(name, dir));
}

replay::Report run_replay(Log& log, const std::string& into, const ToolBench& b) {
  replay::ReplayOptions o;
  o.into_dir = into;
  o.jobs = b.jobs;
  o.bulk = !b.no_bulk;
  return check(replay::replay(log, o), "replaying");
}

}  // namespace

int bench_replay_main(const Args& args) {
  const auto b = parse("replay", args, "tally bench replay [--transfers N] [--data DIR] [--jobs N] [--no-bulk]");
  if (!b) return 0;
  const bench::JsonStdout out(b->json);
  DataDir data(b->data);
  prepare_log(*b, data.path());
  auto log = open_read_only(data.path());
  const std::string into = fresh_subdir(data.path(), "replay");
  const replay::Report r = run_replay(*log, into, *b);
  std::error_code ec;
  std::filesystem::remove_all(into, ec);
  uint64_t records = 0;
  for (const auto& p : r.partitions) records += p.applied.value;
  std::printf("replay: %s commands in %s records, %u partitions, in %.2f s wall, %.2f s CPU: "
              "%s commands/s (%.2f µs of CPU per command)%s\n",
              with_commas(r.commands).c_str(), with_commas(records).c_str(), log->partition_count(),
              r.wall_seconds, r.cpu_seconds,
              with_commas(static_cast<uint64_t>(r.commands / r.wall_seconds)).c_str(),
              r.cpu_seconds * 1e6 / static_cast<double>(std::max<uint64_t>(r.commands, 1)),
              b->no_bulk ? ", through the memtables (--no-bulk)" : ", bulk mode");
  boost::json::object o = b->header;
  o["bulk"] = !b->no_bulk;
  o["commands"] = r.commands;
  o["records"] = records;
  o["partitions"] = log->partition_count();
  o["wall_seconds"] = r.wall_seconds;
  o["cpu_seconds"] = r.cpu_seconds;
  o["commands_per_second"] = r.wall_seconds > 0 ? static_cast<double>(r.commands) / r.wall_seconds : 0.0;
  o["cpu_us_per_command"] = r.cpu_seconds * 1e6 / static_cast<double>(std::max<uint64_t>(r.commands, 1));
  out.print(o);
  return 0;
}

int bench_reconcile_main(const Args& args) {
  const auto b = parse("reconcile", args, "tally bench reconcile [--transfers N] [--data DIR] [--jobs N]");
  if (!b) return 0;
  const bench::JsonStdout out(b->json);
  DataDir data(b->data);
  prepare_log(*b, data.path());
  auto log = open_read_only(data.path());
  if (!std::filesystem::exists(data.path() + "/partitions")) {
    const std::string into = fresh_subdir(data.path(), "stores");
    const replay::Report r = run_replay(*log, into, *b);
    std::filesystem::rename(into + "/partitions", data.path() + "/partitions");
    std::filesystem::remove_all(into);
    std::printf("built the stores by a replay of %s commands in %.1f s (not timed)\n",
                with_commas(r.commands).c_str(), r.wall_seconds);
  }
  const reconcile::Report r = check(
      reconcile::reconcile({.data_dir = data.path(), .log = log.get(), .jobs = b->jobs}),
      "reconciling");
  const reconcile::Stats& s = r.stats;
  const std::string verdict =
      r.clean() ? "clean" : std::to_string(r.total_discrepancies) + " discrepancies";
  std::printf("reconcile: %s; %s transfers, %s accounts, %s history entries, %s offsets in %.2f s "
              "wall, %.2f s CPU (%s transfers/s)\n",
              verdict.c_str(),
              with_commas(s.transfers).c_str(), with_commas(s.accounts).c_str(),
              with_commas(s.history_entries).c_str(), with_commas(s.offsets).c_str(),
              s.wall_seconds, s.cpu_seconds,
              with_commas(static_cast<uint64_t>(s.transfers / s.wall_seconds)).c_str());
  boost::json::object o = b->header;
  o["clean"] = r.clean();
  o["discrepancies"] = r.total_discrepancies;
  o["partitions"] = s.partitions;
  o["transfers"] = s.transfers;
  o["accounts"] = s.accounts;
  o["history_entries"] = s.history_entries;
  o["offsets"] = s.offsets;
  o["sagas"] = s.sagas;
  o["wall_seconds"] = s.wall_seconds;
  o["cpu_seconds"] = s.cpu_seconds;
  o["transfers_per_second"] = s.wall_seconds > 0 ? static_cast<double>(s.transfers) / s.wall_seconds : 0.0;
  out.print(o);
  return r.clean() ? 0 : 1;
}

}  // namespace tally::cli
