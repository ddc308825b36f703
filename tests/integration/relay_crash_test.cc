// kill -9 of the relay between its append and its delete (the crash point
// relay.after_append): the restarted node sends the same outbox entries
// again, the receiver answers `exists`, and the books hold each once.
#include <doctest/doctest.h>

#include "tests/fixtures/recovery_node.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

TEST_CASE("a relay killed between append and delete re-sends; the receiver answers exists") {
  TempDir dir;
  constexpr uint64_t kEntries = 500;
  {
    auto child = spawn_recovery_node({"outbox", dir.path(), std::to_string(kEntries)}, "relay.after_append");
    CHECK(child->wait() == 128 + 9);  // killed at the crash point
  }
  {
    auto child = spawn_recovery_node({"outbox", dir.path(), std::to_string(kEntries)});
    REQUIRE(child->read_line(60s) == "ready");
    REQUIRE(child->read_line(60s) == "done");
    CHECK(child->wait() == 0);
  }
  auto node = open_for_reading(dir.path());
  REQUIRE(node != nullptr);
  const auto applied = applied_commands(*node);
  u128 expected = 0;
  for (uint64_t i = 0; i < kEntries; i++) {
    expected += i + 1;
    const auto it = applied.find(make_u128(42, 500000 + i));
    REQUIRE(it != applied.end());
    REQUIRE(it->second.size() == 2);  // sent before the crash, and again after
    CHECK(it->second[0].outcome == Outcome::created);
    CHECK(it->second[1].outcome == Outcome::exists);
  }
  auto a = node->account(AccountId((u128{42} << 64) | 1));
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  CHECK((*a)->balances.debits_posted == expected);
  CHECK(node->relay().stats().pending == 0);
}
