// The timer scheduler over a real PartitionStore and a real embedded log,
// with the clock in the test's hands. Timers are written straight into the
// index ('W' keys) for setup speed; where the apply path would clear them
// the test removes them the same way, in one batch with the ledger clock.
#include <doctest/doctest.h>

#include <set>

#include "engine/core/bytes.h"
#include "engine/core/codec.h"
#include "engine/log/embedded_log.h"
#include "recovery/breaker_log.h"
#include "recovery/scheduler.h"
#include "tests/fixtures/faulty_log.h"
#include "tests/fixtures/log_contents.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kT0 = 1'700'000'000'000'000'000ull;  // the ledger clock when the timers were set

std::string routing_value(AccountId a) {
  std::string v(16, '\0');
  put_be128(v.data(), a.value());
  return v;
}

// Timer i: pending transfer i + 1, deadline kT0 + 1 s + i ms.
Timer timer_at(uint64_t i) {
  return Timer{Timestamp{kT0 + 1000 * kMs + i * kMs}, TimerKind::pending_expiry, u128{i + 1},
               AccountId(u128{i + 1} << 64)};
}

struct Fixture {
  explicit Fixture(SchedulerOptions options = {}, std::shared_ptr<Faults> faults = nullptr) {
    auto s = PartitionStore::open({.dir = dir.sub("store"), .partition = Partition{0}, .partition_count = 1});
    REQUIRE(s.ok());
    store = std::move(s).value();
    auto l = open_embedded_log({.dir = dir.sub("log"), .partitions = 1, .sync = false});
    REQUIRE(l.ok());
    std::unique_ptr<Log> inner = std::move(l).value();
    if (faults) inner = std::make_unique<FaultyLog>(std::move(inner), faults);
    log = std::make_unique<BreakerLog>(std::move(inner), BreakerLogOptions{});
    scheduler = std::make_unique<TimerScheduler>(
        SchedulerDeps{{store.get()}, log.get(), [this](Partition) { return applied; },
                      [this] { return now; }},
        options);
  }

  // Writes timers [first, last) into the index and sets the ledger clock.
  void write_timers(uint64_t first, uint64_t last, Timestamp ledger_clock) {
    for (uint64_t start = first; start < last; start += 100'000) {
      StoreBatch b;
      for (uint64_t i = start; i < std::min(last, start + 100'000); i++) {
        b.put(keys::timer(timer_at(i)), routing_value(timer_at(i).routing));
      }
      REQUIRE(store->commit(b).ok());
    }
    set_ledger_clock(ledger_clock);
  }
  // What applying expiries does to the index: the timers go, the clock moves.
  void clear_timers(uint64_t first, uint64_t last, Timestamp ledger_clock) {
    StoreBatch b;
    for (uint64_t i = first; i < last; i++) b.remove(keys::timer(timer_at(i)));
    REQUIRE(store->commit(b).ok());
    set_ledger_clock(ledger_clock);
  }
  void set_ledger_clock(Timestamp t) {
    auto meta = store->meta();
    REQUIRE(meta.ok());
    meta->last_timestamp = t;
    StoreBatch b;
    b.stage_meta(*meta);
    REQUIRE(store->commit(b).ok());
  }

  TickReport tick() {
    auto r = scheduler->tick(Partition{0});
    REQUIRE(r.ok());
    return *r;
  }

  // Every command appended so far, in log order.
  std::vector<Command> appended() { return log_commands(*log, Partition{0}); }

  TempDir dir;
  std::unique_ptr<PartitionStore> store;
  std::unique_ptr<BreakerLog> log;
  Timestamp now{kT0};
  Offset applied{0};
  std::unique_ptr<TimerScheduler> scheduler;
};

}  // namespace

