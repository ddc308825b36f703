// Test support: a small ledger run through a real Node on the embedded log,
// for the replay and reconcile tests. It opens accounts in several
// partitions and runs single-phase transfers, a rejected overdraft, a
// balancing transfer, pending transfers that are posted and voided (no
// timeouts: expiries depend on the wall clock), and cross-partition
// transfers: one that completes and one that is compensated (its credit
// account does not exist).
//
// Saga steps travel through the log. The scenario's node runs without its
// own outbox relay (NodeOptions::run_relay = false) so the log's contents do
// not depend on a thread's timing: relay_outboxes() plays the relay,
// appending every outbox entry the stores hold to its target partition.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/node/node.h"

namespace tally::test {

inline constexpr uint32_t kScenarioPartitions = 4;

struct ScenarioIds {
  AccountId a, b;        // one partition; b has `history` and debits_must_not_exceed_credits
  AccountId c;           // another partition
  TransferId single;     // a → b, 1000, created
  TransferId overdraft;  // b → a, rejected (exceeds_credits)
  TransferId pending, post;           // a → b pending 300, posted 200
  TransferId voided_pending, void_;   // b → a pending 100, voided
  TransferId saga_completed;          // a → c, 250
  TransferId saga_compensated;        // a → a missing account elsewhere, 50
  uint32_t bulk_records = 0;          // records of 10 transfers a ↔ b appended after
  // Transfer ids are a's group × 2^64 + 100 .. (a and b share the group).
};

// An account id whose upper 64 bits place it in partition `p` (of
// kScenarioPartitions); `n` tells accounts of one partition apart.
AccountId account_in(uint32_t p, uint64_t n, uint64_t group = 1);

// Runs the scenario on a started `node` (over a log of kScenarioPartitions
// partitions) and waits until every partition applied everything.
ScenarioIds run_scenario(Node& node, uint32_t bulk_records = 20);

// Appends the stores' outbox entries past `sent` (per partition: how many
// were appended already) until none are new; waits for each round to apply.
void relay_outboxes(Node& node, std::vector<uint64_t>& sent);

// Starts a Node over the embedded log in DATA/log with its stores in DATA.
std::unique_ptr<Node> start_scenario_node(const std::string& data_dir);

}  // namespace tally::test
