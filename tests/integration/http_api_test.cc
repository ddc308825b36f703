// The HTTP/JSON API end to end: a real `tally serve` process on an
// ephemeral port, spoken to over HTTP (docs/http-api.md).
#include <doctest/doctest.h>

#include "tests/fixtures/http_json.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

namespace {

// Accounts 7 (may not go below zero, keeps history) and 8 (keeps history),
// both in one partition (same upper 64 bits), and 500 moved from 8 to 7.
const std::vector<std::string> kSetup = {
    account_json("7", R"("debits_must_not_exceed_credits","history")"),
    account_json("8", R"("history")"),
    transfer_json("1001", "8", "7", "500"),
};

struct Fixture {
  TempDir dir;
  Serve serve{dir.sub("data")};
  HttpClient http{serve.port()};

  boost::json::value post_wait(const std::vector<std::string>& commands) {
    HttpResult r = http.post("/v1/commands", commands_body(commands, true));
    REQUIRE(r.status == 200);
    return r.json();
  }
};

}  // namespace

TEST_CASE("POST /v1/commands with wait answers each command's placement and outcome") {
  Fixture f;
  std::vector<std::string> commands = kSetup;
  commands.push_back(transfer_json("1002", "7", "8", "900"));  // 7 holds only 500
  commands.push_back(account_json("7", R"("debits_must_not_exceed_credits","history")"));
  const boost::json::value answer = f.post_wait(commands);
  CHECK(outcomes_of(answer) == "created created created exceeds_credits exists");
  const auto& results = answer.at("results").as_array();
  for (size_t i = 0; i < results.size(); i++) {
    CHECK(results[i].at("index").as_int64() == static_cast<int64_t>(i));  // one record, in order
    CHECK(results[i].at("partition") == results[0].at("partition"));
    CHECK(results[i].at("offset") == results[0].at("offset"));
  }
}

TEST_CASE("without wait the answer has placements only; /v1/offsets reads the outcomes by position") {
  Fixture f;
  HttpResult r = f.http.post("/v1/commands", commands_body(kSetup, false));
  REQUIRE(r.status == 200);
  const boost::json::value answer = r.json();
  CHECK(outcomes_of(answer) == "- - -");
  const auto& first = answer.at("results").as_array()[0];
  const std::string where = "/v1/offsets/" + str(first, "partition") + "/" + str(first, "offset");
  HttpResult o = f.http.get(where + "?wait_ms=10000");
  REQUIRE(o.status == 200);
  CHECK(boost::json::serialize(o.json().at("outcomes")) == R"(["created","created","created"])");
  // Read your writes: once the offset is applied, the queries see its effects.
  CHECK(str(f.http.get("/v1/accounts/7").json(), "credits_posted") == "500");
  const std::string past = "/v1/offsets/" + str(first, "partition") + "/" +
                           std::to_string(first.at("offset").as_int64() + 1);
  CHECK(f.http.get(past).status == 404);
  CHECK(f.http.get("/v1/offsets/8/0").error().find("partition \"8\" must be an integer in 0..7") !=
        std::string::npos);
}

TEST_CASE("GET an account and a transfer: fields, balances, timestamp, outcome") {
  Fixture f;
  std::vector<std::string> commands = kSetup;
  commands.push_back(transfer_json("1002", "7", "8", "900"));
  f.post_wait(commands);
  const boost::json::value a = f.http.get("/v1/accounts/7").json();
  CHECK(str(a, "id") == "7");
  CHECK(str(a, "ledger") == "1");
  CHECK(boost::json::serialize(a.at("flags")) == R"(["debits_must_not_exceed_credits","history"])");
  CHECK(str(a, "credits_posted") == "500");
  CHECK(str(a, "debits_posted") == "0");
  CHECK(str(a, "outcome") == "created");
  CHECK(std::stoull(str(a, "timestamp")) > 0);
  const boost::json::value t = f.http.get("/v1/transfers/1001").json();
  CHECK(str(t, "amount") == "500");
  CHECK(str(t, "debit_account_id") == "8");
  CHECK(str(t, "credit_account_id") == "7");
  CHECK(str(t, "outcome") == "created");
  CHECK(std::stoull(str(t, "timestamp")) > std::stoull(str(a, "timestamp")));
  // A rejection is final for its id and is what the transfer query shows.
  CHECK(str(f.http.get("/v1/transfers/1002").json(), "outcome") == "exceeds_credits");
}

