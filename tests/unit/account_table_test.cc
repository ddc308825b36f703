// engine/node/account_table: the lock-free table of latest committed
// accounts that balance lookups read (publish, miss, overflow, clear, torn
// reads retried), and a node's lookups while a writer applies transfers.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "bench/workload.h"
#include "engine/log/embedded_log.h"
#include "engine/node/account_table.h"
#include "engine/node/node.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::bench;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

// An account whose every field follows from (id, k): a torn copy shows.
Account numbered(uint64_t id, uint64_t k) {
  Account a;
  a.id = AccountId(u128(id));
  a.balances.debits_posted = k;
  a.balances.credits_posted = k * 3;
  a.balances.debits_pending = u128(k) << 64;
  a.user_data_64 = k ^ id;
  a.user_data_32 = static_cast<uint32_t>(k);
  a.timestamp = Timestamp{k + 1};
  return a;
}

bool consistent(const Account& a, uint64_t id) {
  const uint64_t k = static_cast<uint64_t>(a.balances.debits_posted);
  return a == numbered(id, k);
}

}  // namespace

TEST_CASE("account table: a published account is found as last published; others miss") {
  AccountTable t(64);
  CHECK(t.slots() == 64);
  CHECK_FALSE(t.find(AccountId(u128(5))).has_value());
  REQUIRE(t.publish(numbered(5, 1)));
  REQUIRE(t.publish(numbered(6, 2)));
  REQUIRE(t.publish(numbered(5, 9)));
  CHECK(t.published() == 2);
  CHECK(t.find(AccountId(u128(5))) == numbered(5, 9));
  CHECK(t.find(AccountId(u128(6))) == numbered(6, 2));
  CHECK_FALSE(t.find(AccountId(u128(7))).has_value());
  t.clear();
  CHECK(t.published() == 0);
  CHECK_FALSE(t.find(AccountId(u128(5))).has_value());
  REQUIRE(t.publish(numbered(6, 4)));
  CHECK(t.find(AccountId(u128(6))) == numbered(6, 4));
}

TEST_CASE("account table: bounded; what does not fit is refused and misses, the rest stays right") {
  AccountTable t(8);  // rounded to kProbe: every id probes all 8 slots
  CHECK(t.slots() == AccountTable::kProbe);
  CHECK(t.bytes() < 8 * 256);
  for (uint64_t id = 1; id <= 8; id++) REQUIRE(t.publish(numbered(id, id)));
  CHECK_FALSE(t.publish(numbered(9, 9)));
  CHECK_FALSE(t.find(AccountId(u128(9))).has_value());
  for (uint64_t id = 1; id <= 8; id++) CHECK(t.find(AccountId(u128(id))) == numbered(id, id));
  CHECK(t.publish(numbered(3, 30)));  // an id it holds still updates
  CHECK(t.find(AccountId(u128(3))) == numbered(3, 30));
}

TEST_CASE("account table: readers racing one writer never see a torn or older account") {
  AccountTable t(16);
  constexpr uint64_t kIds = 4, kRounds = 200'000;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> bad{0}, reads{0};
  auto reader = [&] {
    uint64_t last[kIds + 1] = {};
    while (!done.load()) {
      for (uint64_t id = 1; id <= kIds; id++) {
        std::optional<Account> a = t.find(AccountId(u128(id)));
        if (!a) continue;
        const uint64_t k = static_cast<uint64_t>(a->balances.debits_posted);
        if (!consistent(*a, id) || k < last[id]) bad++;
        last[id] = k;
        reads++;
      }
    }
  };
  std::thread r1(reader), r2(reader);
  for (uint64_t k = 1; k <= kRounds; k++) {
    for (uint64_t id = 1; id <= kIds; id++) t.publish(numbered(id, k));
  }
  done = true;
  r1.join();
  r2.join();
  CHECK(bad.load() == 0);
  CHECK(reads.load() > 0);
  for (uint64_t id = 1; id <= kIds; id++) CHECK(t.find(AccountId(u128(id))) == numbered(id, kRounds));
}

namespace {

constexpr uint32_t kPartitions = 2;

std::unique_ptr<Node> open_node(const TempDir& dir, size_t slots) {
  auto log = open_embedded_log({.dir = dir.sub("log"), .partitions = kPartitions, .sync = false});
  REQUIRE(log.ok());
  NodeOptions options{.data_dir = dir.sub("data")};
  options.pipeline.account_table_slots = slots;
  options.pipeline.max_records_per_step = 1;  // many commits, so readers see many committed points
  auto node = Node::open(std::move(log).value(), options);
  REQUIRE(node.ok());
  REQUIRE((*node)->start().ok());
  return std::move(node).value();
}

}  // namespace

TEST_CASE("node lookups from the table while a writer applies: each is a committed balance, then the store's") {
  for (size_t slots : {size_t{1} << 10, size_t{8}}) {  // room for all; room for few (misses read the store)
    CAPTURE(slots);
    TempDir dir;
    const Workload w({.accounts = 40, .group_size = 10, .transfers = 4000, .partitions = kPartitions});
    std::unique_ptr<Node> node = open_node(dir, slots);
    std::vector<Command> accounts;
    for (uint64_t i = 0; i < w.account_count(); i++) accounts.push_back(w.account(i));
    REQUIRE(node->append(accounts).ok());
    REQUIRE(node->wait_caught_up(30s).ok());

    // Every transfer moves value inside its group, so within a group total
    // debits equal total credits at every committed point; per account,
    // posted amounts only grow. Each group is on one partition.
    std::atomic<bool> done{false};
    std::atomic<uint64_t> bad{0}, reads{0};
    std::string first_bad;
    std::thread reader([&] {
      std::vector<std::array<u128, 2>> seen(w.account_count(), {0, 0});
      while (!done.load()) {
        for (uint64_t i = 0; i < w.account_count(); i++) {
          Result<std::optional<Account>> r = node->account(w.account_id(i));
          if (!r.ok() || !*r) { bad++; continue; }
          const Balances& b = (*r)->balances;
          if (b.debits_posted < seen[i][0] || b.credits_posted < seen[i][1]) {
            if (bad++ == 0) first_bad = "account " + w.account_id(i).str() + " went back";
          }
          seen[i] = {b.debits_posted, b.credits_posted};
          reads++;
        }
      }
    });
    for (uint64_t i = 1; i <= w.options().transfers; i += 50) {
      std::vector<Command> cmds;
      for (uint64_t k = i; k < i + 50 && k <= w.options().transfers; k++) cmds.push_back(w.transfer(k));
      REQUIRE(node->append(cmds).ok());
    }
    REQUIRE(node->wait_caught_up(30s).ok());
    done = true;
    reader.join();
    CHECK_MESSAGE(bad.load() == 0, first_bad);
    CHECK(reads.load() > 0);
    // Caught up: every lookup equals what the store holds, and the books balance.
    u128 debits = 0, credits = 0;
    for (uint64_t i = 0; i < w.account_count(); i++) {
      const AccountId id = w.account_id(i);
      Result<std::optional<Account>> got = node->account(id);
      Result<std::optional<Account>> stored = node->store(node->partition_of_account(id)).account(id);
      REQUIRE(got.ok());
      REQUIRE(stored.ok());
      CHECK(*got == *stored);
      debits += (*got)->balances.debits_posted;
      credits += (*got)->balances.credits_posted;
    }
    CHECK(debits == credits);
    CHECK(debits > 0);
  }
}
