#include "recovery/breaker.h"

#include <cassert>

namespace tally {

std::string_view breaker_state_name(BreakerState state) {
  switch (state) {
    case BreakerState::closed:
      return "closed";
    case BreakerState::open:
      return "open";
    case BreakerState::half_open:
      return "half-open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(BreakerOptions options) : options_(options) {
  assert(options_.failure_threshold >= 1 && options_.success_threshold >= 1 &&
         options_.half_open_max_in_flight >= 1);
}

void CircuitBreaker::move_to(BreakerState next, TimePoint now) {
  state_ = next;
  epoch_++;
  failures_ = 0;
  successes_ = 0;
  in_flight_ = 0;
  transitions_++;
  since_ = now;
}

BreakerState CircuitBreaker::state(TimePoint now) {
  if (state_ == BreakerState::open && now >= half_open_at()) move_to(BreakerState::half_open, now);
  return state_;
}

std::optional<CircuitBreaker::Permit> CircuitBreaker::admit(TimePoint now) {
  switch (state(now)) {
    case BreakerState::closed:
      return Permit{epoch_, false};
    case BreakerState::open:
      return std::nullopt;
    case BreakerState::half_open:
      if (in_flight_ >= options_.half_open_max_in_flight) return std::nullopt;
      in_flight_++;
      return Permit{epoch_, true};
  }
  return std::nullopt;
}

void CircuitBreaker::on_result(const Permit& permit, bool success, TimePoint now) {
  if (permit.epoch != epoch_) return;  // admitted in a state that has since ended
  if (permit.trial) {
    assert(state_ == BreakerState::half_open && in_flight_ > 0);
    in_flight_--;
    if (!success) {
      move_to(BreakerState::open, now);
    } else if (++successes_ >= options_.success_threshold) {
      move_to(BreakerState::closed, now);
    }
    return;
  }
  assert(state_ == BreakerState::closed);
  if (success) {
    failures_ = 0;
  } else if (++failures_ >= options_.failure_threshold) {
    move_to(BreakerState::open, now);
  }
}

}  // namespace tally
