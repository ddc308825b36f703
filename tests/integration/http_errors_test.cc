// Every error class of the HTTP API, each answered with its status and an
// {"error"} message that names the problem (docs/http-api.md "Errors").
#include <doctest/doctest.h>

#include "tests/fixtures/http_json.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

namespace {

struct Case {
  const char* method;
  const char* target;
  std::string body;
  unsigned status;
  const char* message;  // a part of the error message
};

std::string many_accounts(size_t n) {
  std::vector<std::string> commands;
  for (size_t i = 1; i <= n; i++) commands.push_back(account_json(std::to_string(1000 + i)));
  return commands_body(commands, true);
}

}  // namespace

TEST_CASE("bad requests get 400/404/405 with a message naming the problem") {
  TempDir dir;
  Serve serve(dir.sub("data"));
  HttpClient http(serve.port());
  const std::string ok_account = account_json("7");
  const std::vector<Case> cases = {
      {"POST", "/v1/commands", R"({"commands":[)", 400, "malformed JSON at byte 13"},
      {"POST", "/v1/commands", "[]", 400, "must be a JSON object"},
      {"POST", "/v1/commands", R"({"commands":[],"wait":true})", 400, "at least one command"},
      {"POST", "/v1/commands", R"({"commands":[)" + ok_account + R"(],"colour":1})", 400,
       "unknown field \"colour\""},
      {"POST", "/v1/commands", R"({"commands":[{"type":"create_account","id":"7","ledger":1,"code":10,"size":3}]})",
       400, "commands[0]: unknown field \"size\""},
      {"POST", "/v1/commands", R"({"commands":[)" + ok_account + R"(],"wait":"yes"})", 400,
       "field \"wait\" must be true or false"},
      {"POST", "/v1/commands", R"({"commands":[{"type":"create_account","id":7,"ledger":1,"code":10}]})", 400,
       "commands[0]: field \"id\" must be a decimal string"},
      {"POST", "/v1/commands", R"({"commands":[{"type":"create_account","id":"7","ledger":4294967296,"code":10}]})",
       400, "field \"ledger\" is out of range 0..4294967295"},
      {"POST", "/v1/commands",
       R"({"commands":[{"type":"create_account","id":"340282366920938463463374607431768211456","ledger":1,"code":1}]})",
       400, "field \"id\" must be a decimal integer in 0..2^128-1"},
      {"POST", "/v1/commands", R"({"commands":[)" + ok_account + R"(],"wait":true,"timeout_ms":60001})", 400,
       "field \"timeout_ms\" is out of range 1..60000"},
      {"POST", "/v1/commands?x=1", R"({"commands":[)" + ok_account + "]}", 400, "unknown query parameter \"x\""},
      {"GET", "/v1/accounts/abc", "", 400, "account id \"abc\" is not a decimal u128"},
      {"GET", "/v1/accounts/0", "", 400, "ids 0 and 2^128-1 are reserved"},
      {"GET", "/v1/transfers/-5", "", 400, "transfer id \"-5\" is not a decimal u128"},
      {"GET", "/v1/accounts/7?verbose=1", "", 400, "unknown query parameter \"verbose\""},
      {"GET", "/v1/accounts/7/history?limit=8190", "", 400, "query parameter \"limit\" must be an integer in 1..8189"},
      {"GET", "/v1/accounts/7/history?limit=1&limit=2", "", 400, "\"limit\" is given twice"},
      {"GET", "/v1/accounts/7/history?from=5&to=4", "", 400, "\"from\" (5) is after \"to\" (4)"},
      {"GET", "/v1/accounts/7/balance?at=18446744073709551616", "", 400, "must be an integer in 0..18446744073709551615"},
      {"GET", "/v1/accounts/%zz", "", 400, "malformed percent escape"},
      {"GET", "/v1/accounts/123456789", "", 404, "account 123456789 not found"},
      {"GET", "/v1/transfers/42", "", 404, "transfer 42 not found"},
      {"GET", "/v1/nothing", "", 404, "no route for GET /v1/nothing"},
      {"GET", "/v1/commands", "", 405, "method GET is not allowed on /v1/commands (allowed: POST)"},
      {"DELETE", "/v1/accounts/7", "", 405, "method DELETE is not allowed"},
      {"POST", "/health", "{}", 405, "allowed: GET"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.method);
    CAPTURE(c.target);
    CAPTURE(c.body);
    const HttpResult r = http.request(c.method, c.target, c.body);
    CHECK(r.status == c.status);
    CHECK(r.content_type == "application/json");
    CHECK_MESSAGE(r.error().find(c.message) != std::string::npos, r.body);
    if (c.status == 405) CHECK_FALSE(r.allow.empty());
  }
  // None of the rejected requests appended anything.
  CHECK(http.get("/v1/accounts/7").status == 404);
}

TEST_CASE("request limits: 4 MiB bodies (413) and 8,189 commands (400), each named") {
  TempDir dir;
  Serve serve(dir.sub("data"));
  HttpClient http(serve.port());
  const std::string huge = R"({"commands":[")" + std::string(4u << 20, 'x') + R"("]})";
  const HttpResult r = http.post("/v1/commands", huge);
  CHECK(r.status == 413);
  CHECK(r.error() == "the body is over the limit of 4194304 bytes");
  CHECK_FALSE(r.keep_alive);

  HttpClient fresh(serve.port());
  CHECK(fresh.get("/metrics").body.find("tally_http_requests_total{route=\"unmatched\",code=\"413\"} 1") !=
        std::string::npos);
  const HttpResult over = fresh.post("/v1/commands", many_accounts(8190));
  CHECK(over.status == 400);
  CHECK(over.error() == "field \"commands\" holds 8190 commands, over the limit of 8189 per request");
  const HttpResult at_limit = fresh.post("/v1/commands", many_accounts(8189));
  REQUIRE(at_limit.status == 200);
  const boost::json::value answer = at_limit.json();
  const auto& results = answer.at("results").as_array();
  CHECK(results.size() == 8189);
  size_t created = 0;
  for (const auto& x : results) created += x.at("outcome").as_string() == "created";
  CHECK(created == 8189);
}

TEST_CASE("malformed HTTP gets 400; connections stay open across requests unless closed") {
  TempDir dir;
  Serve serve(dir.sub("data"));
  HttpClient http(serve.port());
  for (int i = 0; i < 3; i++) CHECK(http.get("/v1/accounts/7").status == 404);  // one connection
  const HttpResult last = http.request("GET", "/health", "", /*keep_alive=*/false);
  CHECK(last.status == 200);
  CHECK_FALSE(last.keep_alive);
  CHECK(http.closed_by_server());

  HttpClient bad(serve.port());
  const HttpResult r = bad.raw("GET /v1/accounts/7 HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
  CHECK(r.status == 400);
  CHECK(r.error().find("malformed HTTP request") != std::string::npos);
}
