// The circuit breaker as a table: each row is a script of events and the
// state after each one, rendered as one line. Events:
//   ok / fail      admit a call and report its result at once
//                  ("refused" if admit said no)
//   hold           admit a call and keep it in flight ("refused" if not)
//   done-ok / done-fail   finish the oldest held call
//   +Ns / +Nms     advance the clock
// Then the breaker around a real log: BreakerLog over a FaultyLog over the
// embedded log.
#include <doctest/doctest.h>

#include <deque>
#include <sstream>

#include "engine/core/codec.h"
#include "engine/log/embedded_log.h"
#include "recovery/backoff.h"
#include "recovery/breaker.h"
#include "recovery/breaker_log.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/faulty_log.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

namespace {

std::string run_script(const std::string& script, BreakerOptions options = {}) {
  CircuitBreaker b(options);
  TimePoint now{};
  std::deque<CircuitBreaker::Permit> held;
  std::istringstream in(script);
  std::string event, out;
  while (in >> event) {
    std::string shown;
    if (event == "ok" || event == "fail") {
      auto permit = b.admit(now);
      if (permit) {
        b.on_result(*permit, event == "ok", now);
      } else {
        shown = "refused";
      }
    } else if (event == "hold") {
      auto permit = b.admit(now);
      if (permit) {
        held.push_back(*permit);
      } else {
        shown = "refused";
      }
    } else if (event == "done-ok" || event == "done-fail") {
      REQUIRE(!held.empty());
      b.on_result(held.front(), event == "done-ok", now);
      held.pop_front();
    } else if (event.starts_with("+") && event.ends_with("ms")) {
      now += std::chrono::milliseconds(std::stoll(event.substr(1)));
    } else if (event.starts_with("+") && event.ends_with("s")) {
      now += std::chrono::seconds(std::stoll(event.substr(1)));
    } else {
      FAIL("unknown event " << event);
    }
    if (shown.empty()) shown = std::string(breaker_state_name(b.state(now)));
    out += (out.empty() ? "" : " ") + shown;
  }
  return out;
}

struct Row {
  const char* name;
  const char* script;
  const char* states;
};

}  // namespace

TEST_CASE("circuit breaker transitions (defaults: 5 failures, 30 s, 3 successes)") {
  const Row rows[] = {
      {"successes keep it closed", "ok ok ok", "closed closed closed"},
      {"opens on the 5th consecutive failure", "fail fail fail fail fail",
       "closed closed closed closed open"},
      {"a success resets the failure count", "fail fail fail fail ok fail fail fail fail",
       "closed closed closed closed closed closed closed closed closed"},
      {"refuses every call while open", "fail fail fail fail fail ok fail +29s ok",
       "closed closed closed closed open refused refused open refused"},
      {"half-open once 30 s have passed", "fail fail fail fail fail +29s +999ms +1ms",
       "closed closed closed closed open open open half-open"},
      {"closes after 3 half-open successes",
       "fail fail fail fail fail +30s ok ok ok ok",
       "closed closed closed closed open half-open half-open half-open closed closed"},
      {"a half-open failure opens it again for another 30 s",
       "fail fail fail fail fail +30s ok fail ok +29s ok +1s ok",
       "closed closed closed closed open half-open half-open open refused open refused half-open half-open"},
      {"after closing again it takes 5 new failures to open",
       "fail fail fail fail fail +30s ok ok ok fail fail fail fail fail",
       "closed closed closed closed open half-open half-open half-open closed closed closed closed closed open"},
      {"half-open admits at most 3 trial calls at once",
       "fail fail fail fail fail +30s hold hold hold hold done-ok hold",
       "closed closed closed closed open half-open half-open half-open half-open refused half-open half-open"},
      {"a call admitted before the breaker opened cannot close it",
       "hold fail fail fail fail fail +30s done-ok ok ok",
       "closed closed closed closed closed open half-open half-open half-open half-open"},
      {"nor open it again once half-open",
       "hold fail fail fail fail fail +30s done-fail ok ok ok",
       "closed closed closed closed closed open half-open half-open half-open half-open closed"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    CHECK(run_script(row.script) == row.states);
  }
}

TEST_CASE("circuit breaker thresholds and duration are configurable") {
  const BreakerOptions o{.failure_threshold = 2, .open_duration = 500ms, .success_threshold = 1,
                         .half_open_max_in_flight = 1};
  CHECK(run_script("fail fail ok +499ms ok +1ms hold hold done-ok fail", o) ==
        "closed open refused open refused half-open half-open refused closed closed");
}

TEST_CASE("circuit breaker counts transitions") {
  CircuitBreaker b;
  TimePoint now{};
  for (int i = 0; i < 5; i++) b.on_result(*b.admit(now), false, now);
  now += 30s;
  for (int i = 0; i < 3; i++) b.on_result(*b.admit(now), true, now);
  CHECK(b.state(now) == BreakerState::closed);
  CHECK(b.transitions() == 3);  // closed→open→half-open→closed
}

TEST_CASE("backoff doubles from the initial delay up to the maximum, with jitter below it") {
  const BackoffPolicy p{.initial = 100ms, .max = 1000ms, .multiplier = 2.0, .jitter = 0.5, .max_attempts = 8};
  std::string bases;
  for (uint32_t f = 1; f <= 6; f++) {
    bases += std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(backoff_base(p, f)).count()) + " ";
  }
  CHECK(bases == "100 200 400 800 1000 1000 ");
  CHECK(backoff_delay(p, 3, 0.0) == 400ms);
  CHECK(backoff_delay(p, 3, 0.5) == 300ms);   // 400 * (1 - 0.5 * 0.5)
  CHECK(backoff_delay(p, 8, 0.0) == 1000ms);  // stuck: the maximum interval
  Jitter j(7);
  for (int i = 0; i < 1000; i++) {
    const auto d = backoff_delay(p, 2, j.next());
    CHECK(d > 100ms);
    CHECK(d <= 200ms);
  }
}

