// kill -9 while expiries are being appended and applied: a child node
// (tests/programs/recovery_node.cc) creates pending transfers with timeouts
// of 1 to 6 s; it is killed at the crash point right after its scheduler's
// first append, then after a pipeline commit that changed timers (replaying
// what the store lost, or applying expiries), then from outside while
// expiries flow; a last run finishes. Then every
// transfer is expired, each by exactly one `expired` outcome, and the books
// balance.
#include <doctest/doctest.h>

#include <signal.h>


#include "tests/fixtures/recovery_node.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kTransfers = 20'000;

struct Progress {
  uint64_t appended = 0;
  uint64_t pending = 0;
};
std::optional<Progress> parse(const std::string& line) {
  Progress p;
  unsigned long long a = 0, q = 0;
  if (std::sscanf(line.c_str(), "progress appended=%llu pending=%llu", &a, &q) != 2) return std::nullopt;
  p.appended = a;
  p.pending = q;
  return p;
}

// Runs the child until it prints "done" or dies; returns its exit code and
// how many transfers were pending when it started.
struct Run {
  int exit_code = -1;
  uint64_t pending_at_start = 0;
};
Run run_child(const std::string& dir, const std::string& crash_at, bool kill_midway) {
  auto child = spawn_recovery_node({"expiry", dir, std::to_string(kTransfers), "6"}, crash_at);
  Run run;
  std::optional<std::string> line = child->read_line(120s);
  unsigned long long pending = 0;
  if (!line || std::sscanf(line->c_str(), "ready pending=%llu", &pending) != 1) {
    run.exit_code = child->wait();
    return run;
  }
  run.pending_at_start = pending;
  while ((line = child->read_line(120s))) {
    if (*line == "done") break;
    const auto p = parse(*line);
    REQUIRE(p.has_value());
    if (kill_midway && p->appended > 0 && p->pending > 0) {
      child->signal(SIGKILL);
      break;
    }
  }
  run.exit_code = child->wait();
  return run;
}

}  // namespace

TEST_CASE("kill -9 while expiries are appended and applied: each transfer expires once and the books balance") {
  TempDir dir;
  // Killed right after the first expiries reach the log, before they apply
  // (on a slow machine, possibly before every transfer was created: the
  // next run creates them again, answered `exists`).
  Run r = run_child(dir.path(), "scheduler.after_append:1", false);
  CHECK(r.exit_code == 128 + SIGKILL);
  // Killed inside the pipeline's sixth commit with timer changes: replaying
  // what the first crash lost from the store (no WAL), or applying expiries.
  r = run_child(dir.path(), "pipeline.after_commit.effects:6", false);
  CHECK(r.exit_code == 128 + SIGKILL);
  // Killed from outside while expiries flow (unless the rest expires
  // between two progress lines; the checks below hold either way).
  r = run_child(dir.path(), "", true);
  MESSAGE("third run: " << r.pending_at_start << " pending at start, exit " << r.exit_code);
  // To the end.
  r = run_child(dir.path(), "", false);
  REQUIRE(r.exit_code == 0);

  auto node = open_for_reading(dir.path());
  REQUIRE(node != nullptr);
  const auto applied = applied_commands(*node);
  int wrong = 0;
  for (uint64_t i = 0; i < kTransfers; i++) {
    const u128 id = make_u128(i % 8 + 1, 100000 + i);  // the debit account's group (recovery_node.cc)
    auto t = node->transfer(TransferId(id));
    REQUIRE(t.ok());
    REQUIRE(t->has_value());
    if ((*t)->state != PendingState::expired) wrong++;
    int expired = 0;
    for (const Applied& a : applied.at(id)) {
      if (a.type == "expire_pending" && a.outcome == Outcome::expired) expired++;
    }
    if (expired != 1) {
      wrong++;
      MESSAGE("transfer " << u128_to_string(id) << " expired " << expired << " times");
    }
  }
  CHECK(wrong == 0);
  // The books: nothing reserved, nothing posted, per ledger debits = credits.
  u128 debits_pending = 0, credits_pending = 0, debits_posted = 0, credits_posted = 0;
  for (uint64_t g = 1; g <= 8; g++) {
    for (u128 id : {(u128{g} << 64) | 1, (u128{g} << 64) | 2}) {
      auto a = node->account(AccountId(id));
      REQUIRE(a.ok());
      REQUIRE(a->has_value());
      debits_pending += (*a)->balances.debits_pending;
      credits_pending += (*a)->balances.credits_pending;
      debits_posted += (*a)->balances.debits_posted;
      credits_posted += (*a)->balances.credits_posted;
    }
  }
  CHECK(debits_pending == 0);
  CHECK(credits_pending == 0);
  CHECK(debits_posted == credits_posted);
}
