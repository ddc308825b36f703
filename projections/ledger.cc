// Minimal first cut of the ledger rules (accounts and single-phase
// transfers); the full rule set replaces this file.
#include "projections/ledger.h"

namespace tally {
namespace {

Outcome create_account(PartitionState& s, const CreateAccount& c, Timestamp ts) {
  if (c.id.is_zero()) return Outcome::id_must_not_be_zero;
  if (c.id.is_max()) return Outcome::id_must_not_be_int_max;
  if (!s.owns(c.id)) return Outcome::wrong_partition;
  if (const Account* a = s.find_account(c.id)) {
    if (a->outcome != Outcome::created) return a->outcome;
    return Outcome::exists;
  }
  Account a;
  a.id = c.id;
  a.ledger = c.ledger;
  a.code = c.code;
  a.flags = c.flags;
  a.user_data_128 = c.user_data_128;
  a.user_data_64 = c.user_data_64;
  a.user_data_32 = c.user_data_32;
  a.timestamp = ts;
  a.outcome = c.ledger == 0 ? Outcome::ledger_must_not_be_zero : Outcome::created;
  s.insert_account(a);
  return a.outcome;
}

Outcome create_transfer(PartitionState& s, const CreateTransfer& c, Timestamp ts) {
  if (c.id.is_zero()) return Outcome::id_must_not_be_zero;
  if (!s.owns(c.debit_account_id)) return Outcome::wrong_partition;
  if (const Transfer* t = s.find_transfer(c.id)) {
    return t->outcome == Outcome::created ? Outcome::exists : t->outcome;
  }
  const Account* dr = s.find_account(c.debit_account_id);
  const Account* cr = s.find_account(c.credit_account_id);
  Transfer t;
  t.id = c.id;
  t.debit_account_id = c.debit_account_id;
  t.credit_account_id = c.credit_account_id;
  t.amount = c.amount;
  t.requested_amount = c.amount;
  t.ledger = c.ledger;
  t.code = c.code;
  t.flags = c.flags;
  t.timestamp = ts;
  if (dr == nullptr || dr->outcome != Outcome::created) {
    t.outcome = Outcome::debit_account_not_found;
  } else if (cr == nullptr || cr->outcome != Outcome::created) {
    t.outcome = Outcome::credit_account_not_found;
  } else if ((dr->flags & account_flags::debits_must_not_exceed_credits) &&
             dr->balances.debits_posted + c.amount.value() > dr->balances.credits_posted) {
    t.outcome = Outcome::exceeds_credits;
  }
  s.insert_transfer(t);
  if (t.outcome != Outcome::created) return t.outcome;
  s.mutable_account(c.debit_account_id).balances.debits_posted += c.amount.value();
  s.mutable_account(c.credit_account_id).balances.credits_posted += c.amount.value();
  s.add_history({c.debit_account_id, ts, c.id, false, {}});
  s.add_history({c.credit_account_id, ts, c.id, false, {}});
  return Outcome::created;
}

}  // namespace

void apply_record(PartitionState& state, std::span<const Command> commands,
                  Timestamp append_time, CommandExtension*, RecordOutcome& out) {
  out.outcomes.clear();
  out.timestamps.clear();
  for (const Command& c : commands) {
    const Timestamp ts = state.next_timestamp(append_time);
    Outcome o = Outcome::saga_not_found;
    if (auto* a = std::get_if<CreateAccount>(&c)) o = create_account(state, *a, ts);
    if (auto* t = std::get_if<CreateTransfer>(&c)) o = create_transfer(state, *t, ts);
    out.outcomes.push_back(o);
    out.timestamps.push_back(ts);
  }
}

void referenced_transfers(std::span<const Command> commands, std::vector<TransferId>& out) {
  for (const Command& c : commands) {
    if (auto* t = std::get_if<CreateTransfer>(&c)) {
      out.push_back(t->id);
      if (!t->pending_id.is_zero()) out.push_back(t->pending_id);
    } else if (auto* e = std::get_if<ExpirePending>(&c)) {
      out.push_back(e->pending_id);
    }
  }
}

}  // namespace tally
