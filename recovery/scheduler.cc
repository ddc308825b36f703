#include "recovery/scheduler.h"

#include <algorithm>
#include <cassert>
#include <map>

#include "engine/core/clock.h"
#include "engine/core/crash_point.h"
#include "engine/core/logging.h"
#include "engine/core/thread_annotations.h"
#include "engine/log/pack.h"

namespace tally {


// One partition's scheduling state. Everything is GUARDED_BY(mu).
struct TimerScheduler::Work {
  Work(Partition p, const SchedulerOptions& o, uint64_t seed)
      : tracker(p, o.backoff, o.max_tracked), jitter(seed) {}
  mutable tally::Mutex mu;
  TimerTracker tracker;
  ScanCursor cursor;
  Jitter jitter;
  Status error;            // the last scan error, or ok
  uint32_t errors = 0;     // consecutive scan errors
  Timestamp error_retry_at;
};

std::vector<std::unique_ptr<TimerScheduler::Work>> TimerScheduler::make_work(size_t partitions,
                                                                              const SchedulerOptions& o) {
  std::vector<std::unique_ptr<Work>> out;
  std::random_device rd;
  for (uint32_t p = 0; p < partitions; p++) {
    out.push_back(std::make_unique<Work>(Partition{p}, o, o.jitter_seed != 0 ? o.jitter_seed + p : rd()));
  }
  return out;
}

TimerScheduler::TimerScheduler(SchedulerDeps deps, SchedulerOptions options)
    : deps_([&] {
        if (!deps.clock) deps.clock = system_now;
        return std::move(deps);
      }()),
      options_(options),
      loop_(make_work(deps_.stores.size(), options_), deps_.clock, deps_.serves, options_.max_sleep) {
  assert(deps_.log != nullptr && deps_.applied);
  assert(deps_.stores.size() == deps_.log->partition_count());
}

TimerScheduler::~TimerScheduler() { stop(); }

void TimerScheduler::start() {
  loop_.start({.mark = [this](uint32_t p, Work& w) { mark(p, w); },
               .step = [this](uint32_t p, Work& w, Timestamp now) {
                 if (w.error.ok() || now >= w.error_retry_at) (void)tick_locked(p, w, now);
                 return next_wake_locked(w, now);
               }});
}

void TimerScheduler::stop() { loop_.stop(); }

void TimerScheduler::wake(Partition partition) { loop_.wake(partition); }

void TimerScheduler::wait_idle(Partition partition) { loop_.wait_idle(partition); }

bool TimerScheduler::serves(uint32_t p) const { return loop_.serves(p); }

void TimerScheduler::switch_store(Partition partition, const PartitionStore& store) {
  Work& w = loop_.at(partition.value);
  tally::MutexLock lock(w.mu);
  deps_.stores[partition.value] = &store;
  w.cursor.mark_dirty();
}

Result<TickReport> TimerScheduler::tick(Partition partition) {
  loop_.mark_woken([this](uint32_t p, Work& w) { mark(p, w); });
  Work& w = loop_.at(partition.value);
  tally::MutexLock lock(w.mu);
  return tick_locked(partition.value, w, deps_.clock());
}

void TimerScheduler::mark(uint32_t p, Work& w) {
  // Woken by a commit: its timers are noted in the tick (note_new_timers).
  // Not served: another process may change the index meanwhile.
  if (!loop_.serves(p)) w.cursor.mark_dirty();
}

void TimerScheduler::note_new_timers(uint32_t p, Work& w) {
  if (auto earliest = deps_.stores[p]->take_earliest_timer_set()) w.cursor.note_set(*earliest);
}

namespace {
// An expiry applied as `expired` cleared its timer in the same write
// (docs/outcomes.md "expire_pending"): no need to look it up.
bool cleared_by_contract(TimerKind kind, Outcome outcome) {
  return kind == TimerKind::pending_expiry && outcome == Outcome::expired;
}
}  // namespace

void TimerScheduler::check_tracked(uint32_t p, Work& w, Timestamp now,
                                   std::vector<Timer>& to_append, TickReport& report) {
  const PartitionStore& store = *deps_.stores[p];
  std::map<uint64_t, std::optional<OffsetOutcomes>> outcomes;  // per record, read once
  for (const TimerTracker::Check& c : w.tracker.due_checks(deps_.applied(Partition{p}), now)) {
    report.checked++;
    std::optional<Outcome> got;
    if (c.offset) {
      auto it = outcomes.find(c.offset->value);
      if (it == outcomes.end()) {
        auto o = store.outcomes(*c.offset);
        it = outcomes.emplace(c.offset->value, o.ok() ? *o : std::nullopt).first;
      }
      if (it->second && c.index < it->second->outcomes.size()) got = it->second->outcomes[c.index];
    }
    bool present = false;
    if (!got || !cleared_by_contract(c.timer.kind, *got)) {
      auto value = store.get(keys::timer(c.timer));
      // A failed read counts as "still set": at worst the command is appended
      // again, which the apply path answers without changing anything.
      present = !value.ok() || value->has_value();
    }
    const std::string outcome = got ? std::string(outcome_name(*got)) : "(outcome not readable)";
    if (w.tracker.checked(c, present, outcome, now, w.jitter.next())) to_append.push_back(c.timer);
  }
  checks_ += report.checked;
}

Status TimerScheduler::scan(uint32_t p, Work& w, Timestamp now, std::vector<Timer>& to_append,
                            TickReport& report) {
  const PartitionStore& store = *deps_.stores[p];
  if (!w.cursor.in_pass()) {
    // The ledger clock first, then the scan (see recovery/timer_scan.h).
    TALLY_ASSIGN_OR_RETURN(PartitionMeta meta, store.meta());
    w.cursor.begin_pass(meta.last_timestamp, now);
  }
  report.scanned = true;
  TALLY_ASSIGN_OR_RETURN(
      TimerScan s, scan_due_timers(store, w.cursor.key(), w.cursor.pass_now(),
                                   options_.max_visits_per_tick, [&](const Timer& t) {
                                     if (w.tracker.tracked(t)) return true;
                                     if (w.tracker.full()) return false;
                                     w.tracker.track(t, now);
                                     to_append.push_back(t);
                                     report.found++;
                                     return true;
                                   }));
  report.visited = s.visited;
  visited_ += s.visited;
  scans_++;
  if (s.complete) {
    w.cursor.completed(s.next_deadline);
  } else {
    w.cursor.interrupted(std::move(s.resume_key));
  }
  return Status::Ok();
}

void TimerScheduler::hold_queued_sagas(uint32_t p, Work& w, std::vector<Timer>& timers,
                                       Timestamp now, TickReport& report) {
  if (!deps_.hold_saga) return;
  std::vector<Timer> kept;
  kept.reserve(timers.size());
  for (const Timer& t : timers) {
    std::optional<std::string> why;
    if (t.kind == TimerKind::saga_deadline) why = deps_.hold_saga(Partition{p}, t);
    if (!why) {
      kept.push_back(t);
      continue;
    }
    const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(
        options_.hold_recheck * (0.75 + 0.5 * w.jitter.next()));
    w.tracker.hold(t, "held: " + *why, plus(now, wait));
    report.held++;
  }
  holds_ += report.held;
  timers = std::move(kept);
}

void TimerScheduler::append(uint32_t p, Work& w, const std::vector<Timer>& timers, Timestamp now,
                            TickReport& report) {
  if (timers.empty()) return;
  std::vector<Command> commands;
  commands.reserve(timers.size());
  for (const Timer& t : timers) commands.push_back(timer_command(t));
  const std::vector<PackedRecord> records =
      pack_records(Partition{p}, commands, deps_.log->max_record_bytes());
  auto offsets = deps_.log->append(append_requests(records));
  if (!offsets.ok()) {
    append_failures_++;
    report.append_failed = true;
    for (const Timer& t : timers) w.tracker.append_failed(t, offsets.status(), now, w.jitter.next());
    return;
  }
  crash_point("scheduler.after_append");
  for (size_t r = 0; r < records.size(); r++) {
    const std::vector<uint32_t>& held = records[r].commands;
    if (deps_.in_flight != nullptr) deps_.in_flight->appended(Partition{p}, (*offsets)[r], held.size());
    for (size_t i = 0; i < held.size(); i++) {
      w.tracker.appended(timers[held[i]], (*offsets)[r], static_cast<uint32_t>(i));
    }
  }
  for (const Timer& t : timers) {
    (t.kind == TimerKind::pending_expiry ? expiries_ : saga_timeouts_)++;
  }
  report.appended = timers.size();
}

Result<TickReport> TimerScheduler::tick_locked(uint32_t p, Work& w, Timestamp now) {
  ticks_++;
  TickReport report;
  std::vector<Timer> to_append;
  const uint64_t stuck_before = w.tracker.stuck_count();
  check_tracked(p, w, now, to_append, report);
  note_new_timers(p, w);
  Status scanned = Status::Ok();
  if (w.cursor.should_scan(now, !w.tracker.full())) {
    scanned = scan(p, w, now, to_append, report);
  }
  // Timers handed out above are appended even when the scan failed.
  hold_queued_sagas(p, w, to_append, now, report);
  append(p, w, to_append, now, report);
  if (const uint64_t stuck = w.tracker.stuck_count(); stuck != stuck_before) {
    logging::log(stuck > stuck_before ? logging::Level::warn : logging::Level::info, "scheduler",
                 "partition {}: {} timers stuck (were {}; GET /v1/stuck lists them)", p, stuck, stuck_before);
  }
  if (!scanned.ok()) {
    w.errors++;
    w.error = scanned;
    w.cursor.mark_dirty();  // scan again once the backoff is over
    w.error_retry_at = plus(now, backoff_delay(options_.backoff, w.errors, w.jitter.next()));
    return scanned;
  }
  if (report.scanned) {
    w.errors = 0;
    w.error = Status::Ok();
  }
  return report;
}

Timestamp TimerScheduler::next_wake_locked(Work& w, Timestamp now) const {
  Timestamp wake = plus(now, options_.max_sleep);
  auto consider = [&](std::optional<Timestamp> t) {
    if (t && *t < wake) wake = *t;
  };
  if (!w.error.ok()) {
    consider(w.error_retry_at);
    return wake;
  }
  consider(w.tracker.next_wake(now, options_.apply_poll));
  if (w.cursor.in_pass() && !w.tracker.full()) consider(now);
  consider(w.cursor.next_deadline());
  return wake;
}

std::vector<StuckOperation> TimerScheduler::stuck(size_t limit) const {
  std::vector<StuckOperation> out;
  for (uint32_t p = 0; p < loop_.size(); p++) {
    if (out.size() >= limit) break;
    if (!serves(p)) continue;
    const Work& w = loop_.at(p);
    tally::MutexLock lock(w.mu);
    for (StuckOperation& op : w.tracker.stuck(limit - out.size())) out.push_back(std::move(op));
  }
  return out;
}

SchedulerStats TimerScheduler::stats() const {
  SchedulerStats s;
  s.ticks = ticks_;
  s.scans = scans_;
  s.keys_visited = visited_;
  s.checks = checks_;
  s.expiries_appended = expiries_;
  s.saga_timeouts_appended = saga_timeouts_;
  s.saga_deadlines_held = holds_;
  s.append_failures = append_failures_;
  for (uint32_t p = 0; p < loop_.size(); p++) {
    if (!serves(p)) continue;
    const Work& w = loop_.at(p);
    tally::MutexLock lock(w.mu);
    s.timers_due += w.tracker.size();
    s.awaiting_apply += w.tracker.awaiting_apply();
    s.held += w.tracker.held();
    s.stuck += w.tracker.stuck_count();
    if (!w.error.ok()) s.error = w.error;
  }
  return s;
}

}  // namespace tally
