// create_transfer: single-phase and pending transfers, balancing and closing
// (docs/outcomes.md, "create_transfer"). Posts and voids are in
// ledger_pending.cc; the id, partition and idempotency checks for both are
// here.
#include <algorithm>
#include <cassert>

#include "projections/ledger_internal.h"

namespace tally::ledger_detail {
namespace {

constexpr uint16_t kBalancing = transfer_flags::balancing_debit | transfer_flags::balancing_credit;
constexpr uint16_t kClosing = transfer_flags::closing_debit | transfer_flags::closing_credit;
constexpr uint64_t kNsPerSecond = 1'000'000'000;
// Deadlines stay below 2^63 ns so they fit every signed 64-bit time type.
constexpr uint64_t kTimestampLimit = uint64_t{1} << 63;

// Checks that need no state, in precedence order.
Outcome validate_fields(const CreateTransfer& c) {
  if (c.debit_account_id.is_zero()) return Outcome::debit_account_id_must_not_be_zero;
  if (c.debit_account_id.is_max()) return Outcome::debit_account_id_must_not_be_int_max;
  if (c.credit_account_id.is_zero()) return Outcome::credit_account_id_must_not_be_zero;
  if (c.credit_account_id.is_max()) return Outcome::credit_account_id_must_not_be_int_max;
  if (c.debit_account_id == c.credit_account_id) return Outcome::accounts_must_be_different;
  if (in_reserved_range(c.debit_account_id) || in_reserved_range(c.credit_account_id)) {
    return Outcome::transit_account_reserved;
  }
  if (!c.pending_id.is_zero()) return Outcome::pending_id_must_be_zero;
  if ((c.flags & transfer_flags::pending) == 0) {
    if (c.timeout_seconds != 0) return Outcome::timeout_reserved_for_pending_transfer;
    if ((c.flags & kClosing) != 0) return Outcome::closing_transfer_must_be_pending;
  }
  if (c.ledger == 0) return Outcome::ledger_must_not_be_zero;
  if (c.code == 0) return Outcome::code_must_not_be_zero;
  return Outcome::created;
}

// What may move: the requested amount, less for a balancing transfer so
// that the debit (credit) account's debits (credits) do not pass its
// credits (debits) posted, whatever its limit flags.
u128 movable_amount(const CreateTransfer& c, const Account& dr, const Account& cr) {
  u128 amount = c.amount.value();
  if ((c.flags & transfer_flags::balancing_debit) != 0) {
    const u128 used = add_checked(dr.balances.debits_posted, dr.balances.debits_pending);
    const u128 room = dr.balances.credits_posted > used ? dr.balances.credits_posted - used : 0;
    amount = std::min(amount, room);
  }
  if ((c.flags & transfer_flags::balancing_credit) != 0) {
    const u128 used = add_checked(cr.balances.credits_posted, cr.balances.credits_pending);
    const u128 room = cr.balances.debits_posted > used ? cr.balances.debits_posted - used : 0;
    amount = std::min(amount, room);
  }
  return amount;
}

bool overflows(u128 a, u128 b) { return !checked_add(a, b).has_value(); }

// Overflow and limit checks on the amount that would move, in precedence
// order. pending + posted never overflows for any account (checked here
// before every increase), so those sums are safe.
Outcome check_balances(const CreateTransfer& c, u128 amount, const Account& dr_account,
                       const Account& cr_account, Timestamp ts) {
  const Balances& dr = dr_account.balances;
  const Balances& cr = cr_account.balances;
  const bool pending = (c.flags & transfer_flags::pending) != 0;
  if (pending && overflows(dr.debits_pending, amount)) return Outcome::overflows_debits_pending;
  if (pending && overflows(cr.credits_pending, amount)) return Outcome::overflows_credits_pending;
  if (overflows(dr.debits_posted, amount)) return Outcome::overflows_debits_posted;
  if (overflows(cr.credits_posted, amount)) return Outcome::overflows_credits_posted;
  const u128 dr_total = add_checked(dr.debits_pending, dr.debits_posted);
  const u128 cr_total = add_checked(cr.credits_pending, cr.credits_posted);
  if (overflows(dr_total, amount)) return Outcome::overflows_debits;
  if (overflows(cr_total, amount)) return Outcome::overflows_credits;
  const uint64_t timeout_ns = uint64_t{c.timeout_seconds} * kNsPerSecond;  // < 2^63
  if (timeout_ns != 0 && ts.ns >= kTimestampLimit - timeout_ns) return Outcome::overflows_timeout;
  if ((dr_account.flags & account_flags::debits_must_not_exceed_credits) != 0 &&
      dr_total + amount > dr.credits_posted) {
    return Outcome::exceeds_credits;
  }
  if ((cr_account.flags & account_flags::credits_must_not_exceed_debits) != 0 &&
      cr_total + amount > cr.debits_posted) {
    return Outcome::exceeds_debits;
  }
  return Outcome::created;
}

// Moves `amount` (reserves it, for a pending transfer), closes accounts for
// a closing transfer, records the transfer, its history and its timer.
void apply_transfer(const Context& ctx, const CreateTransfer& c, u128 amount) {
  const bool pending = (c.flags & transfer_flags::pending) != 0;
  assert(c.debit_account_id != c.credit_account_id);  // validate_fields
  Account& dr = ctx.state.mutable_account(c.debit_account_id);
  const u128 dr_before = debits_total(dr.balances);
  if (pending) {
    dr.balances.debits_pending = add_checked(dr.balances.debits_pending, amount);
  } else {
    dr.balances.debits_posted = add_checked(dr.balances.debits_posted, amount);
  }
  if ((c.flags & transfer_flags::closing_debit) != 0) dr.flags |= account_flags::closed;
  Account& cr = ctx.state.mutable_account(c.credit_account_id);
  const u128 cr_before = credits_total(cr.balances);
  if (pending) {
    cr.balances.credits_pending = add_checked(cr.balances.credits_pending, amount);
  } else {
    cr.balances.credits_posted = add_checked(cr.balances.credits_posted, amount);
  }
  if ((c.flags & transfer_flags::closing_credit) != 0) cr.flags |= account_flags::closed;
  // Double entry: the debit side moved exactly what the credit side did.
  assert(debits_total(dr.balances) - dr_before == amount);
  assert(credits_total(cr.balances) - cr_before == amount);

  Transfer t = transfer_record(c, ctx.timestamp, Outcome::created);
  t.amount = Amount(amount);
  t.state = pending ? PendingState::pending : PendingState::none;
  if (c.timeout_seconds != 0) {
    t.expires_at = Timestamp{ctx.timestamp.ns + uint64_t{c.timeout_seconds} * kNsPerSecond};
    ctx.state.set_timer(expiry_timer(t));
  }
  ctx.state.insert_transfer(t);
  add_history(ctx.state, dr, ctx.timestamp, c.id);
  add_history(ctx.state, cr, ctx.timestamp, c.id);
}

// A single-phase or pending transfer with a valid, owned, free id.
// Records nothing on rejection (the caller does).
Outcome single_or_pending(const Context& ctx, const CreateTransfer& c) {
  const Account* dr = live_account(ctx.state, c.debit_account_id);
  if (dr == nullptr) return Outcome::debit_account_not_found;
  const Account* cr = live_account(ctx.state, c.credit_account_id);
  if (cr == nullptr) return Outcome::credit_account_not_found;
  if (dr->ledger != cr->ledger) return Outcome::accounts_must_have_the_same_ledger;
  if (c.ledger != dr->ledger) return Outcome::transfer_must_have_the_same_ledger_as_accounts;
  if ((dr->flags & account_flags::closed) != 0) return Outcome::debit_account_already_closed;
  if ((cr->flags & account_flags::closed) != 0) return Outcome::credit_account_already_closed;
  const u128 amount = movable_amount(c, *dr, *cr);
  assert(amount <= c.amount.value());  // a balancing transfer moves less, never more
  const Outcome o = check_balances(c, amount, *dr, *cr, ctx.timestamp);
  if (o != Outcome::created) return o;
  apply_transfer(ctx, c, amount);
  return Outcome::created;
}

}  // namespace

Outcome create_transfer(const Context& ctx, const CreateTransfer& c) {
  // Not recorded: there is no usable id in this partition.
  if (c.id.is_zero()) return Outcome::id_must_not_be_zero;
  if (c.id.is_max()) return Outcome::id_must_not_be_int_max;
  if (!ctx.state.owns(c.debit_account_id)) return Outcome::wrong_partition;

  if (const Transfer* existing = ctx.state.find_transfer(c.id)) {
    return transfer_exists(ctx.state, c, *existing);
  }
  // Not recorded either: the id belongs to another partition, which alone may
  // record it (docs/design.md "One transfer id, one partition"). Checked after
  // the lookup so that a re-send of an id created before the rule is `exists`.
  if (!ctx.state.owns_transfer_id(c.id, c.debit_account_id)) {
    return Outcome::id_must_route_to_debit_account_partition;
  }

  Outcome o = Outcome::created;
  if ((c.flags & ~transfer_flags::all) != 0) {
    o = Outcome::reserved_flag;
  } else if (is_post_or_void(c.flags)) {
    o = post_or_void(ctx, c);
  } else {
    o = validate_fields(c);
    if (o == Outcome::created && !ctx.state.owns(c.credit_account_id)) {
      // The credit account lives in another partition: a saga, if it can be.
      if ((c.flags & (transfer_flags::pending | kBalancing | kClosing)) != 0) {
        o = Outcome::cross_partition_transfer_must_be_single_phase;
      } else if (ctx.in_chain) {
        return Outcome::linked_chain_spans_partitions;  // the chain fails: no record
      } else if (ctx.extension != nullptr) {
        // The extension records what it decides.
        return ctx.extension->begin_cross_partition(ctx.state, c, ctx.timestamp);
      } else {
        o = Outcome::credit_account_not_found;
      }
    } else if (o == Outcome::created) {
      o = single_or_pending(ctx, c);
    }
  }
  // A rejection is recorded too: it is final for this id.
  if (o != Outcome::created) record_rejected_transfer(ctx.state, c, ctx.timestamp, o);
  return o;
}

}  // namespace tally::ledger_detail
