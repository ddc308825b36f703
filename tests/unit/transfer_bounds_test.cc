// projections/transfer_bounds.h, alone and inside a real PartitionStore: a
// new transfer id in a known group needs no read, and a stored one is
// always found, whatever the group order, after a reopen, and when two
// groups share a slot.
#include <doctest/doctest.h>

#include "projections/records.h"
#include "projections/store.h"
#include "projections/transfer_bounds.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;

namespace {

TransferId id_of(uint64_t group, uint64_t n) { return TransferId(make_u128(group, n)); }

// Two groups that land in the same slot of the table.
std::pair<uint64_t, uint64_t> colliding_groups() {
  for (uint64_t g = 2;; g++) {
    TransferBounds t;
    t.learn(1, 10);
    t.learn(g, 10);
    if (!t.known_absent(id_of(1, 11)).has_value()) return {1, g};
  }
}

Transfer transfer_with(TransferId id) {
  Transfer t;
  t.id = id;
  t.debit_account_id = AccountId(make_u128(id.hi(), 1));
  t.credit_account_id = AccountId(make_u128(id.hi(), 2));
  t.amount = Amount(1);
  t.ledger = 1;
  t.code = 1;
  t.timestamp = Timestamp{id.lo()};
  return t;
}

std::unique_ptr<PartitionStore> open_store(const std::string& dir) {
  auto s = PartitionStore::open({.dir = dir, .partition = Partition{0}, .partition_count = 1});
  REQUIRE(s.ok());
  return std::move(*s);
}

void store_transfers(PartitionStore& store, const std::vector<TransferId>& ids) {
  StoreBatch b;
  for (TransferId id : ids) b.put(keys::transfer(id), encode(transfer_with(id)));
  REQUIRE(store.commit(b).ok());
}

// Which of `ids` the store finds, asked through a fresh state.
std::vector<TransferId> found(const PartitionStore& store, const std::vector<TransferId>& ids) {
  PartitionState state(Partition{0}, 1);
  REQUIRE(store.prefetch_transfers(ids, state).ok());
  std::vector<TransferId> out;
  for (TransferId id : ids) {
    if (state.find_transfer(id) != nullptr) out.push_back(id);
  }
  return out;
}

}  // namespace

TEST_CASE("transfer bounds: unknown, learned, raised, and forgotten when a slot is taken") {
  TransferBounds b;
  CHECK_FALSE(b.known_absent(id_of(7, 1)).has_value());
  b.learn(7, std::nullopt);  // the group holds no transfer
  CHECK(b.known_absent(id_of(7, 0)) == true);
  CHECK(b.known_absent(id_of(7, 1)) == true);
  b.raise(id_of(7, 5));
  CHECK(b.known_absent(id_of(7, 5)) == false);
  CHECK(b.known_absent(id_of(7, 3)) == false);  // below the bound: must be read
  CHECK(b.known_absent(id_of(7, 6)) == true);
  b.learn(8, 100);
  CHECK(b.known_absent(id_of(8, 100)) == false);
  CHECK(b.known_absent(id_of(8, 101)) == true);
  CHECK(b.known_absent(id_of(8, ~uint64_t{0})) == true);
  b.learn(9, ~uint64_t{0});
  CHECK(b.known_absent(id_of(9, ~uint64_t{0})) == false);

  const auto [g1, g2] = colliding_groups();
  TransferBounds c;
  c.learn(g1, 10);
  c.learn(g2, 20);
  CHECK_FALSE(c.known_absent(id_of(g1, 11)).has_value());  // g2 took the slot
  c.raise(id_of(g1, 50));                                  // not g1's slot now: ignored
  CHECK(c.known_absent(id_of(g2, 21)) == true);
}

TEST_CASE("a store finds every stored transfer and reads none it knows are new") {
  TempDir dir;
  const std::vector<TransferId> stored = {id_of(5, 1), id_of(5, 2), id_of(5, 9), id_of(3, 100), id_of(3, 4)};
  const std::vector<TransferId> asked = {id_of(5, 9), id_of(5, 10), id_of(5, 3), id_of(3, 50),
                                         id_of(3, 100), id_of(3, 101), id_of(4, 1), id_of(5, 2)};
  const std::vector<TransferId> want = {id_of(5, 9), id_of(3, 100), id_of(5, 2)};
  {
    auto store = open_store(dir.sub("s"));
    store_transfers(*store, stored);
    CHECK(found(*store, asked) == want);
    // Learned now; a later commit raises group 3's bound, and group 3 below
    // the global greatest id (group 5) is still read when it must be.
    store_transfers(*store, {id_of(3, 200)});
    CHECK(found(*store, {id_of(3, 200), id_of(3, 150), id_of(3, 201)}) == std::vector<TransferId>{id_of(3, 200)});
  }
  auto reopened = open_store(dir.sub("s"));  // the bounds start empty again
  CHECK(found(*reopened, asked) == want);
  CHECK(found(*reopened, {id_of(3, 200)}) == std::vector<TransferId>{id_of(3, 200)});
}

TEST_CASE("two groups sharing a slot are both found") {
  TempDir dir;
  const auto [g1, g2] = colliding_groups();
  auto store = open_store(dir.sub("s"));
  store_transfers(*store, {id_of(g1, 7), id_of(g2, 3)});
  // Asked together: each group's seek takes the slot from the other one.
  CHECK(found(*store, {id_of(g1, 7), id_of(g2, 3), id_of(g1, 8), id_of(g2, 4)}) ==
        std::vector<TransferId>{id_of(g1, 7), id_of(g2, 3)});
  CHECK(found(*store, {id_of(g2, 3), id_of(g1, 7)}) == std::vector<TransferId>{id_of(g2, 3), id_of(g1, 7)});
}

TEST_CASE("ids of more unknown groups than one prefetch learns are read by id: stored ones found, new ones not") {
  TempDir dir;
  auto store = open_store(dir.sub("s"));
  const uint64_t groups = 3 * TransferBounds::kLearnsPerPrefetch;
  std::vector<TransferId> stored, asked, want;
  for (uint64_t g = 1; g <= groups; g++) {
    stored.push_back(id_of(g, 5));
    asked.push_back(id_of(g, g % 2 == 0 ? 5 : 6));  // every other group: the stored id
    if (g % 2 == 0) want.push_back(id_of(g, 5));
  }
  store_transfers(*store, stored);
  auto reopened_dir = dir.sub("s");
  store.reset();
  auto reopened = open_store(reopened_dir);  // the bounds start empty
  CHECK(found(*reopened, asked) == want);
  CHECK(found(*reopened, asked) == want);  // again, with some groups learned
}
