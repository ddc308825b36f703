// kill -9 while expiries are being appended and applied: a child node
// (tests/helpers/recovery_node.cc) creates pending transfers with a 1 s
// timeout; it is killed from outside while its scheduler appends expiries,
// then at the crash point right after a scheduler append, then inside a
// pipeline commit that clears timers; a last run finishes. Then every
// transfer is expired, each by exactly one `expired` outcome, and the books
// balance.
//
// Needs the two-phase ledger rules; see tests/meson.build.
#include <doctest/doctest.h>

#include <signal.h>

#include <random>

#include "tests/integration/recovery_support.h"
#include "tests/support/temp_dir.h"

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

// Runs the child until it prints "done" or dies; returns its exit code.
int run_child(const std::string& dir, const std::string& crash_at, bool kill_midway, std::mt19937& rng) {
  auto child = spawn_recovery_node({"expiry", dir, std::to_string(kTransfers), "1"}, crash_at);
  std::optional<std::string> line = child->read_line(120s);
  if (line != "ready") return child->wait();
  // Kill once expiries are flowing: some appended, some still pending,
  // after a random number of further progress lines.
  int extra = std::uniform_int_distribution<int>(0, 5)(rng);
  while ((line = child->read_line(120s))) {
    if (*line == "done") break;
    const auto p = parse(*line);
    REQUIRE(p.has_value());
    if (kill_midway && p->appended > 0 && p->pending > 0 && extra-- <= 0) {
      child->signal(SIGKILL);
      break;
    }
  }
  return child->wait();
}

}  // namespace

TEST_CASE("kill -9 while expiries are appended and applied: each transfer expires once and the books balance") {
  TempDir dir;
  std::mt19937 rng(20261121);
  CHECK(run_child(dir.path(), "", true, rng) == 128 + SIGKILL);
  CHECK(run_child(dir.path(), "scheduler.after_append:2", false, rng) != 0);
  CHECK(run_child(dir.path(), "pipeline.after_commit.effects:2", false, rng) != 0);
  CHECK(run_child(dir.path(), "", true, rng) != 1);  // killed, or done if nothing was left
  REQUIRE(run_child(dir.path(), "", false, rng) == 0);

  auto node = open_for_reading(dir.path());
  REQUIRE(node != nullptr);
  const auto applied = applied_commands(*node);
  int wrong = 0;
  for (uint64_t i = 0; i < kTransfers; i++) {
    const u128 id = 100000 + i;
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
