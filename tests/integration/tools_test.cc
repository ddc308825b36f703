// tally serve's lifecycle, tally query and tally produce, end to end as a
// user runs them.
#include <doctest/doctest.h>

#include <fstream>

#include "engine/core/partitioner.h"
#include "tests/fixtures/broker.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

namespace {

const std::string kCommands = account_json("7", R"("debits_must_not_exceed_credits","history")") + "\n" +
                              account_json("8") + "\n\n" +                   // a blank line is skipped
                              transfer_json("1001", "8", "7", "500") + "\n" +
                              transfer_json("1002", "7", "8", "900") + "\n";  // exceeds 7's credits

// Accounts 7 and 8 share their upper 64 bits, so one partition of the default 8.
const std::string kP = std::to_string(tally::partition_of(tally::AccountId(7), 8).value);

RunResult run_tally(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), tally_bin());
  return run(args, input);
}

// The lines of `text` that start with `prefix`.
std::string lines_with(const std::string& text, const std::string& prefix) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.rfind(prefix, 0) == 0) out += line + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("SIGTERM stops serve with exit 0 and a restart serves the same balances") {
  TempDir dir;
  std::string before;
  {
    Serve serve(dir.sub("data"));
    HttpClient http(serve.port());
    REQUIRE(http.post("/v1/commands", commands_body({account_json("7"), account_json("8"),
                                                     transfer_json("1001", "8", "7", "42")}, true))
                .status == 200);
    before = http.get("/v1/accounts/7").body;
    CHECK(serve.stop() == 0);
  }
  Serve again(dir.sub("data"));
  HttpClient http(again.port());
  CHECK(http.get("/v1/accounts/7").body == before);
  CHECK(str(http.get("/v1/accounts/7").json(), "credits_posted") == "42");
  CHECK(again.stop() == 0);
}

TEST_CASE("serve fails at startup with one clear line: port in use, data directory unusable") {
  TempDir dir;
  Serve first(dir.sub("one"));
  const RunResult taken = run_tally({"serve", "--data", dir.sub("two"), "--http", first.address()});
  CHECK(taken.exit_code == 1);
  CHECK(taken.output.find("binding " + first.address() + ": Address already in use") != std::string::npos);
  std::ofstream(dir.sub("file")) << "not a directory";
  const RunResult bad = run_tally({"serve", "--data", dir.sub("file"), "--http", "127.0.0.1:0"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.rfind("tally serve: cannot create the data directory " + dir.sub("file"), 0) == 0);
  CHECK(run_tally({"serve", "--http", "127.0.0.1:0"}).exit_code == 2);  // --data is required
}

TEST_CASE("tally produce --http prints each outcome; --json; --fail-on-reject; a bad line appends nothing") {
  TempDir dir;
  Serve serve(dir.sub("data"));
  const RunResult bad = run_tally({"produce", "--http", serve.address()}, account_json("5") + "\n{\"type\":1}\n");
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("line 2: field \"type\" is required") != std::string::npos);
  HttpClient http(serve.port());
  CHECK(http.get("/v1/accounts/5").status == 404);

  const RunResult r = run_tally({"produce", "--http", serve.address()}, kCommands);
  CHECK(r.exit_code == 0);
  CHECK(lines_with(r.output, "line ") ==
        "line 1: create_account 7 -> created (partition " + kP + " offset 0)\n"
        "line 2: create_account 8 -> created (partition " + kP + " offset 0)\n"
        "line 4: create_transfer 1001 -> created (partition " + kP + " offset 0)\n"
        "line 5: create_transfer 1002 -> exceeds_credits (partition " + kP + " offset 0)\n");
  const RunResult again = run_tally({"produce", "--http", serve.address(), "--json", "--fail-on-reject"}, kCommands);
  CHECK(again.exit_code == 3);
  CHECK(lines_with(again.output, "{").find(
            R"({"line":5,"type":"create_transfer","id":"1002","partition":)" + kP +
            R"(,"offset":1,"index":3,"outcome":"exceeds_credits"})") !=
        std::string::npos);
}

