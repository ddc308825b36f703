// A stalled destination partition (issue 11 item 5): its pipeline paused
// for 60 s (Node::pause) while 120 sagas flow to it. The sagas wait; each
// is re-sent only a few times, on the saga's own backoff schedule, once the
// destination counts as stalled (10 s with work queued and no progress); none
// is compensated (the cancel comes after five credit-leg sends, minutes
// away); after resume() every saga completes within 5 s; then tally
// reconcile is clean and tally replay --verify reproduces every digest.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/core/partitioner.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/ledger_checks.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 4;
constexpr uint64_t kSagas = 120;

// The first group whose accounts live in partition `p`.
uint64_t group_in(uint32_t p) {
  for (uint64_t g = 1;; g++) {
    if (partition_of(AccountId(make_u128(g, 1)), kPartitions).value == p) return g;
  }
}

struct StallCounts {
  uint64_t in_flight = 0, completed = 0, compensated = 0;
};

StallCounts count_sagas(Node& node, Partition source) {
  StallCounts c;
  auto n = node.store(source).scan("S", "T", false, 0, [&](std::string_view, std::string_view v) {
    auto s = decode_saga(v);
    REQUIRE(s.ok());
    if (s->state == SagaState::in_flight) c.in_flight++;
    if (s->state == SagaState::completed) c.completed++;
    if (s->state == SagaState::compensated) c.compensated++;
    return true;
  });
  REQUIRE(n.ok());
  return c;
}

}  // namespace

TEST_CASE("a destination partition stalled for 60 s: sagas wait, are re-sent a few times, none compensated") {
  test::TempDir dir;
  const std::string data = dir.sub("data");
  const Partition src{0}, dst{3};
  const AccountId payer(make_u128(group_in(src.value), 1));
  const AccountId payee(make_u128(group_in(dst.value), 1));
  std::filesystem::create_directories(data);
  {
    auto log = open_embedded_log({.dir = data + "/log", .partitions = kPartitions});
    REQUIRE(log.ok());
    auto opened = Node::open(std::move(log).value(), {.data_dir = data});
    REQUIRE(opened.ok());
    Node& node = **opened;
    REQUIRE(node.start().ok());
    const std::vector<Command> accounts = {account(payer), account(payee)};
    REQUIRE(node.append(accounts).ok());
    REQUIRE(node.wait_caught_up(10s).ok());

    REQUIRE(node.pause(dst));
    std::vector<Command> sagas;
    for (uint64_t i = 1; i <= kSagas; i++) sagas.push_back(transfer(i, payer, payee, i));
    auto placed = node.append(sagas);
    REQUIRE(placed.ok());
    for (const Placement& p : *placed) {
      auto o = node.outcome(p, 10s);
      REQUIRE(o.ok());
      CHECK(*o == Outcome::created);  // the reservations: made at the source
    }
    const auto paused_at = std::chrono::steady_clock::now();
    std::this_thread::sleep_until(paused_at + 60s);
    const StallCounts during = count_sagas(node, src);
    CHECK(during.in_flight == kSagas);  // waiting, none given up
    CHECK(during.compensated == 0);
    const uint64_t resent = node.scheduler().stats().saga_timeouts_appended;
    MESSAGE("saga timeouts appended during the 60 s stall: ", resent, " for ", kSagas, " sagas");
    CHECK(resent >= kSagas);       // the stall was noticed: each saga was sent again
    CHECK(resent <= 4 * kSagas);   // a few times each, backing off (5, 10, 20 s ... ±20%)

    REQUIRE(node.resume(dst));
    const auto resumed_at = std::chrono::steady_clock::now();
    StallCounts after;
    while (std::chrono::steady_clock::now() - resumed_at < 5s) {
      after = count_sagas(node, src);
      if (after.in_flight == 0) break;
      std::this_thread::sleep_for(50ms);
    }
    MESSAGE("settled ", std::chrono::duration<double>(std::chrono::steady_clock::now() - resumed_at).count(),
            " s after the resume");
    CHECK(after.in_flight == 0);
    CHECK(after.completed == kSagas);
    CHECK(after.compensated == 0);
    REQUIRE(node.wait_caught_up(10s).ok());
    auto a = node.account(payee);
    REQUIRE(a.ok());
    REQUIRE(a->has_value());
    CHECK((*a)->balances.credits_posted == kSagas * (kSagas + 1) / 2);  // each credited once
    node.stop();
  }
  test::check_reconcile_and_replay(data, dir.sub("replay"), kPartitions);
}
