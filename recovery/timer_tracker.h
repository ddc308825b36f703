// TimerTracker: what one partition's scheduler knows about the due timers it
// has acted on. Pure bookkeeping: no I/O, no clock, no randomness (draws
// for jitter are arguments), so tests drive it line by line. The scheduler
// (recovery/scheduler.h) owns one per partition and feeds it what it reads
// from the store and the log. Kept in memory only: after a restart every
// due timer is simply found and appended again, which is safe because the
// apply path answers a second expiry of the same transfer with a rejection
// and changes nothing.
//
// The life of a tracked timer:
//   track()            found due by a scan → appending
//   appended()         its command is in the log at (offset, index) → sent
//   due_checks()       once the partition applied that offset: was the
//                      timer cleared? (checked(): no → forgotten; yes → the
//                      command did not take effect, e.g. not_yet_due →
//                      waiting, re-append after backoff)
//   append_failed()    → waiting, re-append after backoff
//   hold()             not appended after all (its saga is only queued):
//                      waiting until a given time, not counted as an attempt
//   due_checks()       when a waiting timer's time comes: still set?
//                      (checked(): no → forgotten; yes → appending again)
// After BackoffPolicy::max_attempts appends without the timer clearing it is
// stuck: still tracked, retried every BackoffPolicy::max, and reported.
//
// Not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/core/status.h"
#include "projections/model.h"
#include "recovery/backoff.h"
#include "recovery/stuck.h"

namespace tally {

// Index order of the timer index (deadline, kind, id); routing is not part
// of a timer's identity.
struct TimerLess {
  bool operator()(const Timer& a, const Timer& b) const;
};
struct TimerHash {
  size_t operator()(const Timer& t) const;
};
struct TimerSame {
  bool operator()(const Timer& a, const Timer& b) const;
};

// "pending_expiry" or "saga_deadline".
std::string_view timer_kind_name(TimerKind kind);

class TimerTracker {
 public:
  // A timer to look up in the index, from due_checks().
  struct Check {
    Timer timer;
    // Set when the check is because the record the command went into is
    // now applied: its place, to read the outcome it got.
    std::optional<Offset> offset;
    uint32_t index = 0;
  };

  // REQUIRES: max_tracked >= 1.
  TimerTracker(Partition partition, BackoffPolicy policy, size_t max_tracked);

  bool tracked(const Timer& timer) const { return entries_.count(timer) != 0; }
  bool full() const { return entries_.size() >= max_tracked_; }
  size_t size() const { return entries_.size(); }
  size_t stuck_count() const { return stuck_; }
  // Timers whose command is in the log, not yet applied.
  size_t awaiting_apply() const { return awaiting_apply_; }

  // Starts tracking a due timer a scan found; the caller appends it now.
  // REQUIRES: !tracked(timer) && !full().
  void track(const Timer& timer, Timestamp now);

  // Everything to look up now, given that the partition has applied every
  // record below `applied`: timers whose record is applied, and waiting
  // timers whose retry time has come. Answer each with checked().
  std::vector<Check> due_checks(Offset applied, Timestamp now);

  // The answer to a Check: whether the timer is still in the index, and
  // for an applied record what its command got ("applied as not_yet_due").
  // Returns true when the caller must append the timer's command now.
  // `u` is a jitter draw in [0, 1).
  bool checked(const Check& check, bool still_set, std::string_view outcome, Timestamp now,
               double u);

  // The result of appending a timer that track() or checked() handed out.
  void appended(const Timer& timer, Offset offset, uint32_t index);
  void append_failed(const Timer& timer, const Status& error, Timestamp now, double u);
  // Instead of appending a timer that track() or checked() handed out: it
  // is not due in fact yet (a saga whose messages queue in a healthy node,
  // recovery/saga_hold.h), so look again at `until`. Not an attempt: it
  // neither counts towards stuck nor backs off.
  void hold(const Timer& timer, std::string why, Timestamp until);
  size_t held() const { return held_; }

  // When this tracker next needs a tick: the earliest retry, or `now + poll`
  // while commands wait to be applied (an applied command whose timer stays
  // set — not_yet_due — changes nothing, so nothing else would wake us).
  std::optional<Timestamp> next_wake(Timestamp now, std::chrono::nanoseconds poll) const;

  // Stuck timers, earliest deadline first, at most `limit`.
  std::vector<StuckOperation> stuck(size_t limit) const;

 private:
  enum class Phase : uint8_t { appending, sent, checking_applied, waiting, checking_retry };
  struct Entry {
    Phase phase = Phase::appending;
    uint32_t attempts = 0;
    uint32_t index = 0;    // sent: place in the record
    uint64_t offset = 0;   // sent: the record's offset
    Timestamp retry_at;    // waiting
    Timestamp first_attempt;
    Timestamp stuck_since;  // 0 until stuck
    std::string last_error;
    bool held = false;     // waiting because of hold(), not a failure
  };

  void wait(const Timer& timer, Entry& e, std::string error, Timestamp now, double u);

  const Partition partition_;
  const BackoffPolicy policy_;
  const size_t max_tracked_;
  std::unordered_map<Timer, Entry, TimerHash, TimerSame> entries_;
  std::map<uint64_t, std::vector<Timer>> sent_;  // by offset
  struct WaitingLess {
    bool operator()(const std::pair<uint64_t, Timer>& a, const std::pair<uint64_t, Timer>& b) const {
      if (a.first != b.first) return a.first < b.first;
      return TimerLess()(a.second, b.second);
    }
  };
  std::set<std::pair<uint64_t, Timer>, WaitingLess> waiting_;  // (retry_at ns, timer)
  size_t stuck_ = 0;
  size_t awaiting_apply_ = 0;
  size_t held_ = 0;
};

}  // namespace tally
