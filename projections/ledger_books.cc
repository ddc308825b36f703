// Small helpers the ledger's rules share: live lookups, history entries,
// expiry timers and rejection records. The checked arithmetic on balances
// is add_checked/sub_checked in engine/core/checked_math.h.
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
  state.insert_transfer(transfer_record(c, timestamp, outcome));
}

}  // namespace tally::ledger_detail
