#include "recovery/timer_scan.h"

#include <algorithm>
#include <cassert>

#include "engine/core/bytes.h"

namespace tally {

Command timer_command(const Timer& timer) {
  switch (timer.kind) {
    case TimerKind::pending_expiry:
      return ExpirePending{TransferId(timer.id), timer.routing};
    case TimerKind::saga_deadline:
      return SagaTimeout{TransferId(timer.id), timer.routing};
  }
  assert(false && "unknown timer kind");
  return ExpirePending{TransferId(timer.id), timer.routing};
}

std::string timer_key_at(Timestamp deadline) {
  std::string k(9, '\0');
  k[0] = 'W';
  put_be64(k.data() + 1, deadline.ns);
  return k;
}

Result<TimerScan> scan_due_timers(const PartitionStore& store, std::string_view from_key,
                                  Timestamp now, size_t max_visits,
                                  const std::function<bool(const Timer&)>& due) {
  assert(max_visits >= 1);
  TimerScan out;
  Status bad;
  bool stopped = false;  // by a later deadline, `due`, or max_visits
  std::string last_key;
  auto visited = store.scan(
      std::string(from_key), "X", false, 0, [&](std::string_view key, std::string_view value) {
        auto timer = decode_timer(key, value);
        if (!timer.ok()) {
          bad = timer.status().with_context("timer index of partition " +
                                            std::to_string(store.options().partition.value));
          return false;
        }
        out.visited++;
        if (timer->deadline > now) {
          out.complete = true;
          out.next_deadline = timer->deadline;
          stopped = true;
          return false;
        }
        if (!due(*timer)) {
          out.visited--;  // not consumed: read again on resume
          out.resume_key = std::string(key);
          stopped = true;
          return false;
        }
        if (out.visited >= max_visits) {
          last_key = std::string(key);
          stopped = true;
          return false;
        }
        return true;
      });
  TALLY_RETURN_IF_ERROR(visited.status());
  TALLY_RETURN_IF_ERROR(bad);
  if (!stopped) {
    out.complete = true;  // the end of the index
  } else if (!last_key.empty()) {
    out.resume_key = last_key + '\0';  // the next key after the last one read
  }
  return out;
}

namespace {
void lower_to(std::optional<Timestamp>& t, Timestamp to) {
  if (!t || to < *t) t = to;
}
}  // namespace

void ScanCursor::note_set(Timestamp earliest) { lower_to(in_pass_ ? noted_ : next_deadline_, earliest); }

bool ScanCursor::should_scan(Timestamp now, bool room) const {
  if (!room) return false;
  if (in_pass_ || dirty_) return true;
  return next_deadline_ && now >= *next_deadline_;
}

void ScanCursor::begin_pass(Timestamp ledger_clock, Timestamp now) {
  assert(!in_pass_);
  in_pass_ = true;
  dirty_ = false;
  pass_floor_ = ledger_clock;
  pass_now_ = now;
  key_ = timer_key_at(from_);
}

void ScanCursor::interrupted(std::string resume_key) {
  assert(in_pass_);
  key_ = std::move(resume_key);
}

void ScanCursor::completed(std::optional<Timestamp> next_deadline) {
  assert(in_pass_);
  in_pass_ = false;
  // Every timer set after this pass began has a deadline after pass_floor_;
  // every timer due by pass_now_ that existed was seen (and is tracked).
  from_ = Timestamp{std::min(pass_now_.ns, pass_floor_.ns) + 1};
  next_deadline_ = next_deadline;
  // Set while the pass ran: it may or may not have seen them.
  if (noted_) lower_to(next_deadline_, *noted_);
  noted_.reset();
}

}  // namespace tally
