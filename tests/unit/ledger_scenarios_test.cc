// Ledger scenarios the tables do not show: timers and history a command
// leaves, exact deadlines, what records keep, chain rollback of everything,
// the clock, the saga extension's hooks and referenced_transfers.
#include <doctest/doctest.h>

#include "tests/fixtures/ledger_table.h"

using namespace ledger_test;

namespace {

// "set 10 at +30s via 1" per timer operation, the deadline relative to `base`.
std::string timers(const ChangeSet& c, Timestamp base) {
  std::string s;
  for (const ChangeSet::TimerOp& op : c.timers) {
    if (!s.empty()) s += ", ";
    const uint64_t rel = op.timer.deadline.ns - base.ns;
    s += std::string(op.set ? "set " : "clear ") + u128_to_string(op.timer.id) + " at +" +
         (rel % kSecond == 0 ? std::to_string(rel / kSecond) + "s" : std::to_string(rel) + "ns") +
         " via " + op.timer.routing.str();
    if (op.timer.kind != TimerKind::pending_expiry) s += " (not an expiry)";
  }
  return s;
}

// "1#10 100+0/0+0" per entry (balances only where the account keeps them).
std::string history(const ChangeSet& c) {
  std::string s;
  for (const HistoryEntry& h : c.history) {
    if (!s.empty()) s += ", ";
    s += h.account.str() + "#" + h.transfer.str();
    if (h.has_balances) {
      Account a;
      a.balances = h.balances;
      const std::string r = render(a);  // "0:..."
      s += " " + r.substr(r.find(':') + 1);
    }
  }
  return s;
}

}  // namespace

TEST_CASE("a pending transfer's timer and history through post, void and expiry") {
  Books b;
  b.run({Acct(1).flags(account_flags::history), A2()});
  b.run({Xfer(10, 1, 2, 100).pending().timeout(30), Xfer(20, 1, 2, 7).pending().timeout(5),
         Xfer(30, 1, 2, 1).pending().timeout(60)});
  const Timestamp t10 = b.transfer(10)->timestamp;
  CHECK(b.transfer(10)->expires_at.ns == t10.ns + 30 * kSecond);
  CHECK(timers(b.last_changes(), t10) ==
        "set 10 at +30s via 1, set 20 at +5000000001ns via 1, set 30 at +60000000002ns via 1");
  CHECK(history(b.last_changes()) ==
        "1#10 100+0/0+0, 2#10, 1#20 107+0/0+0, 2#20, 1#30 108+0/0+0, 2#30");

  CHECK(b.run({post(11, 10, 1, 40)}) == "created");
  CHECK(timers(b.last_changes(), t10) == "clear 10 at +30s via 1");
  CHECK(history(b.last_changes()) == "1#11 8+40/0+0, 2#11");
  CHECK(b.transfer(10)->state == PendingState::posted);

  CHECK(b.run({void_(31, 30, 1)}) == "created");
  CHECK(timers(b.last_changes(), b.transfer(30)->timestamp) == "clear 30 at +60s via 1");
  CHECK(history(b.last_changes()) == "1#31 7+40/0+0, 2#31");

  CHECK(b.run({expire(20, 1)}, b.transfer(20)->expires_at.ns) == "expired");
  CHECK(timers(b.last_changes(), b.transfer(20)->timestamp) == "clear 20 at +5s via 1");
  CHECK(history(b.last_changes()) == "1#20 0+40/0+0, 2#20");  // the pending transfer's id
  CHECK(b.last_changes().history.at(0).timestamp.ns == b.transfer(20)->expires_at.ns);
  CHECK(b.accounts() == "1:0+40/0+0 2:0+0/0+40");
  CHECK(b.violations() == "");
}

TEST_CASE("expiry at the deadline to the nanosecond, and never before") {
  Books b;
  b.run({A1(), A2(), Xfer(10, 1, 2, 100).pending().timeout(5)});
  const uint64_t deadline = b.transfer(10)->expires_at.ns;
  CHECK(deadline == b.transfer(10)->timestamp.ns + 5 * kSecond);
  CHECK(b.run({expire(10, 1)}, deadline - 1) == "not_yet_due");
  CHECK(b.accounts() == "1:100+0/0+0 2:0+0/100+0");
  CHECK(b.run({expire(10, 1)}, deadline) == "expired");
  CHECK(b.accounts() == kZero12);
  CHECK(b.run({expire(10, 1)}, deadline) == "pending_transfer_expired");
}

