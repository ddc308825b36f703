// bench/lookup_bench: the balance lookups of `tally bench transfers` check
// every answer; a wrong expected balance fails them (idle and under load).
#include <doctest/doctest.h>

#include "bench/lookup_bench.h"
#include "bench/workload.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::bench;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 2;

// A node with the workload's accounts and transfers applied; `expected` gets
// their final balances.
std::unique_ptr<Node> applied(const TempDir& dir, const Workload& w, ExpectedBalances& expected) {
  auto log = open_embedded_log({.dir = dir.sub("log"), .partitions = kPartitions, .sync = false});
  REQUIRE(log.ok());
  auto node = Node::open(std::move(log).value(), {.data_dir = dir.sub("data")});
  REQUIRE(node.ok());
  REQUIRE((*node)->start().ok());
  std::vector<Command> cmds;
  for (uint64_t i = 0; i < w.account_count(); i++) cmds.push_back(w.account(i));
  expected.assign(w.account_count(), {0, 0});
  const uint64_t g = w.options().group_size;
  for (uint64_t i = 1; i <= w.options().transfers; i++) {
    const CreateTransfer t = w.transfer(i);
    expected[(t.debit_account_id.hi() - 1) * g + t.debit_account_id.lo() - 1][0] += t.amount.value();
    expected[(t.credit_account_id.hi() - 1) * g + t.credit_account_id.lo() - 1][1] += t.amount.value();
    cmds.push_back(t);
  }
  REQUIRE((*node)->append(cmds).ok());
  REQUIRE((*node)->wait_caught_up(30s).ok());
  return std::move(node).value();
}

}  // namespace

TEST_CASE("idle lookups: figures when every balance is right, an error naming the account when one is not") {
  TempDir dir;
  const Workload w({.accounts = 40, .group_size = 10, .transfers = 500, .partitions = kPartitions});
  ExpectedBalances expected;
  std::unique_ptr<Node> node = applied(dir, w, expected);

  Result<LookupFigures> f = time_lookups(*node, w, expected, 2000);
  REQUIRE(f.ok());
  CHECK(f->lookups == 2000);
  CHECK(f->p50_us > 0);
  CHECK(f->p50_us <= f->p99_us);
  CHECK(f->p99_us <= f->p999_us);
  CHECK(f->p999_us <= f->max_us);
  CHECK(f->per_second > 0);

  ExpectedBalances wrong = expected;
  wrong[7][1] += 1;
  Result<LookupFigures> bad = time_lookups(*node, w, wrong, 2000);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().to_string().find("account " + w.account_id(7).str() + " has debits posted") !=
        std::string::npos);
}

TEST_CASE("lookups under load: a balance above the final one fails them") {
  TempDir dir;
  const Workload w({.accounts = 20, .group_size = 10, .transfers = 200, .partitions = kPartitions});
  ExpectedBalances expected;
  std::unique_ptr<Node> node = applied(dir, w, expected);
  {
    LoadLookups ok(*node, w, expected, 5000);
    ok.start();
    std::this_thread::sleep_for(50ms);
    Result<LookupFigures> f = ok.finish();
    REQUIRE(f.ok());
    CHECK(f->lookups > 0);
  }
  ExpectedBalances low = expected;
  for (auto& b : low) b[0] = 0;  // every account that was debited is now above its "final" balance
  LoadLookups bad(*node, w, low, 5000);
  bad.start();
  std::this_thread::sleep_for(50ms);
  Result<LookupFigures> f = bad.finish();
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().to_string().find("above the final balances") != std::string::npos);
}
