// Expiry end to end through a Node on the embedded log: a pending transfer
// with a timeout gets a timer in the same write; the scheduler appends
// ExpirePending once the wall clock passes the deadline; the ledger applies
// it only at or past the deadline in log time (else not_yet_due, and the
// scheduler tries again); the transfer ends `expired`, its timer gone, and
// nothing expires twice. Posts and voids race expiries through log order.
#include <doctest/doctest.h>

#include <map>
#include <thread>

#include "engine/core/codec.h"
#include "engine/core/partitioner.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/log_contents.h"
#include "tests/fixtures/node_fixture.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 4;
constexpr uint64_t kSecond = 1'000'000'000;
// Expiries come once the scheduler sees the wall clock pass a deadline (1-2 s).
constexpr Poll kExpiry{15s, 20ms};

std::unique_ptr<Node> start_node(const TempDir& dir, NodeOptions options = {}) {
  options.data_dir = dir.sub("data");
  return test::start_node(open_test_log(dir.sub("log"), kPartitions), std::move(options));
}

CreateTransfer pending(u128 id, u128 debit, u128 credit, u128 amount, uint32_t timeout_s) {
  CreateTransfer t = test::transfer(static_cast<uint64_t>(id), debit, credit, amount);
  t.flags = transfer_flags::pending;
  t.timeout_seconds = timeout_s;
  return t;
}
CreateTransfer resolve(u128 id, u128 pending_id, u128 debit, u128 credit, u128 amount, uint16_t flag) {
  CreateTransfer t;
  t.id = TransferId(make_u128(u128_hi(debit), static_cast<uint64_t>(id)));  // as pending()
  t.pending_id = TransferId(make_u128(u128_hi(debit), static_cast<uint64_t>(pending_id)));
  t.debit_account_id = AccountId(debit);
  t.credit_account_id = AccountId(credit);
  t.amount = Amount(amount);
  t.flags = flag;
  return t;
}


constexpr u128 kA = (u128{42} << 64) | 1;
constexpr u128 kB = (u128{42} << 64) | 2;

// Transfer `id` of `debit` (as pending() and resolve() make it).
Transfer transfer(Node& node, u128 id, u128 debit = kA) {
  auto t = node.transfer(TransferId(make_u128(u128_hi(debit), static_cast<uint64_t>(id))));
  REQUIRE(t.ok());
  REQUIRE(t->has_value());
  return **t;
}
Balances balances(Node& node, u128 id) {
  auto a = node.account(AccountId(id));
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  return (*a)->balances;
}

bool timer_set(Node& node, const Transfer& t) {
  const Timer timer{t.expires_at, TimerKind::pending_expiry, t.id.value(), t.debit_account_id};
  auto v = node.store(node.partition_of_account(t.debit_account_id)).get(keys::timer(timer));
  REQUIRE(v.ok());
  return v->has_value();
}

