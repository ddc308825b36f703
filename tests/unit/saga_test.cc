// The saga coordinator's step function, driven directly over in-memory
// partition states: outbox entries are delivered by the test, which may
// duplicate, delay or drop them, as a relay after a crash would.
#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <memory>

#include "engine/core/partitioner.h"
#include "recovery/sagas.h"
#include "recovery/transit.h"

using namespace tally;

namespace {

constexpr uint32_t kPartitions = 4;

// An account id whose upper 64 bits place it in partition `p`.
AccountId account_in(uint32_t p, uint64_t n) {
  for (uint64_t hi = 1;; hi++) {
    if (partition_of_key(hi * 1000 + n, kPartitions).value == p) return AccountId(make_u128(hi * 1000 + n, n));
  }
}

struct Cluster {
  std::vector<std::unique_ptr<PartitionState>> parts;
  SagaCoordinator sagas;
  uint64_t clock = 1'000'000'000;
  std::deque<OutboxEntry> in_flight;  // sent, not yet delivered

  Cluster() {
    for (uint32_t p = 0; p < kPartitions; p++) {
      parts.push_back(std::make_unique<PartitionState>(Partition{p}, kPartitions));
    }
  }
  PartitionState& at(uint32_t p) { return *parts[p]; }
  Timestamp tick(uint64_t ns = 1000) { return Timestamp{clock += ns}; }
  // Moves every partition's new outbox entries into the network.
  void collect() {
    for (auto& p : parts) {
      for (const OutboxEntry& e : p->changes().outbox) in_flight.push_back(e);
      p->clear_changes();
    }
  }
  Outcome deliver(const OutboxEntry& e) {
    PartitionState& s = at(e.target.value);
    const Outcome o = sagas.apply_saga_command(s, e.command, s.next_timestamp(tick()));
    collect();
    return o;
  }
  void deliver_all() {
    while (!in_flight.empty()) {
      OutboxEntry e = in_flight.front();
      in_flight.pop_front();
      deliver(e);
    }
  }
  void open(AccountId id, uint16_t flags = 0, Ledger ledger = 1) {
    Account a;
    a.id = id;
    a.ledger = ledger;
    a.code = 1;
    a.flags = flags;
    at(partition_of(id, kPartitions).value).insert_account(a);
  }
  Outcome transfer(u128 id, AccountId from, AccountId to, u128 amount) {
    CreateTransfer t;
    t.id = TransferId(id);
    t.debit_account_id = from;
    t.credit_account_id = to;
    t.amount = Amount(amount);
    t.ledger = 1;
    t.code = 1;
    PartitionState& s = at(partition_of(from, kPartitions).value);
    const Outcome o = sagas.begin_cross_partition(s, t, s.next_timestamp(tick()));
    collect();
    return o;
  }
  // Opens accounts `from` and `to` and begins transfer `id` between them as
  // a saga; returns its credit leg, taken off the network undelivered.
  OutboxEntry begin_saga(AccountId from, AccountId to, u128 id, u128 amount) {
    open(from);
    open(to);
    REQUIRE(transfer(id, from, to, amount) == Outcome::created);
    REQUIRE(in_flight.size() == 1);
    const OutboxEntry credit = in_flight.front();
    in_flight.clear();
    return credit;
  }
  const Account& acct(AccountId id) { return *at(partition_of(id, kPartitions).value).find_account(id); }
  const Saga& saga(AccountId from, u128 id) {
    return *at(partition_of(from, kPartitions).value).find_saga(TransferId(id));
  }
  // Fires the saga deadline of `id` as the scheduler would, at log time `now`.
  Outcome timeout(AccountId from, u128 id) {
    PartitionState& s = at(partition_of(from, kPartitions).value);
    const Outcome o = sagas.apply_saga_command(s, SagaTimeout{TransferId(id), from},
                                               s.next_timestamp(Timestamp{clock}));
    collect();
    return o;
  }
};

}  // namespace

