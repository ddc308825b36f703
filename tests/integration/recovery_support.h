// Test support for the recovery crash tests: the recovery_node helper
// ($TALLY_RECOVERY_NODE) as a child process, and reading back what a data
// directory holds once the child is gone.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/codec.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "tests/support/process.h"

namespace tally::test {

inline std::string recovery_node_bin() {
  const char* p = std::getenv("TALLY_RECOVERY_NODE");
  return p != nullptr ? p : "recovery_node";
}

// Runs the helper with TALLY_CRASH_AT set to `crash_at` (unset if empty).
inline std::unique_ptr<Process> spawn_recovery_node(const std::vector<std::string>& args,
                                                    const std::string& crash_at = "") {
  if (crash_at.empty()) {
    unsetenv("TALLY_CRASH_AT");
  } else {
    setenv("TALLY_CRASH_AT", crash_at.c_str(), 1);
  }
  std::vector<std::string> argv = {recovery_node_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = std::make_unique<Process>(argv);
  unsetenv("TALLY_CRASH_AT");
  return p;
}

// Opens DIR's node with no scheduler or relay running: only reads.
inline std::unique_ptr<Node> open_for_reading(const std::string& dir) {
  auto log = open_embedded_log({.dir = dir + "/log"});
  if (!log.ok()) return nullptr;
  NodeOptions o{.data_dir = dir + "/data"};
  o.run_scheduler = false;
  o.run_relay = false;
  auto node = Node::open(std::move(log).value(), o);
  if (!node.ok() || !(*node)->start().ok()) return nullptr;
  return std::move(node).value();
}

// Every command in the log with the outcome it got: (subject, type) → outcomes.
struct Applied {
  std::string type;
  Outcome outcome;
};
inline std::map<u128, std::vector<Applied>> applied_commands(Node& node) {
  std::map<u128, std::vector<Applied>> out;
  for (uint32_t p = 0; p < node.partition_count(); p++) {
    auto end = node.log().end_offset(Partition{p});
    auto reader = node.log().read(Partition{p}, Offset{0});
    if (!end.ok() || !reader.ok()) continue;
    while ((*reader)->position() < *end) {
      auto records = (*reader)->next(256, std::chrono::milliseconds(100));
      if (!records.ok()) break;
      for (const LogRecord& r : *records) {
        auto commands = decode_batch(r.value);
        auto outcomes = node.store(Partition{p}).outcomes(r.offset);
        if (!commands.ok() || !outcomes.ok() || !outcomes->has_value()) continue;
        for (size_t i = 0; i < commands->size(); i++) {
          out[command_subject((*commands)[i])].push_back(
              {std::string(command_type_name((*commands)[i])), (*outcomes)->outcomes.at(i)});
        }
      }
    }
  }
  return out;
}

}  // namespace tally::test
