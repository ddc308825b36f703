// One transfer id, one partition (docs/design.md): the same id sent from two
// partitions, as a local transfer and as a saga, through the ledger with the
// saga coordinator as its extension. Before the rule both moved money.
#include <doctest/doctest.h>

#include <deque>
#include <memory>

#include "engine/core/partitioner.h"
#include "projections/ledger.h"
#include "recovery/sagas.h"

using namespace tally;

namespace {

constexpr uint32_t kPartitions = 4;

// The first upper-64-bit value from `from` that routes to partition `p`.
uint64_t group_in(uint32_t p, uint64_t from = 1) {
  for (uint64_t hi = from;; hi++) {
    if (partition_of_key(hi, kPartitions).value == p) return hi;
  }
}
AccountId account(uint64_t group, uint64_t n) { return AccountId(make_u128(group, n)); }
// The documented layout: the debit account's group times 2^64 plus n.
TransferId routed_id(AccountId debit, uint64_t n) { return TransferId(make_u128(debit.hi(), n)); }

struct Cluster {
  std::vector<std::unique_ptr<PartitionState>> parts;
  SagaCoordinator sagas;
  uint64_t clock = 1'000'000'000;
  std::deque<OutboxEntry> in_flight;

  Cluster() {
    for (uint32_t p = 0; p < kPartitions; p++) {
      parts.push_back(std::make_unique<PartitionState>(Partition{p}, kPartitions));
    }
  }
  PartitionState& of(AccountId id) { return *parts[partition_of(id, kPartitions).value]; }
  void open(AccountId id) {
    Account a;
    a.id = id;
    a.ledger = 1;
    a.code = 1;
    of(id).insert_account(a);
    of(id).clear_changes();
  }
  // Applies one record in `s` and returns its outcome; what it changed stays
  // in s.changes() until the next call (outbox entries go in flight).
  Outcome apply(PartitionState& s, const Command& c) {
    s.clear_changes();
    RecordOutcome out;
    apply_record(s, std::span<const Command>(&c, 1), Timestamp{clock += 1000}, &sagas, out);
    for (const OutboxEntry& e : s.changes().outbox) in_flight.push_back(e);
    return out.outcomes.at(0);
  }
  Outcome transfer(TransferId id, AccountId from, AccountId to, u128 amount) {
    CreateTransfer t;
    t.id = id;
    t.debit_account_id = from;
    t.credit_account_id = to;
    t.amount = Amount(amount);
    t.ledger = 1;
    t.code = 1;
    return apply(of(from), t);
  }
  void deliver_all() {
    while (!in_flight.empty()) {
      const OutboxEntry e = in_flight.front();
      in_flight.pop_front();
      apply(*parts[e.target.value], e.command);
    }
  }
  const Balances& balances(AccountId id) { return of(id).find_account(id)->balances; }
};

bool untouched(const Balances& b) {
  return b.debits_pending == 0 && b.debits_posted == 0 && b.credits_pending == 0 &&
         b.credits_posted == 0;
}

}  // namespace

TEST_CASE("a local transfer id used from a second partition is rejected there, unrecorded") {
  Cluster c;
  const AccountId f = account(group_in(3), 1), g = account(group_in(3), 2);
  const AccountId x = account(group_in(0), 1), y = account(group_in(0), 2);
  for (AccountId a : {f, g, x, y}) c.open(a);
  const TransferId t = routed_id(f, 7);
  REQUIRE(partition_of_key(t.hi(), kPartitions) == Partition{3});

  CHECK(c.transfer(t, f, g, 10) == Outcome::created);
  CHECK(c.transfer(t, x, y, 999) == Outcome::id_must_route_to_debit_account_partition);
  PartitionState& p0 = c.of(x);
  CHECK(p0.find_transfer(t) == nullptr);
  CHECK(p0.changes().transfers.empty());
  CHECK(p0.changes().history.empty());
  CHECK(untouched(c.balances(x)));
  CHECK(untouched(c.balances(y)));
  // The id's own partition still answers for it, field by field.
  CHECK(c.transfer(t, f, g, 10) == Outcome::exists);
  CHECK(c.transfer(t, f, g, 11) == Outcome::exists_with_different_amount);
  CHECK(c.balances(f).debits_posted == 10);
  CHECK(c.balances(g).credits_posted == 10);
}