TEST_CASE("a cross-partition transfer reserves, credits the destination, then posts") {
  Cluster c;
  const AccountId a = account_in(0, 1), b = account_in(2, 2);
  c.open(a);
  c.open(b);
  CHECK(c.transfer(10, a, b, 70) == Outcome::created);
  CHECK(c.acct(a).balances.debits_pending == 70);
  CHECK(c.saga(a, 10).state == SagaState::in_flight);
  REQUIRE(c.in_flight.size() == 1);
  CHECK(std::holds_alternative<SagaCredit>(c.in_flight.front().command));
  CHECK(c.in_flight.front().target == Partition{2});
  c.deliver_all();
  CHECK(c.saga(a, 10).state == SagaState::completed);
  CHECK(c.acct(a).balances.debits_pending == 0);
  CHECK(c.acct(a).balances.debits_posted == 70);
  CHECK(c.acct(b).balances.credits_posted == 70);
  const AccountId t02 = transit_account(Partition{0}, Partition{2}, 1, kPartitions);
  const AccountId t20 = transit_account(Partition{2}, Partition{0}, 1, kPartitions);
  CHECK(partition_of(t02, kPartitions) == Partition{0});
  CHECK(partition_of(t20, kPartitions) == Partition{2});
  // Each partition balances on its own; the transit pair nets to zero.
  CHECK(c.acct(t02).balances.credits_posted == 70);
  CHECK(c.acct(t20).balances.debits_posted == 70);
}

TEST_CASE("a destination rejection is compensated: the source ends exactly as before") {
  struct Row {
    const char* name;
    uint16_t flags;
    Ledger ledger;
    bool exists;
    Outcome reason;
  };
  const Row rows[] = {
      {"unknown account", 0, 1, false, Outcome::credit_account_not_found},
      {"other ledger", 0, 2, true, Outcome::accounts_must_have_the_same_ledger},
      {"limit", account_flags::credits_must_not_exceed_debits, 1, true, Outcome::exceeds_debits},
      {"closed", account_flags::closed, 1, true, Outcome::credit_account_already_closed},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    Cluster c;
    const AccountId a = account_in(1, 1), b = account_in(3, 2);
    c.open(a);
    if (row.exists) c.open(b, row.flags, row.ledger);
    const Balances before = c.acct(a).balances;
    CHECK(c.transfer(11, a, b, 5) == Outcome::created);
    c.deliver_all();
    const Saga& s = c.saga(a, 11);
    CHECK(s.state == SagaState::compensated);
    CHECK(s.result == row.reason);
    CHECK(c.acct(a).balances == before);
    if (row.exists) CHECK(c.acct(b).balances == Balances{});
  }
}

TEST_CASE("duplicated deliveries of every step change nothing twice") {
  Cluster c;
  const AccountId a = account_in(0, 1), b = account_in(1, 2);
  const OutboxEntry credit = c.begin_saga(a, b, 12, 9);
  CHECK(c.deliver(credit) == Outcome::created);
  const OutboxEntry first_reply = c.in_flight.front();
  CHECK(c.deliver(credit) == Outcome::exists);  // re-sent credit: same decision, replied again
  CHECK(c.acct(b).balances.credits_posted == 9);
  c.in_flight.clear();
  CHECK(c.deliver(first_reply) == Outcome::saga_completed);
  CHECK(c.deliver(first_reply) == Outcome::saga_already_settled);
  CHECK(c.acct(a).balances.debits_posted == 9);
  CHECK(c.acct(a).balances.debits_pending == 0);
}

