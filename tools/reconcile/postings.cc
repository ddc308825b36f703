// Recomputing balances from the recorded postings: every created Transfer
// record, and for cross-partition transfers their Saga record, read
// straight from the store. The rules, restated here on purpose rather than
// borrowed from the ledger's code:
//   single-phase, balancing, post_pending   posted, by `amount`
//   pending                                 pending while state = pending;
//                                           nothing once resolved (the post
//                                           carries what was posted)
//   void_pending                            nothing
//   saga_source (debit account, and the     by the saga: in flight pending,
//     transit account towards the           completed posted, compensated
//     destination)                          nothing
//   saga_credit (transit → credit account)  posted
// History entries expected per account: one per posting, and a second one
// where the same id resolves later (an expired pending transfer, a settled
// saga's reservation).
#include <algorithm>

#include "recovery/transit.h"
#include "tools/reconcile/checker.h"

namespace tally::reconcile::detail {

Status PartitionChecker::scan_transfers() {
  TALLY_RETURN_IF_ERROR(store_->scan("T", "U", false, 0, [&](std::string_view k, std::string_view v) {
    auto t = decode_transfer(v);
    if (!t.ok()) {
      unreadable(k, t.status());
      return true;
    }
    facts_->stats.transfers++;
    expect_index(kTransferIndexTag, *t);
    if (t->kind != TransferKind::saga_credit) facts_->producer_ids.push_back(t->id);
    posting(*t);
    return true;
  }).status());
  // Keys order the ids already; sort only should the key layout not.
  std::vector<TransferId>& ids = facts_->producer_ids;
  if (!std::is_sorted(ids.begin(), ids.end())) std::sort(ids.begin(), ids.end());
  return Status::Ok();
}

void PartitionChecker::posting(const Transfer& t) {
  if (t.outcome != Outcome::created) return;
  if (t.kind == TransferKind::saga_source) {
    saga_reservation(t);
    return;
  }
  if (t.kind == TransferKind::saga_credit) {
    touch(t, t.debit_account_id, true, Effect::posted, 1);
    touch(t, t.credit_account_id, false, Effect::posted, 1);
    facts_->credits.push_back(
        {t.id, transit_peer(t.debit_account_id, partition_, t.ledger, partition_count_), t.amount,
         t.timestamp, t.ledger});
    return;
  }
  Effect effect = Effect::posted;
  uint64_t entries = 1;
  if ((t.flags & transfer_flags::pending) != 0) {
    effect = t.state == PendingState::pending ? Effect::pending : Effect::none;
    if (t.state == PendingState::expired) entries = 2;
  } else if ((t.flags & transfer_flags::void_pending) != 0) {
    effect = Effect::none;
  }
  touch(t, t.debit_account_id, true, effect, entries);
  touch(t, t.credit_account_id, false, effect, entries);
}

void PartitionChecker::saga_reservation(const Transfer& t) {
  auto it = saga_index_.find(t.id);
  if (it == saga_index_.end()) {
    // No 'S' key: a saga as it began is its reservation (model.h started_saga).
    if (const std::optional<Saga> s = started_saga(t, partition_count_)) {
      it = add_saga(*s);
    }
  }
  if (it == saga_index_.end()) {
    report({.kind = "saga_mismatch",
            .subject = "transfer",
            .id = t.id.str(),
            .expected = "a saga record for the cross-partition transfer",
            .found = "none",
            .first_offset = offset_at(t.timestamp),
            .detail = "its reservation cannot be accounted for without the saga's state"});
    return;
  }
  SagaFacts& s = facts_->sagas[it->second];
  s.has_reservation = true;
  s.amount = t.amount;
  s.ledger = t.ledger;
  const AccountId transit = transit_account(partition_, s.destination, t.ledger, partition_count_);
  const Effect effect = s.state == SagaState::in_flight   ? Effect::pending
                        : s.state == SagaState::completed ? Effect::posted
                                                          : Effect::none;
  const uint64_t entries = s.state == SagaState::in_flight ? 1 : 2;
  touch(t, t.debit_account_id, true, effect, entries);
  touch(t, transit, false, effect, entries);
}

void PartitionChecker::touch(const Transfer& t, AccountId account, bool debit, Effect effect,
                             uint64_t entries) {
  auto it = accounts_.find(account);
  if (it == accounts_.end()) {
    report({.kind = "unknown_account",
            .subject = "transfer",
            .id = t.id.str(),
            .expected = "account " + account.str() + " stored",
            .found = "no such account",
            .first_offset = offset_at(t.timestamp),
            .detail = std::string("a created transfer's ") + (debit ? "debit" : "credit") +
                      " account is missing"});
    return;
  }
  AccountFacts& a = it->second;
  a.expected_history += entries;
  if (effect == Effect::none) return;
  Balances& b = a.recomputed;
  const bool pending = effect == Effect::pending;
  u128& field = debit ? (pending ? b.debits_pending : b.debits_posted)
                      : (pending ? b.credits_pending : b.credits_posted);
  const std::optional<u128> sum = checked_add(field, t.amount.value());
  if (!sum) a.overflow = true;
  field = sum.value_or(kU128Max);
}

}  // namespace tally::reconcile::detail
