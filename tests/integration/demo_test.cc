// `tally demo`, README's first command: it runs the ledger end to end in a
// few seconds, every step checked, and leaves nothing behind unless asked.
#include <doctest/doctest.h>

#include <filesystem>

#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("tally demo runs every step, checks each outcome, and removes its directory") {
  const Captured demo = run_captured({tally_bin(), "demo"}, "", std::chrono::seconds(30));
  INFO(demo.out << demo.err);
  CHECK(demo.exit_code == 0);
  CHECK(demo.elapsed < std::chrono::seconds(10));
  for (const char* line : {
           "ok    1. open bank, alice, bob (partition ",
           "ok    3. alice -> bob 5,000, more than she has: rejected (exceeds_credits), nothing moved",
           "ok    4. alice -> bob 300 pending (reserved, 300 held), then posted: bob has 300",
           "ok    5. alice -> bob 200 pending, 1 s timeout: the scheduler expired it after ",
           "then posted it here: completed",
           "has no dave (credit_account_not_found), so the saga",
           "voided the reservation: compensated; alice keeps her 100",
           "  reconcile: clean",
           "ok    8. the books reconcile",
           "ok    9. tally replay rebuilt the 2 partitions from the log into a fresh store: same digests (2 of 2)",
           "demo: every check passed in ",
       }) {
    CHECK_MESSAGE(contains(demo.out, line), std::string(line));
  }
  CHECK_FALSE(contains(demo.out, "FAIL"));
  // alice's balances: 1,000 in; 300 to bob and 250 to carol out; nothing pending.
  const size_t table = demo.out.find("\nBalances");
  REQUIRE(table != std::string::npos);
  const size_t alice = demo.out.find("\n  alice ", table);
  REQUIRE(alice != std::string::npos);
  const std::string row = demo.out.substr(alice + 1, demo.out.find('\n', alice + 1) - alice - 1);
  const std::string amounts = "      550     1,000       450";
  REQUIRE(row.size() > amounts.size());
  CHECK(row.substr(row.size() - amounts.size()) == amounts);
  const size_t at = demo.out.find("Data: ");
  REQUIRE(at != std::string::npos);
  const std::string dir = demo.out.substr(at + 6, demo.out.find(' ', at + 6) - at - 6);
  CHECK(dir.rfind("/tmp/tally-demo-", 0) == 0);
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("tally demo --data keeps the ledger for the other tools") {
  TempDir tmp;
  const std::string data = tmp.sub("demo");
  const Captured demo = run_captured({tally_bin(), "demo", "--data", data}, "", std::chrono::seconds(30));
  INFO(demo.out << demo.err);
  REQUIRE(demo.exit_code == 0);
  CHECK(contains(demo.out, "Look around: tally query --data " + data + " account 18446744073709551618"));
  const Captured query = run_captured({tally_bin(), "query", "--data", data, "account", "18446744073709551618"});
  INFO(query.out << query.err);
  CHECK(query.exit_code == 0);
  CHECK(contains(query.out, "debits pending 0, posted 550; credits pending 0, posted 1000"));
  const Captured again = run_captured({tally_bin(), "demo", "--data", data});
  CHECK(again.exit_code == 2);
  CHECK(contains(again.err, "is not empty; the demo starts a new ledger"));
}
