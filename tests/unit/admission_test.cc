// Admission and saga holds, driven directly: InFlight's count and window
// (recovery/in_flight.h), the hold decision (recovery/saga_hold.h) and a
// held timer's life in the TimerTracker. No store, no log.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "recovery/in_flight.h"
#include "recovery/saga_hold.h"
#include "recovery/timer_tracker.h"

using namespace tally;
using namespace std::chrono_literals;

namespace {

// Applied offsets the test moves by hand, per partition.
struct Applied {
  std::vector<std::atomic<uint64_t>> next = std::vector<std::atomic<uint64_t>>(2);
  std::function<Offset(Partition)> fn() {
    return [this](Partition p) { return Offset{next[p.value].load()}; };
  }
};

}  // namespace

TEST_CASE("in flight: appended records count until their partition applies them") {
  Applied applied;
  InFlight f(2, 100, applied.fn());
  f.appended(Partition{0}, Offset{0}, 30);
  f.appended(Partition{0}, Offset{1}, 20);
  f.appended(Partition{1}, Offset{0}, 5);
  CHECK(f.count() == 55);
  CHECK(f.count(Partition{0}) == 50);
  applied.next[0] = 1;  // offset 0 applied: its 30 retire, offset 1's 20 stay
  f.retire(Partition{0});
  CHECK(f.count(Partition{0}) == 20);
  CHECK(f.count() == 25);
  // A record reported after its partition already applied it is never counted.
  applied.next[1] = 3;
  f.appended(Partition{1}, Offset{2}, 7);
  CHECK(f.count(Partition{1}) == 0);
}

TEST_CASE("in flight: admission waits for room, gives up at the deadline, admits into an empty node") {
  Applied applied;
  InFlight f(2, 100, applied.fn());
  CHECK(f.admit(1000, InFlight::Clock::now()));  // nothing in flight: a batch above the window goes alone
  f.appended(Partition{0}, Offset{0}, 90);
  CHECK(f.admit(10, InFlight::Clock::now()));     // 90 + 10 fits exactly
  const auto t0 = InFlight::Clock::now();
  CHECK_FALSE(f.admit(11, t0 + 30ms));            // does not fit: refused once the deadline passes
  CHECK(InFlight::Clock::now() - t0 >= 30ms);
  CHECK(f.refused_total() == 1);
  // A waiter is admitted as soon as the partition applies what was in flight.
  std::atomic<bool> admitted{false};
  std::thread waiter([&] { admitted = f.admit(50, InFlight::Clock::now() + 5s); });
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(admitted.load());
  applied.next[0] = 1;
  f.retire(Partition{0});
  waiter.join();
  CHECK(admitted.load());
  CHECK(f.admitted_total() == 3);
}

TEST_CASE("in flight: a zero window admits everything") {
  Applied applied;
  InFlight f(2, 0, applied.fn());
  f.appended(Partition{0}, Offset{0}, 1'000'000);
  CHECK(f.admit(1'000'000, InFlight::Clock::now()));
}

TEST_CASE("saga hold: held only while its messages queue in healthy partitions") {
  const SagaHoldPolicy policy{.stall_after = 2000ms};
  const Partition src{1}, dst{2};
  PartitionFlow idle{.served = true, .failed = false, .queued = 0, .since_progress = 10s};
  PartitionFlow busy{.served = true, .failed = false, .queued = 5000, .since_progress = 3ms};
  // Queued at the destination (the credit leg waits its turn): hold, and say where.
  auto why = saga_hold_reason(src, idle, dst, busy, policy);
  REQUIRE(why.has_value());
  CHECK(why->find("partition 2 has 5000 commands to apply") != std::string::npos);
  // Queued at the source (the reply waits): hold.
  CHECK(saga_hold_reason(src, busy, dst, idle, policy).has_value());
  // Nothing queued anywhere: the message is lost, send again.
  CHECK_FALSE(saga_hold_reason(src, idle, dst, idle, policy).has_value());
  // A stalled destination (queued, no progress for stall_after): send again.
  PartitionFlow stalled = busy;
  stalled.since_progress = 2500ms;
  CHECK_FALSE(saga_hold_reason(src, idle, dst, stalled, policy).has_value());
  CHECK_FALSE(saga_hold_reason(src, stalled, dst, busy, policy).has_value());
  // A failed pipeline, or a partition another process serves: send again.
  PartitionFlow failed = busy;
  failed.failed = true;
  CHECK_FALSE(saga_hold_reason(src, idle, dst, failed, policy).has_value());
  PartitionFlow elsewhere = busy;
  elsewhere.served = false;
  CHECK_FALSE(saga_hold_reason(src, idle, dst, elsewhere, policy).has_value());
}

TEST_CASE("progress watch: the time since a partition's applied offset last moved") {
  ProgressWatch w(1);
  const auto t0 = ProgressWatch::Clock::now();
  CHECK(w.since_progress(Partition{0}, Offset{5}, t0) == 0ns);  // moved (from 0): now
  CHECK(w.since_progress(Partition{0}, Offset{5}, t0 + 3s) == 3s);
  CHECK(w.since_progress(Partition{0}, Offset{6}, t0 + 4s) == 0ns);
}

TEST_CASE("timer tracker: a held timer is looked at again later and is not an attempt") {
  const BackoffPolicy policy{.initial = 1000ms, .max = 10'000ms, .multiplier = 2.0, .jitter = 0.0,
                             .max_attempts = 2};
  TimerTracker tr(Partition{0}, policy, 16);
  const Timer t{Timestamp{1'000'000'000}, TimerKind::saga_deadline, 7, AccountId(9)};
  const Timestamp now{2'000'000'000};
  tr.track(t, now);
  // Held many times over: never stuck, however often (a queue, not a fault).
  Timestamp at = now;
  for (int i = 0; i < 5; i++) {
    tr.hold(t, "queued", Timestamp{at.ns + 500'000'000});
    CHECK(tr.held() == 1);
    CHECK(tr.due_checks(Offset{0}, at).empty());  // not before its time
    at = Timestamp{at.ns + 500'000'000};
    const auto checks = tr.due_checks(Offset{0}, at);
    REQUIRE(checks.size() == 1);
    CHECK(tr.held() == 0);
    CHECK(tr.checked(checks[0], true, "", at, 0.0));  // still set: append now (or hold again)
  }
  CHECK(tr.stuck_count() == 0);
  // Appended at last; applied and cleared: forgotten.
  tr.appended(t, Offset{3}, 0);
  const auto checks = tr.due_checks(Offset{4}, at);
  REQUIRE(checks.size() == 1);
  CHECK_FALSE(tr.checked(checks[0], false, "created", at, 0.0));
  CHECK(tr.size() == 0);
}
