// The per-partition pipeline and the node, on a real embedded log and real
// RocksDB stores: exactly once, restart, quarantine, digests, read your writes.
#include <doctest/doctest.h>

#include "engine/core/codec.h"
#include "engine/core/digest.h"
#include "engine/core/partitioner.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/node_fixture.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

// Appends fsync'd, as serve's are.
std::unique_ptr<Log> open_log(const std::string& dir, uint32_t partitions = 4) {
  return open_test_log(dir, partitions, /*sync=*/true);
}

std::unique_ptr<Node> start_node(std::unique_ptr<Log> log, const std::string& data) {
  return test::start_node(std::move(log), {.data_dir = data});
}

// Two accounts that share a partition (same upper 64 bits).
constexpr u128 kA = (u128{42} << 64) | 1;
constexpr u128 kB = (u128{42} << 64) | 2;

std::vector<Outcome> outcomes_of(Node& node, const std::vector<Placement>& placements) {
  std::vector<Outcome> out;
  for (const Placement& p : placements) {
    auto o = node.outcome(p, 10s);
    REQUIRE(o.ok());
    out.push_back(*o);
  }
  return out;
}

// The transfer numbers (ids' lower halves; the group is the debit's) of
// `q`'s history, following `next` for at most `pages` pages.
std::vector<u128> page_through(Node& node, HistoryQuery q, int pages) {
  std::vector<u128> seen;
  for (int page = 0; page < pages; page++) {
    auto r = node.history(q);
    REQUIRE(r.ok());
    for (auto& item : r->items) seen.push_back(item.transfer.id.lo());
    if (!r->next) break;
    q.after = r->next;
  }
  return seen;
}

}  // namespace

TEST_CASE("commands appended through the node are applied once, with outcomes and balances") {
  TempDir dir;
  auto node = start_node(open_log(dir.sub("log")), dir.sub("data"));
  std::vector<Command> cmds = {account(kA), account(kB), transfer(100, kA, kB, 70),
                               transfer(100, kA, kB, 70), transfer(100, kA, kB, 71)};
  auto placed = node->append(cmds);
  REQUIRE(placed.ok());
  const std::vector<Outcome> got = outcomes_of(*node, *placed);
  CHECK(got[0] == Outcome::created);
  CHECK(got[2] == Outcome::created);
  CHECK(got[3] == Outcome::exists);
  CHECK(got[4] != Outcome::created);  // same id, different amount
  auto a = node->account(AccountId(kA));
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  CHECK((*a)->balances.debits_posted == 70);
  auto t = node->transfer(TransferId(make_u128(u128_hi(kA), 100)));
  REQUIRE(t.ok());
  REQUIRE(t->has_value());
  CHECK((*t)->amount.value() == 70);
}

TEST_CASE("a restart resumes at the stored offset: nothing applied twice, nothing lost") {
  TempDir dir;
  uint64_t digest_before = 0;
  Partition p{};
  {
    auto node = start_node(open_log(dir.sub("log")), dir.sub("data"));
    auto placed = node->append(std::vector<Command>{account(kA), account(kB), transfer(1, kA, kB, 5)});
    REQUIRE(placed.ok());
    outcomes_of(*node, *placed);
    p = (*placed)[0].partition;
    digest_before = node->pipeline(p).digest();
    node->stop();
  }
  auto node = start_node(open_log(dir.sub("log")), dir.sub("data"));
  CHECK(node->pipeline(p).digest() == digest_before);
  auto placed = node->append(std::vector<Command>{transfer(2, kA, kB, 6)});
  REQUIRE(placed.ok());
  CHECK(outcomes_of(*node, *placed)[0] == Outcome::created);
  auto a = node->account(AccountId(kA));
  REQUIRE(a.ok());
  CHECK((*a)->balances.debits_posted == 11);
  CHECK(node->pipeline(p).metrics().commands_applied.load() == 4);
}

TEST_CASE("after a restart, repeats are found below and at the greatest stored transfer id") {
  // The prefetch skips reading ids above the greatest stored one; ids at or
  // below it (here stored out of order) must still be read and answered.
  TempDir dir;
  Partition p{};
  {
    auto node = start_node(open_log(dir.sub("log")), dir.sub("data"));
    auto placed = node->append(std::vector<Command>{account(kA), account(kB), transfer(100, kA, kB, 5),
                                                    transfer(50, kA, kB, 6)});
    REQUIRE(placed.ok());
    outcomes_of(*node, *placed);
    p = (*placed)[0].partition;
    node->stop();
  }
  auto node = start_node(open_log(dir.sub("log")), dir.sub("data"));
  auto placed = node->append(std::vector<Command>{transfer(50, kA, kB, 6), transfer(100, kA, kB, 5),
                                                  transfer(75, kA, kB, 7), transfer(100, kA, kB, 8),
                                                  transfer(101, kA, kB, 9)});
  REQUIRE(placed.ok());
  CHECK(outcomes_of(*node, *placed) ==
        std::vector<Outcome>{Outcome::exists, Outcome::exists, Outcome::created,
                             Outcome::exists_with_different_amount, Outcome::created});
  auto a = node->account(AccountId(kA));
  REQUIRE(a.ok());
  CHECK((*a)->balances.debits_posted == 5 + 6 + 7 + 9);
  (void)p;
}

