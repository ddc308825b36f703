// Idempotency: the answer to a command whose id already has a record.
//
// A record that is a rejection answers with that same rejection (it is final
// for the id). A created record is compared field by field in TigerBeetle's
// order; the first field that differs names the outcome, else `exists`.
#include "projections/ledger_internal.h"

namespace tally::ledger_detail {

Outcome account_exists(const CreateAccount& c, const Account& e) {
  if (e.outcome != Outcome::created) return e.outcome;
  // `closed` is state as well as a creation flag: a closing transfer may
  // have set it since. An account created closed stays closed, so a request
  // with `closed` differs from an open account; a request without it cannot
  // be told apart from a later close, and matches.
  uint16_t mask = static_cast<uint16_t>(~0u);
  if ((e.flags & account_flags::closed) != 0 && (c.flags & account_flags::closed) == 0) {
    mask = static_cast<uint16_t>(~account_flags::closed);
  }
  if ((c.flags & mask) != (e.flags & mask)) return Outcome::exists_with_different_flags;
  if (c.user_data_128 != e.user_data_128) return Outcome::exists_with_different_user_data_128;
  if (c.user_data_64 != e.user_data_64) return Outcome::exists_with_different_user_data_64;
  if (c.user_data_32 != e.user_data_32) return Outcome::exists_with_different_user_data_32;
  if (c.ledger != e.ledger) return Outcome::exists_with_different_ledger;
  if (c.code != e.code) return Outcome::exists_with_different_code;
  return Outcome::exists;
}

namespace {

// 0 in a post or void means "the pending transfer's value".
template <class T>
T inherit(T given, T pending) {
  return given == T{} ? pending : given;
}

// A post or void compared with the one recorded under its id, `p` being the
// pending transfer both refer to: each field is compared as resolved
// (0 inherits the pending's value; a post's amount 2^128 - 1 and a void's
// 0 or 2^128 - 1 mean the pending amount).
Outcome resolution_exists(const CreateTransfer& c, const Transfer& e, const Transfer& p) {
  if (c.debit_account_id != e.debit_account_id) {
    return Outcome::exists_with_different_debit_account_id;
  }
  if (inherit(c.credit_account_id, p.credit_account_id) != e.credit_account_id) {
    return Outcome::exists_with_different_credit_account_id;
  }
  u128 amount = c.amount.value();
  const bool full = (c.flags & transfer_flags::void_pending) != 0
                        ? (amount == 0 || amount == kU128Max)
                        : amount == kU128Max;
  if (full) amount = p.amount.value();
  if (amount != e.amount.value()) return Outcome::exists_with_different_amount;
  if (inherit(c.user_data_128, p.user_data_128) != e.user_data_128) {
    return Outcome::exists_with_different_user_data_128;
  }
  if (inherit(c.user_data_64, p.user_data_64) != e.user_data_64) {
    return Outcome::exists_with_different_user_data_64;
  }
  if (inherit(c.user_data_32, p.user_data_32) != e.user_data_32) {
    return Outcome::exists_with_different_user_data_32;
  }
  if (inherit(c.ledger, p.ledger) != e.ledger) return Outcome::exists_with_different_ledger;
  if (inherit(c.code, p.code) != e.code) return Outcome::exists_with_different_code;
  return Outcome::exists;
}

// Any other transfer: compared with the fields as they were submitted (a
// balancing transfer's amount is the requested one, not the amount moved).
Outcome submitted_exists(const CreateTransfer& c, const Transfer& e) {
  if (c.debit_account_id != e.debit_account_id) {
    return Outcome::exists_with_different_debit_account_id;
  }
  if (c.credit_account_id != e.requested_credit_account_id) {
    return Outcome::exists_with_different_credit_account_id;
  }
  if (c.amount != e.requested_amount) return Outcome::exists_with_different_amount;
  if (c.user_data_128 != e.user_data_128) return Outcome::exists_with_different_user_data_128;
  if (c.user_data_64 != e.user_data_64) return Outcome::exists_with_different_user_data_64;
  if (c.user_data_32 != e.user_data_32) return Outcome::exists_with_different_user_data_32;
  if (c.ledger != e.requested_ledger) return Outcome::exists_with_different_ledger;
  if (c.code != e.requested_code) return Outcome::exists_with_different_code;
  return Outcome::exists;
}

}  // namespace

Outcome transfer_exists(const PartitionState& state, const CreateTransfer& c, const Transfer& e) {
  if (e.outcome != Outcome::created) return e.outcome;
  // The flags change what the other fields mean: compare them first.
  if (c.flags != e.flags) return Outcome::exists_with_different_flags;
  if (c.pending_id != e.pending_id) return Outcome::exists_with_different_pending_id;
  if (c.timeout_seconds != e.timeout_seconds) return Outcome::exists_with_different_timeout;
  if (is_post_or_void(c.flags)) {
    // The pending transfer a created post or void resolved is always there
    // (prefetched as this command's pending_id).
    if (const Transfer* p = state.find_transfer(c.pending_id)) return resolution_exists(c, e, *p);
  }
  return submitted_exists(c, e);
}

}  // namespace tally::ledger_detail
