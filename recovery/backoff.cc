#include "recovery/backoff.h"

#include <algorithm>
#include <cassert>

namespace tally {

std::chrono::nanoseconds backoff_base(const BackoffPolicy& policy, uint32_t failures) {
  assert(failures >= 1 && policy.multiplier >= 1.0);
  const double max_ns = static_cast<double>(std::chrono::nanoseconds(policy.max).count());
  double ns = static_cast<double>(std::chrono::nanoseconds(policy.initial).count());
  for (uint32_t i = 1; i < failures && ns < max_ns; i++) ns *= policy.multiplier;
  return std::chrono::nanoseconds(static_cast<int64_t>(std::min(ns, max_ns)));
}

std::chrono::nanoseconds backoff_delay(const BackoffPolicy& policy, uint32_t failures, double u) {
  assert(u >= 0.0 && u < 1.0 && policy.jitter >= 0.0 && policy.jitter <= 1.0);
  const std::chrono::nanoseconds base =
      failures >= policy.max_attempts ? std::chrono::nanoseconds(policy.max)
                                      : backoff_base(policy, failures);
  const double scaled = static_cast<double>(base.count()) * (1.0 - policy.jitter * u);
  return std::chrono::nanoseconds(static_cast<int64_t>(scaled));
}

}  // namespace tally
