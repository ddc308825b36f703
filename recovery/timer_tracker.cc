#include "recovery/timer_tracker.h"

#include <algorithm>
#include <cassert>

namespace tally {

bool TimerLess::operator()(const Timer& a, const Timer& b) const {
  if (a.deadline != b.deadline) return a.deadline < b.deadline;
  if (a.kind != b.kind) return a.kind < b.kind;
  return a.id < b.id;
}

bool TimerSame::operator()(const Timer& a, const Timer& b) const {
  return a.deadline == b.deadline && a.kind == b.kind && a.id == b.id;
}

size_t TimerHash::operator()(const Timer& t) const {
  uint64_t x = t.deadline.ns ^ (u128_lo(t.id) * 0x9E3779B97F4A7C15ull) ^
               (u128_hi(t.id) * 0xC2B2AE3D27D4EB4Full) ^ static_cast<uint64_t>(t.kind);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return static_cast<size_t>(x);
}

std::string_view timer_kind_name(TimerKind kind) {
  switch (kind) {
    case TimerKind::pending_expiry:
      return "pending_expiry";
    case TimerKind::saga_deadline:
      return "saga_deadline";
  }
  return "unknown_timer";
}

TimerTracker::TimerTracker(Partition partition, BackoffPolicy policy, size_t max_tracked)
    : partition_(partition), policy_(policy), max_tracked_(max_tracked) {
  assert(max_tracked_ >= 1 && policy_.max_attempts >= 1);
}

void TimerTracker::track(const Timer& timer, Timestamp now) {
  assert(!tracked(timer) && !full());
  Entry e;
  e.phase = Phase::appending;
  e.attempts = 1;
  e.first_attempt = now;
  entries_.emplace(timer, std::move(e));
}

std::vector<TimerTracker::Check> TimerTracker::due_checks(Offset applied, Timestamp now) {
  std::vector<Check> out;
  while (!sent_.empty() && sent_.begin()->first < applied.value) {
    auto node = sent_.extract(sent_.begin());
    for (const Timer& t : node.mapped()) {
      Entry& e = entries_.at(t);
      assert(e.phase == Phase::sent);
      e.phase = Phase::checking_applied;
      awaiting_apply_--;
      out.push_back(Check{t, Offset{node.key()}, e.index});
    }
  }
  while (!waiting_.empty() && waiting_.begin()->first <= now.ns) {
    const Timer t = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    Entry& e = entries_.at(t);
    assert(e.phase == Phase::waiting);
    e.phase = Phase::checking_retry;
    if (e.held) {
      e.held = false;
      held_--;
    }
    out.push_back(Check{t, std::nullopt, 0});
  }
  return out;
}

void TimerTracker::wait(const Timer& timer, Entry& e, std::string error, Timestamp now, double u) {
  e.last_error = std::move(error);
  if (e.attempts >= policy_.max_attempts && e.stuck_since.ns == 0) {
    e.stuck_since = now;
    stuck_++;
  }
  const auto delay = backoff_delay(policy_, e.attempts, u);
  e.retry_at = Timestamp{now.ns + static_cast<uint64_t>(delay.count())};
  e.phase = Phase::waiting;
  waiting_.emplace(e.retry_at.ns, timer);
}

bool TimerTracker::checked(const Check& check, bool still_set, std::string_view outcome,
                           Timestamp now, double u) {
  auto it = entries_.find(check.timer);
  assert(it != entries_.end());
  Entry& e = it->second;
  assert(e.phase == Phase::checking_applied || e.phase == Phase::checking_retry);
  if (!still_set) {  // the apply path cleared it: done
    if (e.stuck_since.ns != 0) stuck_--;
    entries_.erase(it);
    return false;
  }
  if (e.phase == Phase::checking_applied) {
    std::string why = "appended at offset " + std::to_string(check.offset->value) +
                      ", applied as " + std::string(outcome) + "; the timer is still set";
    wait(check.timer, e, std::move(why), now, u);
    return false;
  }
  e.phase = Phase::appending;
  e.attempts++;
  return true;
}

void TimerTracker::appended(const Timer& timer, Offset offset, uint32_t index) {
  Entry& e = entries_.at(timer);
  assert(e.phase == Phase::appending);
  e.phase = Phase::sent;
  e.offset = offset.value;
  e.index = index;
  sent_[offset.value].push_back(timer);
  awaiting_apply_++;
}

void TimerTracker::hold(const Timer& timer, std::string why, Timestamp until) {
  Entry& e = entries_.at(timer);
  assert(e.phase == Phase::appending && e.attempts >= 1);
  e.attempts--;  // track() and checked() counted the append that is not made
  e.last_error = std::move(why);
  e.retry_at = until;
  e.phase = Phase::waiting;
  e.held = true;
  held_++;
  waiting_.emplace(e.retry_at.ns, timer);
}

void TimerTracker::append_failed(const Timer& timer, const Status& error, Timestamp now, double u) {
  Entry& e = entries_.at(timer);
  assert(e.phase == Phase::appending);
  wait(timer, e, "append failed: " + error.to_string(), now, u);
}

std::optional<Timestamp> TimerTracker::next_wake(Timestamp now, std::chrono::nanoseconds poll) const {
  std::optional<Timestamp> out;
  if (!waiting_.empty()) out = Timestamp{waiting_.begin()->first};
  if (!sent_.empty()) {
    const Timestamp p{now.ns + static_cast<uint64_t>(poll.count())};
    if (!out || p < *out) out = p;
  }
  return out;
}

std::vector<StuckOperation> TimerTracker::stuck(size_t limit) const {
  std::vector<std::pair<Timer, const Entry*>> found;
  for (const auto& [t, e] : entries_) {
    if (e.stuck_since.ns != 0) found.emplace_back(t, &e);
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return TimerLess()(a.first, b.first); });
  if (found.size() > limit) found.resize(limit);
  std::vector<StuckOperation> out;
  for (const auto& [t, e] : found) {
    StuckOperation op;
    op.kind = std::string(timer_kind_name(t.kind));
    op.partition = partition_;
    op.id = t.id;
    op.deadline = t.deadline;
    op.attempts = e->attempts;
    op.last_error = e->last_error;
    op.first_attempt = e->first_attempt;
    op.stuck_since = e->stuck_since;
    out.push_back(std::move(op));
  }
  return out;
}

}  // namespace tally
