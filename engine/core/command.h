// The ledger's commands as plain C++ values, decoded from (and encoded to)
// the wire schema engine/schema/tally.fbs. Every command names the account
// that routes it, so its partition is always computable (routing_account).
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/core/types.h"

namespace tally {

// Flag bits, frozen (the same values as the wire schema).
namespace account_flags {
inline constexpr uint16_t linked = 1u << 0;
inline constexpr uint16_t debits_must_not_exceed_credits = 1u << 1;
inline constexpr uint16_t credits_must_not_exceed_debits = 1u << 2;
inline constexpr uint16_t history = 1u << 3;
inline constexpr uint16_t closed = 1u << 5;
inline constexpr uint16_t all = linked | debits_must_not_exceed_credits |
                                credits_must_not_exceed_debits | history | closed;
}  // namespace account_flags

namespace transfer_flags {
inline constexpr uint16_t linked = 1u << 0;
inline constexpr uint16_t pending = 1u << 1;
inline constexpr uint16_t post_pending = 1u << 2;
inline constexpr uint16_t void_pending = 1u << 3;
inline constexpr uint16_t balancing_debit = 1u << 4;
inline constexpr uint16_t balancing_credit = 1u << 5;
inline constexpr uint16_t closing_debit = 1u << 6;
inline constexpr uint16_t closing_credit = 1u << 7;
inline constexpr uint16_t all = linked | pending | post_pending | void_pending | balancing_debit |
                                balancing_credit | closing_debit | closing_credit;
}  // namespace transfer_flags

// Flag names as they appear in JSON and docs; nullptr-terminated lists of
// {bit, name} pairs in bit order.
struct FlagName {
  uint16_t bit;
  std::string_view name;
};
extern const FlagName kAccountFlagNames[5];
extern const FlagName kTransferFlagNames[8];

struct CreateAccount {
  AccountId id;
  u128 user_data_128 = 0;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
  Ledger ledger = 0;
  Code code = 0;
  uint16_t flags = 0;
  uint32_t reserved = 0;
  bool operator==(const CreateAccount&) const = default;
};

// The fields a producer gives a transfer, in their one order (the wire's,
// engine/schema/tally.fbs, and the JSON's, engine/json). CreateTransfer is
// them; the projection's Transfer (projections/model.h) starts with them.
struct TransferFields {
  TransferId id;
  AccountId debit_account_id;
  AccountId credit_account_id;
  Amount amount;
  TransferId pending_id;
  u128 user_data_128 = 0;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
  uint32_t timeout_seconds = 0;
  Ledger ledger = 0;
  Code code = 0;
  uint16_t flags = 0;
  bool operator==(const TransferFields&) const = default;
};

// A transfer; also post_pending / void_pending of a pending transfer.
struct CreateTransfer : TransferFields {
  bool operator==(const CreateTransfer&) const = default;
};

struct ExpirePending {
  TransferId pending_id;
  AccountId debit_account_id;
  bool operator==(const ExpirePending&) const = default;
};

struct SagaCredit {
  TransferId saga_id;
  AccountId debit_account_id;
  AccountId credit_account_id;
  Amount amount;
  u128 user_data_128 = 0;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
  Ledger ledger = 0;
  Partition source_partition;
  Code code = 0;
  bool operator==(const SagaCredit&) const = default;
};

struct SagaReply {
  TransferId saga_id;
  AccountId debit_account_id;
  Partition from_partition;
  uint16_t result = 0;  // an outcome code; 0 = created
  bool operator==(const SagaReply&) const = default;
};

struct SagaCancel {
  TransferId saga_id;
  AccountId credit_account_id;
  Partition source_partition;
  bool operator==(const SagaCancel&) const = default;
};

struct SagaTimeout {
  TransferId saga_id;
  AccountId debit_account_id;
  bool operator==(const SagaTimeout&) const = default;
};

using Command = std::variant<CreateAccount, CreateTransfer, ExpirePending, SagaCredit, SagaReply,
                             SagaCancel, SagaTimeout>;

// The account whose partition a command belongs to.
AccountId routing_account(const Command& command);

// The id a command's outcome is recorded under (account or transfer id, or
// the pending/saga id it acts on), as a raw u128 for digests and logs.
u128 command_subject(const Command& command);

// "create_account", "create_transfer", "expire_pending", "saga_credit", ...
std::string_view command_type_name(const Command& command);

}  // namespace tally
