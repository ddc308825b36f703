// List and filter queries (projections/list_queries.h) on real RocksDB
// stores written by a node's pipelines: filters, combined filters, time
// windows, paging, what the indexes cost in keys, and the one-time backfill
// of a store written before them.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "engine/core/partitioner.h"
#include "engine/node/node.h"
#include "projections/list_index.h"
#include "projections/list_queries.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/node_fixture.h"
#include "tests/fixtures/store_edit.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr u128 kGroup = u128{42} << 64;  // one partition key: one store
constexpr u128 kA = kGroup | 1, kB = kGroup | 2, kC = kGroup | 3;

std::unique_ptr<Node> start(const std::string& dir, uint32_t partitions = 1) {
  return test::start_node(open_test_log(dir + "/log", partitions, true), {.data_dir = dir + "/data"});
}

const PartitionStore& store_of(Node& node, u128 account) {
  return node.store(partition_of(AccountId(account), node.partition_count()));
}

// Every page of a transfer list, following the cursor; ids' lower halves.
std::vector<uint64_t> all_pages(const PartitionStore& s, const TransferFilter& f, size_t limit,
                                int* pages = nullptr) {
  std::vector<uint64_t> out;
  std::optional<Timestamp> after;
  for (int n = 1;; n++) {
    auto page = list_transfers(s, f, limit, after);
    REQUIRE(page.ok());
    REQUIRE(page->items.size() <= limit);
    for (const Transfer& t : page->items) out.push_back(t.id.value() & 0xFFFF'FFFF'FFFF'FFFFull);
    if (pages) *pages = n;
    if (!page->next) return out;
    REQUIRE(page->items.size() == limit);
    after = page->next;
  }
}

size_t count_keys(const PartitionStore& s, char tag) {
  const std::string from(1, tag), to(1, static_cast<char>(tag + 1));
  auto n = s.scan(from, to, false, 0, [](std::string_view, std::string_view) { return true; });
  REQUIRE(n.ok());
  return *n;
}

}  // namespace

TEST_CASE("accounts list by ledger, code, user_data and creation time, filters combined") {
  TempDir dir;
  auto node = start(dir.path());
  std::vector<Command> cmds;
  for (u128 i = 1; i <= 30; i++) {
    CreateAccount a = account(kGroup | i, 0, i % 3 == 0 ? 2 : 1);
    a.code = static_cast<Code>(i % 2 == 0 ? 7 : 8);
    a.user_data_64 = i <= 10 ? 99 : 0;
    cmds.push_back(a);
  }
  REQUIRE(node->append(cmds).ok());
  REQUIRE(node->wait_caught_up(10s).ok());
  const PartitionStore& s = store_of(*node, kA);
  auto ids = [&](const ListFilter& f) {
    auto page = list_accounts(s, f, 1000, std::nullopt);
    REQUIRE(page.ok());
    std::vector<uint64_t> out;
    for (const Account& a : page->items) out.push_back(a.id.lo());
    return out;
  };
  CHECK(ids({}).size() == 30);
  CHECK(ids({.ledger = 2}) == std::vector<uint64_t>{3, 6, 9, 12, 15, 18, 21, 24, 27, 30});
  CHECK(ids({.ledger = 2, .code = 7}) == std::vector<uint64_t>{6, 12, 18, 24, 30});
  CHECK(ids({.code = 8, .user_data_64 = 99}) == std::vector<uint64_t>{1, 3, 5, 7, 9});
  CHECK(ids({.user_data_64 = 98}).empty());
  // A creation-time window: accounts 5..9 exactly.
  auto all = list_accounts(s, {}, 1000, std::nullopt);
  REQUIRE(all.ok());
  ListFilter window{.from = all->items[4].timestamp, .to = all->items[8].timestamp};
  CHECK(ids(window) == std::vector<uint64_t>{5, 6, 7, 8, 9});
  // Pages of 4 list every account once, in order.
  std::vector<uint64_t> paged;
  std::optional<Timestamp> after;
  do {
    auto page = list_accounts(s, {.ledger = 1}, 4, after);
    REQUIRE(page.ok());
    for (const Account& a : page->items) paged.push_back(a.id.lo());
    after = page->next;
  } while (after);
  CHECK(paged.size() == 20);
  CHECK(std::set<uint64_t>(paged.begin(), paged.end()).size() == 20);
  CHECK(std::is_sorted(paged.begin(), paged.end()));
  CHECK(list_accounts(s, {}, 0, std::nullopt).status().code() == StatusCode::invalid_argument);
  CHECK(list_accounts(s, {}, kMaxPageSize + 1, std::nullopt).status().code() == StatusCode::invalid_argument);
  CHECK(list_accounts(s, {.from = Timestamp{5}, .to = Timestamp{4}}, 10, std::nullopt).status().code() ==
        StatusCode::invalid_argument);
}

