// recovery_node: a Node in a child process, for the crash tests of the
// scheduler and the relay (tests/integration/expiry_crash_test.cc and relay_crash_test.cc). The
// tests kill it with SIGKILL from outside, or arm a crash point
// (TALLY_CRASH_AT), then run it again over the same directory; every run
// picks up where the last one stopped.
//
//   recovery_node expiry DIR N TIMEOUT_S
//     Creates 8 pairs of accounts and N pending transfers (ids 100000 + i,
//     amount i + 1, timeout 1 + i % TIMEOUT_S seconds) once, prints
//     "ready pending=P" (P: transfers still pending), then prints
//     "progress appended=A pending=P" every 20 ms (A: ExpirePending appended
//     by this run, P: transfers still pending) until none is pending, and
//     then "done".
//   recovery_node outbox DIR N
//     Creates accounts A and B once; then, once, writes N outbox entries
//     (transfers 500000 + i of i + 1 from A to B) into A's partition with no
//     node running; then runs the node until the outbox is empty and
//     applied, printing "ready" first and "done" at the end.
//
// The log is the embedded one (DIR/log, 4 partitions, fsync'd appends);
// the projection is DIR/data.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "engine/core/partitioner.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "tests/fixtures/child_node.h"
#include "tests/fixtures/commands.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 4;

std::unique_ptr<Node> start_node(const std::string& dir) {
  auto log = open_embedded_log({.dir = dir + "/log", .partitions = kPartitions});
  check(log.status(), "opening the log");
  auto node = Node::open(std::move(log).value(), {.data_dir = dir + "/data"});
  check(node.status(), "opening the node");
  check((*node)->start(), "starting the node");
  return std::move(node).value();
}

CreateTransfer transfer(u128 id, u128 debit, u128 credit, u128 amount, uint16_t flags, uint32_t timeout) {
  CreateTransfer t = test::transfer(static_cast<uint64_t>(id), debit, credit, amount);
  t.flags = flags;
  t.timeout_seconds = timeout;
  return t;
}

int expiry_main(const std::string& dir, uint64_t n, uint32_t timeout) {
  auto node = start_node(dir);
  // After a crash the stores hold a prefix of what was applied (no WAL):
  // count what is pending only once the pipelines have replayed the rest.
  check(node->wait_caught_up(120s), "catching up");
  if (!marked(dir, "pending")) {
    std::vector<Command> commands;
    for (uint64_t g = 1; g <= 8; g++) {
      commands.push_back(account((u128{g} << 64) | 1));
      commands.push_back(account((u128{g} << 64) | 2));
    }
    run(*node, commands);
    commands.clear();
    for (uint64_t i = 0; i < n; i++) {
      const u128 g = i % 8 + 1;
      commands.push_back(transfer(100000 + i, (g << 64) | 1, (g << 64) | 2, i + 1,
                                  transfer_flags::pending, 1 + static_cast<uint32_t>(i % timeout)));
    }
    run(*node, commands);
    mark(dir, "pending");
  }
  std::printf("ready pending=%zu\n", count_keys(*node, "P", "Q"));
  std::fflush(stdout);
  for (;;) {
    const size_t left = count_keys(*node, "P", "Q");
    std::printf("progress appended=%llu pending=%zu\n",
                static_cast<unsigned long long>(node->scheduler().stats().expiries_appended), left);
    std::fflush(stdout);
    if (left == 0) break;
    std::this_thread::sleep_for(20ms);
  }
  check(node->wait_caught_up(60s), "catching up");
  std::printf("done\n");
  std::fflush(stdout);
  return 0;
}

constexpr u128 kA = (u128{42} << 64) | 1;
constexpr u128 kB = (u128{42} << 64) | 2;

int outbox_main(const std::string& dir, uint64_t n) {
  if (!marked(dir, "accounts")) {
    auto node = start_node(dir);
    run(*node, {account(kA), account(kB)});
    mark(dir, "accounts");
  }
  if (!marked(dir, "outbox")) {
    const Partition p = partition_of(AccountId(kA), kPartitions);
    auto store = PartitionStore::open({.dir = dir + "/data/partitions/" + std::to_string(p.value),
                                       .partition = p, .partition_count = kPartitions});
    check(store.status(), "opening the store");
    StoreBatch b;
    for (uint64_t i = 0; i < n; i++) {
      const Command c = transfer(500000 + i, kA, kB, i + 1, 0, 0);
      b.put(keys::outbox(i), encode(OutboxEntry{i, p, c}));
    }
    check((*store)->commit(b), "writing the outbox");
    check((*store)->flush(), "flushing the outbox");
    mark(dir, "outbox");
  }
  auto node = start_node(dir);
  std::printf("ready\n");
  std::fflush(stdout);
  while (outbox_left(*node) != 0) std::this_thread::sleep_for(10ms);
  check(node->wait_caught_up(60s), "catching up");
  std::printf("done\n");
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "expiry") {
    return expiry_main(args[1], std::stoull(args[2]), static_cast<uint32_t>(std::stoul(args[3])));
  }
  if (args.size() == 3 && args[0] == "outbox") return outbox_main(args[1], std::stoull(args[2]));
  std::fprintf(stderr, "usage: recovery_node expiry DIR N TIMEOUT_S | outbox DIR N\n");
  return 2;
}
