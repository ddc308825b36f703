// Outcomes: every command has exactly one (docs/design.md "Commands, outcomes and
// the rules"). Values are stored (per-offset outcome arrays, records, saga
// replies) and therefore frozen: never renumber, only append. Names are the
// public strings of JSON, the CLI and docs/outcomes.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tally {

#define TALLY_OUTCOMES(X)                                  \
  X(created, 0)                                            \
  X(exists, 1)                                             \
  X(linked_event_failed, 2)                                \
  X(linked_event_chain_open, 3)                            \
  X(wrong_partition, 4)                                    \
  X(reserved_flag, 5)                                      \
  X(reserved_field, 6)                                     \
  X(id_must_not_be_zero, 7)                                \
  X(id_must_not_be_int_max, 8)                             \
  X(id_in_reserved_range, 9)                               \
  X(flags_are_mutually_exclusive, 10)                      \
  X(ledger_must_not_be_zero, 11)                           \
  X(code_must_not_be_zero, 12)                             \
  X(exists_with_different_flags, 13)                       \
  X(exists_with_different_user_data_128, 14)               \
  X(exists_with_different_user_data_64, 15)                \
  X(exists_with_different_user_data_32, 16)                \
  X(exists_with_different_ledger, 17)                      \
  X(exists_with_different_code, 18)                        \
  X(exists_with_different_debit_account_id, 19)            \
  X(exists_with_different_credit_account_id, 20)           \
  X(exists_with_different_amount, 21)                      \
  X(exists_with_different_pending_id, 22)                  \
  X(exists_with_different_timeout, 23)                     \
  X(debit_account_id_must_not_be_zero, 24)                 \
  X(debit_account_id_must_not_be_int_max, 25)              \
  X(credit_account_id_must_not_be_zero, 26)                \
  X(credit_account_id_must_not_be_int_max, 27)             \
  X(accounts_must_be_different, 28)                        \
  X(pending_id_must_be_zero, 29)                           \
  X(pending_id_must_not_be_zero, 30)                       \
  X(pending_id_must_not_be_int_max, 31)                    \
  X(pending_id_must_be_different, 32)                      \
  X(timeout_reserved_for_pending_transfer, 33)             \
  X(closing_transfer_must_be_pending, 34)                  \
  X(debit_account_not_found, 35)                           \
  X(credit_account_not_found, 36)                          \
  X(accounts_must_have_the_same_ledger, 37)                \
  X(transfer_must_have_the_same_ledger_as_accounts, 38)    \
  X(pending_transfer_not_found, 39)                        \
  X(pending_transfer_not_pending, 40)                      \
  X(pending_transfer_has_different_debit_account_id, 41)   \
  X(pending_transfer_has_different_credit_account_id, 42)  \
  X(pending_transfer_has_different_ledger, 43)             \
  X(pending_transfer_has_different_code, 44)               \
  X(exceeds_pending_transfer_amount, 45)                   \
  X(pending_transfer_has_different_amount, 46)             \
  X(pending_transfer_already_posted, 47)                   \
  X(pending_transfer_already_voided, 48)                   \
  X(pending_transfer_expired, 49)                          \
  X(overflows_debits_pending, 50)                          \
  X(overflows_credits_pending, 51)                         \
  X(overflows_debits_posted, 52)                           \
  X(overflows_credits_posted, 53)                          \
  X(overflows_debits, 54)                                  \
  X(overflows_credits, 55)                                 \
  X(overflows_timeout, 56)                                 \
  X(exceeds_credits, 57)                                   \
  X(exceeds_debits, 58)                                    \
  X(debit_account_already_closed, 59)                      \
  X(credit_account_already_closed, 60)                     \
  X(transit_account_reserved, 61)                          \
  X(expired, 62)                                           \
  X(not_yet_due, 63)                                       \
  X(linked_chain_spans_partitions, 64)                     \
  X(cross_partition_transfer_must_be_single_phase, 65)     \
  X(saga_not_found, 66)                                    \
  X(saga_already_settled, 67)                              \
  X(saga_cancelled, 68)                                    \
  X(saga_credit_applied, 69)                               \
  X(saga_compensated, 70)                                  \
  X(saga_completed, 71)                                    \
  X(id_must_route_to_debit_account_partition, 72)

enum class Outcome : uint16_t {
#define TALLY_OUTCOME_ENUM(name, value) name = value,
  TALLY_OUTCOMES(TALLY_OUTCOME_ENUM)
#undef TALLY_OUTCOME_ENUM
};

// "created", "exceeds_credits", ...; "unknown_outcome_<n>" for a value this
// build does not know.
std::string_view outcome_name(Outcome outcome);
std::optional<Outcome> outcome_from_name(std::string_view name);
// Whether `value` is a known outcome (stored values are checked on read).
bool outcome_known(uint16_t value);

// created or exists: the command's effect is (or already was) in the books.
inline bool outcome_ok(Outcome o) { return o == Outcome::created || o == Outcome::exists; }

}  // namespace tally