TEST_CASE("transfers list by account side, ledger, code, user_data, pending and time, paged") {
  TempDir dir;
  auto node = start(dir.path());
  REQUIRE(node->append(std::vector<Command>{account(kA), account(kB), account(kC)}).ok());
  // 3 records of 1000 transfers: each crosses a block of kIndexBlockEntries.
  uint64_t n = 1;
  for (int r = 0; r < 3; r++) {
    std::vector<Command> cmds;
    for (int i = 0; i < 1000; i++, n++) {
      CreateTransfer t = n % 2 ? transfer(n, kA, kB, 1) : transfer(n, kB, kC, 1);
      if (n % 10 == 0) t.user_data_128 = 555;
      if (n % 100 == 0) t.flags |= transfer_flags::pending;
      if (n % 3 == 0) t.code = 4;
      cmds.push_back(t);
    }
    REQUIRE(node->append(cmds).ok());
  }
  // A rejection (unknown account) is stored but not listed.
  REQUIRE(node->append(std::vector<Command>{transfer(n, kA, kGroup | 77, 1)}).ok());
  REQUIRE(node->wait_caught_up(10s).ok());
  const PartitionStore& s = store_of(*node, kA);

  int pages = 0;
  const std::vector<uint64_t> every = all_pages(s, {}, 700, &pages);
  CHECK(every.size() == 3000);
  CHECK(pages == 5);
  CHECK(std::set<uint64_t>(every.begin(), every.end()).size() == 3000);
  CHECK(std::is_sorted(every.begin(), every.end()));

  TransferFilter debit_a{.account = AccountId(kA), .side = AccountSide::debit};
  const auto a_debits = all_pages(s, debit_a, 333);
  CHECK(a_debits.size() == 1500);
  CHECK(std::all_of(a_debits.begin(), a_debits.end(), [](uint64_t x) { return x % 2 == 1; }));
  TransferFilter credit_a{.account = AccountId(kA), .side = AccountSide::credit};
  CHECK(all_pages(s, credit_a, 100).empty());
  TransferFilter either_b{.account = AccountId(kB)};
  CHECK(all_pages(s, either_b, 1000).size() == 3000);
  TransferFilter credit_b{.account = AccountId(kB), .side = AccountSide::credit};
  CHECK(all_pages(s, credit_b, 1000) == a_debits);

  TransferFilter tagged;
  tagged.user_data_128 = 555;
  const auto t555 = all_pages(s, tagged, 64);
  CHECK(t555.size() == 300);
  tagged.code = 4;  // combined: multiples of 30
  const auto t555c4 = all_pages(s, tagged, 7);
  CHECK(t555c4.size() == 100);
  CHECK(std::all_of(t555c4.begin(), t555c4.end(), [](uint64_t x) { return x % 30 == 0; }));
  TransferFilter pend{.pending = true};
  CHECK(all_pages(s, pend, 1000).size() == 30);
  pend.account = AccountId(kA);
  pend.side = AccountSide::debit;  // odd multiples of 100: none
  CHECK(all_pages(s, pend, 10).empty());

  // A time window: exactly the transfers created inside it.
  auto first = list_transfers(s, {}, 1000, std::nullopt);
  REQUIRE(first.ok());
  TransferFilter window;
  window.from = first->items[100].timestamp;
  window.to = first->items[199].timestamp;
  const auto w = all_pages(s, window, 30);
  REQUIRE(w.size() == 100);
  CHECK(w.front() == 101);
  CHECK(w.back() == 200);
  window.account = AccountId(kA);
  CHECK(all_pages(s, window, 30).size() == 50);
}

TEST_CASE("an expired pending transfer is listed once for its accounts, at its creation") {
  TempDir dir;
  auto node = start(dir.path());
  CreateTransfer t = transfer(1, kA, kB, 5);
  t.flags |= transfer_flags::pending;
  t.timeout_seconds = 1;
  REQUIRE(node->append(std::vector<Command>{account(kA), account(kB), t}).ok());
  const PartitionStore& s = store_of(*node, kA);
  TransferFilter f{.account = AccountId(kA)};
  // The expiry adds a second history entry for the same transfer.
  bool expired = false;
  for (int i = 0; i < 100 && !expired; i++) {
    std::this_thread::sleep_for(50ms);
    auto got = s.transfer(transfer_id(AccountId(kA), 1));
    REQUIRE(got.ok());
    expired = *got && (*got)->state == PendingState::expired;
  }
  REQUIRE(expired);
  CHECK(all_pages(s, f, 10) == std::vector<uint64_t>{1});
  TransferFilter still{.pending = true};
  CHECK(all_pages(s, still, 10).empty());
  TransferFilter not_pending{.pending = false};
  CHECK(all_pages(s, not_pending, 10) == std::vector<uint64_t>{1});
}

