// StuckOperation: work the engine re-drove the bounded number of times
// (BackoffPolicy::max_attempts) without success. Stuck work is never
// dropped: it stays in the store, is retried every BackoffPolicy::max, and
// is listed by Node::stuck() (GET /v1/stuck, `tally query stuck`) and
// counted in /health and /metrics until it succeeds or its cause goes away.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/core/types.h"

namespace tally {

struct StuckOperation {
  // "pending_expiry" or "saga_deadline" (a timer whose command keeps
  // failing to append, or keeps coming back without clearing the timer),
  // "outbox" (an entry the relay cannot append), or "saga" (a saga still in
  // flight after SagaSchedule::kStuckAttempts sends; recovery/sagas.h).
  std::string kind;
  Partition partition;             // the partition whose store holds it
  u128 id = 0;                     // pending transfer / saga id; outbox: the command's subject
  std::optional<uint64_t> seq;     // outbox entries: their sequence number
  std::optional<Partition> target; // outbox entries and sagas: where they go
  std::optional<Timestamp> deadline;  // timers: their deadline; sagas: the next re-drive
  uint32_t attempts = 0;           // appends tried so far
  std::string last_error;
  // Wall clock, ns since the epoch (sagas: the saga's start in log time).
  Timestamp first_attempt;
  Timestamp stuck_since;           // when it crossed max_attempts (sagas: 0, not tracked)
};

}  // namespace tally
