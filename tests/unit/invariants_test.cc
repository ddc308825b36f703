#include "projections/invariants.h"

#include <doctest/doctest.h>

using namespace tally;

namespace {

Account account(u128 id, Balances b, uint16_t flags = 0, Ledger ledger = 1) {
  Account a;
  a.id = AccountId(id);
  a.balances = b;
  a.flags = flags;
  a.ledger = ledger;
  a.code = 1;
  return a;
}

Transfer transfer(u128 id, u128 dr, u128 cr, u128 amount, uint16_t flags = 0,
                  PendingState state = PendingState::none) {
  Transfer t;
  t.id = TransferId(id);
  t.debit_account_id = AccountId(dr);
  t.credit_account_id = AccountId(cr);
  t.amount = Amount(amount);
  t.flags = flags;
  t.state = state;
  return t;
}

// The violation names, space-separated.
std::string names(const std::vector<Violation>& v) {
  std::string s;
  for (const Violation& x : v) s += (s.empty() ? "" : " ") + x.name;
  return s;
}

}  // namespace

TEST_CASE("consistent books have no violations") {
  const std::vector<Account> books = {
      account(1, {5, 10, 0, 20}, account_flags::debits_must_not_exceed_credits),
      account(2, {0, 20, 5, 10}),
      account(3, {0, 0, 0, 0}, 0, 2),
  };
  CHECK(check_invariants(books).empty());
}

TEST_CASE("unbalanced ledgers are named per ledger, posted and pending apart") {
  const std::vector<Account> books = {
      account(1, {0, 10, 0, 0}), account(2, {0, 0, 0, 9}),  // ledger 1: posted off by one
      account(3, {4, 0, 0, 0}, 0, 7), account(4, {0, 0, 3, 0}, 0, 7),  // ledger 7: pending
  };
  const std::vector<Violation> v = check_invariants(books);
  CHECK(names(v) == "posted_unbalanced pending_unbalanced");
  REQUIRE(v.size() == 2);
  CHECK(v[0].detail == "ledger 1: debits 10 != credits 9");
  CHECK(v[1].detail == "ledger 7: debits 4 != credits 3");
}

TEST_CASE("sums do not overflow: two maximal balances still balance") {
  const std::vector<Account> books = {
      account(1, {0, kU128Max, 0, 0}), account(2, {0, kU128Max, 0, 0}),
      account(3, {0, 0, 0, kU128Max}), account(4, {0, 0, 0, kU128Max - 1}),
  };
  const std::vector<Violation> v = check_invariants(books);
  REQUIRE(v.size() == 1);
  CHECK(v[0].name == "posted_unbalanced");
  CHECK(v[0].detail.find("1*2^128+") != std::string::npos);
}

TEST_CASE("limits: pending debits count, pending credits do not") {
  const uint16_t dl = account_flags::debits_must_not_exceed_credits;
  const uint16_t cl = account_flags::credits_must_not_exceed_debits;
  CHECK(names(check_invariants(std::vector{account(1, {1, 10, 0, 10}, dl)})) ==
        "exceeds_credits pending_unbalanced");
  CHECK(names(check_invariants(std::vector{account(1, {0, 10, 5, 10}, dl)})) ==
        "pending_unbalanced");
  CHECK(names(check_invariants(std::vector{account(1, {0, 10, 1, 10}, cl)})) ==
        "exceeds_debits pending_unbalanced");
  CHECK(names(check_invariants(std::vector{account(1, {kU128Max, 1, 0, 0})})) ==
        "balance_overflow posted_unbalanced pending_unbalanced");
  Account rejected = account(1, {0, 1, 0, 0});
  rejected.outcome = Outcome::ledger_must_not_be_zero;
  CHECK(names(check_invariants(std::vector{rejected})) == "rejected_has_balances");
}

TEST_CASE("balances are recomputed from the transfers") {
  using namespace transfer_flags;
  const std::vector<Transfer> transfers = {
      transfer(10, 1, 2, 100),                                    // posted 100
      transfer(11, 1, 2, 40, pending, PendingState::pending),     // reserves 40
      transfer(12, 1, 2, 30, pending, PendingState::posted),      // resolved
      transfer(13, 1, 2, 20, post_pending),                       // posts 20 of 12
      transfer(14, 1, 2, 9, pending, PendingState::voided),       // resolved
      transfer(15, 1, 2, 9, void_pending),                        // nothing
      transfer(16, 2, 1, 7),                                      // posted 7 back
      transfer(17, 1, 9, 5),
  };
  std::vector<Transfer> all = transfers;
  Transfer rejected = transfer(18, 1, 2, 1000);
  rejected.outcome = Outcome::exceeds_credits;
  all.push_back(rejected);
  std::vector<Account> books = {account(1, {40, 125, 0, 7}), account(2, {0, 7, 40, 120}),
                                account(9, {0, 0, 0, 5})};
  CHECK(render(check_invariants(books, all)) == "");

  books[1].balances.credits_posted = 121;
  books[0].balances.debits_posted = 126;
  CHECK(names(check_invariants(books, all)) == "balance_mismatch balance_mismatch");
  CHECK(check_invariants(books, all)[1].detail ==
        "account 2: stored 0/7 40/121, from transfers 0/7 40/120");

  all.push_back(transfer(19, 1, 2, 0, pending));  // pending flag, no pending state
  CHECK(names(check_invariants(books, all)) ==
        "pending_state balance_mismatch balance_mismatch");
}

TEST_CASE("a transfer naming an account not listed counts for the listed side only") {
  const std::vector<Account> books = {account(1, {0, 5, 0, 0})};
  const std::vector<Transfer> transfers = {transfer(17, 1, 9, 5)};
  CHECK(names(check_invariants(books, transfers)) == "posted_unbalanced");
}

TEST_CASE("saga reservations: the sides they touch are not recomputed, the others are") {
  const u128 transit = make_u128(kReservedAccountHi, 7);
  Transfer reservation = transfer(20, 1, 99, 30);  // credit account in another partition
  reservation.kind = TransferKind::saga_source;
  Transfer leg = transfer(21, transit, 2, 8);  // a credit leg applied here
  leg.kind = TransferKind::saga_credit;
  // Account 1 reserved 30 (pending) and sent 5 to 2; the transit account
  // holds the 30 and paid 8 to account 2.
  std::vector<Account> books = {account(1, {30, 5, 0, 0}), account(2, {0, 0, 0, 13}),
                                account(transit, {0, 8, 30, 0})};
  const std::vector<Transfer> transfers = {transfer(10, 1, 2, 5), reservation, leg};
  CHECK(render(check_invariants(books, transfers)) == "");
  books[0].balances.credits_posted = 1;  // the credit side of account 1 is still checked
  books[1].balances.credits_posted = 14;
  books[2].balances.debits_posted = 7;   // and the debit side of the transit account
  CHECK(names(check_invariants(books, transfers)) ==
        "posted_unbalanced balance_mismatch balance_mismatch balance_mismatch");
}
