// CircuitBreaker: the state machine that guards appends to the log
// (docs/design.md "Recovery scheduler"). Pure: time is an argument, there is no
// I/O and no locking; BreakerLog (recovery/breaker_log.h) wraps it around a
// Log with a mutex and a clock.
//
//   closed ──failure_threshold consecutive failures──▶ open
//   open ──open_duration passed (seen by admit/state)──▶ half-open
//   half-open ──success_threshold consecutive successes──▶ closed
//   half-open ──any failure──▶ open (the open period starts again)
//
// Every call goes admit() → (the call) → on_result(permit, ...). While open,
// admit() refuses; while half-open it admits at most
// half_open_max_in_flight trial calls at once. A result is counted only in
// the epoch (the stretch between two transitions) that admitted its call: a
// slow call admitted before the breaker opened cannot close it again.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tally {

// Stored in /metrics as tally_breaker_state: frozen values.
enum class BreakerState : uint8_t { closed = 0, open = 1, half_open = 2 };
std::string_view breaker_state_name(BreakerState state);  // "closed", "open", "half-open"

struct BreakerOptions {
  uint32_t failure_threshold = 5;             // consecutive failures that open it (>= 1)
  std::chrono::milliseconds open_duration{30'000};  // open this long before half-open
  uint32_t success_threshold = 3;             // consecutive half-open successes that close it (>= 1)
  uint32_t half_open_max_in_flight = 3;       // trial calls admitted at once while half-open (>= 1)
};

class CircuitBreaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Proof that a call was admitted; hand it back to on_result.
  struct Permit {
    uint64_t epoch = 0;
    bool trial = false;  // admitted while half-open
  };

  explicit CircuitBreaker(BreakerOptions options = {});

  // A permit if a call may proceed at `now`, else nullopt (fail fast).
  std::optional<Permit> admit(TimePoint now);
  // The result of an admitted call. REQUIRES: one call per permit.
  void on_result(const Permit& permit, bool success, TimePoint now);

  // The state at `now` (open turns half-open here once its time is up).
  BreakerState state(TimePoint now);
  // The state as of the last call, without advancing time.
  BreakerState state() const { return state_; }
  uint32_t consecutive_failures() const { return failures_; }
  uint32_t consecutive_successes() const { return successes_; }
  uint64_t transitions() const { return transitions_; }
  // When the current state began.
  TimePoint since() const { return since_; }
  // While open: when it will turn half-open.
  TimePoint half_open_at() const { return since_ + options_.open_duration; }
  const BreakerOptions& options() const { return options_; }

 private:
  void move_to(BreakerState next, TimePoint now);

  const BreakerOptions options_;
  BreakerState state_ = BreakerState::closed;
  uint64_t epoch_ = 0;
  uint32_t failures_ = 0;   // consecutive, while closed
  uint32_t successes_ = 0;  // consecutive, while half-open
  uint32_t in_flight_ = 0;  // trial calls, while half-open
  uint64_t transitions_ = 0;
  TimePoint since_{};
};

}  // namespace tally
