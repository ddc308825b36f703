// How a saga's destination keeps its decision on a real RocksDB: a
// credited leg is stored as its credit transfer alone (no 'L' key), and
// reads back as the same leg, through PartitionStore::leg and through the
// pipeline's prefetch into a fresh state; a rejected leg keeps its 'L' key.
#include <doctest/doctest.h>

#include "engine/core/partitioner.h"
#include "projections/records.h"
#include "projections/store.h"
#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;

namespace {

std::unique_ptr<PartitionStore> open_store(const std::string& data, Partition p) {
  auto store = PartitionStore::open({.dir = data + "/partitions/" + std::to_string(p.value),
                                     .partition = p,
                                     .partition_count = kScenarioPartitions,
                                     .create_if_missing = false,
                                     .read_only = true});
  REQUIRE(store.ok());
  return std::move(*store);
}

bool has_key(const PartitionStore& s, const std::string& key) {
  auto v = s.get(key);
  REQUIRE(v.ok());
  return v->has_value();
}

}  // namespace

TEST_CASE("a credited leg is its credit transfer; a rejected leg keeps its own key") {
  TempDir dir;
  const ScenarioIds ids = build_scenario(dir.sub("data"), 2);
  const Partition source = partition_of(ids.a, kScenarioPartitions);
  const Partition dest = partition_of(ids.c, kScenarioPartitions);
  REQUIRE(source != dest);
  auto store = open_store(dir.sub("data"), dest);

  // Written: the credit transfer, and no 'L' key beside it.
  auto credit = store->transfer(ids.saga_completed);
  REQUIRE(credit.ok());
  REQUIRE(credit->has_value());
  CHECK((*credit)->kind == TransferKind::saga_credit);
  CHECK_FALSE(has_key(*store, keys::leg(source, ids.saga_completed)));

  // Read: the same leg the step function recorded.
  const SagaLeg want{ids.saga_completed, source, LegDecision::credited, Outcome::created, (*credit)->timestamp};
  auto leg = store->leg(source, ids.saga_completed);
  REQUIRE(leg.ok());
  REQUIRE(leg->has_value());
  CHECK(**leg == want);
  // Asked as if from another source partition: no leg (the id names its source).
  const Partition other{(source.value + 1) % kScenarioPartitions};
  auto none = store->leg(other, ids.saga_completed);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  // A re-delivered credit leg after a restart: the pipeline prefetches the
  // leg into a fresh state and finds the decision.
  PartitionState fresh(dest, kScenarioPartitions);
  REQUIRE(store->prefetch_legs({{source, ids.saga_completed}, {other, ids.saga_completed}}, fresh).ok());
  REQUIRE(fresh.find_leg(source, ids.saga_completed) != nullptr);
  CHECK(*fresh.find_leg(source, ids.saga_completed) == want);
  CHECK(fresh.find_leg(other, ids.saga_completed) == nullptr);

  // The compensated saga's destination rejected it: that decision has its key.
  const Partition rejected_at = partition_of(account_in(2, 4, 7), kScenarioPartitions);
  auto rejecting = open_store(dir.sub("data"), rejected_at);
  CHECK(has_key(*rejecting, keys::leg(source, ids.saga_compensated)));
  auto rejected = rejecting->leg(source, ids.saga_compensated);
  REQUIRE(rejected.ok());
  REQUIRE(rejected->has_value());
  CHECK((*rejected)->decision == LegDecision::rejected);
  CHECK((*rejected)->result == Outcome::credit_account_not_found);
}