TEST_CASE("1,000,000 timers, 1% due: a tick finds exactly the due ones, with work proportional to them") {
  Fixture f;
  constexpr uint64_t kTimers = 1'000'000, kDue = 10'000;
  f.write_timers(0, kTimers, Timestamp{kT0});
  f.now = timer_at(kDue - 1).deadline;  // timers 0 .. 9,999 are due

  TickReport r = f.tick();
  CHECK(r.scanned);
  CHECK(r.found == kDue);
  CHECK(r.appended == kDue);
  CHECK(r.visited == kDue + 1);  // the due keys and the first one after now
  CHECK_FALSE(r.append_failed);

  // Exactly the due ones, each once, as ExpirePending routed by the timer.
  const std::vector<Command> commands = f.appended();
  REQUIRE(commands.size() == kDue);
  for (uint64_t i = 0; i < kDue; i++) {
    const auto* e = std::get_if<ExpirePending>(&commands[i]);
    REQUIRE(e != nullptr);
    CHECK(e->pending_id == TransferId(timer_at(i).id));
    CHECK(e->debit_account_id == timer_at(i).routing);
  }
  auto end = f.log->end_offset(Partition{0});
  REQUIRE(end.ok());
  CHECK(end->value == 2);  // 10,000 commands: records of at most 8,189

  // Woken again before anything applied: the due timers are tracked, none is
  // appended twice, and the scan still reads only the due range.
  f.scheduler->wake(Partition{0});
  r = f.tick();
  CHECK(r.found == 0);
  CHECK(r.appended == 0);
  CHECK(r.visited <= kDue + 1);
  CHECK(f.scheduler->stats().timers_due == kDue);

  // The pipeline applies both records: the timers are cleared and the
  // ledger clock moves to the expiries' log time.
  f.clear_timers(0, kDue, f.now);
  f.applied = Offset{2};
  f.scheduler->wake(Partition{0});
  r = f.tick();
  CHECK(r.checked == kDue);  // each tracked timer looked up once, then forgotten
  CHECK(r.found == 0);
  CHECK(r.visited <= 1);
  CHECK(f.scheduler->stats().timers_due == 0);
  CHECK(f.scheduler->stats().expiries_appended == kDue);

  // And from now on a wake whose commits set no timer reads no key.
  f.scheduler->wake(Partition{0});
  r = f.tick();
  CHECK_FALSE(r.scanned);
  CHECK(r.visited == 0);
  CHECK(r.found == 0);
}

TEST_CASE("commits that set only timers due after the next known deadline cause no scan; an earlier one is found when due") {
  // The saga pattern: every commit sets deadlines 5 s ahead and clears the
  // ones of the sagas it settled. A scan after each commit would step over
  // all those cleared keys each time; the scheduler scans only when a
  // deadline it knows of, or one a commit noted, comes.
  Fixture f;
  f.write_timers(1000, 2000, Timestamp{kT0});
  f.now = Timestamp{kT0};
  TickReport r = f.tick();
  CHECK(r.scanned);  // the first pass: learns that timer 1000 is the next
  CHECK(r.visited == 1);
  const uint64_t scans = f.scheduler->stats().scans;

  for (uint64_t round = 0; round < 50; round++) {
    f.write_timers(2000 + round * 100, 2100 + round * 100, Timestamp{kT0});  // later than timer 1000
    f.clear_timers(1000 + round * 10, 1010 + round * 10, Timestamp{kT0});  // settled: tombstones
    f.scheduler->wake(Partition{0});
    f.now = Timestamp{f.now.ns + 1};
    r = f.tick();
    CHECK_FALSE(r.scanned);
    CHECK(r.visited == 0);
  }
  CHECK(f.scheduler->stats().scans == scans);

  // A commit sets a timer earlier than any known: not due yet, no scan, but
  // it is found once its deadline comes, without another wake.
  f.write_timers(5, 6, Timestamp{kT0});
  f.scheduler->wake(Partition{0});
  r = f.tick();
  CHECK_FALSE(r.scanned);
  f.now = timer_at(5).deadline;
  r = f.tick();
  CHECK(r.scanned);
  CHECK(r.found == 1);
  const std::vector<Command> commands = f.appended();
  REQUIRE(commands.size() == 1);
  CHECK(std::get<ExpirePending>(commands[0]).pending_id == TransferId(timer_at(5).id));

  // The deadlines known before still come: timer 1000 was cleared, the
  // first live one is 1500 (rounds cleared 1000 .. 1499).
  f.now = timer_at(1500).deadline;
  r = f.tick();
  CHECK(r.found == 1);
  CHECK(f.appended().size() == 2);
}

TEST_CASE("a tick with none of 1,000,000 timers due reads one key, and only when woken or a deadline comes") {
  Fixture f;
  f.write_timers(0, 1'000'000, Timestamp{kT0});
  f.now = Timestamp{timer_at(0).deadline.ns - 1};
  TickReport r = f.tick();
  CHECK(r.scanned);
  CHECK(r.visited == 1);
  CHECK(r.found == 0);
  // Not woken, nothing due: the tick does not scan at all.
  r = f.tick();
  CHECK_FALSE(r.scanned);
  CHECK(r.visited == 0);
  // The first deadline comes: the next tick finds exactly that one.
  f.now = timer_at(0).deadline;
  r = f.tick();
  CHECK(r.found == 1);
  CHECK(r.visited == 2);
}

