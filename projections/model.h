// The ledger's records: accounts, transfers, sagas and timers as the
// projection keeps them (in memory and, through projections/records.h, in
// RocksDB). Plain values; no behaviour beyond small predicates.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/core/command.h"
#include "engine/core/types.h"
#include "projections/outcome.h"

namespace tally {

// Account ids whose upper 64 bits are at or above this are reserved for
// system accounts (saga transit accounts); users cannot create them or name
// them in transfers.
inline constexpr uint64_t kReservedAccountHi = 0xFFFF'FFFF'0000'0000ull;
inline bool in_reserved_range(AccountId id) { return id.hi() >= kReservedAccountHi; }

struct Balances {
  u128 debits_pending = 0;
  u128 debits_posted = 0;
  u128 credits_pending = 0;
  u128 credits_posted = 0;
  bool operator==(const Balances&) const = default;
};

struct Account {
  AccountId id;
  Balances balances;
  u128 user_data_128 = 0;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
  Ledger ledger = 0;
  Code code = 0;
  uint16_t flags = 0;  // account_flags; `closed` changes with closing transfers
  Timestamp timestamp;  // when the command that created (or rejected) it applied
  // created, or the rejection recorded as final for this id. Only created
  // accounts exist for transfers.
  Outcome outcome = Outcome::created;
  bool operator==(const Account&) const = default;
};

// The life of a pending transfer (flags has `pending`). Frozen values.
enum class PendingState : uint8_t {
  none = 0,     // not a pending transfer
  pending = 1,  // reserved, unresolved
  posted = 2,
  voided = 3,
  expired = 4,
};

// What made a transfer. Frozen values.
enum class TransferKind : uint8_t {
  user = 0,         // a producer's create_transfer in one partition
  saga_source = 1,  // a producer's cross-partition transfer: the debit side (P1)
  saga_credit = 2,  // the credit leg a saga applied in the destination (P2)
};

// The effective fields first: `amount` is the amount that moved (balancing
// transfers: at most the requested amount; posts: the amount posted);
// `flags` the transfer_flags as submitted.
struct Transfer : TransferFields {
  Timestamp timestamp;
  Outcome outcome = Outcome::created;  // created, or the final rejection
  // The command's fields as submitted, where they may differ from the
  // effective ones above (idempotency compares against these).
  Amount requested_amount;
  AccountId requested_credit_account_id;
  Ledger requested_ledger = 0;
  Code requested_code = 0;
  PendingState state = PendingState::none;
  Timestamp expires_at;  // pending with a timeout: timestamp + timeout; else 0
  TransferKind kind = TransferKind::user;
  bool operator==(const Transfer&) const = default;
};

// The record of a create_transfer as submitted, applied at `timestamp` with
// `outcome`: the effective fields equal the requested ones, state none and
// kind user; callers adjust what applying changed (amount moved, state,
// expiry, kind).
Transfer transfer_record(const CreateTransfer& command, Timestamp timestamp, Outcome outcome);

// Saga state kept in the source partition (the debit side). Frozen values.
enum class SagaState : uint8_t {
  in_flight = 1,    // reserved in the source; waiting for the destination's reply
  completed = 2,    // the destination credited; the reservation was posted
  compensated = 3,  // the destination rejected or cancelled; the reservation was voided
};

struct Saga {
  TransferId id;  // the producer's transfer id
  Partition source;
  Partition destination;
  SagaState state = SagaState::in_flight;
  Timestamp started;
  Timestamp settled;        // 0 while in flight
  Outcome result = Outcome::created;  // the destination's decision once settled
  uint32_t attempts = 0;    // credit-leg sends so far (the first send is 1)
  bool cancel_sent = false; // the source gave up and asked the destination to cancel
  Timestamp deadline;       // when the source re-drives if no reply came
  bool operator==(const Saga&) const = default;
};

// The destination's decision on a saga's credit leg (kept in the destination
// partition). Whichever of credit leg and cancel applies first decides.
enum class LegDecision : uint8_t {
  credited = 1,
  rejected = 2,
  cancelled = 3,
};

struct SagaLeg {
  TransferId saga_id;
  Partition source;
  LegDecision decision = LegDecision::credited;
  Outcome result = Outcome::created;  // created when credited, else the reason
  Timestamp timestamp;
  bool operator==(const SagaLeg&) const = default;
};

// A credited leg is stored as its credit transfer alone: the transfer says
// everything the leg would (credited, created, the same timestamp), so the
// store writes no 'L' key for it (docs/design.md "Transfers across
// partitions"; 'L' keys remain for rejected and cancelled legs, and for
// credited legs of stores written before 2026-12-07). The leg that `t`
// stands for, when `t` is the credit transfer of a saga from `source`: a
// saga's id routes to its source partition (its debit account's), so the
// id tells the source. nullopt otherwise.
std::optional<SagaLeg> credited_leg(const Transfer& t, Partition source, uint32_t partition_count);

// The wait after send number `attempt` (1-based) of saga `saga`'s credit
// leg, in log time: doubling from limits::kSagaFirstDeadlineNs, capped at
// limits::kSagaMaxIntervalNs, with ±20% jitter derived from the saga id
// (part of the state machine: changing it changes what a replay produces).
uint64_t saga_interval_ns(TransferId saga, uint32_t attempt);
// `from` plus saga_interval_ns(saga, attempt), saturating.
Timestamp saga_deadline(TransferId saga, Timestamp from, uint32_t attempt);

// A saga as it begins is stored as its reservation transfer alone (the
// 'saga_source' transfer of the source partition): the transfer says
// everything the saga record would then (in flight, one send, the first
// deadline), so the store writes no 'S' key until the saga changes (a
// re-send, a cancel, the settlement; docs/design.md "Transfers across
// partitions"). The saga that `t` stands for, when `t` is a created
// saga_source transfer; nullopt otherwise. begin_cross_partition builds
// the saga with this function, so the two cannot differ.
std::optional<Saga> started_saga(const Transfer& t, uint32_t partition_count);

// A timer: at `deadline` (log time) the scheduler appends a command for it.
// Frozen values.
enum class TimerKind : uint8_t {
  pending_expiry = 1,  // id = pending transfer; appends ExpirePending
  saga_deadline = 2,   // id = saga; appends SagaTimeout
};

struct Timer {
  Timestamp deadline;
  TimerKind kind = TimerKind::pending_expiry;
  u128 id = 0;
  AccountId routing;  // the account that routes the command the timer appends
  bool operator==(const Timer&) const = default;
};

// A command this partition's applying produced for the log (expiries go
// through timers; these are saga steps and replies).
struct OutboxEntry {
  uint64_t seq = 0;  // per partition, increasing, assigned in apply order
  Partition target;
  Command command;
  bool operator==(const OutboxEntry&) const = default;
};

// An account's balances after one transfer touched it: the history index.
struct HistoryEntry {
  AccountId account;
  Timestamp timestamp;
  TransferId transfer;
  bool has_balances = false;  // only for accounts with the `history` flag
  Balances balances;
  bool operator==(const HistoryEntry&) const = default;
};

}  // namespace tally