TEST_CASE("no reply by the deadline: re-send with backoff, then cancel; first decision wins") {
  SUBCASE("the cancel arrives first: compensated, and a late credit leg credits nothing") {
    Cluster c;
    const AccountId a = account_in(2, 1), b = account_in(0, 2);
    const OutboxEntry lost_credit = c.begin_saga(a, b, 13, 4);  // delayed indefinitely
    CHECK(c.timeout(a, 13) == Outcome::not_yet_due);
    uint64_t last_gap = 0;
    for (uint32_t i = 2; i <= SagaSchedule::kCreditAttempts; i++) {
      const uint64_t gap = c.saga(a, 13).deadline.ns - c.clock;
      CHECK(gap >= last_gap / 2);  // backoff grows (jitter allows ±20%)
      last_gap = gap;
      c.clock = c.saga(a, 13).deadline.ns;
      CHECK(c.timeout(a, 13) == Outcome::created);
      REQUIRE(c.in_flight.size() == 1);
      CHECK(std::holds_alternative<SagaCredit>(c.in_flight.back().command));
      c.in_flight.clear();  // lost again
    }
    c.clock = c.saga(a, 13).deadline.ns;
    CHECK(c.timeout(a, 13) == Outcome::created);
    REQUIRE(c.in_flight.size() == 1);
    CHECK(std::holds_alternative<SagaCancel>(c.in_flight.back().command));
    c.deliver_all();  // cancel decides
    CHECK(c.saga(a, 13).state == SagaState::compensated);
    CHECK(c.saga(a, 13).result == Outcome::saga_cancelled);
    CHECK(c.deliver(lost_credit) == Outcome::exists);  // too late: no credit
    CHECK(c.acct(b).balances.credits_posted == 0);
    c.deliver_all();
    CHECK(c.saga(a, 13).state == SagaState::compensated);
    CHECK(c.acct(a).balances == Balances{});
  }
  SUBCASE("the credit applied first: a later cancel is answered with the credit, never a void") {
    Cluster c;
    const AccountId a = account_in(3, 1), b = account_in(1, 2);
    const OutboxEntry credit = c.begin_saga(a, b, 14, 6);
    CHECK(c.deliver(credit) == Outcome::created);
    c.in_flight.clear();  // the reply is lost
    while (!c.saga(a, 14).cancel_sent) {
      c.clock = c.saga(a, 14).deadline.ns;
      CHECK(c.timeout(a, 14) == Outcome::created);
      c.in_flight.clear();
    }
    c.clock = c.saga(a, 14).deadline.ns;
    CHECK(c.timeout(a, 14) == Outcome::created);  // re-sends the cancel
    REQUIRE(std::holds_alternative<SagaCancel>(c.in_flight.back().command));
    const OutboxEntry cancel = c.in_flight.back();
    c.in_flight.clear();
    CHECK(c.deliver(cancel) == Outcome::saga_credit_applied);
    c.deliver_all();
    CHECK(c.saga(a, 14).state == SagaState::completed);
    CHECK(c.acct(a).balances.debits_posted == 6);
    CHECK(c.acct(b).balances.credits_posted == 6);
  }
}

TEST_CASE("the debit side is judged at the source before anything is reserved") {
  Cluster c;
  const AccountId a = account_in(0, 1), b = account_in(1, 2), poor = account_in(0, 3);
  c.open(a);
  c.open(b);
  c.open(poor, account_flags::debits_must_not_exceed_credits);
  CHECK(c.transfer(20, account_in(0, 9), b, 1) == Outcome::debit_account_not_found);
  CHECK(c.transfer(21, poor, b, 1) == Outcome::exceeds_credits);
  CHECK(c.in_flight.empty());
  CHECK(c.acct(poor).balances == Balances{});
  // A rejection is recorded as the transfer's final outcome.
  const Transfer* t = c.at(0).find_transfer(TransferId(21));
  REQUIRE(t != nullptr);
  CHECK(t->outcome == Outcome::exceeds_credits);
}

TEST_CASE("saga replies and timeouts for unknown or settled sagas change nothing") {
  Cluster c;
  const AccountId a = account_in(0, 1);
  c.open(a);
  PartitionState& s = c.at(0);
  CHECK(c.sagas.apply_saga_command(s, SagaReply{TransferId(99), a, Partition{1}, 0}, s.next_timestamp(c.tick())) ==
        Outcome::saga_not_found);
  CHECK(c.sagas.apply_saga_command(s, SagaTimeout{TransferId(99), a}, s.next_timestamp(c.tick())) ==
        Outcome::saga_not_found);
  CHECK(c.sagas.apply_saga_command(s, SagaReply{TransferId(99), account_in(1, 1), Partition{1}, 0},
                                   s.next_timestamp(c.tick())) == Outcome::wrong_partition);
}

TEST_CASE("the re-drive schedule doubles, caps, and is the same for the same saga") {
  uint64_t prev = 0;
  for (uint32_t attempt = 1; attempt <= 20; attempt++) {
    const uint64_t v = SagaSchedule::interval_ns(TransferId(7), attempt);
    CHECK(v == SagaSchedule::interval_ns(TransferId(7), attempt));
    CHECK(v <= SagaSchedule::kMaxIntervalNs * 12 / 10);
    CHECK(v >= SagaSchedule::kFirstDeadlineNs * 8 / 10);
    if (attempt <= 6) CHECK(v > prev * 12 / 10 * 8 / 12);
    prev = v;
  }
  CHECK(SagaSchedule::interval_ns(TransferId(7), 1) != SagaSchedule::interval_ns(TransferId(8), 1));
}
