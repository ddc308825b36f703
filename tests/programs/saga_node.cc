// saga_node: a Node in a child process running the saga workload
// (tests/fixtures/saga_workload.h), for tests/integration/saga_crash_test.cc.
// The test arms a crash point (TALLY_CRASH_AT) or kills it from outside,
// then runs it again over the same directory; every run picks up where the
// last one stopped.
//
//   saga_node DIR N [stop-midway]
//     Creates the accounts once, then appends the N transfers (again, until
//     a run has appended them all: repeats are answered `exists`), printing
//     "ready" first. Then prints "progress sagas=S in_flight=F" every 20 ms
//     (S: sagas stored, F: still in flight) until all N sagas are settled
//     and every outbox is empty, and prints "done".
//     With stop-midway: stops cleanly (flushing every store) as soon as the
//     transfers are appended and applied, while their sagas are in flight,
//     and prints "stopped in_flight=F" instead.
//
// DIR is laid out as `tally serve --data DIR` lays it out (DIR/log, the
// embedded log with 4 partitions; DIR/partitions), so `tally reconcile` and
// `tally replay` read it.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "tests/fixtures/child_node.h"
#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/saga_workload.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2 || args.size() > 3 || (args.size() == 3 && args[2] != "stop-midway")) {
    std::fprintf(stderr, "usage: saga_node DIR N [stop-midway]\n");
    return 2;
  }
  const std::string dir = args[0];
  const uint64_t n = std::stoull(args[1]);
  const bool stop_midway = args.size() == 3;

  std::filesystem::create_directories(dir);
  auto log = open_embedded_log({.dir = dir + "/log", .partitions = kScenarioPartitions});
  check(log.status(), "opening the log");
  auto opened = Node::open(std::move(log).value(), {.data_dir = dir});
  check(opened.status(), "opening the node");
  Node& node = **opened;
  check(node.start(), "starting the node");

  if (!marked(dir, "accounts")) {
    run(node, saga_accounts());
    mark(dir, "accounts");
  }
  if (!marked(dir, "transfers")) {
    // Several records per partition, so that steps interleave.
    constexpr uint64_t kChunk = 40;
    for (uint64_t first = 0; first < n; first += kChunk) {
      std::vector<Command> chunk;
      for (uint64_t i = first; i < std::min(n, first + kChunk); i++) chunk.push_back(saga_transfer(i));
      run(node, chunk);
    }
    mark(dir, "transfers");
  }
  say("ready");
  if (stop_midway) {
    node.stop();
    say("stopped in_flight=" + std::to_string(sagas_in_flight(node)));
    return 0;
  }
  for (;;) {
    // After a crash the stores hold a prefix of what was applied (no WAL):
    // count only once the pipelines have replayed the rest.
    check(node.wait_caught_up(60s), "catching up");
    const size_t sagas = count_keys(node, "S", "T");
    const size_t in_flight = sagas_in_flight(node);
    say("progress sagas=" + std::to_string(sagas) + " in_flight=" + std::to_string(in_flight));
    if (sagas == n && in_flight == 0 && outbox_left(node) == 0) break;
    std::this_thread::sleep_for(20ms);
  }
  check(node.wait_caught_up(60s), "catching up");
  node.stop();
  say("done");
  return 0;
}
