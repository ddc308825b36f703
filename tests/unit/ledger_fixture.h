// Test fixture for the ledger state machine: command builders, a harness
// that applies records and renders the books as short strings, and the
// invariant checks every scenario ends with.
//
// Rendering:
//   account  "1:0+10/0+0"        id: debits pending+posted / credits pending+posted
//            "1:0+0/0+0 closed"  with the closed flag
//            "1:ledger_must_not_be_zero"  a rejected record under that id
//   outcomes "created exists_with_different_amount"  one name per command
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/core/partitioner.h"
#include "projections/invariants.h"
#include "projections/ledger.h"

namespace ledger_test {

using namespace tally;

inline constexpr uint64_t kSecond = 1'000'000'000;
inline constexpr uint64_t kStart = 1'700'000'000 * kSecond;  // first append time

// create_account on ledger 1 with code 1.
struct Acct {
  CreateAccount c;
  explicit Acct(u128 id) {
    c.id = AccountId(id);
    c.ledger = 1;
    c.code = 1;
  }
  Acct& flags(uint16_t f) { c.flags |= f; return *this; }
  Acct& linked() { return flags(account_flags::linked); }
  Acct& ledger(Ledger l) { c.ledger = l; return *this; }
  Acct& code(Code v) { c.code = v; return *this; }
  Acct& ud128(u128 v) { c.user_data_128 = v; return *this; }
  Acct& ud64(uint64_t v) { c.user_data_64 = v; return *this; }
  Acct& ud32(uint32_t v) { c.user_data_32 = v; return *this; }
  Acct& reserved(uint32_t v) { c.reserved = v; return *this; }
  operator Command() const { return c; }
};

// create_transfer on ledger 1 with code 1.
struct Xfer {
  CreateTransfer c;
  Xfer(u128 id, u128 dr, u128 cr, u128 amount) {
    c.id = TransferId(id);
    c.debit_account_id = AccountId(dr);
    c.credit_account_id = AccountId(cr);
    c.amount = Amount(amount);
    c.ledger = 1;
    c.code = 1;
  }
  Xfer& flags(uint16_t f) { c.flags |= f; return *this; }
  Xfer& linked() { return flags(transfer_flags::linked); }
  Xfer& pending() { return flags(transfer_flags::pending); }
  Xfer& timeout(uint32_t s) { c.timeout_seconds = s; return *this; }
  Xfer& pending_id(u128 id) { c.pending_id = TransferId(id); return *this; }
  Xfer& ledger(Ledger l) { c.ledger = l; return *this; }
  Xfer& code(Code v) { c.code = v; return *this; }
  Xfer& debit(u128 id) { c.debit_account_id = AccountId(id); return *this; }
  Xfer& credit(u128 id) { c.credit_account_id = AccountId(id); return *this; }
  Xfer& amount(u128 v) { c.amount = Amount(v); return *this; }
  Xfer& ud128(u128 v) { c.user_data_128 = v; return *this; }
  Xfer& ud64(uint64_t v) { c.user_data_64 = v; return *this; }
  Xfer& ud32(uint32_t v) { c.user_data_32 = v; return *this; }
  operator Command() const { return c; }
};

// A post of pending transfer `pending` (debit account `dr`): credit, ledger
// and code left 0 (inherited), amount 2^128 - 1 (the whole pending amount).
inline Xfer post(u128 id, u128 pending, u128 dr, u128 amount = kU128Max) {
  return Xfer(id, dr, 0, amount).ledger(0).code(0).pending_id(pending).flags(
      transfer_flags::post_pending);
}
// A void; amount 0 (the pending amount).
inline Xfer void_(u128 id, u128 pending, u128 dr, u128 amount = 0) {
  return Xfer(id, dr, 0, amount).ledger(0).code(0).pending_id(pending).flags(
      transfer_flags::void_pending);
}
inline Command expire(u128 pending, u128 dr) {
  return ExpirePending{TransferId(pending), AccountId(dr)};
}

// An account id (upper 64 bits 0 .. ) routed to partition `p` of `n`.
inline u128 id_in_partition(uint32_t p, uint32_t n, uint64_t lo) {
  for (uint64_t hi = 0;; hi++) {
    if (partition_of_key(hi, n) == Partition{p}) return make_u128(hi, lo);
  }
}

std::string render(const Account& a);
std::string render(std::span<const Outcome> outcomes);

// One partition's state plus what the tests need to look at it: the ids
// of every account and transfer any applied command named, in first-seen
// order, so the books can be listed without iterating hash maps.
class Books {
 public:
  // The partition, of `partitions`, that owns the accounts whose upper 64
  // bits are 0 (all the small ids tests use).
  explicit Books(uint32_t partitions = 1, CommandExtension* extension = nullptr);
  Books(const Books&) = delete;
  Books& operator=(const Books&) = delete;

  PartitionState& state() { return state_; }
  // Applies one record at `append_ns` (0: one second after the previous
  // record) and returns its outcomes. Checks one outcome per command,
  // strictly increasing timestamps and, after clear_changes(), nothing left.
  std::vector<Outcome> apply(const std::vector<Command>& record, uint64_t append_ns = 0);
  // The same, rendered.
  std::string run(const std::vector<Command>& record, uint64_t append_ns = 0);
  Outcome one(const Command& c, uint64_t append_ns = 0);
  uint64_t clock() const { return clock_; }

  // Every known account, rendered, in first-seen order ("" if none).
  std::string accounts() const;
  std::string account(u128 id) const;
  std::vector<Account> account_list() const;
  std::vector<Transfer> transfer_list() const;
  const Transfer* transfer(u128 id) const { return state_.find_transfer(TransferId(id)); }
  // The invariants over every account and transfer, rendered ("" if none).
  std::string violations() const;
  // What the last record changed (before the harness cleared it).
  const ChangeSet& last_changes() const { return last_changes_; }

 private:
  void note(const Command& c);

  PartitionState state_;
  CommandExtension* extension_;
  uint64_t clock_ = kStart - kSecond;
  std::vector<AccountId> account_ids_;
  std::vector<TransferId> transfer_ids_;
  std::map<u128, bool> seen_accounts_, seen_transfers_;
  ChangeSet last_changes_;
};

}  // namespace ledger_test
