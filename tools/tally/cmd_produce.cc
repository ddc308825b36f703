// tally produce: append commands, given as JSON lines, to the log.
//
// Each line is one command (see docs/http-api.md for the fields). Commands
// are routed to their partition (murmur2 of the routing account's upper 64
// bits), packed into records of at most 8,189 commands in input order, and
// appended durably. For each command it prints where it went, as
// "line N: partition P offset O index I" or, with --json, one JSON object.
// A malformed line stops the run before anything is appended, naming the
// line and the problem.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>

#include "engine/core/codec.h"
#include "engine/core/partitioner.h"
#include "engine/json/command_json.h"
#include "tools/tally/cli.h"
#include "tools/tally/log_options.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr size_t kMaxCommands = 10'000'000;

struct Routed {
  size_t line;
  Command command;
};

std::vector<Routed> read_commands(std::istream& in) {
  std::vector<Routed> out;
  std::string line;
  for (size_t n = 1; std::getline(in, line); n++) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line.size() > kMaxLineBytes) {
      throw Failure("line " + std::to_string(n) + ": " + std::to_string(line.size()) +
                    " bytes, over the limit of " + std::to_string(kMaxLineBytes));
    }
    auto c = command_from_json_text(line);
    if (!c.ok()) throw Failure("line " + std::to_string(n) + ": " + c.status().message());
    out.push_back({n, std::move(*c)});
    if (out.size() > kMaxCommands) {
      throw Failure("more than " + std::to_string(kMaxCommands) + " commands in one run");
    }
  }
  return out;
}

}  // namespace

int produce_main(const Args& args) {
  LogOptions log_options;
  std::string file;
  bool json_out = false;
  po::options_description desc("tally produce [--data DIR | --kafka ...] < commands.jsonl\nOptions");
  desc.add_options()("help,h", "this help")("file", po::value(&file), "read commands from FILE, not stdin")
      ("json", po::bool_switch(&json_out), "print one JSON object per command");
  add_log_options(desc, log_options);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  std::vector<Routed> commands;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) throw Failure("cannot open " + file);
    commands = read_commands(in);
  } else {
    commands = read_commands(std::cin);
  }
  auto log = open_log(log_options);
  const uint32_t n = log->partition_count();

  // Group by partition, keeping input order within each.
  std::vector<std::vector<size_t>> by_partition(n);
  for (size_t i = 0; i < commands.size(); i++) {
    by_partition[partition_of(routing_account(commands[i].command), n).value].push_back(i);
  }
  struct Placed {
    Partition partition;
    Offset offset;
    size_t index;
  };
  std::vector<Placed> placed(commands.size());
  for (uint32_t p = 0; p < n; p++) {
    const auto& idx = by_partition[p];
    for (size_t start = 0; start < idx.size(); start += kMaxBatchCommands) {
      const size_t end = std::min(idx.size(), start + kMaxBatchCommands);
      BatchBuilder b;
      for (size_t k = start; k < end; k++) b.add(commands[idx[k]].command);
      const std::vector<uint8_t> record = b.finish();
      const RoutingKey key = routing_key(routing_account(commands[idx[start]].command));
      const Offset o = check(log->append_one(Partition{p}, record,
                                             std::span(reinterpret_cast<const uint8_t*>(key.bytes), 8)),
                             "appending to partition " + std::to_string(p));
      for (size_t k = start; k < end; k++) placed[idx[k]] = {Partition{p}, o, k - start};
    }
  }
  for (size_t i = 0; i < commands.size(); i++) {
    const Placed& pl = placed[i];
    if (json_out) {
      boost::json::object o{{"line", commands[i].line},
                            {"partition", pl.partition.value},
                            {"offset", pl.offset.value},
                            {"index", pl.index}};
      std::cout << boost::json::serialize(o) << "\n";
    } else {
      std::cout << "line " << commands[i].line << ": partition " << pl.partition.value
                << " offset " << pl.offset.value << " index " << pl.index << "\n";
    }
  }
  return 0;
}

}  // namespace tally::cli
