// Exponential backoff with jitter, for work that is re-driven outside the
// deterministic apply path (the scheduler's re-appends, the relay's retries,
// startup steps that may retry). Pure: the random draw is an argument, so
// tests pin delays exactly; Jitter supplies real draws in production.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace tally {

struct BackoffPolicy {
  // Delay after the first failed attempt (before jitter).
  std::chrono::milliseconds initial{100};
  // Largest delay; also the interval at which a stuck operation is retried.
  std::chrono::milliseconds max{30'000};
  // Each further failure multiplies the delay by this (>= 1).
  double multiplier = 2.0;
  // Fraction of the delay drawn at random, in [0, 1]: the delay is
  // base * (1 - jitter * u) for u uniform in [0, 1). 0 = no jitter.
  double jitter = 0.5;
  // Attempts after which an operation that still has not succeeded is
  // reported stuck (it is kept, and retried every `max`). >= 1.
  uint32_t max_attempts = 8;
};

// The delay after `failures` consecutive failed attempts (>= 1), before
// jitter: min(max, initial * multiplier^(failures - 1)).
std::chrono::nanoseconds backoff_base(const BackoffPolicy& policy, uint32_t failures);

// backoff_base with jitter applied, for a draw `u` in [0, 1). Once
// `failures` reaches max_attempts the delay is `max` (stuck: retried at the
// maximum interval), jittered the same way.
std::chrono::nanoseconds backoff_delay(const BackoffPolicy& policy, uint32_t failures, double u);

// Uniform draws in [0, 1) for backoff_delay. Not thread-safe: one per user.
class Jitter {
 public:
  explicit Jitter(uint64_t seed = std::random_device{}()) : rng_(seed) {}
  double next() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

 private:
  std::mt19937_64 rng_;
};

}  // namespace tally