TEST_CASE("a replay of the same log into a fresh store reproduces the digest") {
  TempDir dir;
  std::vector<uint64_t> digests;
  {
    auto node = start_node(open_log(dir.sub("log")), dir.sub("live"));
    std::vector<Command> cmds = {account(kA), account(kB)};
    for (u128 i = 1; i <= 500; i++) cmds.push_back(transfer(i, i % 2 ? kA : kB, i % 2 ? kB : kA, i));
    REQUIRE(node->append(cmds).ok());
    REQUIRE(node->wait_caught_up(20s).ok());
    for (auto& s : node->status()) digests.push_back(s.digest);
  }
  auto replay = start_node(open_log(dir.sub("log")), dir.sub("replay"));
  REQUIRE(replay->wait_caught_up(20s).ok());
  std::vector<uint64_t> again;
  for (auto& s : replay->status()) again.push_back(s.digest);
  CHECK(again == digests);
  CHECK(Digest::hex(again[0]).size() == 16);
}

TEST_CASE("a record that fails verification is quarantined and the partition moves on") {
  TempDir dir;
  auto log = open_log(dir.sub("log"));
  const Partition p = partition_of(AccountId(kA), 4);
  const std::string garbage = "definitely not a flatbuffer";
  REQUIRE(log->append_one(p, std::span(reinterpret_cast<const uint8_t*>(garbage.data()), garbage.size())).ok());
  auto node = start_node(std::move(log), dir.sub("data"));
  auto placed = node->append(std::vector<Command>{account(kA)});
  REQUIRE(placed.ok());
  CHECK((*placed)[0].offset.value == 1);
  CHECK(outcomes_of(*node, *placed)[0] == Outcome::created);
  auto q = quarantined(node->store(p), 10);
  REQUIRE(q.ok());
  REQUIRE(q->size() == 1);
  CHECK((*q)[0].offset.value == 0);
  CHECK((*q)[0].reason.find("TLY1") != std::string::npos);
  CHECK((*q)[0].bytes == garbage);
  auto bad = node->outcome(Placement{p, Offset{0}, 0}, 1s);
  CHECK_FALSE(bad.ok());
}

TEST_CASE("commands in the wrong partition are rejected and change nothing") {
  TempDir dir;
  auto log = open_log(dir.sub("log"));
  const Partition right = partition_of(AccountId(kA), 4);
  const Partition wrong{(right.value + 1) % 4};
  const Command c = account(kA);
  REQUIRE(log->append_one(wrong, encode_batch(std::span(&c, 1))).ok());
  auto node = start_node(std::move(log), dir.sub("data"));
  auto o = node->outcome(Placement{wrong, Offset{0}, 0}, 10s);
  REQUIRE(o.ok());
  CHECK(*o == Outcome::wrong_partition);
  auto a = node->account(AccountId(kA));
  REQUIRE(a.ok());
  CHECK_FALSE(a->has_value());
}

TEST_CASE("history pages through an account's changes with a cursor, either way") {
  TempDir dir;
  auto node = start_node(open_log(dir.sub("log")), dir.sub("data"));
  std::vector<Command> cmds = {account(kA), account(kB)};
  for (u128 i = 1; i <= 25; i++) cmds.push_back(transfer(i, kB, kA, i));
  REQUIRE(node->append(cmds).ok());
  REQUIRE(node->wait_caught_up(10s).ok());
  for (bool desc : {false, true}) {
    HistoryQuery q;
    q.account = AccountId(kA);
    q.limit = 10;
    q.descending = desc;
    const std::vector<u128> seen = page_through(*node, q, 5);
    REQUIRE(seen.size() == 25);
    CHECK(seen.front() == (desc ? 25 : 1));
    CHECK(seen.back() == (desc ? 1 : 25));
  }
  // A time window selects exactly the changes inside it.
  auto all = node->history({.account = AccountId(kA), .limit = 100});
  REQUIRE(all.ok());
  REQUIRE(all->items.size() == 25);
  HistoryQuery window{.account = AccountId(kA), .limit = 100};
  window.from = all->items[5].timestamp;
  window.to = all->items[9].timestamp;
  auto w = node->history(window);
  REQUIRE(w.ok());
  REQUIRE(w->items.size() == 5);
  CHECK(w->items.front().transfer.id.lo() == 6);
  CHECK(w->items.back().transfer.id.lo() == 10);
  HistoryQuery bad;
  bad.account = AccountId(kA);
  bad.limit = 100000;
  CHECK(node->history(bad).status().code() == StatusCode::invalid_argument);
  bad.limit = 1;
  bad.account = AccountId(777);
  CHECK(node->history(bad).status().code() == StatusCode::not_found);
}

TEST_CASE("history spans many records and blocks, in order, with windows either way") {
  TempDir dir;
  auto node = start_node(open_log(dir.sub("log")), dir.sub("data"));
  REQUIRE(node->append(std::vector<Command>{account(kA), account(kB)}).ok());
  // 40 records of 10 transfers each: 40 history blocks per account.
  u128 id = 1;
  for (int r = 0; r < 40; r++) {
    std::vector<Command> cmds;
    for (int i = 0; i < 10; i++, id++) cmds.push_back(transfer(id, kA, kB, 1));
    REQUIRE(node->append(cmds).ok());
  }
  REQUIRE(node->wait_caught_up(10s).ok());
  auto all = node->history({.account = AccountId(kB), .limit = 1000});
  REQUIRE(all.ok());
  REQUIRE(all->items.size() == 400);
  for (size_t i = 1; i < all->items.size(); i++) {
    CHECK(all->items[i - 1].timestamp < all->items[i].timestamp);
  }
  for (bool desc : {false, true}) {
    HistoryQuery q{.account = AccountId(kB), .limit = 7, .descending = desc};
    q.from = all->items[123].timestamp;  // inside a block
    q.to = all->items[301].timestamp;
    const std::vector<u128> seen = page_through(*node, q, 100);
    REQUIRE(seen.size() == 179);
    CHECK(seen.front() == (desc ? 302 : 124));
    CHECK(seen.back() == (desc ? 124 : 302));
  }
}
