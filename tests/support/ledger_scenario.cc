#include "tests/support/ledger_scenario.h"

#include <filesystem>
#include <stdexcept>

#include "engine/core/partitioner.h"
#include "engine/log/embedded_log.h"
#include "projections/records.h"

namespace tally::test {
namespace {

using namespace std::chrono_literals;

void ok_or_throw(const Status& s, const std::string& what) {
  if (!s.ok()) throw std::runtime_error(what + ": " + s.to_string());
}

CreateAccount open_account(AccountId id, uint16_t flags = 0) {
  return CreateAccount{id, 0, 0, 0, 1, 1, flags, 0};
}

CreateTransfer transfer(u128 id, AccountId debit, AccountId credit, u128 amount,
                        uint16_t flags = 0, u128 pending_id = 0) {
  // Transfer ids in the debit account's group (docs/design.md "One transfer
  // id, one partition"); a pending transfer has the same debit account.
  CreateTransfer t;
  t.id = TransferId(make_u128(debit.hi(), static_cast<uint64_t>(id)));
  t.debit_account_id = debit;
  t.credit_account_id = credit;
  t.amount = Amount(amount);
  t.pending_id = TransferId(pending_id == 0 ? 0 : make_u128(debit.hi(), static_cast<uint64_t>(pending_id)));
  t.ledger = 1;
  t.code = 1;
  t.flags = flags;
  return t;
}

void append_and_wait(Node& node, const std::vector<Command>& commands) {
  auto placed = node.append(commands);
  ok_or_throw(placed.status(), "appending");
  ok_or_throw(node.wait_caught_up(20s), "waiting for the node");
}

}  // namespace

AccountId account_in(uint32_t p, uint64_t n, uint64_t group) {
  for (uint64_t hi = group * 1000;; hi++) {
    if (partition_of_key(hi, kScenarioPartitions).value == p) return AccountId(make_u128(hi, n));
  }
}

std::unique_ptr<Node> start_scenario_node(const std::string& data_dir) {
  std::filesystem::create_directories(data_dir);
  auto log = open_embedded_log({.dir = data_dir + "/log", .partitions = kScenarioPartitions});
  ok_or_throw(log.status(), "opening the log");
  // The scenario relays the outboxes itself (relay_outboxes), round by round,
  // so that what the log holds does not depend on the node's relay thread;
  // nothing in it waits for a timer.
  NodeOptions options{.data_dir = data_dir};
  options.run_relay = false;
  options.run_scheduler = false;
  auto node = Node::open(std::move(log).value(), options);
  ok_or_throw(node.status(), "opening the node");
  ok_or_throw((*node)->start(), "starting the node");
  return std::move(node).value();
}

void relay_outboxes(Node& node, std::vector<uint64_t>& sent) {
  sent.resize(node.partition_count(), 0);
  for (int round = 0; round < 20; round++) {
    ok_or_throw(node.wait_caught_up(20s), "waiting for the node");
    std::vector<Command> commands;
    for (uint32_t p = 0; p < node.partition_count(); p++) {
      auto scanned = node.store(Partition{p}).scan(
          keys::outbox(sent[p]), "R", false, 0, [&](std::string_view, std::string_view v) {
            auto e = decode_outbox(v);
            if (!e.ok()) throw std::runtime_error("outbox entry: " + e.status().to_string());
            commands.push_back(e->command);
            sent[p] = e->seq + 1;
            return true;
          });
      ok_or_throw(scanned.status(), "reading the outbox");
    }
    if (commands.empty()) return;
    append_and_wait(node, commands);
  }
  throw std::runtime_error("the outboxes did not settle in 20 rounds");
}

ScenarioIds run_scenario(Node& node, uint32_t bulk_records) {
  ScenarioIds ids;
  ids.a = account_in(0, 1);
  ids.b = account_in(0, 2);
  ids.c = account_in(1, 3);
  const AccountId missing = account_in(2, 4, 7);
  ids.single = TransferId(make_u128(ids.a.hi(), 100));
  ids.overdraft = TransferId(make_u128(ids.a.hi(), 101));
  ids.pending = TransferId(make_u128(ids.a.hi(), 102));
  ids.post = TransferId(make_u128(ids.a.hi(), 103));
  ids.voided_pending = TransferId(make_u128(ids.a.hi(), 104));
  ids.void_ = TransferId(make_u128(ids.a.hi(), 105));
  ids.saga_completed = TransferId(make_u128(ids.a.hi(), 106));
  ids.saga_compensated = TransferId(make_u128(ids.a.hi(), 107));
  ids.bulk_records = bulk_records;
  using namespace transfer_flags;
  append_and_wait(node, {open_account(ids.a),
                         open_account(ids.b, account_flags::history |
                                                 account_flags::debits_must_not_exceed_credits),
                         open_account(ids.c)});
  append_and_wait(node, {transfer(100, ids.a, ids.b, 1000), transfer(101, ids.b, ids.a, 5000)});
  append_and_wait(node, {transfer(102, ids.a, ids.b, 300, pending),
                         transfer(108, ids.b, ids.a, 1'000'000, balancing_debit)});
  append_and_wait(node, {transfer(103, ids.a, ids.b, 200, post_pending, 102),
                         transfer(109, ids.a, ids.b, 400)});
  append_and_wait(node, {transfer(104, ids.b, ids.a, 100, pending)});
  append_and_wait(node, {transfer(105, ids.b, ids.a, 0, void_pending, 104)});
  append_and_wait(node, {transfer(106, ids.a, ids.c, 250), transfer(107, ids.a, missing, 50)});
  std::vector<uint64_t> sent;
  relay_outboxes(node, sent);
  u128 id = 1000;
  for (uint32_t r = 0; r < bulk_records; r++) {
    std::vector<Command> commands;
    for (int i = 0; i < 10; i++, id++) {
      commands.push_back(i % 2 == 0 ? transfer(id, ids.a, ids.b, 1 + i) : transfer(id, ids.b, ids.a, i));
    }
    append_and_wait(node, commands);
  }
  return ids;
}

}  // namespace tally::test