TEST_CASE("a post one nanosecond before the deadline wins; at the deadline it loses") {
  Books before, at;
  for (Books* b : {&before, &at}) b->run({A1(), A2(), Xfer(10, 1, 2, 100).pending().timeout(5)});
  const uint64_t deadline = before.transfer(10)->expires_at.ns;
  CHECK(before.run({post(11, 10, 1, 60)}, deadline - 1) == "created");
  CHECK(before.run({expire(10, 1)}, deadline) == "pending_transfer_already_posted");
  CHECK(before.accounts() == "1:0+60/0+0 2:0+0/0+60");

  // The expiry has not applied yet, but log order says the deadline passed.
  CHECK(at.run({post(11, 10, 1, 60), void_(12, 10, 1), expire(10, 1)}, deadline) ==
        "pending_transfer_expired pending_transfer_expired expired");
  CHECK(at.accounts() == kZero12);
  CHECK(at.transfer(11)->outcome == Outcome::pending_transfer_expired);  // final for id 11
  CHECK(at.violations() == "");
}

TEST_CASE("records keep what was asked and what moved") {
  Books b;
  b.run({Acct(4).flags(kDebitLimit), A2(), Xfer(9, 2, 4, 10)});
  b.run({Xfer(10, 4, 2, 100).flags(transfer_flags::balancing_debit).ud64(5)});
  const Transfer& bal = *b.transfer(10);
  CHECK(bal.amount.value() == 10);
  CHECK(bal.requested_amount.value() == 100);
  CHECK(bal.state == PendingState::none);

  b.run({Xfer(20, 2, 4, 50).pending().ud128(77).ud32(3).code(9)});
  b.run({post(21, 20, 2, 20).ud32(4)});
  const Transfer& p = *b.transfer(21);
  CHECK(p.amount.value() == 20);
  CHECK(p.requested_amount.value() == 20);
  CHECK(p.credit_account_id == AccountId(4));  // inherited
  CHECK(p.requested_credit_account_id.is_zero());
  CHECK(p.ledger == 1);
  CHECK(p.code == 9);  // inherited
  CHECK(p.requested_code == 0);
  CHECK(p.user_data_128 == 77);  // inherited
  CHECK(p.user_data_32 == 4);    // given
  CHECK(p.pending_id == TransferId(20));
  CHECK(b.transfer(20)->state == PendingState::posted);
  CHECK(b.transfer(20)->amount.value() == 50);  // the pending transfer keeps its amount

  b.run({Xfer(30, 2, 4, 8).pending()});
  b.run({void_(31, 30, 2, kU128Max)});
  CHECK(b.transfer(31)->amount.value() == 8);
  CHECK(b.transfer(31)->requested_amount.value() == kU128Max);
  CHECK(b.transfer(30)->state == PendingState::voided);
  CHECK(b.accounts() == "4:0+10/0+30 2:0+30/0+10");
  CHECK(b.violations() == "");
}

TEST_CASE("a failed chain leaves no records, history, timers or balances behind") {
  Books b;
  b.run({A1(), A2(), Xfer(5, 1, 2, 9).pending().timeout(60)});
  const std::string before = b.accounts();
  CHECK(b.run({Acct(3).linked(), Xfer(10, 1, 3, 1).pending().timeout(9).linked(),
               post(11, 5, 1).linked(), Xfer(12, 3, 1, 1).linked(), Xfer(13, 1, 2, 1).ledger(7)}) ==
        "linked_event_failed linked_event_failed linked_event_failed linked_event_failed "
        "transfer_must_have_the_same_ledger_as_accounts");
  CHECK(b.accounts() == before);
  CHECK(b.state().find_account(AccountId(3)) == nullptr);
  for (u128 id : {10, 11, 12, 13}) CHECK(b.transfer(id) == nullptr);
  CHECK(b.transfer(5)->state == PendingState::pending);
  CHECK(b.last_changes().history.empty());
  CHECK(b.last_changes().timers.empty());
  // The ids stay free: the same chain, fixed, applies.
  CHECK(b.run({Acct(3).linked(), Xfer(10, 1, 3, 1).pending().timeout(9).linked(),
               post(11, 5, 1).linked(), Xfer(12, 3, 1, 1).linked(), Xfer(13, 1, 2, 1)}) ==
        "created created created created created");
  CHECK(b.accounts() == "1:1+10/0+1 2:0+0/0+10 3:0+1/1+0");
  CHECK(timers(b.last_changes(), b.transfer(10)->timestamp) ==
        "set 10 at +9s via 1, clear 5 at +58000000001ns via 1");
}

TEST_CASE("each command gets the next timestamp of the ledger clock") {
  Books b;
  RecordOutcome out;
  const std::vector<Command> record = {A1(), Acct(0), A1(), expire(9, 1)};
  apply_record(b.state(), record, Timestamp{kStart}, nullptr, out);
  CHECK(render(out.outcomes) == "created id_must_not_be_zero exists pending_transfer_not_found");
  REQUIRE(out.timestamps.size() == 4);
  for (size_t i = 0; i < 4; i++) CHECK(out.timestamps[i].ns == kStart + i);
  // An append time that went back does not move the clock back.
  apply_record(b.state(), std::vector<Command>{Acct(2)}, Timestamp{kStart - kSecond}, nullptr, out);
  CHECK(out.timestamps.at(0).ns == kStart + 4);
  CHECK(b.state().find_account(AccountId(2))->timestamp.ns == kStart + 4);
  apply_record(b.state(), std::vector<Command>{}, Timestamp{kStart}, nullptr, out);
  CHECK(out.outcomes.empty());
  CHECK(out.timestamps.empty());
}

