// Ledger invariants: what must hold of a partition's books after any
// sequence of commands (docs/design.md "Commands, outcomes and the rules").
// Tests check them after every scenario; `tally reconcile` runs them over a
// stored projection. Pure functions over values: thread-safe, no I/O.
//
// Checked over a list of accounts:
//   posted_unbalanced    per ledger, sum(debits_posted) != sum(credits_posted)
//   pending_unbalanced   per ledger, sum(debits_pending) != sum(credits_pending)
//   exceeds_credits      an account with debits_must_not_exceed_credits has
//                        debits_pending + debits_posted > credits_posted
//   exceeds_debits       an account with credits_must_not_exceed_debits has
//                        credits_pending + credits_posted > debits_posted
//   balance_overflow     debits (credits) pending + posted exceed 2^128 - 1
//   rejected_has_balances  a rejected account record with non-zero balances
// and, when transfers are given as well:
//   balance_mismatch     an account's balances differ from those recomputed
//                        from the created transfers: a transfer in the
//                        pending state holds its amount in pending; one that
//                        was pending and is resolved, and a void, hold
//                        nothing; any other (single-phase, post, saga credit
//                        leg) moves its amount to posted. A saga's
//                        reservation (kind saga_source) is settled through
//                        its Saga record, so the debits of its debit account
//                        and the credits of transit accounts are not compared
//   pending_state        a user's transfer whose `pending` flag and pending
//                        state disagree
// Sums are kept in 192 bits, so the check itself never overflows.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "projections/model.h"

namespace tally {

struct Violation {
  std::string name;    // one of the names above
  std::string detail;  // what and where, e.g. "ledger 7: debits 10 != credits 9"
  bool operator==(const Violation&) const = default;
};

// Violations in a deterministic order (per account in the order given, then
// per ledger in increasing order); empty when the books are consistent.
std::vector<Violation> check_invariants(std::span<const Account> accounts);

// As above, then pending_state in the order of `transfers` and
// balance_mismatch in the order of `accounts`.
// REQUIRES: `transfers` holds every transfer record (created or rejected)
// that names one of `accounts`; transfers naming accounts not listed only
// count for the listed side.
std::vector<Violation> check_invariants(std::span<const Account> accounts,
                                        std::span<const Transfer> transfers);

// "name: detail" lines, one per violation (for test failures and the CLI).
std::string render(const std::vector<Violation>& violations);

}  // namespace tally
