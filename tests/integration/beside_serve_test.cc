// tally replay and tally reconcile beside a running `tally serve`, which
// holds the locks of the embedded log and of every store: both read
// read-only, say what they saw, and agree with serve once it has stopped.
#include <doctest/doctest.h>

#include "engine/core/partitioner.h"
#include "tests/fixtures/broker.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;

namespace {

RunResult run_tally(std::vector<std::string> args) {
  args.insert(args.begin(), tally_bin());
  return run(args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The applied offset `tally replay` printed for partition p.
uint64_t printed_offset(const std::string& out, uint32_t p) {
  const std::string tag = "partition " + std::to_string(p) + ": offset ";
  const size_t at = out.find(tag);
  REQUIRE(at != std::string::npos);
  return std::stoull(out.substr(at + tag.size()));
}

}  // namespace

TEST_CASE("replay and reconcile run beside tally serve, and match it once it has stopped") {
  TempDir dir;
  // 7 and 8 share a partition; 2^64 + 9 routes elsewhere (a saga from 7).
  const std::string far = "18446744073709551625";
  const uint32_t p7 = partition_of(AccountId(7), 8).value;
  REQUIRE(partition_of(AccountId(make_u128(1, 9)), 8).value != p7);
  Serve serve(dir.sub("data"));
  {
    HttpClient http(serve.port());
    const auto answer = http.post("/v1/commands",
                                  commands_body({account_json("7"), account_json("8"), account_json(far),
                                                 transfer_json("1001", "8", "7", "500"),
                                                 transfer_json("1002", "7", "8", "120"),
                                                 transfer_json("1003", "7", far, "30")},
                                                true));
    REQUIRE(answer.status == 200);
    CHECK(outcomes_of(boost::json::parse(answer.body)) == "created created created created created created");
  }
  // serve holds every lock: the log is read as a snapshot, the stores as flushed.
  const RunResult beside = run_tally({"replay", "--data", dir.sub("data"), "--into", dir.sub("r1"), "--verify"});
  INFO(beside.output);
  CHECK(beside.exit_code == 0);
  CHECK(printed_offset(beside.output, p7) >= 1);  // what serve appended, though not flushed
  CHECK(contains(beside.output, "verify: 8 of 8 partitions match"));
  const RunResult checked = run_tally({"reconcile", "--data", dir.sub("data")});
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
  CHECK(contains(checked.output, "note: the stores are in use"));

  REQUIRE(serve.stop() == 0);  // commits and flushes
  const RunResult after = run_tally({"replay", "--data", dir.sub("data"), "--into", dir.sub("r2"), "--verify"});
  INFO(after.output);
  CHECK(after.exit_code == 0);
  CHECK(contains(after.output, "verify partition " + std::to_string(p7) + ": offset " +
                                   std::to_string(printed_offset(after.output, p7)) + " live "));
  CHECK(contains(after.output, "verify: 8 of 8 partitions match"));
  const RunResult clean = run_tally({"reconcile", "--data", dir.sub("data")});
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
  CHECK(contains(clean.output, "reconcile: clean"));
  CHECK_FALSE(contains(clean.output, "note:"));
}

TEST_CASE("replay --kafka and reconcile --kafka read the log from Kafka (tally broker)") {
  TempDir dir;
  Broker broker(4);
  {
    Serve serve(dir.sub("data"), {"--kafka", broker.bootstrap()});
    HttpClient http(serve.port());
    const auto answer = http.post("/v1/commands", commands_body({account_json("7"), account_json("8"),
                                                                 transfer_json("1001", "8", "7", "3"),
                                                                 transfer_json("1002", "7", "8", "2")},
                                                                true));
    REQUIRE(answer.status == 200);
    REQUIRE(serve.stop() == 0);
  }
  const RunResult r = run_tally({"replay", "--kafka", broker.bootstrap(), "--data", dir.sub("data"), "--into",
                                 dir.sub("r"), "--verify"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "verify: 4 of 4 partitions match"));
  CHECK(contains(r.output, "4 commands in"));
  const RunResult c = run_tally({"reconcile", "--kafka", broker.bootstrap(), "--data", dir.sub("data")});
  INFO(c.output);
  CHECK(c.exit_code == 0);
  CHECK(contains(c.output, "reconcile: clean"));
  CHECK_FALSE(contains(c.output, "no log given"));
}
