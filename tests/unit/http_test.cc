// The HTTP API's pure parts: request targets and parameters, the body of
// POST /v1/commands, addresses, record JSON, and the router over a fake
// backend (routing, paging across partitions, waits that time out).
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <map>

#include "engine/http/address.h"
#include "engine/http/commands_request.h"
#include "engine/http/params.h"
#include "engine/http/router.h"
#include "engine/json/record_json.h"

using namespace tally;
using namespace tally::http;

namespace {

std::string segments_of(const Target& t) {
  std::string out;
  for (const auto& s : t.segments) out += "[" + s + "]";
  for (const auto& [k, v] : t.query) out += " " + k + "=" + v;
  return out;
}

std::string error_of(const Status& s) { return s.ok() ? "ok" : s.message(); }

Transfer pending_transfer(u128 id) {
  Transfer t;
  t.id = TransferId(id);
  t.debit_account_id = AccountId(1);
  t.credit_account_id = AccountId(2);
  t.amount = Amount(10);
  t.ledger = 1;
  t.code = 1;
  t.flags = transfer_flags::pending;
  t.state = PendingState::pending;
  return t;
}

// Answers from memory: every command lands in partition 0 at offset 5.
class FakeBackend final : public Backend {
 public:
  std::map<uint32_t, std::vector<Transfer>> pending_by_partition;  // sorted by id
  bool applied = true;
  Status append_error;
  size_t appended = 0;

  uint32_t partition_count() const override { return 3; }
  Result<std::vector<Placement>> append(std::span<const Command> commands) override {
    if (!append_error.ok()) return append_error;
    appended = commands.size();
    std::vector<Placement> out;
    for (uint32_t i = 0; i < commands.size(); i++) out.push_back({Partition{0}, Offset{5}, i});
    return out;
  }
  Result<bool> wait_applied(Partition, Offset, std::chrono::milliseconds) override { return applied; }
  Result<Offset> known_end(Partition) override { return Offset{10}; }
  Result<std::optional<Account>> account(AccountId) override { return std::optional<Account>(); }
  Result<std::optional<Transfer>> transfer(TransferId) override { return std::optional<Transfer>(); }
  Result<HistoryPage> history(const HistoryQuery&) override { return HistoryPage{}; }
  Result<Balances> balance_at(AccountId, Timestamp) override { return Balances{}; }
  Result<std::vector<Transfer>> pending(Partition p, size_t limit, std::optional<TransferId> after) override {
    std::vector<Transfer> out;
    for (const Transfer& t : pending_by_partition[p.value]) {
      if ((!after || t.id > *after) && out.size() < limit) out.push_back(t);
    }
    return out;
  }
  Result<std::optional<OffsetOutcomes>> outcomes(Partition, Offset) override {
    return std::optional<OffsetOutcomes>(OffsetOutcomes{Timestamp{100}, std::vector<Outcome>(appended, Outcome::created)});
  }
  Result<std::optional<QuarantinedRecord>> quarantined(Partition, Offset) override {
    return std::optional<QuarantinedRecord>();
  }
  HealthReport health() override { return {"ok", {}}; }
  std::string metrics_text() override { return "fake_metric 1\n"; }
};

const std::string kOneAccount =
    R"({"commands":[{"type":"create_account","id":"7","ledger":1,"code":1}],"wait":true,"timeout_ms":50})";

}  // namespace

TEST_CASE("request targets split into decoded segments and query pairs") {
  CHECK(segments_of(*parse_target("/v1/accounts/7/history?limit=5&order=desc")) ==
        "[v1][accounts][7][history] limit=5 order=desc");
  CHECK(segments_of(*parse_target("/a%20b/c?x=a+b%21&flag&&y=")) == "[a b][c] x=a b! flag= y=");
  CHECK(segments_of(*parse_target("/")) == "[]");
  CHECK(error_of(parse_target("v1/accounts").status()) == "the request target must start with '/'");
  CHECK(error_of(parse_target("/v1/%zz").status()) == "malformed percent escape in \"%zz\"");
  CHECK(error_of(parse_target("/v1?x=%4").status()) == "malformed percent escape in \"%4\"");
  CHECK(percent_encode("7 & 8/9") == "7%20%26%208%2F9");
  CHECK(*percent_decode(percent_encode("a b/c?d=e&f"), false) == "a b/c?d=e&f");
}