TEST_CASE("BreakerLog: failures of the real log open it; it fails fast; it closes after healing") {
  TempDir dir;
  auto inner = open_embedded_log({.dir = dir.sub("log"), .partitions = 2});
  REQUIRE(inner.ok());
  auto faults = std::make_shared<Faults>();
  TimePoint now{};
  BreakerLog log(std::make_unique<FaultyLog>(std::move(inner).value(), faults),
                 {.breaker = {}, .clock = [&] { return now; }});
  const Command c = account(1);
  const std::vector<uint8_t> record = encode_batch(std::span(&c, 1));

  REQUIRE(log.append_one(Partition{0}, record).ok());
  faults->fail_appends(Status::Unavailable("broker down (injected)"));
  for (int i = 0; i < 5; i++) CHECK(log.append_one(Partition{0}, record).status().code() == StatusCode::unavailable);
  CHECK(faults->appends_tried == 6);
  CHECK(log.snapshot().state == BreakerState::open);

  // Open: refused without touching the log, with a message that says why.
  auto refused = log.append_one(Partition{0}, record);
  CHECK(refused.status().code() == StatusCode::unavailable);
  CHECK(refused.status().message().find("circuit breaker open") != std::string::npos);
  CHECK(refused.status().message().find("5 consecutive append failures") != std::string::npos);
  CHECK(refused.status().message().find("broker down (injected)") != std::string::npos);
  CHECK(faults->appends_tried == 6);
  CHECK(log.snapshot().rejected == 1);
  // Reads pass through.
  auto end = log.end_offset(Partition{0});
  REQUIRE(end.ok());
  CHECK(end->value == 1);

  // A caller's mistake does not count against the log.
  faults->heal();
  now += 30s;
  CHECK(log.append_one(Partition{7}, record).status().code() == StatusCode::invalid_argument);
  CHECK(log.snapshot().state == BreakerState::half_open);
  for (int i = 0; i < 3; i++) REQUIRE(log.append_one(Partition{1}, record).ok());
  CHECK(log.snapshot().state == BreakerState::closed);
  CHECK(log.snapshot().transitions == 3);
  CHECK(log.describe_breaker() == "circuit breaker closed");
  auto end1 = log.end_offset(Partition{1});
  REQUIRE(end1.ok());
  CHECK(end1->value == 3);
}
