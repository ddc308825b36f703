// The ledger's rules for posts, voids, expiries and linked chains as tables
// (ledger_table.h says what each row checks), and the check that the tables
// reach every outcome the ledger itself can return.
#include <doctest/doctest.h>

#include <set>

#include "tests/fixtures/ledger_table.h"

namespace ledger_test {

namespace {
const Record kPending = {A1(), A2(), Xfer(10, 1, 2, 100).pending()};
const std::string kReserved = "1:100+0/0+0 2:0+0/100+0";
constexpr uint16_t kClosingDebit = transfer_flags::closing_debit;
constexpr uint16_t kClosingCredit = transfer_flags::closing_credit;
}  // namespace

std::vector<Row> resolution_rows() {
  const Record p = kPending;
  const Record timed = {A1(), A2(), Xfer(10, 1, 2, 100).pending().timeout(1)};
  const Record closing = {A1(), A2(), Xfer(9, 1, 2, 0).pending().flags(kClosingDebit)};
  return {
      {"post in full", {p}, {post(11, 10, 1)}, "created", "1:0+100/0+0 2:0+0/0+100"},
      {"post the exact amount", {p}, {post(11, 10, 1, 100)}, "created", "1:0+100/0+0 2:0+0/0+100"},
      {"post part, release the rest", {p}, {post(11, 10, 1, 30)}, "created",
       "1:0+30/0+0 2:0+0/0+30"},
      {"post 0, release all", {p}, {post(11, 10, 1, 0)}, "created", kZero12},
      {"post more than pending", {p}, {post(11, 10, 1, 101)}, "exceeds_pending_transfer_amount",
       kReserved},
      {"post naming the inherited fields", {p}, {post(11, 10, 1).credit(2).ledger(1).code(1)},
       "created", "1:0+100/0+0 2:0+0/0+100"},
      {"void", {p}, {void_(11, 10, 1)}, "created", kZero12},
      {"void, amount 2^128-1", {p}, {void_(11, 10, 1, kU128Max)}, "created", kZero12},
      {"void, the pending amount", {p}, {void_(11, 10, 1, 100)}, "created", kZero12},
      {"void part", {p}, {void_(11, 10, 1, 50)}, "pending_transfer_has_different_amount",
       kReserved},
      {"void more", {p}, {void_(11, 10, 1, 101)}, "pending_transfer_has_different_amount",
       kReserved},
      {"post and void", {p}, {post(11, 10, 1).flags(transfer_flags::void_pending)},
       "flags_are_mutually_exclusive", kReserved},
      {"post pending", {p}, {post(11, 10, 1).pending()}, "flags_are_mutually_exclusive",
       kReserved},
      {"void balancing", {p}, {void_(11, 10, 1).flags(transfer_flags::balancing_credit)},
       "flags_are_mutually_exclusive", kReserved},
      {"post closing", {p}, {post(11, 10, 1).flags(kClosingCredit)},
       "flags_are_mutually_exclusive", kReserved},
      {"reserved flag", {p}, {post(11, 10, 1).flags(1u << 15)}, "reserved_flag", kReserved},
      {"pending_id 0", {p}, {post(11, 0, 1)}, "pending_id_must_not_be_zero", kReserved},
      {"pending_id max", {p}, {post(11, kU128Max, 1)}, "pending_id_must_not_be_int_max",
       kReserved},
      {"pending_id is the id", {p}, {post(11, 11, 1)}, "pending_id_must_be_different", kReserved},
      {"post with a timeout", {p}, {post(11, 10, 1).timeout(3)},
       "timeout_reserved_for_pending_transfer", kReserved},
      {"no such pending transfer", {p}, {post(11, 99, 1)}, "pending_transfer_not_found",
       kReserved},
      {"the pending transfer was rejected", {{A1(), A2(), Xfer(10, 1, 2, 100).pending().ledger(9)}},
       {post(11, 10, 1)}, "pending_transfer_not_found", kZero12, 1, 1, 0,
       "created created transfer_must_have_the_same_ledger_as_accounts"},
      {"not a pending transfer", {{A1(), A2(), Xfer(10, 1, 2, 100)}}, {post(11, 10, 1)},
       "pending_transfer_not_pending", "1:0+100/0+0 2:0+0/0+100"},
      {"other debit account", {p}, {post(11, 10, 2)},
       "pending_transfer_has_different_debit_account_id", kReserved},
      {"other credit account", {p}, {post(11, 10, 1).credit(3)},
       "pending_transfer_has_different_credit_account_id", kReserved},
      {"other ledger", {p}, {void_(11, 10, 1).ledger(2)}, "pending_transfer_has_different_ledger",
       kReserved},
      {"other code", {p}, {void_(11, 10, 1).code(2)}, "pending_transfer_has_different_code",
       kReserved},
      {"already posted", {with(p, post(11, 10, 1, 40))}, {void_(12, 10, 1)},
       "pending_transfer_already_posted", "1:0+40/0+0 2:0+0/0+40"},
      {"amount is checked before resolution", {with(p, post(11, 10, 1, 40))},
       {post(12, 10, 1, 101)}, "exceeds_pending_transfer_amount", "1:0+40/0+0 2:0+0/0+40"},
      {"already voided", {with(p, void_(11, 10, 1))}, {post(12, 10, 1)},
       "pending_transfer_already_voided", kZero12},
      {"already expired", {timed, {expire(10, 1)}}, {post(11, 10, 1)}, "pending_transfer_expired",
       kZero12},
      {"past the deadline, expiry not applied yet", {timed}, {post(11, 10, 1)},
       "pending_transfer_expired", kReserved, 1, 2},
      {"void past the deadline", {timed}, {void_(11, 10, 1)}, "pending_transfer_expired",
       kReserved, 1, 2},
      {"before the deadline", {timed}, {post(11, 10, 1)}, "created", "1:0+100/0+0 2:0+0/0+100", 1,
       0},
      {"post to a closed debit account", {with(p, Xfer(9, 1, 2, 0).pending().flags(kClosingDebit))},
       {post(11, 10, 1)}, "debit_account_already_closed", "1:100+0/0+0 closed 2:0+0/100+0"},
      {"post to a closed credit account",
       {with(p, Xfer(9, 1, 2, 0).pending().flags(kClosingCredit))}, {post(11, 10, 1)},
       "credit_account_already_closed", "1:100+0/0+0 2:0+0/100+0 closed"},
      {"void on a closed account", {with(p, Xfer(9, 1, 2, 0).pending().flags(kClosingDebit))},
       {void_(11, 10, 1)}, "created", "1:0+0/0+0 closed 2:0+0/0+0"},
      {"voiding a closing transfer reopens", {closing}, {void_(11, 9, 1)}, "created", kZero12},
      {"a closing transfer cannot post", {closing}, {post(11, 9, 1)},
       "debit_account_already_closed", "1:0+0/0+0 closed 2:0+0/0+0"},
  };
}

TEST_CASE("ledger rules: post and void") { run_rows(resolution_rows()); }

std::vector<Row> expiry_rows() {
  // The pending transfer's deadline is 2 s (and 2 ns) after the setup record.
  const Record timed = {A1(), A2(), Xfer(10, 1, 2, 100).pending().timeout(2)};
  const Record quick = {A1(), A2(), Xfer(10, 1, 2, 100).pending().timeout(1)};
  return {
      {"after the deadline", {timed}, {expire(10, 1)}, "expired", kZero12, 1, 3},
      {"long after the deadline", {timed}, {expire(10, 1)}, "expired", kZero12, 1, 1000},
      {"before the deadline", {timed}, {expire(10, 1)}, "not_yet_due", kReserved, 1, 1},
      {"no timeout", {kPending}, {expire(10, 1)}, "not_yet_due", kReserved, 1, 1000},
      {"no such transfer", {kPending}, {expire(99, 1)}, "pending_transfer_not_found", kReserved},
      {"the pending transfer was rejected",
       {{A1(), A2(), Xfer(10, 1, 2, 100).pending().timeout(1).code(0)}}, {expire(10, 1)},
       "pending_transfer_not_found", kZero12, 1, 3, 0,
       "created created code_must_not_be_zero"},
      {"not pending", {{A1(), A2(), Xfer(10, 1, 2, 7)}}, {expire(10, 1)},
       "pending_transfer_not_pending", "1:0+7/0+0 2:0+0/0+7"},
      {"already posted", {with(timed, post(11, 10, 1))}, {expire(10, 1)},
       "pending_transfer_already_posted", "1:0+100/0+0 2:0+0/0+100", 1, 10},
      {"already voided", {with(timed, void_(11, 10, 1))}, {expire(10, 1)},
       "pending_transfer_already_voided", kZero12, 1, 10},
      {"already expired", {quick, {expire(10, 1)}}, {expire(10, 1)}, "pending_transfer_expired",
       kZero12},
      {"routed to another partition", {timed}, {expire(10, kForeign)}, "wrong_partition",
       kReserved, 2, 3},
      {"other debit account", {timed}, {expire(10, 2)},
       "pending_transfer_has_different_debit_account_id", kReserved, 1, 3},
      {"expiring a closing transfer reopens",
       {{A1(), A2(), Xfer(9, 1, 2, 0).pending().flags(kClosingCredit).timeout(1)}}, {expire(9, 1)},
       "expired", kZero12, 1, 2},
      {"a saga command without the saga extension", {}, {SagaTimeout{TransferId(5), AccountId(1)}},
       "saga_not_found", ""},
  };
}

TEST_CASE("ledger rules: expire_pending") { run_rows(expiry_rows()); }

std::vector<Row> chain_rows() {
  const Record kept = {A1(), A2(), Xfer(10, 1, 2, 5).linked(), Xfer(11, 1, 2, 6)};
  return {
      {"a chain applies as a whole", {}, {A1().linked(), A2().linked(), Xfer(10, 1, 2, 5)},
       "created created created", "1:0+5/0+0 2:0+0/0+5"},
      {"a chain fails as a whole", {}, {A1().linked(), A2().linked(), Xfer(10, 1, 2, 5).ledger(2)},
       "linked_event_failed linked_event_failed transfer_must_have_the_same_ledger_as_accounts",
       ""},
      {"commands after the failing one fail too", {},
       {A1().linked(), A1().linked().ud64(1), A2()},
       "linked_event_failed exists_with_different_user_data_64 linked_event_failed", ""},
      {"a chain open at the end of the record", {}, {A1().linked(), A2().linked()},
       "linked_event_failed linked_event_chain_open", ""},
      {"one linked command alone", {}, {A1().linked()}, "linked_event_chain_open", ""},
      {"an open chain that failed before its end", {}, {A1().ledger(0).linked(), A2().linked()},
       "ledger_must_not_be_zero linked_event_chain_open", ""},
      {"commands after a chain apply on their own", {}, {A1().linked(), A2(), Acct(3)},
       "created created created", "1:0+0/0+0 2:0+0/0+0 3:0+0/0+0"},
      {"a failed chain, then a good one", {},
       {A1().linked(), A2().ledger(0), Acct(3).linked(), Acct(4)},
       "linked_event_failed ledger_must_not_be_zero created created", "3:0+0/0+0 4:0+0/0+0"},
      {"a system command closes an open chain",
       {{A1(), A2(), Xfer(10, 1, 2, 100).pending().timeout(1)}},
       {Xfer(11, 1, 2, 5).linked(), expire(10, 1), Xfer(12, 1, 2, 5)},
       "linked_event_chain_open expired created", "1:0+5/0+0 2:0+0/0+5", 1, 2},
      {"a failed chain undoes a post", {kPending},
       {post(11, 10, 1).linked(), Xfer(12, 1, 2, 5).ledger(3)},
       "linked_event_failed transfer_must_have_the_same_ledger_as_accounts", kReserved},
      {"a chain cannot span partitions", {{A1()}}, {Acct(3).linked(), Xfer(10, 1, kForeign, 5)},
       "linked_event_failed linked_chain_spans_partitions", "1:0+0/0+0", 2},
      {"a chain sent again is answered exists", {{A1().linked(), A2()}}, {A1().linked(), A2()},
       "exists exists", kZero12},
      {"exists does not break a chain", {kept}, {Xfer(10, 1, 2, 5).linked(), Xfer(12, 1, 2, 7)},
       "exists created", "1:0+18/0+0 2:0+0/0+18"},
      {"a recorded rejection breaks a chain", {{A1(), A2(), Xfer(10, 1, 2, 5).ledger(4)}},
       {Xfer(11, 1, 2, 1).linked(), Xfer(10, 1, 2, 5).ledger(4)},
       "linked_event_failed transfer_must_have_the_same_ledger_as_accounts", kZero12, 1, 1, 0,
       "created created transfer_must_have_the_same_ledger_as_accounts"},
  };
}

TEST_CASE("ledger rules: linked chains") { run_rows(chain_rows()); }

TEST_CASE("the tables reach every outcome the ledger returns") {
  std::set<std::string> reached;
  for (auto rows : {account_rows(), transfer_rows(), exists_rows(), resolution_rows(),
                    expiry_rows(), chain_rows()}) {
    for (const Row& row : rows) {
      size_t start = 0;
      while (start < row.outcomes.size()) {
        size_t end = row.outcomes.find(' ', start);
        if (end == std::string::npos) end = row.outcomes.size();
        reached.insert(row.outcomes.substr(start, end - start));
        start = end + 1;
      }
    }
  }
  // Decided by the saga extension alone (recovery/), never by the ledger.
  const std::set<std::string> saga_only = {"saga_already_settled", "saga_cancelled",
                                           "saga_credit_applied", "saga_compensated",
                                           "saga_completed"};
  std::string missing;
  for (uint16_t v = 0; outcome_known(v); v++) {
    const std::string name(outcome_name(static_cast<Outcome>(v)));
    if (reached.count(name) == 0 && saga_only.count(name) == 0) missing += name + " ";
  }
  CHECK(missing == "");
  for (const std::string& name : reached) CHECK_MESSAGE(outcome_from_name(name), name);
}

}  // namespace ledger_test