TEST_CASE("a saga whose id routes elsewhere is rejected before it reserves anything") {
  Cluster c;
  const AccountId a = account(group_in(1), 1), b = account(group_in(2), 1);
  const AccountId b2 = account(group_in(2), 2);
  for (AccountId id : {a, b, b2}) c.open(id);
  // The id routes to the destination's partition and is used there first.
  const TransferId t = routed_id(b, 9);
  CHECK(c.transfer(t, b, b2, 5) == Outcome::created);
  // Before the rule: created at the source, then silently compensated (the
  // destination answered exists).
  CHECK(c.transfer(t, a, b, 70) == Outcome::id_must_route_to_debit_account_partition);
  PartitionState& src = c.of(a);
  CHECK(src.find_saga(t) == nullptr);
  CHECK(src.find_transfer(t) == nullptr);
  CHECK(src.changes().outbox.empty());
  CHECK(c.in_flight.empty());
  CHECK(untouched(c.balances(a)));

  // A saga with a routed id goes through, and a re-send answers exists.
  const TransferId u = routed_id(a, 9);
  CHECK(c.transfer(u, a, b, 70) == Outcome::created);
  c.deliver_all();
  REQUIRE(src.find_saga(u) != nullptr);
  CHECK(src.find_saga(u)->state == SagaState::completed);
  CHECK(c.balances(a).debits_posted == 70);
  CHECK(c.balances(b).credits_posted == 70);
  CHECK(c.transfer(u, a, b, 70) == Outcome::exists);
}

TEST_CASE("an id created before the rule is still answered exists") {
  const AccountId x = account(group_in(0), 1), y = account(group_in(0), 2);
  const TransferId t = TransferId(make_u128(group_in(3), 7));  // routes to partition 3
  CreateTransfer cmd;
  cmd.id = t;
  cmd.debit_account_id = x;
  cmd.credit_account_id = y;
  cmd.amount = Amount(4);
  cmd.ledger = 1;
  cmd.code = 1;
  // A one-partition ledger accepts any id: the record an old store holds.
  PartitionState old(Partition{0}, 1);
  Cluster c;
  for (AccountId id : {x, y}) {
    c.open(id);
    old.load_account(*c.of(id).find_account(id));
  }
  RecordOutcome out;
  const Command command = cmd;
  apply_record(old, std::span<const Command>(&command, 1), Timestamp{5}, nullptr, out);
  REQUIRE(out.outcomes.at(0) == Outcome::created);
  c.of(x).load_transfer(*old.find_transfer(t));

  CHECK(c.transfer(t, x, y, 4) == Outcome::exists);
  CHECK(c.transfer(t, x, y, 5) == Outcome::exists_with_different_amount);
}

TEST_CASE("owns_transfer_id: fast path, murmur path, one partition") {
  const uint64_t g0 = group_in(0), g0b = group_in(0, g0 + 1), g1 = group_in(1);
  PartitionState p0(Partition{0}, kPartitions);
  CHECK(p0.owns_transfer_id(TransferId(make_u128(g0, 1)), account(g0, 5)));
  CHECK(p0.owns_transfer_id(TransferId(make_u128(g0b, 1)), account(g0, 5)));
  CHECK_FALSE(p0.owns_transfer_id(TransferId(make_u128(g1, 1)), account(g0, 5)));
  PartitionState one(Partition{0}, 1);
  CHECK(one.owns_transfer_id(TransferId(make_u128(g1, 1)), account(g0, 5)));
}
