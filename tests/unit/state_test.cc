#include <doctest/doctest.h>

#include "projections/state.h"

using namespace tally;

namespace {
Account account(u128 id) {
  Account a;
  a.id = AccountId(id);
  a.ledger = 1;
  a.code = 1;
  return a;
}
}  // namespace

TEST_CASE("the ledger clock is strictly increasing and follows append time") {
  PartitionState s(Partition{0}, 1);
  CHECK(s.next_timestamp(Timestamp{100}).ns == 100);
  CHECK(s.next_timestamp(Timestamp{100}).ns == 101);
  CHECK(s.next_timestamp(Timestamp{50}).ns == 102);  // a clock that went back
  CHECK(s.next_timestamp(Timestamp{500}).ns == 500);
}

TEST_CASE("a rolled-back scope restores accounts, transfers, history, timers and outbox") {
  PartitionState s(Partition{0}, 1);
  s.insert_account(account(1));
  s.clear_changes();

  s.begin_scope();
  s.mutable_account(AccountId(1)).balances.debits_posted = 50;
  s.insert_account(account(2));
  Transfer t;
  t.id = TransferId(9);
  s.insert_transfer(t);
  s.add_history({AccountId(1), Timestamp{1}, TransferId(9), false, {}});
  s.set_timer({Timestamp{5}, TimerKind::pending_expiry, 9, AccountId(1)});
  s.add_outbox(Partition{0}, ExpirePending{TransferId(9), AccountId(1)});
  s.rollback_scope();

  CHECK(s.find_account(AccountId(1))->balances.debits_posted == 0);
  CHECK(s.find_account(AccountId(2)) == nullptr);
  CHECK(s.find_transfer(TransferId(9)) == nullptr);
  CHECK(s.changes().history.empty());
  CHECK(s.changes().timers.empty());
  CHECK(s.changes().outbox.empty());
  CHECK(s.next_outbox_seq() == 0);
}

TEST_CASE("a committed scope keeps its changes, recorded once each in order") {
  PartitionState s(Partition{0}, 1);
  s.insert_account(account(1));
  s.insert_account(account(2));
  s.begin_scope();
  s.mutable_account(AccountId(2)).balances.credits_posted = 5;
  s.mutable_account(AccountId(2)).balances.credits_posted = 6;
  s.add_outbox(Partition{0}, ExpirePending{TransferId(9), AccountId(1)});
  s.commit_scope();
  CHECK(s.find_account(AccountId(2))->balances.credits_posted == 6);
  REQUIRE(s.changes().accounts.size() == 2);
  CHECK(s.changes().accounts[0] == AccountId(1));
  CHECK(s.changes().accounts[1] == AccountId(2));
  CHECK(s.changes().outbox.at(0).seq == 0);
  CHECK(s.next_outbox_seq() == 1);
}

TEST_CASE("ownership follows the partitioner") {
  PartitionState p0(Partition{0}, 2), p1(Partition{1}, 2);
  for (u128 id = 1; id < 50; id++) {
    const AccountId a(make_u128(static_cast<uint64_t>(id), 0));
    CHECK(p0.owns(a) != p1.owns(a));
  }
}