namespace {

// A stand-in for the saga coordinator: reserves cross-partition transfers
// into a transit account (a pending record of its own kind) and answers
// saga commands with saga_completed; logs every call.
class FakeSagas : public CommandExtension {
 public:
  std::string calls;

  Outcome begin_cross_partition(PartitionState& s, const CreateTransfer& c,
                                Timestamp ts) override {
    calls += "begin " + c.id.str() + "; ";
    const AccountId transit(kTransit);
    if (s.find_account(transit) == nullptr) {
      Account a;
      a.id = transit;
      a.ledger = c.ledger;
      a.code = 1;
      s.insert_account(a);
    }
    s.mutable_account(c.debit_account_id).balances.debits_pending += c.amount.value();
    s.mutable_account(transit).balances.credits_pending += c.amount.value();
    Transfer t;
    t.id = c.id;
    t.debit_account_id = c.debit_account_id;
    t.credit_account_id = transit;
    t.amount = c.amount;
    t.ledger = c.ledger;
    t.code = c.code;
    t.flags = c.flags;
    t.timestamp = ts;
    t.requested_amount = c.amount;
    t.requested_credit_account_id = c.credit_account_id;
    t.requested_ledger = c.ledger;
    t.requested_code = c.code;
    t.state = PendingState::pending;
    t.kind = TransferKind::saga_source;
    s.insert_transfer(t);
    return Outcome::created;
  }

  Outcome apply_saga_command(PartitionState&, const Command& c, Timestamp) override {
    calls += std::string(command_type_name(c)) + "; ";
    return Outcome::saga_completed;
  }
};

}  // namespace

TEST_CASE("the saga extension gets single-phase cross-partition transfers and saga commands") {
  FakeSagas sagas;
  Books b(2, &sagas);
  b.run({A1(), A2()});
  CHECK(b.run({Xfer(10, 1, kForeign, 30)}) == "created");
  CHECK(sagas.calls == "begin 10; ");
  CHECK(b.transfer(10)->kind == TransferKind::saga_source);
  // Sent again: answered by the ledger's idempotency check, not the saga.
  CHECK(b.run({Xfer(10, 1, kForeign, 30), Xfer(10, 1, kForeign, 31)}) ==
        "exists exists_with_different_amount");
  // Never in a chain, never two-phase, never for a local credit account.
  CHECK(b.run({Acct(3).linked(), Xfer(11, 1, kForeign, 1)}) ==
        "linked_event_failed linked_chain_spans_partitions");
  CHECK(b.run({Xfer(12, 1, kForeign, 1).pending(), Xfer(13, 1, 2, 1)}) ==
        "cross_partition_transfer_must_be_single_phase created");
  CHECK(sagas.calls == "begin 10; ");
  // Users cannot resolve the saga's reservation.
  CHECK(b.run({post(14, 10, 1), void_(15, 10, 1)}) ==
        "transit_account_reserved transit_account_reserved");
  // Saga commands, one of them closing an open chain first.
  CHECK(b.run({Xfer(16, 1, 2, 1).linked(), SagaReply{TransferId(10), AccountId(1), Partition{1}, 0},
               SagaTimeout{TransferId(10), AccountId(1)}}) ==
        "linked_event_chain_open saga_completed saga_completed");
  CHECK(sagas.calls == "begin 10; saga_reply; saga_timeout; ");
  std::vector<Account> books = b.account_list();
  books.push_back(*b.state().find_account(AccountId(kTransit)));
  CHECK(render(check_invariants(books)) == "");
  CHECK(b.accounts() == "1:30+1/0+0 2:0+0/0+1");
}

TEST_CASE("referenced_transfers lists every transfer a record may look up") {
  const std::vector<Command> record = {
      A1(),
      Xfer(10, 1, 2, 5),
      post(11, 10, 1),
      Xfer(0, 1, 2, 5).pending_id(kU128Max),
      expire(12, 1),
      SagaCredit{TransferId(13)},
      SagaReply{TransferId(14)},
      SagaCancel{TransferId(15)},
      SagaTimeout{TransferId(16)},
  };
  std::vector<TransferId> ids = {TransferId(99)};
  referenced_transfers(record, ids);
  std::string s;
  for (TransferId id : ids) s += id.str() + " ";
  CHECK(s == "99 10 11 10 12 13 14 16 ");
}
