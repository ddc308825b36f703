// How sagas are kept on a real RocksDB. The destination: a credited leg is
// stored as its credit transfer alone (no 'L' key), and reads back as the
// same leg, through PartitionStore::leg and through the pipeline's prefetch
// into a fresh state; a rejected leg keeps its 'L' key. The source: a saga
// as it began is its reservation transfer alone (no 'S' key), read back the
// same ways, until it changes.
#include <doctest/doctest.h>

#include "engine/core/bytes.h"
#include "engine/core/partitioner.h"
#include "projections/records.h"
#include "projections/store.h"
#include "recovery/sagas.h"
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

namespace {

void commit_changes(PartitionState& state, PartitionStore& store) {
  StoreBatch b;
  b.stage_changes(state);
  b.finish_changes(state);
  REQUIRE(store.commit(b).ok());
  state.clear_changes();
}

}  // namespace

TEST_CASE("a saga as it began is its reservation transfer: no 'S' key until it changes") {
  TempDir dir;
  const Partition source = partition_of(account_in(0, 1), kScenarioPartitions);
  const AccountId from = account_in(source.value, 1);
  const AccountId to = account_in((source.value + 1) % kScenarioPartitions, 2);
  auto opened = PartitionStore::open({.dir = dir.sub("store"), .partition = source,
                                      .partition_count = kScenarioPartitions});
  REQUIRE(opened.ok());
  PartitionStore& store = **opened;

  PartitionState state(source, kScenarioPartitions);
  Account a;
  a.id = from;
  a.ledger = 1;
  a.code = 1;
  state.insert_account(a);
  CreateTransfer t;
  t.id = TransferId(make_u128(u128_hi(from.value()), 7));  // routes like its debit account
  t.debit_account_id = from;
  t.credit_account_id = to;
  t.amount = Amount(10);
  t.ledger = 1;
  t.code = 1;
  SagaCoordinator sagas;
  REQUIRE(sagas.begin_cross_partition(state, t, state.next_timestamp(Timestamp{1'000'000'000})) ==
          Outcome::created);
  REQUIRE(state.find_saga(t.id) != nullptr);
  const Saga begun = *state.find_saga(t.id);
  CHECK(begun.attempts == 1);
  CHECK(begun.destination == partition_of(to, kScenarioPartitions));
  commit_changes(state, store);

  // Written: the reservation, and no 'S' key beside it.
  CHECK(has_key(store, keys::transfer(t.id)));
  CHECK_FALSE(has_key(store, keys::saga(t.id)));
  // Read: the same saga the step function recorded, and none for another id.
  auto read = store.saga(t.id);
  REQUIRE(read.ok());
  REQUIRE(read->has_value());
  CHECK(**read == begun);
  auto none = store.saga(TransferId(make_u128(u128_hi(from.value()), 8)));
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  // A reply or a timeout after a restart: the pipeline prefetches the saga
  // into a fresh state and finds it as it began.
  PartitionState fresh(source, kScenarioPartitions);
  REQUIRE(store.prefetch_sagas({t.id}, fresh).ok());
  REQUIRE(fresh.find_saga(t.id) != nullptr);
  CHECK(*fresh.find_saga(t.id) == begun);

  // The deadline passes: the re-send changes the saga, which gets its key.
  REQUIRE(sagas.apply_saga_command(fresh, SagaTimeout{t.id, from}, fresh.next_timestamp(begun.deadline)) ==
          Outcome::created);
  commit_changes(fresh, store);
  CHECK(has_key(store, keys::saga(t.id)));
  auto resent = store.saga(t.id);
  REQUIRE(resent.ok());
  REQUIRE(resent->has_value());
  CHECK((*resent)->attempts == 2);
  CHECK((*resent)->deadline > begun.deadline);
}

namespace {

// Every outbox key of `store` with the entries it holds, in key order.
std::vector<std::pair<uint64_t, std::vector<OutboxEntry>>> outbox_keys(const PartitionStore& store) {
  std::vector<std::pair<uint64_t, std::vector<OutboxEntry>>> out;
  auto n = store.scan("Q", "R", false, 0, [&](std::string_view key, std::string_view value) {
    auto entries = decode_outbox_entries(value);
    REQUIRE(entries.ok());
    out.emplace_back(get_be64(key.data() + 1), std::move(*entries));
    return true;
  });
  REQUIRE(n.ok());
  return out;
}

}  // namespace

TEST_CASE("a commit's outbox entries are one key, under the seq of the last, at most kOutboxEntriesPerKey each") {
  TempDir dir;
  const Partition p{1};
  auto opened = PartitionStore::open({.dir = dir.sub("store"), .partition = p,
                                      .partition_count = kScenarioPartitions});
  REQUIRE(opened.ok());
  PartitionStore& store = **opened;
  PartitionState state(p, kScenarioPartitions);
  auto leg = [](uint64_t i) {
    return Command{SagaCancel{TransferId(make_u128(9, i)), AccountId(make_u128(3, i)), Partition{1}}};
  };

  // Two records of one commit: three entries, staged after each record.
  StoreBatch b;
  state.add_outbox(Partition{2}, leg(0));
  state.add_outbox(Partition{3}, leg(1));
  b.stage_changes(state);
  state.clear_changes();
  state.add_outbox(Partition{2}, leg(2));
  b.stage_changes(state);
  state.clear_changes();
  b.finish_changes(state);
  REQUIRE(store.commit(b).ok());
  b.clear();
  auto keys = outbox_keys(store);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].first == 2);
  REQUIRE(keys[0].second.size() == 3);
  for (uint64_t i = 0; i < 3; i++) {
    CHECK(keys[0].second[i].seq == i);
    CHECK(keys[0].second[i].command == leg(i));
  }
  CHECK(keys[0].second[1].target == Partition{3});

  // A larger commit is cut into keys of kOutboxEntriesPerKey entries.
  for (uint64_t i = 3; i < 3 + kOutboxEntriesPerKey + 1; i++) state.add_outbox(Partition{2}, leg(i));
  b.stage_changes(state);
  b.finish_changes(state);
  REQUIRE(store.commit(b).ok());
  state.clear_changes();
  keys = outbox_keys(store);
  REQUIRE(keys.size() == 3);
  CHECK(keys[1].first == 2 + kOutboxEntriesPerKey);
  CHECK(keys[1].second.size() == kOutboxEntriesPerKey);
  CHECK(keys[2].first == 3 + kOutboxEntriesPerKey);
  CHECK(keys[2].second.size() == 1);
}