TEST_CASE("history pages with a cursor in either order and within a time range") {
  Fixture f;
  std::vector<std::string> commands = kSetup;
  commands.push_back(transfer_json("1003", "8", "7", "20"));
  commands.push_back(transfer_json("1004", "7", "8", "5"));
  f.post_wait(commands);
  auto ids = [](const boost::json::value& page) {
    std::string out;
    for (const auto& i : page.at("items").as_array()) out += str(i.at("transfer"), "id") + " ";
    return out;
  };
  const boost::json::value all = f.http.get("/v1/accounts/7/history").json();
  CHECK(ids(all) == "1001 1003 1004 ");
  CHECK_FALSE(all.as_object().contains("next_cursor"));
  const boost::json::value p1 = f.http.get("/v1/accounts/7/history?limit=2&order=desc").json();
  CHECK(ids(p1) == "1004 1003 ");
  REQUIRE(p1.as_object().contains("next_cursor"));
  const boost::json::value p2 =
      f.http.get("/v1/accounts/7/history?limit=2&order=desc&cursor=" + str(p1, "next_cursor")).json();
  CHECK(ids(p2) == "1001 ");
  CHECK_FALSE(p2.as_object().contains("next_cursor"));
  const auto& items = all.at("items").as_array();
  const std::string t2 = str(items[1], "timestamp");
  CHECK(ids(f.http.get("/v1/accounts/7/history?from=" + t2 + "&to=" + t2).json()) == "1003 ");
  CHECK(f.http.get("/v1/accounts/9/history").status == 404);
  CHECK(f.http.get("/v1/accounts/7/history?order=sideways").status == 400);
  CHECK(f.http.get("/v1/accounts/7/history?limit=0").status == 400);
}

TEST_CASE("balance at a time: before the account existed, at a change, and the errors") {
  Fixture f;
  f.post_wait(kSetup);
  f.post_wait({account_json("9")});  // no history flag
  const boost::json::value a = f.http.get("/v1/accounts/7").json();
  const uint64_t created = std::stoull(str(a, "timestamp"));
  CHECK(f.http.get("/v1/accounts/7/balance?at=" + std::to_string(created - 1)).status == 404);
  const boost::json::value h = f.http.get("/v1/accounts/7/history").json();
  const auto& item = h.at("items").as_array()[0];
  HttpResult b = f.http.get("/v1/accounts/7/balance?at=" + str(item, "timestamp"));
  REQUIRE(b.status == 200);
  CHECK(str(b.json(), "account_id") == "7");
  CHECK(str(b.json(), "at") == str(item, "timestamp"));
  REQUIRE(item.as_object().contains("balances"));  // recorded for `history` accounts
  CHECK(str(item.at("balances"), "credits_posted") == "500");
  CHECK(str(b.json(), "credits_posted") == "500");
  CHECK(str(b.json(), "debits_posted") == "0");
  // A later change does not alter the balances at the earlier time.
  f.post_wait({transfer_json("1003", "7", "8", "120")});
  CHECK(str(f.http.get("/v1/accounts/7").json(), "debits_posted") == "120");
  CHECK(str(f.http.get("/v1/accounts/7/balance?at=" + str(item, "timestamp")).json(), "debits_posted") == "0");
  CHECK(f.http.get("/v1/accounts/9/balance?at=" + std::to_string(created)).status == 409);
  CHECK(f.http.get("/v1/accounts/7/balance").error() ==
        "query parameter \"at\" (a timestamp in ns) is required");
}
