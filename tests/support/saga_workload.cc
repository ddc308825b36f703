#include "tests/support/saga_workload.h"

#include "tests/support/ledger_scenario.h"

namespace tally::test {
namespace {

constexpr uint32_t kParts = kScenarioPartitions;
constexpr uint64_t kGroup = 5;  // keeps these ids apart from the ledger scenario's

AccountId source(uint32_t p) { return account_in(p, 1, kGroup); }
AccountId target(uint32_t p) { return account_in(p, 2, kGroup); }
AccountId other_ledger(uint32_t p) { return account_in(p, 3, kGroup); }
AccountId limited(uint32_t p) { return account_in(p, 4, kGroup); }
AccountId closed(uint32_t p) { return account_in(p, 5, kGroup); }
AccountId missing(uint32_t p) { return account_in(p, 6, kGroup); }

CreateAccount open(AccountId id, Ledger ledger, uint16_t flags) {
  return CreateAccount{id, 0, 0, 0, ledger, 1, flags, 0};
}

uint32_t source_partition(uint64_t i) { return static_cast<uint32_t>(i % kParts); }
uint32_t destination_partition(uint64_t i) {
  return static_cast<uint32_t>((source_partition(i) + 1 + (i / kParts) % (kParts - 1)) % kParts);
}
uint64_t kind(uint64_t i) { return (i / 3) % 10; }

}  // namespace

std::vector<Command> saga_accounts() {
  std::vector<Command> out;
  for (uint32_t p = 0; p < kParts; p++) {
    out.push_back(open(source(p), 1, 0));
    out.push_back(open(target(p), 1, 0));
    out.push_back(open(other_ledger(p), 2, 0));
    out.push_back(open(limited(p), 1, account_flags::credits_must_not_exceed_debits));
    out.push_back(open(closed(p), 1, account_flags::closed));
  }
  return out;
}

CreateTransfer saga_transfer(uint64_t i) {
  const uint32_t d = destination_partition(i);
  CreateTransfer t;
  t.debit_account_id = source(source_partition(i));
  t.id = TransferId(make_u128(t.debit_account_id.hi(), static_cast<uint64_t>(kSagaFirstId + i)));
  switch (kind(i)) {
    case 6: t.credit_account_id = missing(d); break;
    case 7: t.credit_account_id = other_ledger(d); break;
    case 8: t.credit_account_id = limited(d); break;
    case 9: t.credit_account_id = closed(d); break;
    default: t.credit_account_id = target(d); break;
  }
  t.amount = Amount(i % 97 + 1);
  t.ledger = 1;
  t.code = 1;
  return t;
}

Outcome saga_expected(uint64_t i) {
  switch (kind(i)) {
    case 6: return Outcome::credit_account_not_found;
    case 7: return Outcome::accounts_must_have_the_same_ledger;
    case 8: return Outcome::exceeds_debits;
    case 9: return Outcome::credit_account_already_closed;
    default: return Outcome::created;
  }
}

}  // namespace tally::test
