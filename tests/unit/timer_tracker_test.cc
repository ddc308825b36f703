// The scheduler's pure parts: the TimerTracker's life of a due timer, and
// the ScanCursor's choice of where a scan starts. No store, no log, no clock.
#include <doctest/doctest.h>

#include "recovery/timer_scan.h"
#include "recovery/timer_tracker.h"

using namespace tally;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;

Timer expiry(uint64_t deadline_s, u128 id) {
  return Timer{Timestamp{deadline_s * kSecond}, TimerKind::pending_expiry, id, AccountId(id + 1000)};
}

// No jitter: delays are exactly initial * 2^(n-1), capped.
BackoffPolicy policy(uint32_t max_attempts = 3) {
  return BackoffPolicy{.initial = 1000ms, .max = 10'000ms, .multiplier = 2.0, .jitter = 0.0,
                       .max_attempts = max_attempts};
}

// "id@offset" for applied checks, "id" for retries.
std::string render(const std::vector<TimerTracker::Check>& checks) {
  std::string out;
  for (const auto& c : checks) {
    out += (out.empty() ? "" : " ") + u128_to_string(c.timer.id);
    if (c.offset) out += "@" + std::to_string(c.offset->value) + "#" + std::to_string(c.index);
  }
  return out;
}

Timestamp at(uint64_t s, uint64_t ms = 0) { return Timestamp{s * kSecond + ms * 1'000'000}; }

}  // namespace

TEST_CASE("a due timer is appended once, checked when its record is applied, and forgotten once cleared") {
  TimerTracker t(Partition{0}, policy(), 100);
  const Timer a = expiry(10, 1), b = expiry(10, 2);
  t.track(a, at(11));
  t.track(b, at(11));
  CHECK(t.tracked(a));
  t.appended(a, Offset{5}, 0);
  t.appended(b, Offset{5}, 1);
  CHECK(t.awaiting_apply() == 2);
  CHECK(render(t.due_checks(Offset{5}, at(12))) == "");  // offset 5 not applied yet
  CHECK(t.next_wake(at(12), 100ms) == at(12, 100));      // poll while records wait
  auto checks = t.due_checks(Offset{6}, at(12));
  CHECK(render(checks) == "1@5#0 2@5#1");
  CHECK_FALSE(t.checked(checks[0], false, "", at(12), 0.0));  // cleared: expired
  CHECK(t.size() == 1);
  // Still set after its command applied (the log's clock was behind): wait 1 s, then append again.
  CHECK_FALSE(t.checked(checks[1], true, "not_yet_due", at(12), 0.0));
  CHECK(t.next_wake(at(12), 100ms) == at(13));
  CHECK(render(t.due_checks(Offset{6}, at(12, 999))) == "");
  checks = t.due_checks(Offset{6}, at(13));
  CHECK(render(checks) == "2");
  CHECK(t.checked(checks[0], true, "", at(13), 0.0));  // still set: append again
  t.appended(b, Offset{9}, 0);
  checks = t.due_checks(Offset{10}, at(14));
  CHECK(render(checks) == "2@9#0");
  CHECK_FALSE(t.checked(checks[0], false, "", at(14), 0.0));
  CHECK(t.size() == 0);
  CHECK(t.next_wake(at(14), 100ms) == std::nullopt);
}