TEST_CASE("query parameters: unknown and repeated names, bounded integers") {
  CHECK(error_of(QueryParams::make({{"limit", "5"}, {"x", "1"}}, {"limit"}).status()) ==
        "unknown query parameter \"x\" (known: limit)");
  CHECK(error_of(QueryParams::make({{"x", "1"}}, {}).status()) == "unknown query parameter \"x\" (known: none)");
  CHECK(error_of(QueryParams::make({{"limit", "5"}, {"limit", "6"}}, {"limit"}).status()) ==
        "query parameter \"limit\" is given twice");
  QueryParams q = *QueryParams::make({{"limit", "5"}, {"big", "70"}, {"neg", "-1"}}, {"limit", "big", "neg", "none"});
  CHECK(**q.uint("limit", 1, 10) == 5);
  CHECK_FALSE(q.uint("none", 1, 10)->has_value());
  CHECK(error_of(q.uint("big", 1, 69).status()) == "query parameter \"big\" must be an integer in 1..69, got \"70\"");
  CHECK_FALSE(q.uint("neg", 0, 10).ok());
}

TEST_CASE("ids: decimal u128 without the reserved 0 and 2^128-1") {
  CHECK(*parse_id("340282366920938463463374607431768211454", "account id") == kU128Max - 1);
  CHECK(error_of(parse_id("340282366920938463463374607431768211455", "account id").status()) ==
        "account id 340282366920938463463374607431768211455 is invalid: ids 0 and 2^128-1 are reserved");
  CHECK(error_of(parse_id("0", "transfer id").status()).find("reserved") != std::string::npos);
  CHECK(error_of(parse_id("7a", "account id").status()) ==
        "account id \"7a\" is not a decimal u128 (1 to 39 digits, at most 2^128-1)");
  CHECK_FALSE(parse_id("", "account id").ok());
}

