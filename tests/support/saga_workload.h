// Test support: the saga crash tests' workload, shared by the child that
// runs it (tests/helpers/saga_node.cc) and the test that checks the result
// (tests/integration/saga_crash_test.cc). Every value is a pure function of
// the transfer's number, so the checker knows what each saga must end as.
//
// Accounts, in each of kScenarioPartitions partitions p:
//   source(p)        no limits: every reservation succeeds
//   target(p)        ledger 1, accepts credits
//   other_ledger(p)  ledger 2
//   limited(p)       credits_must_not_exceed_debits (and no debits)
//   closed(p)        created closed
//   missing(p)       never created
// Transfer i (id: source's group × 2^64 + kSagaFirstId + i) moves i % 97 + 1 from source(i % 4) to
// an account of another partition: target for six in ten, else one of the
// four a destination rejects.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/command.h"
#include "projections/outcome.h"

namespace tally::test {

inline constexpr u128 kSagaFirstId = 700'000;

std::vector<Command> saga_accounts();
CreateTransfer saga_transfer(uint64_t i);
// What the destination must decide: created, or the rejection that
// compensates the saga.
Outcome saga_expected(uint64_t i);

}  // namespace tally::test
