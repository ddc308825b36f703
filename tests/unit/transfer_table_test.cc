#include <doctest/doctest.h>

#include <map>

#include "bench/workload.h"
#include "projections/transfer_table.h"

using namespace tally;

TEST_CASE("transfer table agrees with a std::map under random inserts, erases and clears") {
  TransferTable table;
  std::map<u128, u128> model;  // id -> amount
  uint64_t rng = 7;
  for (int step = 0; step < 200000; step++) {
    const uint64_t r = bench::splitmix64(rng);
    const u128 id = make_u128(r % 3, (r >> 8) % 5000 + 1);  // collisions on purpose
    switch (r % 16) {
      case 0: case 1: case 2: case 3: case 4: case 5: {
        Transfer t;
        t.id = TransferId(id);
        t.amount = Amount(r);
        if (model.count(id)) {
          table.insert_or_assign(t);
        } else {
          table.insert(t);
        }
        model[id] = r;
        break;
      }
      case 6: case 7: case 8:
        table.erase(TransferId(id));
        model.erase(id);
        break;
      case 9:
        if (step % 1000 == 9) {
          table.clear();
          model.clear();
        }
        break;
      default: {
        const Transfer* t = table.find(TransferId(id));
        REQUIRE((t != nullptr) == (model.count(id) == 1));
        if (t != nullptr) CHECK(t->amount.value() == model[id]);
      }
    }
    REQUIRE(table.size() == model.size());
  }
  for (const auto& [id, amount] : model) {
    const Transfer* t = table.find(TransferId(id));
    REQUIRE(t != nullptr);
    CHECK(t->amount.value() == amount);
  }
}

TEST_CASE("references survive inserts; marks are set once") {
  TransferTable table;
  Transfer first;
  first.id = TransferId(1);
  Transfer& ref = table.insert(first);
  for (u128 i = 2; i < 5000; i++) {
    Transfer t;
    t.id = TransferId(i);
    table.insert(t);
  }
  ref.amount = Amount(9);
  CHECK(table.find(TransferId(1))->amount.value() == 9);
  CHECK(table.mark(TransferId(7)));
  CHECK_FALSE(table.mark(TransferId(7)));
  table.unmark_all();
  CHECK(table.mark(TransferId(7)));
}

TEST_CASE("unmark_all clears every mark, whether set by mark or by a marked insert, moved by erase or not") {
  TransferTable table;
  for (u128 i = 1; i <= 3000; i++) {
    Transfer t;
    t.id = TransferId(i);
    table.insert(t, /*marked=*/i % 2 == 0);
  }
  for (u128 i = 1; i <= 3000; i += 2) CHECK(table.mark(TransferId(i)));  // the odd ones were unmarked
  table.erase(TransferId(10));  // moves the last entry (3000, marked) into its slot
  for (u128 i = 1; i <= 3000; i++) {
    if (i != 10) CHECK_FALSE(table.mark(TransferId(i)));  // all marked now
  }
  table.unmark_all();
  size_t fresh = 0;
  for (u128 i = 1; i <= 3000; i++) {
    if (i != 10 && table.mark(TransferId(i))) fresh++;
  }
  CHECK(fresh == 2999);
  // An entry inserted unmarked after many epochs is unmarked; one inserted marked is marked.
  for (int e = 0; e < 1000; e++) table.unmark_all();
  Transfer a, b;
  a.id = TransferId(5001);
  b.id = TransferId(5002);
  table.insert(a);
  table.insert(b, /*marked=*/true);
  CHECK(table.mark(TransferId(5001)));
  CHECK_FALSE(table.mark(TransferId(5002)));
}

TEST_CASE("a slot hint finds its entry, and a stale one falls back to the index, never to another or a stale entry") {
  TransferTable table;
  auto add = [&](u128 id, uint64_t amount) {
    Transfer t;
    t.id = TransferId(id);
    t.amount = Amount(amount);
    table.insert(t);
    return static_cast<uint32_t>(table.size() - 1);
  };
  const uint32_t s1 = add(1, 10);
  const uint32_t s2 = add(2, 20);
  const uint32_t s3 = add(3, 30);
  CHECK(table.find(TransferId(2), s2)->amount.value() == 20);
  uint32_t marked_slot = 99;
  CHECK(table.mark(TransferId(3), &marked_slot));
  CHECK(marked_slot == s3);

  // Erase 1: the last entry (3) moves into slot s1; its old slot s3 is past the end
  // but still holds a copy of 3.
  table.erase(TransferId(1));
  table.find(TransferId(3))->amount = Amount(31);  // a change after the move
  CHECK(table.find(TransferId(3), s3)->amount.value() == 31);  // the live entry, not the stale copy
  CHECK(table.find(TransferId(1), s1) == nullptr);            // slot s1 holds 3 now: not returned for 1
  CHECK(table.find(TransferId(2), s1)->amount.value() == 20); // a wrong hint still finds the entry

  // Cleared and refilled: old hints point at other entries, or past the end.
  table.clear();
  add(7, 70);
  CHECK(table.find(TransferId(2), s2) == nullptr);
  CHECK(table.find(TransferId(7), s2)->amount.value() == 70);
  CHECK(table.find(TransferId(1), 0) == nullptr);
}