TEST_CASE("tally produce --data applies in process without a serve; --no-wait prints placements") {
  TempDir dir;
  const RunResult r = run_tally({"produce", "--data", dir.sub("data")}, kCommands);
  CHECK(r.exit_code == 0);
  CHECK(lines_with(r.output, "line 5") == "line 5: create_transfer 1002 -> exceeds_credits (partition " + kP + " offset 0)\n");
  const RunResult q = run_tally({"query", "--data", dir.sub("data"), "account", "7"});
  CHECK(q.exit_code == 0);
  CHECK(q.output.find("debits pending 0, posted 0; credits pending 0, posted 500") != std::string::npos);
  const RunResult nw = run_tally({"produce", "--data", dir.sub("data"), "--no-wait"}, account_json("9") + "\n");
  CHECK(nw.exit_code == 0);
  const std::string p9 = std::to_string(tally::partition_of(tally::AccountId(9), 8).value);
  const std::string o9 = p9 == kP ? "1" : "0";
  CHECK(nw.output == "line 1: create_account 9 -> partition " + p9 + " offset " + o9 + " index 0\n");
  // A serve started later applies what --no-wait appended.
  Serve serve(dir.sub("data"));
  HttpClient http(serve.port());
  CHECK(http.get("/v1/offsets/" + p9 + "/" + o9 + "?wait_ms=10000").body.find(R"("outcomes":["created"])") != std::string::npos);
  // While serve holds the directory, produce --data points to --http.
  const RunResult locked = run_tally({"produce", "--data", dir.sub("data")}, account_json("10") + "\n");
  CHECK(locked.exit_code == 1);
  CHECK(locked.output.find("use --http ADDR") != std::string::npos);
}

TEST_CASE("tally query over --http and --data gives the same answers, human or JSON") {
  TempDir dir;
  Serve serve(dir.sub("data"));
  REQUIRE(run_tally({"produce", "--http", serve.address()}, kCommands).exit_code == 0);
  HttpClient http(serve.port());
  const std::string account_body = http.get("/v1/accounts/7").body;
  const std::string history_body = http.get("/v1/accounts/7/history?limit=5").body;

  const RunResult j = run_tally({"query", "--http", serve.address(), "account", "7", "--json"});
  CHECK(j.exit_code == 0);
  CHECK(j.output == account_body + "\n");
  const RunResult h = run_tally({"query", "--http", serve.address(), "history", "7", "--limit", "5", "--json"});
  CHECK(h.output == history_body + "\n");
  const RunResult human = run_tally({"query", "--http", serve.address(), "transfer", "1002"});
  CHECK(human.output.rfind("transfer 1002: 900 from 7 to 8 (ledger 1, code 1, flags: none) exceeds_credits\n", 0) == 0);
  const RunResult missing = run_tally({"query", "--http", serve.address(), "account", "99"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.output == "tally query: account 99 not found\n");
  const RunResult bad = run_tally({"query", "--http", serve.address(), "account", "seven"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("account id \"seven\" is not a decimal u128") != std::string::npos);
  const RunResult offset = run_tally({"query", "--http", serve.address(), "offset", kP, "0"});
  CHECK(offset.output.find("  3 exceeds_credits\n") != std::string::npos);

  REQUIRE(serve.stop() == 0);  // flushes: --data then sees everything
  CHECK(run_tally({"query", "--data", dir.sub("data"), "account", "7", "--json"}).output == account_body + "\n");
  CHECK(run_tally({"query", "--data", dir.sub("data"), "history", "7", "--limit", "5", "--json"}).output ==
        history_body + "\n");
  const RunResult local_missing = run_tally({"query", "--data", dir.sub("data"), "account", "99"});
  CHECK(local_missing.exit_code == 1);
  CHECK(local_missing.output.rfind("tally query: account 99 not found (in what " + dir.sub("data") +
                                   " has flushed to disk", 0) == 0);
  CHECK(run_tally({"query", "--data", dir.sub("data"), "balance", "7"}).exit_code == 2);  // needs --at
  CHECK(run_tally({"query", "account", "7"}).exit_code == 2);  // needs --http or --data
}

TEST_CASE("serve over Kafka (tally broker) applies what it is sent and answers queries") {
  TempDir dir;
  Broker broker(4);
  Serve serve(dir.sub("data"), {"--kafka", broker.bootstrap()});
  CHECK(serve.ready_line().find("4 partitions") != std::string::npos);
  HttpClient http(serve.port());
  const HttpResult r = http.post("/v1/commands", commands_body({account_json("7"), account_json("8"),
                                                                transfer_json("1001", "8", "7", "3")}, true));
  REQUIRE(r.status == 200);
  CHECK(outcomes_of(r.json()) == "created created created");
  CHECK(str(http.get("/v1/accounts/7").json(), "credits_posted") == "3");
  CHECK(serve.stop() == 0);
}
