// The HTTP API's pure parts: request targets and parameters, the body of
// POST /v1/commands, addresses and record JSON; then the router over a real
// Node on a temporary embedded log (routing, paging across partitions), with
// tests/fixtures/faulty_log.h in front of the log for a wait that times out
// (reads held: nothing is applied) and an append the log refuses.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "engine/core/partitioner.h"
#include "engine/http/address.h"
#include "engine/http/commands_request.h"
#include "engine/http/node_backend.h"
#include "engine/http/params.h"
#include "engine/http/router.h"
#include "engine/http/store_backend.h"
#include "engine/json/record_json.h"
#include "engine/log/embedded_log.h"
#include "projections/records.h"
#include "tests/fixtures/faulty_log.h"
#include "tests/fixtures/store_edit.h"
#include "tests/fixtures/temp_dir.h"

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

// A started Node over an embedded log of 3 partitions in a temporary
// directory, with a fault injector in front of the log.
struct TestNode {
  static constexpr uint32_t kPartitions = 3;
  test::TempDir dir;
  std::shared_ptr<test::Faults> faults = std::make_shared<test::Faults>();
  std::unique_ptr<Node> node;
  std::unique_ptr<NodeBackend> backend;

  explicit TestNode(uint64_t admission_window = NodeOptions{}.admission_window) {
    std::filesystem::create_directories(dir.sub("data"));
    auto log = open_embedded_log({.dir = dir.sub("data/log"), .partitions = kPartitions});
    REQUIRE(log.ok());
    NodeOptions options{.data_dir = dir.sub("data")};
    options.admission_window = admission_window;
    auto opened = Node::open(std::make_unique<test::FaultyLog>(std::move(log).value(), faults), options);
    REQUIRE(opened.ok());
    node = std::move(opened).value();
    REQUIRE(node->start().ok());
    backend = std::make_unique<NodeBackend>(*node);
  }
};

// An account id routed to partition p (of TestNode::kPartitions).
AccountId account_in(uint32_t p, uint64_t n) {
  for (uint64_t hi = 1;; hi++) {
    if (partition_of_key(hi, TestNode::kPartitions).value == p) return AccountId(make_u128(hi, n));
  }
}

std::string account_command(AccountId id) {
  return R"({"type":"create_account","id":")" + id.str() + R"(","ledger":1,"code":1})";
}

std::string pending_command(u128 id, AccountId debit, AccountId credit) {
  return R"({"type":"create_transfer","id":")" + u128_to_string(id) + R"(","debit_account_id":")" +
         debit.str() + R"(","credit_account_id":")" + credit.str() +
         R"(","amount":"10","ledger":1,"code":1,"flags":["pending"]})";
}

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
  CHECK(error_of(q.uint("big", 1, 69).status()) == "query parameter \"big\" must be an integer in 1..69 without leading zeros, got \"70\"");
  CHECK_FALSE(q.uint("neg", 0, 10).ok());
}

TEST_CASE("ids: decimal u128 without the reserved 0 and 2^128-1") {
  CHECK(*parse_id("340282366920938463463374607431768211454", "account id") == kU128Max - 1);
  CHECK(error_of(parse_id("340282366920938463463374607431768211455", "account id").status()) ==
        "account id 340282366920938463463374607431768211455 is invalid: ids 0 and 2^128-1 are reserved");
  CHECK(error_of(parse_id("0", "transfer id").status()).find("reserved") != std::string::npos);
  CHECK(error_of(parse_id("7a", "account id").status()) ==
        "account id \"7a\" is not a decimal u128 (1 to 39 digits, no leading zeros, at most 2^128-1)");
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
  TestNode n;
  Router router(*n.backend);
  Response r = router.handle({"GET", "/v1/accounts/7/extra", ""});
  CHECK(r.status == 404);
  r = router.handle({"PUT", "/v1/commands", ""});
  CHECK(r.status == 405);
  CHECK(r.allow == "POST");
  r = router.handle({"POST", "/v1/commands", std::string(kMaxBodyBytes + 1, ' ')});
  CHECK(r.status == 413);
  r = router.handle({"GET", "/metrics", ""});
  CHECK(r.content_type == std::string(kPrometheusContentType));
  CHECK(r.body.rfind("# HELP tally_applied_offset ", 0) == 0);  // the node's metrics, then the API's
  CHECK(r.body.find("tally_applied_offset{partition=\"2\"} 0\n") != std::string::npos);
  CHECK(r.body.find("tally_http_requests_total{route=\"/v1/commands\",code=\"405\"} 1") != std::string::npos);
  CHECK(r.body.find("tally_http_requests_total{route=\"unmatched\",code=\"404\"} 1") != std::string::npos);
}

