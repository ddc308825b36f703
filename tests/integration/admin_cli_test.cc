// Operator actions on a running `tally serve`: `tally replay --switch-in`
// rebuilds every partition inside it while a producer appends and a reader
// queries (no query fails), a checkpoint taken meanwhile passes reconcile
// and replay --verify and starts a serve of its own, and a partition whose
// live store differs from its log is refused.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <atomic>
#include <filesystem>
#include <thread>

#include "engine/core/partitioner.h"
#include "projections/records.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/store_edit.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;

namespace {

Captured run_tally(std::vector<std::string> args) {
  args.insert(args.begin(), tally_bin());
  return run_captured(args, "", std::chrono::seconds(60));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// 7 and 8 share a partition; 2^64 + 9 routes elsewhere (a saga from 7).
const std::string kFar = "18446744073709551625";

void open_accounts(uint16_t port) {
  HttpClient http(port);
  const auto answer = http.post("/v1/commands", commands_body({account_json("7"), account_json("8"),
                                                               account_json(kFar),
                                                               transfer_json("1001", "8", "7", "500")},
                                                              true));
  REQUIRE(answer.status == 200);
  CHECK(outcomes_of(answer.json()) == "created created created created");
}

}  // namespace

TEST_CASE("replay --switch-in rebuilds inside serve while it serves; a checkpoint taken meanwhile restores") {
  TempDir dir;
  const std::string data = dir.sub("data");
  Serve serve(data, {"--checkpoint-root", dir.path()});
  open_accounts(serve.port());

  std::atomic<bool> stop{false};
  std::jthread producer([&] {
    HttpClient http(serve.port());
    for (int id = 2000; !stop; id += 2) {
      (void)http.post("/v1/commands", commands_body({transfer_json(std::to_string(id), "8", "7", "3"),
                                                     transfer_json(std::to_string(id + 1), "7", kFar, "1")},
                                                    false));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::atomic<int> queries{0};
  std::string failure;
  std::jthread reader([&] {
    HttpClient http(serve.port());
    while (!stop) {
      for (const std::string& target : {std::string("/v1/accounts/7"), std::string("/v1/transfers/1001"), "/v1/accounts/" + kFar}) {
        const HttpResult r = http.get(target);
        queries++;
        if (r.status != 200 && failure.empty()) failure = target + " -> " + std::to_string(r.status) + " " + r.body;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Captured rebuilt = run_tally({"replay", "--switch-in", "--http", serve.address()});
  HttpResult checkpoint;
  {
    HttpClient http(serve.port());
    checkpoint = http.post("/v1/admin/checkpoint", R"({"dir":")" + dir.sub("backup") + R"("})");
  }
  stop = true;
  producer.join();
  reader.join();
  INFO(rebuilt.out << rebuilt.err);
  CHECK(rebuilt.exit_code == 0);
  const uint32_t p7 = partition_of(AccountId(7), 8).value;
  CHECK(contains(rebuilt.out, "partition " + std::to_string(p7) + ": switched at offset "));
  CHECK(contains(rebuilt.out, "(live and rebuilt match)"));
  CHECK(contains(rebuilt.out, "switch-in: 8 of 8 partitions switched"));
  CHECK_MESSAGE(failure.empty(), failure);
  CHECK(queries.load() > 10);
  INFO(checkpoint.body);
  CHECK(checkpoint.status == 200);
  // --json: the serve's answer and the counts, as one object on stdout.
  const Captured again =
      run_tally({"replay", "--switch-in", "--http", serve.address(), "--partition", std::to_string(p7), "--json"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  const boost::json::object j = boost::json::parse(again.out).as_object();
  CHECK(j.at("switched").to_number<uint64_t>() == 1);
  CHECK(j.at("total").to_number<uint64_t>() == 1);
  CHECK(j.at("partitions").as_array().at(0).at("partition").to_number<uint64_t>() == p7);
  CHECK(j.at("partitions").as_array().at(0).at("switched").as_bool());
  REQUIRE(serve.stop() == 0);

  // The data directory (now links to the rebuilt stores) and the checkpoint
  // both pass the tools' checks.
  for (const std::string& d : {data, dir.sub("backup")}) {
    const Captured clean = run_tally({"reconcile", "--data", d});
    INFO(d << ": " << clean.out << clean.err);
    CHECK(clean.exit_code == 0);
    CHECK(contains(clean.out, "reconcile: clean"));
    CHECK_FALSE(contains(clean.out, "note:"));
  }
  const Captured verified = run_tally({"replay", "--data", dir.sub("backup"), "--into", dir.sub("r"), "--verify"});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(contains(verified.out, "verify: 8 of 8 partitions match"));
  Serve restored(dir.sub("backup"));
  HttpClient http(restored.port());
  const HttpResult seven = http.get("/v1/accounts/7");
  CHECK(seven.status == 200);
  CHECK(std::stoull(str(seven.json(), "credits_posted")) >= 500);  // with what the producer added before the cut
}

TEST_CASE("replay --switch-in refuses a partition whose live store differs from its log") {
  TempDir dir;
  const std::string data = dir.sub("data");
  const uint32_t p7 = partition_of(AccountId(7), 8).value;
  {
    Serve serve(data);
    open_accounts(serve.port());
    REQUIRE(serve.stop() == 0);
  }
  edit_store(data, Partition{p7}, 8, [&](PartitionStore& s, StoreBatch& b) {
    Account seven = **s.account(AccountId(7));
    seven.balances.credits_posted += 1;  // the store no longer matches its log
    b.put(keys::account(AccountId(7)), encode(seven));
  });
  Serve serve(data);
  HttpClient http(serve.port());
  REQUIRE(http.post("/v1/commands", commands_body({transfer_json("1002", "8", "7", "5")}, true)).status == 200);
  const Captured refused = run_tally({"replay", "--switch-in", "--http", serve.address(), "--partition",
                                      std::to_string(p7)});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.out, "partition " + std::to_string(p7) + ": REFUSED at offset 2: rebuilt digest "));
  CHECK(contains(refused.out, "the live store was kept"));
  CHECK(contains(refused.out, "switch-in: 0 of 1 partitions switched"));
  CHECK(str(http.get("/v1/accounts/7").json(), "credits_posted") == "506");  // still the live store
  CHECK_FALSE(std::filesystem::is_symlink(data + "/partitions/" + std::to_string(p7)));
  const Captured usage = run_tally({"replay", "--switch-in", "--http", serve.address(), "--partition", "x"});
  CHECK(usage.exit_code == 2);
  CHECK(contains(usage.err, "--partition expects a partition number or \"all\", got \"x\""));
}
