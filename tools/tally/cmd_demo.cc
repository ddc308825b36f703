// tally demo: the thinnest end-to-end path, on the embedded log in a fresh
// directory: open accounts and move money as commands, append them to the
// log, read the records back, verify and print them.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "engine/core/codec.h"
#include "engine/core/partitioner.h"
#include "engine/json/command_json.h"
#include "engine/log/embedded_log.h"
#include "tools/tally/cli.h"

namespace po = boost::program_options;

namespace tally::cli {

int demo_main(const Args& args) {
  std::string dir;
  po::options_description desc("tally demo [--data DIR]\nOptions");
  desc.add_options()("help,h", "this help")("data", po::value(&dir), "data directory (default: a fresh temporary one)");
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (dir.empty()) {
    char templ[] = "/tmp/tally-demo-XXXXXX";
    if (mkdtemp(templ) == nullptr) throw Failure("cannot create a temporary directory");
    dir = templ;
  }
  auto log = check(open_embedded_log({.dir = dir + "/log"}));
  std::cout << "Tally demo: an embedded log with " << log->partition_count() << " partitions at "
            << dir << "/log\n\n";

  const std::vector<std::string> lines = {
      R"({"type":"create_account","id":"7","ledger":1,"code":10,"flags":["debits_must_not_exceed_credits","history"]})",
      R"({"type":"create_account","id":"8","ledger":1,"code":10})",
      R"({"type":"create_transfer","id":"1001","debit_account_id":"8","credit_account_id":"7","amount":"500","ledger":1,"code":1})",
      R"({"type":"create_transfer","id":"1002","debit_account_id":"7","credit_account_id":"8","amount":"250","ledger":1,"code":1,"flags":["pending"],"timeout":30})",
  };
  std::cout << "Appending " << lines.size() << " commands:\n";
  for (const std::string& line : lines) {
    const Command c = check(command_from_json_text(line));
    const Partition p = partition_of(routing_account(c), log->partition_count());
    const std::vector<uint8_t> record = encode_batch(std::span(&c, 1));
    const Offset o = check(log->append_one(p, record));
    std::cout << "  " << command_type_name(c) << " " << u128_to_string(command_subject(c))
              << " -> partition " << p.value << " offset " << o.value << "\n";
  }
  std::cout << "\nReading every partition back (each record verified before use):\n";
  for (uint32_t p = 0; p < log->partition_count(); p++) {
    auto reader = check(log->read(Partition{p}, Offset{0}));
    const Offset end = check(log->end_offset(Partition{p}));
    while (reader->position() < end) {
      auto records = check(reader->next(100, std::chrono::milliseconds(100)));
      for (const LogRecord& r : records) {
        const auto commands = check(decode_batch(r.value),
                                    "partition " + std::to_string(p) + " offset " +
                                        std::to_string(r.offset.value));
        for (const Command& c : commands) {
          std::cout << "  " << p << ":" << r.offset.value << "  "
                    << boost::json::serialize(command_to_json(c)) << "\n";
        }
      }
    }
  }
  return 0;
}

}  // namespace tally::cli