TEST_CASE("router: an error that quotes a path of raw bytes is still JSON (found by fuzz_http)") {
  TestNode n;
  Router router(*n.backend);
  // Raw bytes in a target are not a URL (Boost.URL's grammar): 400, the byte named.
  Response r = router.handle({"GET", "/v1/\xFF\xFF%FEaccounts/7", ""});
  CHECK(r.status == 400);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  REQUIRE(!ec);
  CHECK(std::string(v.at("error").as_string()) ==
        "the request target is not a valid URL path and query: byte 0xFF at position 4 is not allowed "
        "(RFC 3986: percent-encode anything else)");
  // Percent-encoded, they decode into a segment the error quotes: as U+FFFD.
  r = router.handle({"GET", "/v1/accounts/%FF%FE", ""});
  CHECK(r.status == 400);
  v = boost::json::parse(r.body, ec);
  REQUIRE(!ec);
  CHECK(std::string(v.at("error").as_string()).find("\"\xEF\xBF\xBD\xEF\xBF\xBD\"") != std::string::npos);
}

TEST_CASE("router: pending transfers merge across partitions in id order, paged by cursor") {
  TestNode n;
  Router router(*n.backend);
  // Pending transfers live in their debit account's partition: 1 4 7 in
  // partition 0, 2 5 in partition 1, 3 6 8 in partition 2.
  std::vector<std::string> commands;
  std::vector<AccountId> debit, credit;
  for (uint32_t p = 0; p < TestNode::kPartitions; p++) {
    debit.push_back(account_in(p, 1));
    credit.push_back(account_in(p, 2));
    commands.push_back(account_command(debit[p]));
    commands.push_back(account_command(credit[p]));
  }
  // Transfer k's id routes to its debit account's partition (docs/design.md
  // "One transfer id, one partition"): upper 64 bits chosen increasing, so
  // the ids still interleave across partitions in the order 1 .. 8.
  const uint32_t partition_of_k[] = {0, 0, 1, 2, 0, 1, 2, 0, 2};  // k = 1 .. 8
  std::vector<std::string> id(9);
  uint64_t hi = 0;
  for (uint32_t k = 1; k <= 8; k++) {
    while (partition_of_key(++hi, TestNode::kPartitions).value != partition_of_k[k]) {
    }
    const u128 tid = make_u128(hi, k);
    id[k] = u128_to_string(tid);
    commands.push_back(pending_command(tid, debit[partition_of_k[k]], credit[partition_of_k[k]]));
  }
  std::string body = R"({"wait":true,"commands":[)";
  for (size_t i = 0; i < commands.size(); i++) body += (i ? "," : "") + commands[i];
  const Response created = router.handle({"POST", "/v1/commands", body + "]}"});
  REQUIRE(created.status == 200);
  CHECK(created.body.find("\"outcome\":\"created\"") != std::string::npos);
  CHECK(created.body.find("exists") == std::string::npos);
  auto page = [&](const std::string& query) {
    const boost::json::value v = boost::json::parse(router.handle({"GET", "/v1/pending" + query, ""}).body);
    std::string out;
    for (const auto& t : v.at("transfers").as_array()) out += std::string(t.at("id").as_string()) + " ";
    if (v.as_object().contains("next_cursor")) out += "next " + std::string(v.at("next_cursor").as_string());
    return out;
  };
  auto ids = [&](std::initializer_list<int> ks) {
    std::string out;
    for (int k : ks) out += id[k] + " ";
    return out;
  };
  CHECK(page("?limit=3") == ids({1, 2, 3}) + "next " + id[3]);
  CHECK(page("?limit=3&cursor=" + id[3]) == ids({4, 5, 6}) + "next " + id[6]);
  CHECK(page("?limit=3&cursor=" + id[6]) == ids({7, 8}));
  CHECK(page("") == ids({1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_CASE("GET /v1/transfers/{id} names the other partitions a store written before the id rule holds it in") {
  TestNode n;
  const AccountId a = account_in(0, 1), a2 = account_in(0, 2), x = account_in(1, 1), x2 = account_in(1, 2);
  const TransferId t(make_u128(a.hi(), 77));  // routed to partition 0, with a
  Router router(*n.backend);
  std::string body = R"({"wait":true,"commands":[)";
  for (AccountId id : {a, a2, x, x2}) body += account_command(id) + ",";
  body += pending_command(t.value(), a, a2) + "]}";
  REQUIRE(router.handle({"POST", "/v1/commands", body}).status == 200);
  const std::string target = "/v1/transfers/" + t.str();
  // The rule, as a client sees it: the same id from partition 1 is refused by name.
  const Response refused = router.handle(
      {"POST", "/v1/commands", R"({"wait":true,"commands":[)" + pending_command(t.value(), x, x2) + "]}"});
  CHECK(refused.status == 200);
  CHECK(refused.body.find(R"("outcome":"id_must_route_to_debit_account_partition")") != std::string::npos);
  // One partition holds it: nothing added.
  CHECK_FALSE(boost::json::parse(router.handle({"GET", target, ""}).body).as_object().contains("id_also_used_in"));
  n.node->stop();
  n.backend.reset();
  n.node.reset();
  // Partition 1 holds the same id too, as an old store could (x -> x2,
  // created before the rule).
  test::edit_store(n.dir.sub("data"), Partition{1}, TestNode::kPartitions, [&](PartitionStore&, StoreBatch& b) {
    Transfer other = pending_transfer(t.value());
    other.debit_account_id = x;
    other.credit_account_id = x2;
    b.put(keys::transfer(t), encode(other));
  });
  auto stores = StoreBackend::open(n.dir.sub("data"));
  REQUIRE(stores.ok());
  Router ro(**stores);
  const auto shown = boost::json::parse(ro.handle({"GET", target, ""}).body).as_object();
  CHECK(std::string(shown.at("debit_account_id").as_string()) == a.str());  // the first partition's
  CHECK(boost::json::serialize(shown.at("id_also_used_in")) == "[1]");
  const std::string from_stores = ro.handle({"GET", target, ""}).body;
  stores->reset();
  // A node over the same stores answers the same.
  auto log = open_embedded_log({.dir = n.dir.sub("data/log"), .partitions = TestNode::kPartitions});
  REQUIRE(log.ok());
  auto node = Node::open(std::move(log).value(), {.data_dir = n.dir.sub("data")});
  REQUIRE(node.ok());
  REQUIRE((*node)->start().ok());
  NodeBackend live(**node);
  Router router2(live);
  CHECK(router2.handle({"GET", target, ""}).body == from_stores);
}

TEST_CASE("router: a wait that times out answers 504 with the placements; append failures say retrying is safe") {
  const Partition p7 = partition_of(AccountId(7), TestNode::kPartitions);
  const std::string placed = R"({"partition":)" + std::to_string(p7.value) + R"(,"offset":0,"index":0)";
  {
    TestNode started;
    Router router(*started.backend);
    Response ok = router.handle({"POST", "/v1/commands", kOneAccount});
    CHECK(ok.status == 200);
    CHECK(ok.body == R"({"results":[)" + placed + R"(,"outcome":"created"}]})");
    // The log refuses appends: nothing was appended, so resending is safe.
    started.faults->fail_appends(Status::Unavailable("broker down"));
    Response failed = router.handle({"POST", "/v1/commands", kOneAccount});
    CHECK(failed.status == 503);
    CHECK(failed.body.find("resending is safe") != std::string::npos);
    CHECK(failed.body.find("broker down") != std::string::npos);
    CHECK(started.faults->appends_failed.load() == 1);
  }
  // The log delivers nothing to the pipelines: appends land, nothing applies.
  TestNode held;
  held.faults->hold_reads();
  Router router(*held.backend);
  Response late = router.handle({"POST", "/v1/commands", kOneAccount});
  CHECK(late.status == 504);
  CHECK(late.body ==
        R"({"results":[)" + placed + R"(}],"error":"waiting for outcomes: 1 of 1 records )"
        R"(were not applied in time; ask GET /v1/offsets/{partition}/{offset} later"})");
  Response offset = router.handle({"GET", "/v1/offsets/" + std::to_string(p7.value) + "/0?wait_ms=1", ""});
  CHECK(offset.status == 504);
  CHECK(router.handle({"GET", "/v1/offsets/" + std::to_string(p7.value) + "/1", ""}).status == 404);
  held.faults->release_reads();
  Response applied = router.handle({"GET", "/v1/offsets/" + std::to_string(p7.value) + "/0?wait_ms=5000", ""});
  CHECK(applied.status == 200);
  CHECK(applied.body.find(R"("outcomes":["created"])") != std::string::npos);
}

TEST_CASE("router: a full node answers 429 with Retry-After, appends nothing, and takes work again once it drains") {
  // A window of 2 commands; the pipelines get nothing to apply while reads are held.
  TestNode n(2);
  n.faults->hold_reads();
  Router router(*n.backend);
  const Partition p7 = partition_of(AccountId(7), TestNode::kPartitions);
  const std::string two =
      R"({"commands":[{"type":"create_account","id":"7","ledger":1,"code":1},)"
      R"({"type":"create_account","id":"8","ledger":1,"code":1}],"wait":false})";
  CHECK(router.handle({"POST", "/v1/commands", two}).status == 200);  // 2 in flight: full
  CHECK(n.node->in_flight().count() == 2);
  auto end = n.node->log().end_offset(p7);
  REQUIRE(end.ok());
  const Offset before = *end;
  const auto t0 = std::chrono::steady_clock::now();
  Response full = router.handle({"POST", "/v1/commands", kOneAccount});  // waits its timeout_ms (50)
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(50));
  CHECK(full.status == 429);
  CHECK(full.body.find("the node is full: 2 commands in flight, admission window 2") != std::string::npos);
  bool retry_after = false;
  for (const auto& [k, v] : full.headers) retry_after = retry_after || (k == "Retry-After" && v == "1");
  CHECK(retry_after);
  end = n.node->log().end_offset(p7);
  REQUIRE(end.ok());
  CHECK(*end == before);  // the refused request appended nothing
  CHECK(n.node->metrics_text().find("tally_admission_refused_total 1") != std::string::npos);
  // Drained: the same request is taken.
  n.faults->release_reads();
  REQUIRE(n.node->wait_caught_up(std::chrono::seconds(10)).ok());
  CHECK(n.node->in_flight().count() == 0);
  Response taken = router.handle({"POST", "/v1/commands", kOneAccount});
  CHECK(taken.status == 200);
  end = n.node->log().end_offset(p7);
  REQUIRE(end.ok());
  CHECK(end->value == before.value + 1);  // appended now
}
