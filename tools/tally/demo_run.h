// The story `tally demo` tells (cmd_demo.cc runs it): a Node on the
// embedded log in a data directory of its own, accounts in two partitions,
// transfers that are created, rejected, posted, expired, carried across
// partitions by a saga and compensated; then balances, reconciliation and
// digests. Every step checks its outcome and prints one line saying what
// happened; a step that did not go as expected prints FAIL and what it
// found, and the run goes on so the screen shows everything.
//
// One thread; the node's own threads (pipelines, scheduler, relay) run
// inside.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/node/node.h"

namespace tally::cli {

class DemoRun {
 public:
  // REQUIRES: `data_dir` is empty or missing.
  DemoRun(std::string data_dir, uint32_t partitions);
  ~DemoRun();

  // Runs every step; returns how many checks failed. Throws Failure when
  // the engine cannot start at all.
  int run();

 private:
  struct Person {
    std::string name;
    AccountId id;
    Partition partition;
    std::string note;
    bool opened = true;
  };

  void start_node();
  void introduce();
  void step_open_accounts();
  void step_fund();
  void step_overdraft();
  void step_pending_posted();
  void step_pending_expires();
  void step_saga_completes();
  void step_saga_compensated();
  void print_balances();
  void stop_node_and_reconcile();
  void check_digests();

  // Appends one command and waits for its outcome (an error as text).
  std::string submit(const Command& command);
  Balances balances(const Person& p);
  // Waits until `done()` or `timeout`; returns how long it took, or a
  // negative duration on timeout.
  std::chrono::milliseconds wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  // Prints "  ok    N. text" or "  FAIL  N. text: expected ..., found ...".
  void verdict(bool ok, const std::string& text, const std::string& failure = "");
  // Transfer n of `from`: its id is from's group × 2^64 + n, so it routes to
  // from's partition (docs/design.md "One transfer id, one partition").
  static TransferId transfer_id(const Person& from, uint64_t n) {
    return TransferId((u128{from.id.hi()} << 64) | n);
  }
  CreateTransfer transfer(uint64_t n, const Person& from, const Person& to, uint64_t amount,
                          uint16_t flags = 0);

  const std::string data_dir_;
  const uint32_t partitions_;
  std::unique_ptr<Node> node_;
  Person bank_, alice_, bob_, carol_, dave_;
  int step_ = 0;
  int failed_ = 0;
};

}  // namespace tally::cli