TEST_CASE("the indexes cost a few keys per commit, not per transfer") {
  TempDir dir;
  auto node = start(dir.path());
  REQUIRE(node->append(std::vector<Command>{account(kA), account(kB)}).ok());
  REQUIRE(node->wait_caught_up(10s).ok());
  std::vector<Command> cmds;
  for (uint64_t i = 1; i <= 2000; i++) cmds.push_back(transfer(i, kA, kB, 1));
  REQUIRE(node->append(cmds).ok());
  REQUIRE(node->wait_caught_up(10s).ok());
  const PartitionStore& s = store_of(*node, kA);
  // One record of 2000 transfers with one ledger, one code and no
  // user_data: all, ledger and code, two blocks each at most.
  const size_t x = count_keys(s, kTransferIndexTag);
  CHECK(x >= 3);
  CHECK(x <= 6);
  // Two accounts in one commit: three blocks (all, ledger, code).
  CHECK(count_keys(s, kAccountIndexTag) == 3);
}

TEST_CASE("a store written before the indexes gets them once when it opens") {
  TempDir dir;
  std::vector<uint64_t> before;
  size_t accounts_before = 0;
  {
    auto node = start(dir.path());
    std::vector<Command> cmds = {account(kA), account(kB)};
    for (uint64_t i = 1; i <= 1500; i++) {
      CreateTransfer t = transfer(i, kA, kB, 1);
      t.user_data_32 = static_cast<uint32_t>(i % 5);
      cmds.push_back(t);
    }
    REQUIRE(node->append(cmds).ok());
    REQUIRE(node->wait_caught_up(10s).ok());
    TransferFilter f;
    f.user_data_32 = 3;
    before = all_pages(store_of(*node, kA), f, 100);
    auto a = list_accounts(store_of(*node, kA), {}, 10, std::nullopt);
    REQUIRE(a.ok());
    accounts_before = a->items.size();
    node->stop();
  }
  REQUIRE(before.size() == 300);
  REQUIRE(accounts_before == 2);
  const Partition p = partition_of(AccountId(kA), 1);
  // As an older version left it: no index keys, no marker.
  edit_store(dir.path() + "/data", p, 1, [](PartitionStore& s, StoreBatch& b) {
    for (char tag : {kAccountIndexTag, kTransferIndexTag}) {
      const std::string from(1, tag), to(1, static_cast<char>(tag + 1));
      REQUIRE(s.scan(from, to, false, 0, [&](std::string_view k, std::string_view) {
                 b.remove(std::string(k));
                 return true;
               }).ok());
    }
    b.remove(kIndexMarker);
  });
  {
    StoreOptions o{.dir = dir.path() + "/data/partitions/0", .partition = p, .partition_count = 1,
                   .read_only = true};
    auto ro = PartitionStore::open(o);
    REQUIRE(ro.ok());
    CHECK(count_keys(**ro, kTransferIndexTag) == 0);
    // Read-only, nothing builds them: the lists say so; one account's
    // transfers come from its history and still answer.
    auto refused = list_transfers(**ro, {}, 10, std::nullopt);
    CHECK(refused.status().code() == StatusCode::failed_precondition);
    CHECK(refused.status().message().find("no list indexes yet") != std::string::npos);
    CHECK(list_accounts(**ro, {}, 10, std::nullopt).status().code() == StatusCode::failed_precondition);
    auto by_account = list_transfers(**ro, {.account = AccountId(kA)}, 10, std::nullopt);
    REQUIRE(by_account.ok());
    CHECK(by_account->items.size() == 10);
  }
  auto node = start(dir.path());
  TransferFilter f;
  f.user_data_32 = 3;
  CHECK(all_pages(store_of(*node, kA), f, 100) == before);
  auto a = list_accounts(store_of(*node, kA), {}, 10, std::nullopt);
  REQUIRE(a.ok());
  CHECK(a->items.size() == 2);
  auto marker = store_of(*node, kA).get(kIndexMarker);
  REQUIRE(marker.ok());
  CHECK(marker->has_value());
}