TEST_CASE("the body of POST /v1/commands: defaults, limits and errors naming the field") {
  Result<CommandsRequest> plain = parse_commands_request(R"({"commands":[{"type":"create_account","id":"7","ledger":1,"code":1}]})");
  REQUIRE(plain.ok());
  CHECK(plain->commands.size() == 1);
  CHECK_FALSE(plain->wait);
  CHECK(plain->timeout == std::chrono::milliseconds(10'000));
  Result<CommandsRequest> waited = parse_commands_request(kOneAccount);
  REQUIRE(waited.ok());
  CHECK(waited->wait);
  CHECK(waited->timeout == std::chrono::milliseconds(50));
  CHECK(error_of(parse_commands_request(R"({"wait":true})").status()) == "field \"commands\" is required");
  CHECK(error_of(parse_commands_request(R"({"commands":[],"timeout_ms":0})").status()) ==
        "field \"commands\" must hold at least one command");
  CHECK(error_of(parse_commands_request(R"({"commands":[{"type":"x"}]})").status()) ==
        "commands[0]: unknown command type \"x\" (known: create_account, create_transfer)");
  CHECK(error_of(parse_commands_request(R"({"timeout_ms":0,"commands":[1]})").status()) ==
        "field \"timeout_ms\" is out of range 1..60000 (the longest wait is 60 s)");
  CHECK(error_of(parse_commands_request(R"({"timeout_ms":1.5})").status()) ==
        "field \"timeout_ms\" must be an integer in 1..60000");
  CHECK(error_of(parse_commands_request("{\"commands\":[}").status()).rfind("malformed JSON at byte 13", 0) == 0);
}

TEST_CASE("addresses: HOST:PORT with optional scheme, brackets for IPv6") {
  CHECK(format_host_port(*parse_host_port("127.0.0.1:8080")) == "127.0.0.1:8080");
  CHECK(format_host_port(*parse_host_port("http://localhost:80/")) == "localhost:80");
  CHECK(parse_host_port("[::1]:9")->host == "::1");
  CHECK(format_host_port(*parse_host_port("[::1]:9")) == "[::1]:9");
  CHECK(parse_host_port("127.0.0.1:0")->port == 0);
  CHECK_FALSE(parse_host_port("127.0.0.1").ok());
  CHECK_FALSE(parse_host_port("127.0.0.1:65536").ok());
  CHECK_FALSE(parse_host_port(":80").ok());
}

TEST_CASE("record JSON: u128 and timestamps as strings, flags as names, state of pending transfers") {
  Transfer t = pending_transfer(9);
  t.timestamp = Timestamp{1'700'000'000'000'000'001};
  t.timeout_seconds = 30;
  t.expires_at = Timestamp{1'700'000'030'000'000'001};
  t.user_data_128 = kU128Max;
  CHECK(boost::json::serialize(transfer_to_json(t)) ==
        R"({"id":"9","debit_account_id":"1","credit_account_id":"2","amount":"10","pending_id":"0",)"
        R"("ledger":1,"code":1,"flags":["pending"],"timeout":30,)"
        R"("user_data_128":"340282366920938463463374607431768211455","user_data_64":"0","user_data_32":0,)"
        R"("timestamp":"1700000000000000001","outcome":"created","state":"pending",)"
        R"("expires_at":"1700000030000000001"})");
  Account a;
  a.id = AccountId(7);
  a.ledger = 2;
  a.code = 3;
  a.flags = account_flags::history;
  a.balances.credits_posted = 500;
  a.outcome = Outcome::exists_with_different_ledger;
  CHECK(boost::json::serialize(account_to_json(a)) ==
        R"({"id":"7","ledger":2,"code":3,"flags":["history"],"user_data_128":"0","user_data_64":"0",)"
        R"("user_data_32":0,"debits_pending":"0","debits_posted":"0","credits_pending":"0",)"
        R"("credits_posted":"500","timestamp":"0","outcome":"exists_with_different_ledger"})");
}

TEST_CASE("router: 404 for unknown routes, 405 with Allow, 413 past the body limit") {
  FakeBackend b;
  Router router(b);
  Response r = router.handle({"GET", "/v1/accounts/7/extra", ""});
  CHECK(r.status == 404);
  r = router.handle({"PUT", "/v1/commands", ""});
  CHECK(r.status == 405);
  CHECK(r.allow == "POST");
  r = router.handle({"POST", "/v1/commands", std::string(kMaxBodyBytes + 1, ' ')});
  CHECK(r.status == 413);
  r = router.handle({"GET", "/metrics", ""});
  CHECK(r.content_type == std::string(kPrometheusContentType));
  CHECK(r.body.rfind("fake_metric 1\n", 0) == 0);
  CHECK(r.body.find("tally_http_requests_total{route=\"/v1/commands\",code=\"405\"} 1") != std::string::npos);
  CHECK(r.body.find("tally_http_requests_total{route=\"unmatched\",code=\"404\"} 1") != std::string::npos);
}

TEST_CASE("router: pending transfers merge across partitions in id order, paged by cursor") {
  FakeBackend b;
  b.pending_by_partition[0] = {pending_transfer(1), pending_transfer(4), pending_transfer(7)};
  b.pending_by_partition[1] = {pending_transfer(2), pending_transfer(5)};
  b.pending_by_partition[2] = {pending_transfer(3), pending_transfer(6), pending_transfer(8)};
  Router router(b);
  auto page = [&](const std::string& query) {
    const boost::json::value v = boost::json::parse(router.handle({"GET", "/v1/pending" + query, ""}).body);
    std::string out;
    for (const auto& t : v.at("transfers").as_array()) out += std::string(t.at("id").as_string()) + " ";
    if (v.as_object().contains("next_cursor")) out += "next " + std::string(v.at("next_cursor").as_string());
    return out;
  };
  CHECK(page("?limit=3") == "1 2 3 next 3");
  CHECK(page("?limit=3&cursor=3") == "4 5 6 next 6");
  CHECK(page("?limit=3&cursor=6") == "7 8 ");
  CHECK(page("") == "1 2 3 4 5 6 7 8 ");
}

TEST_CASE("router: a wait that times out answers 504 with the placements; append failures say retrying is safe") {
  FakeBackend b;
  Router router(b);
  Response ok = router.handle({"POST", "/v1/commands", kOneAccount});
  CHECK(ok.status == 200);
  CHECK(ok.body == R"({"results":[{"partition":0,"offset":5,"index":0,"outcome":"created"}]})");
  b.applied = false;
  Response late = router.handle({"POST", "/v1/commands", kOneAccount});
  CHECK(late.status == 504);
  CHECK(late.body ==
        R"({"results":[{"partition":0,"offset":5,"index":0}],"error":"waiting for outcomes: 1 of 1 records )"
        R"(were not applied in time; ask GET /v1/offsets/{partition}/{offset} later"})");
  Response offset = router.handle({"GET", "/v1/offsets/0/5?wait_ms=1", ""});
  CHECK(offset.status == 504);
  b.append_error = Status::Unavailable("broker down");
  Response failed = router.handle({"POST", "/v1/commands", kOneAccount});
  CHECK(failed.status == 503);
  CHECK(failed.body.find("resending is safe") != std::string::npos);
  CHECK(failed.body.find("broker down") != std::string::npos);
}
