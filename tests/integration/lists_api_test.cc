// GET /v1/accounts and GET /v1/transfers on a real `tally serve`, and
// `tally query accounts|transfers` against it and against its stores
// (docs/queries.md): filters that combine, pages across partitions that
// return each item once, and 400s that name the parameter and the limit.
#include <doctest/doctest.h>

#include <set>

#include "tests/fixtures/http_client.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;
using namespace std::chrono_literals;

namespace {

// Accounts in 12 partition groups (upper 64 bits 1..12), so they spread
// over the partitions; ledger 1 for odd groups, 2 for even ones.
std::vector<std::string> group_ids() {
  return {"18446744073709551617",  "36893488147419103233",  "55340232221128654849",
          "73786976294838206465",  "92233720368547758081",  "110680464442257309697",
          "129127208515966861313", "147573952589676412929", "166020696663385964545",
          "184467440737095516161", "202914184810805067777", "221360928884514619393"};
}

std::string account_on(const std::string& id, int ledger, const std::string& ud64) {
  return R"({"type":"create_account","id":")" + id + R"(","ledger":)" + std::to_string(ledger) +
         R"(,"code":10,"user_data_64":")" + ud64 + R"(","flags":[]})";
}

struct Fixture {
  TempDir dir;
  Serve serve{dir.sub("data")};
  HttpClient http{serve.port()};

  void post(const std::vector<std::string>& commands) {
    HttpResult r = http.post("/v1/commands", commands_body(commands, true));
    REQUIRE(r.status == 200);
  }
  // Every page of `target` (a list route with its filters), following
  // next_cursor; the ids in order, and the number of pages.
  std::vector<std::string> pages(const std::string& target, const char* list, int* count = nullptr) {
    std::vector<std::string> ids;
    std::string cursor;
    for (int n = 1; n < 1000; n++) {
      const char sep = target.find('?') == std::string::npos ? '?' : '&';
      HttpResult r = http.get(target + (cursor.empty() ? "" : sep + std::string("cursor=") + cursor));
      REQUIRE(r.status == 200);
      const boost::json::value v = r.json();
      for (const auto& item : v.at(list).as_array()) ids.push_back(str(item, "id"));
      if (count) *count = n;
      if (!v.as_object().contains("next_cursor")) return ids;
      cursor = str(v, "next_cursor");
    }
    FAIL("too many pages");
    return ids;
  }
};

void check_400(Fixture& f, const std::string& target, const std::string& says) {
  CAPTURE(target);
  HttpResult r = f.http.get(target);
  CHECK(r.status == 400);
  CAPTURE(r.body);
  const std::string error = str(r.json(), "error");
  CHECK(error.find(says) != std::string::npos);
}

}  // namespace

TEST_CASE("GET /v1/accounts lists across partitions, each account once, filters combined") {
  Fixture f;
  std::vector<std::string> cmds;
  const std::vector<std::string> ids = group_ids();
  for (size_t i = 0; i < ids.size(); i++) cmds.push_back(account_on(ids[i], i % 2 == 0 ? 1 : 2, i < 6 ? "5" : "0"));
  f.post(cmds);
  int count = 0;
  const auto all = f.pages("/v1/accounts?limit=5", "accounts", &count);
  CHECK(all.size() == 12);
  CHECK(std::set<std::string>(all.begin(), all.end()) == std::set<std::string>(ids.begin(), ids.end()));
  CHECK(count >= 3);
  const auto one = f.pages("/v1/accounts?limit=1&ledger=2", "accounts");
  CHECK(one.size() == 6);
  CHECK(std::set<std::string>(one.begin(), one.end()).size() == 6);
  // Ledger 2 and user_data_64 5: groups 2, 4 and 6.
  const auto both = f.pages("/v1/accounts?ledger=2&user_data_64=5", "accounts");
  CHECK(std::set<std::string>(both.begin(), both.end()) == std::set<std::string>{ids[1], ids[3], ids[5]});
  CHECK(f.pages("/v1/accounts?ledger=3", "accounts").empty());
}

