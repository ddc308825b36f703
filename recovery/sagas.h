// The saga coordinator: transfers whose debit and credit accounts live in
// different partitions (docs/design.md "Transfers across partitions"). A pure step function
// over PartitionState, plugged into the ledger as its CommandExtension; it
// runs inside apply, so every step is deterministic and committed in the
// same RocksDB write as the balances it changes.
//
// Source partition P1 (the debit account's):
//   create_transfer A→B  reserve: A.debits_pending, transit(P1,P2).credits_pending;
//                        Saga{in_flight}; timer at the deadline; outbox SagaCredit → P2
//   SagaReply(created)   post the reservation → Saga{completed}
//   SagaReply(other)     void the reservation → Saga{compensated, result}
//   SagaTimeout          past the deadline and still in flight: re-send the
//                        credit leg with backoff; after kCreditAttempts sends,
//                        send SagaCancel instead (and keep re-sending it)
// Destination partition P2 (the credit account's):
//   SagaCredit           first decision wins: credit B from transit(P2,P1), or
//                        reject (unknown account, other ledger, limit, closed);
//                        SagaLeg records it; outbox SagaReply → P1
//   SagaCancel           no decision yet: decide `cancelled`; else the decision
//                        stands (never a void after a credit was applied);
//                        reply again either way
// Re-sends and duplicates are answered from the recorded decision, so the
// outbox relay may deliver any step more than once.
#pragma once

#include "engine/core/tally_limits.h"
#include "projections/ledger.h"

namespace tally {

// Re-drive schedule, in log time (deterministic: part of the state machine;
// changing these changes what a replay produces).
struct SagaSchedule {
  // Values and units in engine/core/tally_limits.h.
  static constexpr uint64_t kFirstDeadlineNs = limits::kSagaFirstDeadlineNs;  // 5 s after the start
  static constexpr uint64_t kMaxIntervalNs = limits::kSagaMaxIntervalNs;      // 5 min
  static constexpr uint32_t kCreditAttempts = limits::kSagaCreditAttempts;    // credit-leg sends before cancelling
  static constexpr uint32_t kStuckAttempts = limits::kSagaStuckAttempts;      // sends (credit + cancel) before "stuck"
  // The wait after send number `attempt` (1-based): doubling from the
  // first deadline, capped, with ±20% jitter derived from the saga id.
  static uint64_t interval_ns(TransferId saga, uint32_t attempt);
};

// Whether a saga counts as stuck (still in flight after kStuckAttempts sends).
inline bool saga_stuck(const Saga& s) {
  return s.state == SagaState::in_flight && s.attempts >= SagaSchedule::kStuckAttempts;
}

class SagaCoordinator final : public CommandExtension {
 public:
  Outcome begin_cross_partition(PartitionState& state, const CreateTransfer& transfer,
                                Timestamp timestamp) override;
  Outcome apply_saga_command(PartitionState& state, const Command& command,
                             Timestamp timestamp) override;

 private:
  Outcome on_credit(PartitionState& state, const SagaCredit& c, Timestamp ts);
  Outcome on_reply(PartitionState& state, const SagaReply& r, Timestamp ts);
  Outcome on_cancel(PartitionState& state, const SagaCancel& c, Timestamp ts);
  Outcome on_timeout(PartitionState& state, const SagaTimeout& t, Timestamp ts);
};

}  // namespace tally