TEST_CASE("a timer whose command keeps failing to append is stuck after max_attempts, then retried at the maximum interval") {
  TimerTracker t(Partition{3}, policy(3), 100);
  const Timer a = expiry(10, 7);
  t.track(a, at(10));
  const Status down = Status::Unavailable("log down");
  t.append_failed(a, down, at(10), 0.0);  // attempt 1 → wait 1 s
  CHECK(t.stuck_count() == 0);
  auto checks = t.due_checks(Offset{0}, at(11));
  REQUIRE(checks.size() == 1);
  REQUIRE(t.checked(checks[0], true, "", at(11), 0.0));
  t.append_failed(a, down, at(11), 0.0);  // attempt 2 → wait 2 s
  CHECK(render(t.due_checks(Offset{0}, at(12))) == "");
  checks = t.due_checks(Offset{0}, at(13));
  REQUIRE(t.checked(checks[0], true, "", at(13), 0.0));
  t.append_failed(a, down, at(13), 0.0);  // attempt 3 = max → stuck, retried every 10 s
  CHECK(t.stuck_count() == 1);
  CHECK(t.next_wake(at(13), 100ms) == at(23));
  const auto stuck = t.stuck(10);
  REQUIRE(stuck.size() == 1);
  CHECK(stuck[0].kind == "pending_expiry");
  CHECK(stuck[0].partition == Partition{3});
  CHECK(stuck[0].id == 7);
  CHECK(stuck[0].attempts == 3);
  CHECK(stuck[0].last_error == "append failed: unavailable: log down");
  CHECK(stuck[0].first_attempt == at(10));
  CHECK(stuck[0].stuck_since == at(13));
  CHECK(stuck[0].deadline == at(10));
  // Meanwhile someone posted the transfer: the timer is gone, so is the stuck report.
  checks = t.due_checks(Offset{0}, at(23));
  CHECK_FALSE(t.checked(checks[0], false, "", at(23), 0.0));
  CHECK(t.stuck_count() == 0);
  CHECK(t.stuck(10).empty());
}

TEST_CASE("a timer answered not_yet_due every time is stuck with that reason") {
  TimerTracker t(Partition{0}, policy(2), 100);
  const Timer a = expiry(10, 1);
  t.track(a, at(10));
  t.appended(a, Offset{0}, 0);
  auto checks = t.due_checks(Offset{1}, at(10));
  t.checked(checks[0], true, "not_yet_due", at(10), 0.0);
  checks = t.due_checks(Offset{1}, at(11));
  REQUIRE(t.checked(checks[0], true, "", at(11), 0.0));
  t.appended(a, Offset{4}, 2);
  checks = t.due_checks(Offset{5}, at(11));
  t.checked(checks[0], true, "not_yet_due", at(11), 0.0);
  const auto stuck = t.stuck(10);
  REQUIRE(stuck.size() == 1);
  CHECK(stuck[0].attempts == 2);
  CHECK(stuck[0].last_error == "appended at offset 4, applied as not_yet_due; the timer is still set");
}

TEST_CASE("the tracker holds at most max_tracked timers") {
  TimerTracker t(Partition{0}, policy(), 2);
  t.track(expiry(1, 1), at(1));
  CHECK_FALSE(t.full());
  t.track(expiry(1, 2), at(1));
  CHECK(t.full());
}

TEST_CASE("a scan pass starts at the earlier of its now and the ledger clock it read, plus one") {
  ScanCursor c;
  CHECK(c.should_scan(at(5), true));   // the first pass always runs
  CHECK_FALSE(c.should_scan(at(5), false));  // unless the tracker is full
  c.begin_pass(at(3), at(5));          // ledger clock 3 s, wall clock 5 s
  CHECK(c.key() == timer_key_at(Timestamp{0}));
  CHECK(c.pass_now() == at(5));
  c.interrupted(timer_key_at(at(4)));
  CHECK(c.should_scan(at(5), true));   // unfinished
  c.completed(at(9));
  CHECK(c.next_from() == Timestamp{at(3).ns + 1});
  CHECK_FALSE(c.should_scan(at(8), true));  // nothing changed, nothing newly due
  CHECK(c.should_scan(at(9), true));        // the next deadline came
  c.mark_dirty();
  CHECK(c.should_scan(at(8), true));        // the partition's timers changed
  c.begin_pass(at(20), at(8));              // a ledger clock ahead of the wall clock
  CHECK(c.key() == timer_key_at(Timestamp{at(3).ns + 1}));
  c.completed(std::nullopt);
  CHECK(c.next_from() == Timestamp{at(8).ns + 1});
  CHECK_FALSE(c.should_scan(at(1000), true));  // no later timer known and none set since
}

TEST_CASE("the commands timers stand for") {
  const Timer e{Timestamp{1}, TimerKind::pending_expiry, 42, AccountId(7)};
  const Timer s{Timestamp{1}, TimerKind::saga_deadline, 43, AccountId(8)};
  CHECK(timer_command(e) == Command(ExpirePending{TransferId(42), AccountId(7)}));
  CHECK(timer_command(s) == Command(SagaTimeout{TransferId(43), AccountId(8)}));
}
