// create_account: the rules for opening an account (docs/outcomes.md,
// "create_account").
#include "projections/ledger_internal.h"

namespace tally::ledger_detail {
namespace {

// Checks of a new id's fields, in precedence order; created if none fails.
Outcome validate_account(const CreateAccount& c) {
  if (c.reserved != 0) return Outcome::reserved_field;
  if ((c.flags & ~account_flags::all) != 0) return Outcome::reserved_flag;
  if ((c.flags & account_flags::debits_must_not_exceed_credits) != 0 &&
      (c.flags & account_flags::credits_must_not_exceed_debits) != 0) {
    return Outcome::flags_are_mutually_exclusive;
  }
  if (c.ledger == 0) return Outcome::ledger_must_not_be_zero;
  if (c.code == 0) return Outcome::code_must_not_be_zero;
  return Outcome::created;
}

}  // namespace

Outcome create_account(const Context& ctx, const CreateAccount& c) {
  // Not recorded: there is no usable id in this partition.
  if (c.id.is_zero()) return Outcome::id_must_not_be_zero;
  if (c.id.is_max()) return Outcome::id_must_not_be_int_max;
  if (in_reserved_range(c.id)) return Outcome::id_in_reserved_range;
  if (!ctx.state.owns(c.id)) return Outcome::wrong_partition;

  if (const Account* existing = ctx.state.find_account(c.id)) return account_exists(c, *existing);

  Account a;
  a.id = c.id;
  a.user_data_128 = c.user_data_128;
  a.user_data_64 = c.user_data_64;
  a.user_data_32 = c.user_data_32;
  a.ledger = c.ledger;
  a.code = c.code;
  a.flags = c.flags;
  a.timestamp = ctx.timestamp;
  // A rejection is recorded too: it is final for this id.
  a.outcome = validate_account(c);
  ctx.state.insert_account(a);
  return a.outcome;
}

}  // namespace tally::ledger_detail
