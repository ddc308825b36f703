// The wall clock, for the parts that act on time outside the apply path:
// the scheduler and the relay (when to append), the node's defaults, the
// benchmarks. The apply path never reads it: a command's time is its
// record's append time in the log (docs/design.md "Exactly once").
#pragma once

#include <algorithm>
#include <chrono>

#include "engine/core/types.h"

namespace tally {

// Nanoseconds since the Unix epoch, from std::chrono::system_clock.
inline Timestamp system_now() {
  return Timestamp{static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count())};
}

// t + d; a negative d counts as 0.
inline Timestamp plus(Timestamp t, std::chrono::nanoseconds d) {
  return Timestamp{t.ns + static_cast<uint64_t>(std::max<int64_t>(d.count(), 0))};
}

}  // namespace tally