uint64_t wall_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Every ExpirePending in the log, with the outcome and log time it got.
struct AppliedExpiry {
  u128 pending_id;
  Outcome outcome;
  Timestamp timestamp;
};
std::vector<AppliedExpiry> applied_expiries(Node& node) {
  REQUIRE(node.wait_caught_up(10s).ok());
  std::vector<AppliedExpiry> out;
  for (uint32_t p = 0; p < kPartitions; p++) {
    for (const LogRecord& r : log_records(node.log(), Partition{p})) {
      auto commands = decode_batch(r.value);
      REQUIRE(commands.ok());
      auto outcomes = node.store(Partition{p}).outcomes(r.offset);
      REQUIRE(outcomes.ok());
      REQUIRE(outcomes->has_value());
      for (size_t i = 0; i < commands->size(); i++) {
        const auto* e = std::get_if<ExpirePending>(&(*commands)[i]);
        if (e == nullptr) continue;
        out.push_back({e->pending_id.value(), (*outcomes)->outcomes.at(i),
                       Timestamp{(*outcomes)->first_timestamp.ns + i}});
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a pending transfer expires at its deadline, once, and its timer goes with it") {
  TempDir dir;
  auto node = start_node(dir);
  CHECK(append_and_wait(*node, {account(kA), account(kB)}) == std::vector<Outcome>{Outcome::created, Outcome::created});
  CHECK(append_and_wait(*node, {pending(1001, kA, kB, 100, 2)}) == std::vector<Outcome>{Outcome::created});
  const Transfer t = transfer(*node, 1001);
  CHECK(t.state == PendingState::pending);
  CHECK(t.expires_at.ns == t.timestamp.ns + 2 * kSecond);
  CHECK(timer_set(*node, t));
  CHECK(balances(*node, kA).debits_pending == 100);
  if (wall_ns() + 500'000'000 < t.expires_at.ns) {
    CHECK(node->scheduler().stats().expiries_appended == 0);  // not before the deadline
  }

  REQUIRE(eventually([&] { return transfer(*node, 1001).state == PendingState::expired; }, kExpiry));
  CHECK(wall_ns() >= t.expires_at.ns);
  CHECK_FALSE(timer_set(*node, t));
  const Balances a = balances(*node, kA), b = balances(*node, kB);
  CHECK(a.debits_pending == 0);
  CHECK(a.debits_posted == 0);
  CHECK(b.credits_pending == 0);
  CHECK(b.credits_posted == 0);

  const auto expiries = applied_expiries(*node);
  int expired = 0;
  for (const AppliedExpiry& e : expiries) {
    CHECK(e.pending_id == make_u128(u128_hi(kA), 1001));
    if (e.outcome == Outcome::expired) {
      expired++;
      CHECK(e.timestamp >= t.expires_at);
    }
  }
  CHECK(expired == 1);
  // Neither a post nor a void can resolve it now.
  CHECK(append_and_wait(*node, {resolve(1002, 1001, kA, kB, 100, transfer_flags::post_pending),
                    resolve(1003, 1001, kA, kB, 0, transfer_flags::void_pending)}) ==
        std::vector<Outcome>{Outcome::pending_transfer_expired, Outcome::pending_transfer_expired});
  REQUIRE(eventually([&] { return node->scheduler().stats().timers_due == 0; }, kExpiry));
  CHECK(node->stuck().empty());
  CHECK(node->metrics_text().find("\ntally_timers_due 0\n") != std::string::npos);
}

TEST_CASE("with the scheduler's clock ahead of the log's, early expiries are answered not_yet_due and retried until the deadline") {
  TempDir dir;
  NodeOptions o;
  o.clock = [] { return Timestamp{wall_ns() + 3 * kSecond}; };
  o.scheduler.backoff = {.initial = 100ms, .max = 500ms, .multiplier = 2.0, .jitter = 0.5, .max_attempts = 50};
  o.scheduler.apply_poll = 20ms;
  auto node = start_node(dir, o);
  append_and_wait(*node, {account(kA), account(kB)});
  CHECK(append_and_wait(*node, {pending(2001, kA, kB, 5, 2)}) == std::vector<Outcome>{Outcome::created});
  const Transfer t = transfer(*node, 2001);
  REQUIRE(eventually([&] { return transfer(*node, 2001).state == PendingState::expired; }, kExpiry));
  int early = 0, expired = 0;
  for (const AppliedExpiry& e : applied_expiries(*node)) {
    if (e.outcome == Outcome::not_yet_due) {
      early++;
      CHECK(e.timestamp < t.expires_at);
    } else if (e.outcome == Outcome::expired) {
      expired++;
      CHECK(e.timestamp >= t.expires_at);
    } else {
      CHECK(e.outcome == Outcome::pending_transfer_expired);  // a re-append that lost the race
    }
  }
  CHECK(early >= 1);
  CHECK(expired == 1);
  CHECK(balances(*node, kA).debits_pending == 0);
}

TEST_CASE("a post that reaches the log first wins; the timer goes with it and nothing expires") {
  TempDir dir;
  auto node = start_node(dir);
  append_and_wait(*node, {account(kA), account(kB)});
  CHECK(append_and_wait(*node, {pending(3001, kA, kB, 100, 1), pending(3002, kA, kB, 50, 1)}) ==
        std::vector<Outcome>{Outcome::created, Outcome::created});
  const Transfer t1 = transfer(*node, 3001), t2 = transfer(*node, 3002);
  // A partial post releases the rest; a void releases everything.
  CHECK(append_and_wait(*node, {resolve(3003, 3001, kA, kB, 60, transfer_flags::post_pending),
                    resolve(3004, 3002, kA, kB, 0, transfer_flags::void_pending)}) ==
        std::vector<Outcome>{Outcome::created, Outcome::created});
  CHECK_FALSE(timer_set(*node, t1));
  CHECK_FALSE(timer_set(*node, t2));
  std::this_thread::sleep_for(1500ms);  // past both deadlines
  CHECK(transfer(*node, 3001).state == PendingState::posted);
  CHECK(transfer(*node, 3002).state == PendingState::voided);
  CHECK(node->scheduler().stats().expiries_appended == 0);
  const Balances a = balances(*node, kA);
  CHECK(a.debits_pending == 0);
  CHECK(a.debits_posted == 60);
  CHECK(balances(*node, kB).credits_posted == 60);
}

TEST_CASE("1,000 pending transfers across partitions all expire exactly once and the books balance") {
  TempDir dir;
  auto node = start_node(dir);
  std::vector<Command> setup;
  std::vector<u128> debit, credit;
  for (uint64_t g = 1; g <= 8; g++) {
    debit.push_back((u128{g} << 64) | 1);
    credit.push_back((u128{g} << 64) | 2);
    setup.push_back(account(debit.back()));
    setup.push_back(account(credit.back()));
  }
  append_and_wait(*node, setup);
  std::vector<Command> transfers;
  for (uint64_t i = 0; i < 1000; i++) {
    transfers.push_back(pending(10'000 + i, debit[i % 8], credit[i % 8], i + 1, 1));
  }
  for (Outcome o : append_and_wait(*node, transfers)) CHECK(o == Outcome::created);
  REQUIRE(eventually([&] {
    for (uint64_t i = 0; i < 1000; i++) {
      if (transfer(*node, 10'000 + i, debit[i % 8]).state != PendingState::expired) return false;
    }
    return true;
  }, kExpiry));
  std::map<u128, int> expired;
  for (const AppliedExpiry& e : applied_expiries(*node)) {
    if (e.outcome == Outcome::expired) expired[e.pending_id]++;
  }
  CHECK(expired.size() == 1000);
  for (const auto& e : expired) CHECK_MESSAGE(e.second == 1, u128_to_string(e.first));  // clang 14 cannot capture a structured binding
  u128 dp = 0, cp = 0, dpo = 0, cpo = 0;
  for (size_t g = 0; g < 8; g++) {
    const Balances d = balances(*node, debit[g]), c = balances(*node, credit[g]);
    dp += d.debits_pending + c.debits_pending;
    cp += d.credits_pending + c.credits_pending;
    dpo += d.debits_posted + c.debits_posted;
    cpo += d.credits_posted + c.credits_posted;
  }
  CHECK(dp == 0);
  CHECK(cp == 0);
  CHECK(dpo == cpo);
  REQUIRE(eventually([&] { return node->scheduler().stats().timers_due == 0; }, kExpiry));
}