TEST_CASE("timers set after a scan with deadlines already past are found by the next scan") {
  // A pipeline catching up on old records sets timers whose deadlines are
  // long gone; the ledger clock read before each scan bounds where they can be.
  Fixture f;
  f.write_timers(100, 200, Timestamp{kT0});
  f.now = Timestamp{kT0 + 10'000 * kMs};
  CHECK(f.tick().found == 100);
  f.write_timers(0, 10, Timestamp{kT0});  // behind everything scanned so far
  f.scheduler->wake(Partition{0});
  TickReport r = f.tick();
  CHECK(r.found == 10);
  CHECK(f.appended().size() == 110);
}

TEST_CASE("a timer whose expiry applies but stays set is re-appended with backoff, then reported stuck") {
  SchedulerOptions o;
  o.backoff = {.initial = 1000ms, .max = 8000ms, .multiplier = 2.0, .jitter = 0.0, .max_attempts = 3};
  Fixture f(o);
  f.write_timers(0, 3, Timestamp{kT0});
  f.now = timer_at(2).deadline;
  CHECK(f.tick().appended == 3);
  f.applied = Offset{1};  // applied, yet the timers are still there (e.g. not_yet_due)
  TickReport r = f.tick();
  CHECK(r.checked == 3);
  CHECK(r.appended == 0);
  f.now.ns += 999 * kMs;
  CHECK(f.tick().appended == 0);  // backoff: 1 s
  f.now.ns += 1 * kMs;
  CHECK(f.tick().appended == 3);  // attempt 2
  f.applied = Offset{2};
  CHECK(f.tick().checked == 3);
  f.now.ns += 2000 * kMs;
  CHECK(f.tick().appended == 3);  // attempt 3
  f.applied = Offset{3};
  f.tick();
  CHECK(f.scheduler->stats().stuck == 3);
  const auto stuck = f.scheduler->stuck(10);
  REQUIRE(stuck.size() == 3);
  CHECK(stuck[0].kind == "pending_expiry");
  CHECK(stuck[0].id == timer_at(0).id);
  CHECK(stuck[0].attempts == 3);
  CHECK(stuck[0].last_error.find("appended at offset 2") != std::string::npos);
  CHECK(stuck[0].last_error.find("the timer is still set") != std::string::npos);
  // Stuck work is retried at the maximum interval, 8 s.
  f.now.ns += 7999 * kMs;
  CHECK(f.tick().appended == 0);
  f.now.ns += 1 * kMs;
  CHECK(f.tick().appended == 3);
  CHECK(f.appended().size() == 12);
  // The transfers are resolved: the timers clear and nothing is stuck any more.
  f.clear_timers(0, 3, f.now);
  f.applied = Offset{4};
  f.tick();
  CHECK(f.scheduler->stats().stuck == 0);
  CHECK(f.scheduler->stuck(10).empty());
}

TEST_CASE("failed appends are retried with backoff, and the breaker opens after 5 in a row") {
  auto faults = std::make_shared<Faults>();
  SchedulerOptions o;
  o.backoff = {.initial = 100ms, .max = 1000ms, .multiplier = 2.0, .jitter = 0.0, .max_attempts = 4};
  Fixture f(o, faults);
  f.write_timers(0, 2, Timestamp{kT0});
  f.now = timer_at(1).deadline;
  faults->fail_appends(Status::Unavailable("injected"));
  TickReport r = f.tick();
  CHECK(r.found == 2);
  CHECK(r.append_failed);
  // Retries at +100, +200, +400 ms; then stuck, every 1 s.
  for (uint64_t step : {100, 200, 400, 1000}) {
    f.now.ns += (step - 1) * kMs;
    CHECK_FALSE(f.tick().append_failed);  // not yet
    f.now.ns += 1 * kMs;
    CHECK(f.tick().append_failed);
  }
  CHECK(faults->appends_tried == 5);
  CHECK(f.log->snapshot().state == BreakerState::open);
  CHECK(f.scheduler->stats().stuck == 2);
  CHECK(f.scheduler->stuck(10).at(0).last_error.find("injected") != std::string::npos);
  CHECK(f.scheduler->stats().append_failures == 5);
  CHECK(f.appended().empty());
}
