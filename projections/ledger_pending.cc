// Two-phase transfers: post_pending, void_pending and expire_pending
// (docs/outcomes.md, "post and void", "expire_pending").
#include <cassert>

#include "projections/ledger_internal.h"

namespace tally::ledger_detail {
namespace {

constexpr uint16_t kNotWithResolution =
    transfer_flags::pending | transfer_flags::balancing_debit | transfer_flags::balancing_credit |
    transfer_flags::closing_debit | transfer_flags::closing_credit;

// Whether the pending transfer `p` is still unresolved, else its code.
Outcome still_pending(const Transfer& p) {
  switch (p.state) {
    case PendingState::pending:
      return Outcome::created;
    case PendingState::posted:
      return Outcome::pending_transfer_already_posted;
    case PendingState::voided:
      return Outcome::pending_transfer_already_voided;
    case PendingState::expired:
      return Outcome::pending_transfer_expired;
    case PendingState::none:
      break;
  }
  return Outcome::pending_transfer_not_pending;
}

// The pending transfer `id`, or the code that says why there is none. A
// pending transfer is one with a pending state: the user's, with the
// `pending` flag, and the saga extension's reservations, whatever their
// flags.
Outcome find_pending(const PartitionState& state, TransferId id, const Transfer** out) {
  const Transfer* p = live_transfer(state, id);
  if (p == nullptr) return Outcome::pending_transfer_not_found;
  if (p->state == PendingState::none) return Outcome::pending_transfer_not_pending;
  *out = p;
  return Outcome::created;
}

// Checks of a post or void against its pending transfer `p`, in precedence
// order; on success `amount` is what posts (0 for a void).
Outcome check_resolution(const Context& ctx, const CreateTransfer& c, const Transfer& p,
                         u128& amount) {
  const bool post = (c.flags & transfer_flags::post_pending) != 0;
  if (c.debit_account_id != p.debit_account_id) {
    return Outcome::pending_transfer_has_different_debit_account_id;
  }
  if (!c.credit_account_id.is_zero() && c.credit_account_id != p.credit_account_id) {
    return Outcome::pending_transfer_has_different_credit_account_id;
  }
  if (c.ledger != 0 && c.ledger != p.ledger) return Outcome::pending_transfer_has_different_ledger;
  if (c.code != 0 && c.code != p.code) return Outcome::pending_transfer_has_different_code;
  const u128 given = c.amount.value();
  if (post) {
    amount = given == kU128Max ? p.amount.value() : given;
    if (amount > p.amount.value()) return Outcome::exceeds_pending_transfer_amount;
  } else {
    amount = 0;
    if (given != 0 && given != kU128Max && given != p.amount.value()) {
      return Outcome::pending_transfer_has_different_amount;
    }
  }
  if (const Outcome o = still_pending(p); o != Outcome::created) return o;
  // Log order decides: at or past the deadline the transfer can only expire.
  if (p.expires_at.ns != 0 && ctx.timestamp >= p.expires_at) return Outcome::pending_transfer_expired;
  // A closed account still lets its reservations be voided (or expire).
  if (post) {
    const Account* dr = ctx.state.find_account(p.debit_account_id);
    const Account* cr = ctx.state.find_account(p.credit_account_id);
    assert(dr != nullptr && cr != nullptr);
    if ((dr->flags & account_flags::closed) != 0) return Outcome::debit_account_already_closed;
    if ((cr->flags & account_flags::closed) != 0) return Outcome::credit_account_already_closed;
  }
  return Outcome::created;
}

// Releases the reservation of the pending transfer `id`, posts `posted` of
// it, ends its timer, reopens the accounts it closed (unless posted, which a
// closing transfer never is) and moves it to `final_state`. Adds the history
// of both accounts under `cause` (the post or void, or the pending transfer
// itself for an expiry).
void resolve(const Context& ctx, TransferId id, u128 posted, PendingState final_state,
             TransferId cause) {
  Transfer& p = ctx.state.mutable_transfer(id);
  assert(p.state == PendingState::pending && posted <= p.amount.value());
  p.state = final_state;
  if (p.expires_at.ns != 0) ctx.state.clear_timer(expiry_timer(p));
  const u128 reserved = p.amount.value();
  const bool reopen = final_state != PendingState::posted;

  Account& dr = ctx.state.mutable_account(p.debit_account_id);
  const u128 dr_before = debits_total(dr.balances);
  dr.balances.debits_pending = sub_checked(dr.balances.debits_pending, reserved);
  dr.balances.debits_posted = add_checked(dr.balances.debits_posted, posted);
  if (reopen && (p.flags & transfer_flags::closing_debit) != 0) dr.flags &= ~account_flags::closed;
  Account& cr = ctx.state.mutable_account(p.credit_account_id);
  const u128 cr_before = credits_total(cr.balances);
  cr.balances.credits_pending = sub_checked(cr.balances.credits_pending, reserved);
  cr.balances.credits_posted = add_checked(cr.balances.credits_posted, posted);
  if (reopen && (p.flags & transfer_flags::closing_credit) != 0) cr.flags &= ~account_flags::closed;
  // Both sides give back the same unposted part of the reservation.
  assert(dr_before - debits_total(dr.balances) == reserved - posted);
  assert(cr_before - credits_total(cr.balances) == reserved - posted);

  add_history(ctx.state, dr, ctx.timestamp, cause);
  add_history(ctx.state, cr, ctx.timestamp, cause);
}

}  // namespace

Outcome post_or_void(const Context& ctx, const CreateTransfer& c) {
  const bool post = (c.flags & transfer_flags::post_pending) != 0;
  if ((post && (c.flags & transfer_flags::void_pending) != 0) ||
      (c.flags & kNotWithResolution) != 0) {
    return Outcome::flags_are_mutually_exclusive;
  }
  if (c.pending_id.is_zero()) return Outcome::pending_id_must_not_be_zero;
  if (c.pending_id.is_max()) return Outcome::pending_id_must_not_be_int_max;
  if (c.pending_id == c.id) return Outcome::pending_id_must_be_different;
  if (c.timeout_seconds != 0) return Outcome::timeout_reserved_for_pending_transfer;
  // Only the saga extension resolves its own reservations.
  const Transfer* live = live_transfer(ctx.state, c.pending_id);
  if (live != nullptr && live->kind != TransferKind::user) return Outcome::transit_account_reserved;
  const Transfer* p = nullptr;
  if (const Outcome o = find_pending(ctx.state, c.pending_id, &p); o != Outcome::created) return o;
  u128 amount = 0;
  if (const Outcome o = check_resolution(ctx, c, *p, amount); o != Outcome::created) return o;
  assert(p->state == PendingState::pending && amount <= p->amount.value());

  // The record of the post or void: the pending transfer's accounts, ledger
  // and code; user data given, or inherited where 0.
  Transfer t;
  t.id = c.id;
  t.debit_account_id = p->debit_account_id;
  t.credit_account_id = p->credit_account_id;
  t.amount = Amount(post ? amount : p->amount.value());
  t.pending_id = c.pending_id;
  t.user_data_128 = c.user_data_128 != 0 ? c.user_data_128 : p->user_data_128;
  t.user_data_64 = c.user_data_64 != 0 ? c.user_data_64 : p->user_data_64;
  t.user_data_32 = c.user_data_32 != 0 ? c.user_data_32 : p->user_data_32;
  t.ledger = p->ledger;
  t.code = p->code;
  t.flags = c.flags;
  t.timestamp = ctx.timestamp;
  t.requested_amount = c.amount;
  t.requested_credit_account_id = c.credit_account_id;
  t.requested_ledger = c.ledger;
  t.requested_code = c.code;
  ctx.state.insert_transfer(t);
  resolve(ctx, c.pending_id, amount, post ? PendingState::posted : PendingState::voided, c.id);
  return Outcome::created;
}

Outcome expire_pending(const Context& ctx, const ExpirePending& e) {
  if (!ctx.state.owns(e.debit_account_id)) return Outcome::wrong_partition;
  const Transfer* p = nullptr;
  if (const Outcome o = find_pending(ctx.state, e.pending_id, &p); o != Outcome::created) return o;
  if (e.debit_account_id != p->debit_account_id) {
    return Outcome::pending_transfer_has_different_debit_account_id;
  }
  if (const Outcome o = still_pending(*p); o != Outcome::created) return o;
  if (p->expires_at.ns == 0 || ctx.timestamp < p->expires_at) return Outcome::not_yet_due;
  resolve(ctx, e.pending_id, 0, PendingState::expired, e.pending_id);
  return Outcome::expired;
}

}  // namespace tally::ledger_detail
