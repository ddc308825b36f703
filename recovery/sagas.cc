#include "recovery/sagas.h"

#include <cassert>

#include "engine/core/checked_math.h"
#include "engine/core/partitioner.h"
#include "recovery/transit.h"

namespace tally {
namespace {

void note_history(PartitionState& s, AccountId id, Timestamp ts, TransferId transfer) {
  const Account* a = s.find_account(id);
  if (a == nullptr) return;
  const bool flagged = (a->flags & account_flags::history) != 0;
  s.add_history({id, ts, transfer, flagged, flagged ? a->balances : Balances{}});
}

// The transit account of this partition towards `peer`, created on first use.
AccountId ensure_transit(PartitionState& s, Partition peer, Ledger ledger, Timestamp ts) {
  const AccountId id = transit_account(s.partition(), peer, ledger, s.partition_count());
  if (s.find_account(id) == nullptr) {
    Account a;
    a.id = id;
    a.ledger = ledger;
    a.code = kTransitCode;
    a.timestamp = ts;
    s.insert_account(a);
  }
  return id;
}

// The debit side of a cross-partition transfer, in TigerBeetle's order of
// precedence where it applies; the credit side is the destination's to judge.
Outcome check_debit_side(const PartitionState& s, const CreateTransfer& t) {
  if (t.ledger == 0) return Outcome::ledger_must_not_be_zero;
  if (t.code == 0) return Outcome::code_must_not_be_zero;
  const Account* a = s.find_account(t.debit_account_id);
  if (a == nullptr || a->outcome != Outcome::created) return Outcome::debit_account_not_found;
  if (a->ledger != t.ledger) return Outcome::transfer_must_have_the_same_ledger_as_accounts;
  if ((a->flags & account_flags::closed) != 0) return Outcome::debit_account_already_closed;
  const u128 amount = t.amount.value();
  const Balances& b = a->balances;
  if (!checked_add(b.debits_pending, amount)) return Outcome::overflows_debits_pending;
  const auto debits = checked_add(b.debits_pending + b.debits_posted, amount);
  if (!checked_add(b.debits_pending, b.debits_posted) || !debits) return Outcome::overflows_debits;
  if ((a->flags & account_flags::debits_must_not_exceed_credits) != 0 && *debits > b.credits_posted) {
    return Outcome::exceeds_credits;
  }
  const Partition dst = partition_of(t.credit_account_id, s.partition_count());
  const Account* transit = s.find_account(transit_account(s.partition(), dst, t.ledger, s.partition_count()));
  if (transit != nullptr && !checked_add(transit->balances.credits_pending, amount)) {
    return Outcome::overflows_credits_pending;
  }
  return Outcome::created;
}

Outcome check_credit_side(const PartitionState& s, const SagaCredit& c) {
  const Account* b = s.find_account(c.credit_account_id);
  if (b == nullptr || b->outcome != Outcome::created) return Outcome::credit_account_not_found;
  if (b->ledger != c.ledger) return Outcome::accounts_must_have_the_same_ledger;
  if ((b->flags & account_flags::closed) != 0) return Outcome::credit_account_already_closed;
  if (s.find_transfer(c.saga_id) != nullptr) return Outcome::exists;  // the id is taken here
  const u128 amount = c.amount.value();
  const Balances& x = b->balances;
  if (!checked_add(x.credits_posted, amount)) return Outcome::overflows_credits_posted;
  const auto credits = checked_add(x.credits_pending + x.credits_posted, amount);
  if (!checked_add(x.credits_pending, x.credits_posted) || !credits) return Outcome::overflows_credits;
  if ((b->flags & account_flags::credits_must_not_exceed_debits) != 0 && *credits > x.debits_posted) {
    return Outcome::exceeds_debits;
  }
  const Account* transit =
      s.find_account(transit_account(s.partition(), c.source_partition, c.ledger, s.partition_count()));
  if (transit != nullptr && !checked_add(transit->balances.debits_posted, amount)) {
    return Outcome::overflows_debits_posted;
  }
  return Outcome::created;
}

SagaCredit credit_leg(const Transfer& t, Partition source) {
  return SagaCredit{t.id,          t.debit_account_id, t.credit_account_id, t.amount, t.user_data_128,
                    t.user_data_64, t.user_data_32,     t.ledger,            source,   t.code};
}

Timer deadline_timer(const Saga& saga, AccountId routing) {
  return Timer{saga.deadline, TimerKind::saga_deadline, saga.id.value(), routing};
}

// Sends the destination's decision back to the source partition. Replies
// route by an account of the source: the debit account when known, else the
// source's transit account (any account of that partition routes alike).
void reply(PartitionState& s, TransferId saga, AccountId routing, Partition source, Outcome result) {
  s.add_outbox(source, SagaReply{saga, routing, s.partition(), static_cast<uint16_t>(result)});
}

}  // namespace

uint64_t SagaSchedule::interval_ns(TransferId saga, uint32_t attempt) { return saga_interval_ns(saga, attempt); }

Outcome SagaCoordinator::begin_cross_partition(PartitionState& s, const CreateTransfer& t,
                                               Timestamp ts) {
  Transfer rec = transfer_record(t, ts, check_debit_side(s, t));
  rec.kind = TransferKind::saga_source;
  s.insert_transfer(rec);
  if (rec.outcome != Outcome::created) return rec.outcome;

  const Partition dst = partition_of(t.credit_account_id, s.partition_count());
  const AccountId transit = ensure_transit(s, dst, t.ledger, ts);
  assert(transit != t.debit_account_id);  // user ids are never in the reserved range
  // check_debit_side ruled out both overflows (a new transit starts at 0).
  const u128 amount = t.amount.value();
  Balances& a = s.mutable_account(t.debit_account_id).balances;
  a.debits_pending = add_checked(a.debits_pending, amount);
  Balances& x = s.mutable_account(transit).balances;
  x.credits_pending = add_checked(x.credits_pending, amount);
  note_history(s, t.debit_account_id, ts, t.id);
  note_history(s, transit, ts, t.id);

  // The saga as its reservation alone says it (model.h started_saga): the
  // store keeps no 'S' key until the saga changes.
  const std::optional<Saga> started = started_saga(rec, s.partition_count());
  assert(started && started->source == s.partition() && started->destination == dst &&
         started->started == ts);
  const Saga& saga = *started;
  assert(s.find_saga(t.id) == nullptr);  // the id was free: its record was just inserted
  s.insert_saga(saga);
  s.set_timer(deadline_timer(saga, t.debit_account_id));
  s.add_outbox(dst, credit_leg(rec, s.partition()));
  return Outcome::created;
}

Outcome SagaCoordinator::apply_saga_command(PartitionState& s, const Command& c, Timestamp ts) {
  if (auto* x = std::get_if<SagaCredit>(&c)) return on_credit(s, *x, ts);
  if (auto* x = std::get_if<SagaReply>(&c)) return on_reply(s, *x, ts);
  if (auto* x = std::get_if<SagaCancel>(&c)) return on_cancel(s, *x, ts);
  if (auto* x = std::get_if<SagaTimeout>(&c)) return on_timeout(s, *x, ts);
  return Outcome::saga_not_found;
}

Outcome SagaCoordinator::on_credit(PartitionState& s, const SagaCredit& c, Timestamp ts) {
  if (!s.owns(c.credit_account_id)) return Outcome::wrong_partition;
  if (const SagaLeg* leg = s.find_leg(c.source_partition, c.saga_id)) {
    reply(s, c.saga_id, c.debit_account_id, c.source_partition, leg->result);
    return Outcome::exists;
  }
  const Outcome o = check_credit_side(s, c);
  if (o == Outcome::created) {
    const AccountId transit = ensure_transit(s, c.source_partition, c.ledger, ts);
    assert(transit != c.credit_account_id);  // user ids are never in the reserved range
    // check_credit_side ruled out both overflows (a new transit starts at 0).
    const u128 amount = c.amount.value();
    Balances& x = s.mutable_account(transit).balances;
    const u128 transit_before = x.debits_posted;
    x.debits_posted = add_checked(x.debits_posted, amount);
    Balances& b = s.mutable_account(c.credit_account_id).balances;
    b.credits_posted = add_checked(b.credits_posted, amount);
    assert(s.find_account(transit)->balances.debits_posted - transit_before == amount);
    Transfer t;
    t.id = c.saga_id;
    t.debit_account_id = transit;
    t.credit_account_id = t.requested_credit_account_id = c.credit_account_id;
    t.amount = t.requested_amount = c.amount;
    t.user_data_128 = c.user_data_128;
    t.user_data_64 = c.user_data_64;
    t.user_data_32 = c.user_data_32;
    t.ledger = t.requested_ledger = c.ledger;
    t.code = t.requested_code = c.code;
    t.timestamp = ts;
    t.kind = TransferKind::saga_credit;
    s.insert_transfer(t);
    note_history(s, c.credit_account_id, ts, c.saga_id);
    note_history(s, transit, ts, c.saga_id);
  }
  s.insert_leg(SagaLeg{c.saga_id, c.source_partition,
                       o == Outcome::created ? LegDecision::credited : LegDecision::rejected, o, ts});
  reply(s, c.saga_id, c.debit_account_id, c.source_partition, o);
  return o;
}

Outcome SagaCoordinator::on_cancel(PartitionState& s, const SagaCancel& c, Timestamp ts) {
  if (!s.owns(c.credit_account_id)) return Outcome::wrong_partition;
  const AccountId routing = transit_account(c.source_partition, s.partition(), 0, s.partition_count());
  if (const SagaLeg* leg = s.find_leg(c.source_partition, c.saga_id)) {
    reply(s, c.saga_id, routing, c.source_partition, leg->result);
    return leg->decision == LegDecision::credited ? Outcome::saga_credit_applied : Outcome::exists;
  }
  s.insert_leg(SagaLeg{c.saga_id, c.source_partition, LegDecision::cancelled, Outcome::saga_cancelled, ts});
  reply(s, c.saga_id, routing, c.source_partition, Outcome::saga_cancelled);
  return Outcome::saga_cancelled;
}

Outcome SagaCoordinator::on_reply(PartitionState& s, const SagaReply& r, Timestamp ts) {
  if (!s.owns(r.debit_account_id)) return Outcome::wrong_partition;
  const Saga* saga = s.find_saga(r.saga_id);
  const Transfer* t = s.find_transfer(r.saga_id);
  if (saga == nullptr || t == nullptr || saga->destination != r.from_partition) {
    return Outcome::saga_not_found;
  }
  if (saga->state != SagaState::in_flight) return Outcome::saga_already_settled;
  const u128 amount = t->amount.value();
  const AccountId debit = t->debit_account_id;
  const AccountId transit = ensure_transit(s, saga->destination, t->ledger, ts);
  const bool credited = r.result == static_cast<uint16_t>(Outcome::created);
  assert(t->kind == TransferKind::saga_source && t->outcome == Outcome::created);
  // An in-flight saga still holds its reservation on both accounts. Posting
  // cannot overflow: the debit account's pending + posted was bounded when
  // the reservation was made, and the transit's credits_posted never passes
  // the destination transit's debits_posted, bounded by check_credit_side.
  Balances& a = s.mutable_account(debit).balances;
  a.debits_pending = sub_checked(a.debits_pending, amount);
  if (credited) a.debits_posted = add_checked(a.debits_posted, amount);
  Balances& x = s.mutable_account(transit).balances;
  x.credits_pending = sub_checked(x.credits_pending, amount);
  if (credited) x.credits_posted = add_checked(x.credits_posted, amount);
  Saga& m = s.mutable_saga(r.saga_id);
  assert(m.state == SagaState::in_flight);  // a saga settles once, from in_flight
  s.clear_timer(deadline_timer(m, debit));
  m.state = credited ? SagaState::completed : SagaState::compensated;
  m.settled = ts;
  m.result = outcome_known(r.result) ? static_cast<Outcome>(r.result) : Outcome::saga_cancelled;
  note_history(s, debit, ts, r.saga_id);
  note_history(s, transit, ts, r.saga_id);
  return credited ? Outcome::saga_completed : Outcome::saga_compensated;
}

Outcome SagaCoordinator::on_timeout(PartitionState& s, const SagaTimeout& t, Timestamp ts) {
  if (!s.owns(t.debit_account_id)) return Outcome::wrong_partition;
  const Saga* saga = s.find_saga(t.saga_id);
  const Transfer* rec = s.find_transfer(t.saga_id);
  if (saga == nullptr || rec == nullptr) return Outcome::saga_not_found;
  if (saga->state != SagaState::in_flight) return Outcome::saga_already_settled;
  if (ts < saga->deadline) return Outcome::not_yet_due;
  Saga& m = s.mutable_saga(t.saga_id);
  assert(m.state == SagaState::in_flight && m.attempts >= 1);
  s.clear_timer(deadline_timer(m, rec->debit_account_id));
  m.attempts++;
  if (m.attempts <= SagaSchedule::kCreditAttempts && !m.cancel_sent) {
    s.add_outbox(m.destination, credit_leg(*rec, s.partition()));
  } else {
    m.cancel_sent = true;
    s.add_outbox(m.destination, SagaCancel{m.id, rec->credit_account_id, s.partition()});
  }
  m.deadline = saga_deadline(m.id, ts, m.attempts);
  s.set_timer(deadline_timer(m, rec->debit_account_id));
  return Outcome::created;
}

}  // namespace tally
