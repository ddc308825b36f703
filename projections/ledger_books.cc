// Small helpers the ledger's rules share: live lookups, checked arithmetic
// on balances, history entries, expiry timers and rejection records.
#include <cassert>

#include "projections/ledger_internal.h"

namespace tally::ledger_detail {

const Account* live_account(const PartitionState& state, AccountId id) {
  const Account* a = state.find_account(id);
  return a != nullptr && a->outcome == Outcome::created ? a : nullptr;
}

const Transfer* live_transfer(const PartitionState& state, TransferId id) {
  const Transfer* t = state.find_transfer(id);
  return t != nullptr && t->outcome == Outcome::created ? t : nullptr;
}

u128 add_checked(u128 a, u128 b) {
  const std::optional<u128> sum = checked_add(a, b);
  assert(sum.has_value());
  return sum.value_or(kU128Max);
}

u128 sub_checked(u128 a, u128 b) {
  assert(a >= b);
  return a - b;
}

void add_history(PartitionState& state, const Account& account, Timestamp timestamp,
                 TransferId transfer) {
  HistoryEntry entry;
  entry.account = account.id;
  entry.timestamp = timestamp;
  entry.transfer = transfer;
  if ((account.flags & account_flags::history) != 0) {
    entry.has_balances = true;
    entry.balances = account.balances;
  }
  state.add_history(entry);
}

Timer expiry_timer(const Transfer& pending) {
  assert(pending.expires_at.ns != 0);
  return Timer{pending.expires_at, TimerKind::pending_expiry, pending.id.value(),
               pending.debit_account_id};
}

void record_rejected_transfer(PartitionState& state, const CreateTransfer& c, Timestamp timestamp,
                              Outcome outcome) {
  assert(outcome != Outcome::created && outcome != Outcome::exists);
  Transfer t;
  t.id = c.id;
  t.debit_account_id = c.debit_account_id;
  t.credit_account_id = c.credit_account_id;
  t.amount = c.amount;
  t.pending_id = c.pending_id;
  t.user_data_128 = c.user_data_128;
  t.user_data_64 = c.user_data_64;
  t.user_data_32 = c.user_data_32;
  t.timeout_seconds = c.timeout_seconds;
  t.ledger = c.ledger;
  t.code = c.code;
  t.flags = c.flags;
  t.timestamp = timestamp;
  t.outcome = outcome;
  t.requested_amount = c.amount;
  t.requested_credit_account_id = c.credit_account_id;
  t.requested_ledger = c.ledger;
  t.requested_code = c.code;
  state.insert_transfer(t);
}

}  // namespace tally::ledger_detail
