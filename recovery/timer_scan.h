// Reading due timers from one partition's timer index ('W' deadline kind id
// → routing account, sorted by deadline; projections/records.h), and
// deciding where each scan starts so that its work is proportional to the
// timers that may be newly due — never to all timers.
//
// Why a scan may start late in the index (ScanCursor): a timer is written in
// the same commit as the command that set it, and its deadline is at or
// after that command's ledger timestamp, which is later than every
// timestamp committed before. So reading the partition's ledger clock L
// (PartitionMeta::last_timestamp) before scanning up to `now` proves: every
// timer not seen by that scan either has a deadline after `now` or was set
// later, with a deadline after L. The next scan can start at
// min(now, L) + 1; timers before that which were seen due are tracked in
// memory (recovery/timer_tracker.h) and checked one by one.
//
// Why a commit does not make the scheduler scan (ScanCursor::note_set): a
// scan reads past `now` to the first live timer to learn the next deadline,
// and on the way RocksDB steps over every deleted timer before it. With
// sagas, those are all the sagas settled within the deadline (5 s): a scan
// after every commit stepped over hundreds of thousands of tombstones each
// time (7% of a saga run's CPU). Instead, each commit publishes the earliest
// deadline it set (PartitionStore::take_earliest_timer_set), and the next
// scan comes at the earlier of that and the next deadline already known.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/command.h"
#include "engine/core/status.h"
#include "projections/store.h"

namespace tally {

// The command a timer stands for: pending_expiry → ExpirePending{pending_id =
// id, debit_account_id = routing}; saga_deadline → SagaTimeout{saga_id = id,
// debit_account_id = routing}.
Command timer_command(const Timer& timer);

// The first index key with a deadline at or after `deadline`.
std::string timer_key_at(Timestamp deadline);

struct TimerScan {
  size_t visited = 0;       // index keys read: the work counter
  bool complete = false;    // reached a deadline after `now` or the end of the index
  std::string resume_key;   // when not complete: where to continue
  std::optional<Timestamp> next_deadline;  // the first deadline after `now`, if reached
};

// Reads the index of `store` in order from `from_key` and calls `due(t)` for
// each timer with deadline <= now. Stops at the first later deadline (that
// key is read and counted, and becomes next_deadline), at the end of the
// index, after `max_visits` keys, or when `due` returns false (that timer is
// where the scan resumes). A scan with nothing due reads at most one key.
// REQUIRES: max_visits >= 1.
Result<TimerScan> scan_due_timers(const PartitionStore& store, std::string_view from_key,
                                  Timestamp now, size_t max_visits,
                                  const std::function<bool(const Timer&)>& due);

// Where one partition's scans start, pass by pass (see the top of this
// file). A pass scans from its start up to the `now` it began with; it may
// take several ticks (begin, interrupted..., completed). Pure; not
// thread-safe.
class ScanCursor {
 public:
  // Whether a tick at `now` should scan: a pass is unfinished (and `room`:
  // the tracker can take more timers), a pass was asked for (mark_dirty),
  // or the next known deadline came (noted ones included).
  bool should_scan(Timestamp now, bool room) const;
  // Scan at the next chance, whatever the deadlines: the first pass, a
  // store switched under the scheduler, a failed scan.
  void mark_dirty() { dirty_ = true; }
  // Commits set timers with deadlines at or after `earliest`: the next pass
  // comes no later than that (a pass under way keeps it for after).
  void note_set(Timestamp earliest);

  bool in_pass() const { return in_pass_; }
  // Starts a pass. `ledger_clock`: the partition's committed ledger clock,
  // read before the scan.
  void begin_pass(Timestamp ledger_clock, Timestamp now);
  // The key this pass reads next, and the `now` it scans up to.
  const std::string& key() const { return key_; }
  Timestamp pass_now() const { return pass_now_; }
  void interrupted(std::string resume_key);
  void completed(std::optional<Timestamp> next_deadline);

  // Where the next pass starts (deadline, inclusive).
  Timestamp next_from() const { return from_; }
  std::optional<Timestamp> next_deadline() const { return next_deadline_; }

 private:
  bool dirty_ = true;  // a first pass is always needed
  bool in_pass_ = false;
  Timestamp from_{0};
  Timestamp pass_floor_;
  Timestamp pass_now_;
  std::string key_;
  std::optional<Timestamp> next_deadline_;
  std::optional<Timestamp> noted_;  // note_set() during a pass
};

}  // namespace tally