TEST_CASE("GET /v1/transfers by account and side, ledger, code, pending, paged") {
  Fixture f;
  f.post({account_json("7"), account_json("8"), account_json("9")});
  std::vector<std::string> cmds;
  for (int i = 1; i <= 60; i++) {
    std::string t = transfer_json(std::to_string(1000 + i), i % 2 ? "7" : "8", i % 2 ? "8" : "9", "1");
    if (i % 3 == 0) t.replace(t.find(R"("code":1)"), 8, R"("code":3)");
    if (i % 10 == 0) t.replace(t.size() - 1, 1, R"(,"flags":["pending"]})");
    cmds.push_back(t);
  }
  f.post(cmds);
  int count = 0;
  const auto all = f.pages("/v1/transfers?limit=7", "transfers", &count);
  CHECK(all.size() == 60);
  CHECK(count == 9);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 60);
  CHECK(f.pages("/v1/transfers?account=8&limit=11", "transfers").size() == 60);
  const auto debit7 = f.pages("/v1/transfers?account=7&side=debit&limit=4", "transfers");
  CHECK(debit7.size() == 30);
  CHECK(f.pages("/v1/transfers?account=8&side=credit&limit=4", "transfers") == debit7);
  CHECK(f.pages("/v1/transfers?account=7&side=credit", "transfers").empty());
  // Code 3 and debit 8: even multiples of 3.
  const auto c3 = f.pages("/v1/transfers?account=8&side=debit&code=3&limit=2", "transfers");
  CHECK(c3.size() == 10);
  CHECK(f.pages("/v1/transfers?pending=true&limit=2", "transfers").size() == 6);
  // Code 3 and not pending: the 20 multiples of 3 but 30 and 60.
  CHECK(f.pages("/v1/transfers?pending=false&code=3", "transfers").size() == 18);
}

TEST_CASE("list routes refuse bad parameters with a 400 that names the parameter and the limit") {
  Fixture f;
  check_400(f, "/v1/accounts?limit=0", "\"limit\" must be an integer in 1..8189");
  check_400(f, "/v1/accounts?limit=8190", "\"limit\" must be an integer in 1..8189");
  check_400(f, "/v1/transfers?limit=99999", "\"limit\" must be an integer in 1..8189");
  check_400(f, "/v1/accounts?ledger=0", "\"ledger\" must be an integer in 1..4294967295");
  check_400(f, "/v1/accounts?code=65536", "\"code\" must be an integer in 1..65535");
  check_400(f, "/v1/accounts?user_data_128=0", "\"user_data_128\" must be an integer in 1..");
  check_400(f, "/v1/transfers?user_data_32=4294967296", "\"user_data_32\" must be an integer in 1..4294967295");
  check_400(f, "/v1/transfers?from=9&to=8", "\"from\" (9) is after \"to\" (8)");
  check_400(f, "/v1/transfers?side=debit", "\"side\" needs \"account\"");
  check_400(f, "/v1/transfers?account=7&side=up", "\"side\" must be debit, credit or either");
  check_400(f, "/v1/transfers?pending=yes", "\"pending\" must be true or false");
  check_400(f, "/v1/transfers?cursor=x.1", "\"cursor\" is not a cursor");
  check_400(f, "/v1/accounts?cursor=99999", "\"cursor\" is not a cursor");
  check_400(f, "/v1/accounts?account=7", "account");
}

TEST_CASE("tally query accounts and transfers, from the server and from the stores") {
  Fixture f;
  f.post({account_json("7"), account_json("8"), transfer_json("1001", "7", "8", "5"),
          transfer_json("1002", "8", "7", "2")});
  const std::string tally = built_program("TALLY_BIN");
  Captured c = run_captured({tally, "query", "transfers", "--account", "7", "--side", "debit", "--json",
                             "--http", f.serve.address()});
  CAPTURE(c.err);
  REQUIRE(c.exit_code == 0);
  const boost::json::value v = boost::json::parse(c.out);
  REQUIRE(v.at("transfers").as_array().size() == 1);
  CHECK(str(v.at("transfers").as_array()[0], "id") == "1001");
  c = run_captured({tally, "query", "accounts", "--limit", "1", "--http", f.serve.address()});
  REQUIRE(c.exit_code == 0);
  CHECK(c.out.rfind("1 account\n", 0) == 0);
  CHECK(c.out.find("more: --cursor ") != std::string::npos);
  c = run_captured({tally, "query", "transfers", "--limit", "0", "--http", f.serve.address()});
  CHECK(c.exit_code == 2);
  CHECK(c.err.find("\"limit\" must be an integer in 1..8189") != std::string::npos);
  c = run_captured({tally, "query", "accounts", "--account", "7", "--http", f.serve.address()});
  CHECK(c.exit_code == 2);
  CHECK(c.err.find("--account does not apply to accounts") != std::string::npos);
  // The stores, once serve has stopped (and flushed).
  CHECK(f.serve.stop() == 0);
  c = run_captured({tally, "query", "transfers", "--code", "1", "--json", "--data", f.dir.sub("data")});
  CAPTURE(c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(boost::json::parse(c.out).at("transfers").as_array().size() == 2);
}
