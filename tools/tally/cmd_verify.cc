// tally verify: the scrub (engine/node/scrub.h) as one pass over a data
// directory, stopped or beside a running serve. Reads every table file of
// the embedded log (DATA/log) and of each partition store
// (DATA/partitions/<P>) with every checksum verified, then every record of
// the embedded log (its blob files). Prints each damaged file by role and
// name, then a summary:
//   verify: DAMAGED partition 3 store table 000012.sst: Corruption: block checksum mismatch: ...
//   verify: 1 damaged of 14 table files (2.1 MiB); 9,600 log records (41 MiB) read in 0.31 s
// or, when nothing is damaged, "verify: intact: 14 table files ...".
// Exit: 0 intact, 1 damage found (or the log cannot be opened), 2 bad usage.
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "engine/node/scrub.h"
#include "engine/storage/rocks_support.h"
#include "tools/tally/cli.h"
#include "tools/tally/log_options.h"
#include "tools/tally/progress.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

uint32_t count_stores(const std::string& data_dir) {
  uint32_t n = 0;
  std::error_code ec;
  while (std::filesystem::exists(data_dir + "/partitions/" + std::to_string(n), ec)) n++;
  return n;
}

}  // namespace

int verify_main(const Args& args) {
  std::string data_dir;
  double rate_mib = 0;
  po::options_description desc(
      "tally verify --data DIR [--rate MIB_PER_S]\n"
      "Reads every table file of the embedded log and of the partition stores in DIR,\n"
      "and every record of the log, with checksums verified; names each damaged file\n"
      "(docs/operations.md \"When the disk fails\"). Exit 0 intact, 1 damage found.\nOptions");
  desc.add_options()("help,h", "this help")
      ("data", po::value(&data_dir), "the data directory (DIR/log, DIR/partitions)")
      ("rate", po::value(&rate_mib)->default_value(0),
       "read at most this many MiB/s (0: as fast as the disk goes)");
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (data_dir.empty()) throw UsageError("give --data DIR, the data directory to verify");
  if (!std::filesystem::is_directory(data_dir)) throw UsageError("--data " + data_dir + " is not a directory");
  if (rate_mib < 0) throw UsageError("--rate must be 0 or more MiB/s");
  const bool embedded = std::filesystem::is_directory(data_dir + "/log");
  std::unique_ptr<Log> log;
  std::vector<ScrubFinding> unopened;
  if (embedded) {
    try {
      log = open_log({.data_dir = data_dir, .read_only = true});
    } catch (const Failure& e) {
      unopened.push_back({"the embedded log", "", e.what()});
    }
  }
  const uint32_t partitions = log ? log->partition_count() : count_stores(data_dir);
  if (!embedded && partitions == 0) {
    throw UsageError("no embedded log (DIR/log) and no partition stores (DIR/partitions) in " + data_dir);
  }
  const ScanPace pace{.bytes_per_second = static_cast<uint64_t>(rate_mib * (1u << 20))};
  ScrubReport r = scrub_pass(scrub_targets(data_dir, partitions, embedded), log.get(), pace);
  r.damaged.insert(r.damaged.begin(), unopened.begin(), unopened.end());
  for (const ScrubFinding& f : r.damaged) {
    std::printf("verify: DAMAGED %s: %s\n", f.where().c_str(), f.reason.c_str());
  }
  const std::string head = r.damaged.empty() ? std::string("intact")
                                             : std::to_string(r.damaged.size()) + " damaged of";
  std::printf("verify: %s %zu table files (%s); %s log records (%s) read in %.2f s\n", head.c_str(), r.files,
              format_bytes(r.bytes).c_str(), with_commas(r.records).c_str(),
              format_bytes(r.record_bytes).c_str(), r.seconds);
  return r.damaged.empty() ? 0 : 1;
}

}  // namespace tally::cli
