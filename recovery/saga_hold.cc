#include "recovery/saga_hold.h"

#include "engine/core/thread_annotations.h"

namespace tally {
namespace {

bool stalled(const PartitionFlow& f, const SagaHoldPolicy& policy) {
  return f.queued > 0 && f.since_progress >= policy.stall_after;
}

std::string part(Partition p) { return "partition " + std::to_string(p.value); }

}  // namespace

std::optional<std::string> saga_hold_reason(Partition source, const PartitionFlow& src,
                                            Partition destination, const PartitionFlow& dst,
                                            const SagaHoldPolicy& policy) {
  if (!src.served || !dst.served || src.failed || dst.failed) return std::nullopt;
  if (stalled(src, policy) || stalled(dst, policy)) return std::nullopt;
  if (src.queued == 0 && dst.queued == 0) return std::nullopt;
  const bool at_dst = dst.queued > 0;
  const Partition p = at_dst ? destination : source;
  const uint64_t n = at_dst ? dst.queued : src.queued;
  return "its messages are queued: " + part(p) + " has " + std::to_string(n) +
         " commands to apply and is applying them";
}

ProgressWatch::ProgressWatch(uint32_t partitions) : seen_(partitions, Seen{Offset{0}, Clock::now()}) {}

std::chrono::nanoseconds ProgressWatch::since_progress(Partition p, Offset applied,
                                                       Clock::time_point now) {
  tally::MutexLock lock(mu_);
  Seen& s = seen_.at(p.value);
  if (applied != s.applied) s = Seen{applied, now};
  return now - s.at;
}

}  // namespace tally
