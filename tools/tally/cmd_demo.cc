// tally demo: the ledger end to end on one screen (README's first command;
// `tools/dev demo` runs it). A Node on the embedded log in a fresh
// temporary directory opens accounts in two partitions and runs transfers:
// one rejected for overdraft, a pending one that is posted, one that the
// scheduler expires, one across partitions that a saga completes and one it
// compensates; then it prints the balances, the reconciliation and the
// partition digests, which a replay of the log reproduces (demo_run.h).
//
// Exit: 0 every check passed; 1 one did not (its line says FAIL and what
// was found) or the engine failed; 2 bad usage. The directory is removed
// at the end unless --keep or --data is given.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "engine/core/temp_dir.h"
#include "engine/log/embedded_log.h"
#include "tools/replay/replay.h"
#include "tools/tally/cli.h"
#include "tools/tally/demo_run.h"

namespace po = boost::program_options;

namespace tally::cli {

int demo_main(const Args& args) {
  std::string dir;
  bool keep = false;
  uint32_t partitions = kDefaultPartitions;
  po::options_description desc("tally demo [--keep] [--data DIR]\nOptions");
  desc.add_options()("help,h", "this help")
      ("data", po::value(&dir), "run in DIR (new or empty) and keep it (default: a fresh temporary directory)")
      ("keep", po::bool_switch(&keep), "keep the temporary directory, to look at it with tally query, replay, reconcile")
      ("partitions", po::value(&partitions)->default_value(kDefaultPartitions), "partitions of the log (2 to 64)");
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (partitions < 2 || partitions > 64) throw UsageError("--partitions must be in 2..64");
  if (!dir.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
      throw Failure("cannot use " + dir + " as the data directory: " + std::strerror(ENOTDIR));
    }
    if (!replay::is_empty_dir(dir)) throw UsageError("--data " + dir + " is not empty; the demo starts a new ledger");
    keep = true;
  } else {
    dir = check(make_temp_dir("tally-demo"));
  }
  struct Cleanup {
    std::string dir;
    bool keep;
    ~Cleanup() {
      std::error_code ec;
      if (!keep) std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir, keep};

  const auto started = std::chrono::steady_clock::now();
  std::printf("Tally demo: a double-entry ledger on an event log, start to finish.\n"
              "Data: %s (embedded log, %u partitions; %s)\n\n",
              dir.c_str(), partitions, keep ? "kept" : "removed at the end; --keep keeps it");
  DemoRun demo(dir, partitions);
  const int failed = demo.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (failed == 0) {
    std::printf("\ndemo: every check passed in %.1f s\n", seconds);
  } else {
    std::printf("\ndemo: %d check%s FAILED (%.1f s)\n", failed, failed == 1 ? "" : "s", seconds);
  }
  if (keep) {
    std::printf("Look around: tally query --data %s account %s; tally reconcile --data %s\n", dir.c_str(),
                u128_to_string(make_u128(1, 2)).c_str(), dir.c_str());
  }
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}

}  // namespace tally::cli
