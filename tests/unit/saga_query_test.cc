// Saga status queries over a real Node on the embedded log: GET
// /v1/sagas/{id} step by step (the test plays the relay, one partition at a
// time, so each intermediate state can be seen), the destination's decision,
// compensations, GET /v1/transit netting to zero once everything settled,
// transit accounts as ordinary accounts, sagas in /metrics and /health, and
// the same answers from the read-only stores.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "engine/core/partitioner.h"
#include "engine/http/node_backend.h"
#include "engine/http/router.h"
#include "engine/http/store_backend.h"
#include "engine/log/embedded_log.h"
#include "recovery/transit.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr uint32_t kParts = kScenarioPartitions;

// Transfer n of `debit`: its id is in the debit account's group, so it
// routes with it (docs/design.md "One transfer id, one partition").
std::string tid(AccountId debit, uint64_t n) { return transfer_id(debit, n).str(); }

CreateTransfer transfer(uint64_t n, AccountId debit, AccountId credit, u128 amount, Ledger ledger) {
  CreateTransfer t = test::transfer(n, debit, credit, amount);
  t.ledger = ledger;
  return t;
}

// A node whose relay and scheduler do not run: the test moves outbox
// entries with relay().tick(), so nothing happens behind its back.
struct Stepped {
  TempDir dir;
  std::unique_ptr<Node> node;
  std::unique_ptr<http::NodeBackend> backend;
  std::unique_ptr<http::Router> router;

  Stepped() {
    auto log = open_embedded_log({.dir = dir.sub("log"), .partitions = kParts, .sync = false});
    REQUIRE(log.ok());
    NodeOptions o{.data_dir = dir.path()};
    o.run_relay = false;
    o.run_scheduler = false;
    auto n = Node::open(std::move(log).value(), o);
    REQUIRE(n.ok());
    node = std::move(n).value();
    REQUIRE(node->start().ok());
    backend = std::make_unique<http::NodeBackend>(*node);
    router = std::make_unique<http::Router>(*backend);
  }
  std::vector<Outcome> run(const std::vector<Command>& commands) {
    auto placed = node->append(commands);
    REQUIRE(placed.ok());
    std::vector<Outcome> out;
    for (const Placement& p : *placed) out.push_back(node->outcome(p, 10s).value());
    return out;
  }
  // Relays partition p's outbox and waits until the receivers applied it.
  void relay(Partition p) {
    REQUIRE(node->relay().tick(p).ok());
    REQUIRE(node->wait_caught_up(10s).ok());
  }
  http::Response get(const std::string& target) { return router->handle({"GET", target, ""}); }
  json::object get_json(const std::string& target) {
    const http::Response r = get(target);
    REQUIRE_MESSAGE(r.status == 200, target << ": " << r.status << " " << r.body);
    return json::parse(r.body).as_object();
  }
};

std::string str(const json::object& o, const char* key) {
  const json::value& v = o.at(key);
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

// "reserved credit_leg_sent credited posted"
std::string steps(const json::object& saga) {
  std::string out;
  for (const json::value& s : saga.at("steps").as_array()) {
    out += (out.empty() ? "" : " ") + str(s.as_object(), "step");
  }
  return out;
}

// "from->to ledger L: reserved R, completed C, credited D" per flow, and whether all settled.
std::string flows(const json::object& transit) {
  std::string out;
  for (const json::value& v : transit.at("flows").as_array()) {
    const json::object& f = v.as_object();
    out += str(f, "from") + "->" + str(f, "to") + ": reserved " + str(f, "reserved") + ", completed " +
           str(f, "completed") + ", credited " + str(f, "credited") + "; ";
  }
  return out + "settled " + str(transit, "settled");
}

}  // namespace

TEST_CASE("a saga's steps as they happen: reserved, credited at the destination, posted") {
  Stepped s;
  const AccountId a = account_in(0, 1), b = account_in(2, 1);
  REQUIRE(s.run({account(a), account(b)}) == std::vector<Outcome>{Outcome::created, Outcome::created});
  REQUIRE(s.run({transfer(500, a, b, 250)}) == std::vector<Outcome>{Outcome::created});

  // Reserved in partition 0; the credit leg waits in its outbox.
  json::object g = s.get_json("/v1/sagas/" + tid(a, 500));
  CHECK(str(g, "state") == "in_flight");
  CHECK(str(g, "source_partition") == "0");
  CHECK(str(g, "destination_partition") == "2");
  CHECK(str(g, "amount") == "250");
  CHECK(str(g, "sends") == "1");
  CHECK(steps(g) == "reserved credit_leg_sent");
  CHECK(g.contains("next_deadline"));
  CHECK_FALSE(g.contains("destination"));
  CHECK_FALSE(g.contains("settled"));
  CHECK(s.node->metrics_text().find("\ntally_sagas_in_flight{partition=\"0\"} 1\n") != std::string::npos);
  const ComponentHealth* h = nullptr;
  const HealthReport report = s.node->health();
  for (const ComponentHealth& c : report.components) {
    if (c.name == "sagas") h = &c;
  }
  REQUIRE(h != nullptr);
  CHECK(h->ok);
  CHECK(h->detail == "1 in flight, 0 stuck");
  CHECK(flows(s.get_json("/v1/transit")) == "0->2: reserved 250, completed 0, credited 0; settled false");
  // The transfer itself says it runs as a saga, and how far it got.
  CHECK(json::serialize(s.get_json("/v1/transfers/" + tid(a, 500)).at("saga")) == R"({"state":"in_flight"})");

  // The destination credited; its reply waits in partition 2's outbox.
  s.relay(Partition{0});
  g = s.get_json("/v1/sagas/" + tid(a, 500));
  CHECK(str(g, "state") == "in_flight");
  CHECK(steps(g) == "reserved credit_leg_sent credited");
  const json::object& d = g.at("destination").as_object();
  CHECK(str(d, "decision") == "credited");
  CHECK(str(d, "result") == "created");
  CHECK(str(d, "partition") == "2");
  CHECK(flows(s.get_json("/v1/transit")) == "0->2: reserved 250, completed 0, credited 250; settled false");

  // The reply posted the reservation.
  s.relay(Partition{2});
  g = s.get_json("/v1/sagas/" + tid(a, 500));
  CHECK(str(g, "state") == "completed");
  CHECK(str(g, "result") == "created");
  CHECK(steps(g) == "reserved credit_leg_sent credited posted");
  CHECK(std::stoull(str(g, "settled")) > std::stoull(str(g, "started")));
  CHECK_FALSE(g.contains("next_deadline"));
  CHECK(flows(s.get_json("/v1/transit")) == "0->2: reserved 0, completed 250, credited 250; settled true");
  CHECK(s.node->metrics_text().find("\ntally_sagas_in_flight{partition=\"0\"} 0\n") != std::string::npos);

  // The transit accounts are accounts: code 65535, one in each partition.
  const json::object& t = g.at("transit").as_object();
  const AccountId src(*parse_u128(str(t, "source")));
  const AccountId dst(*parse_u128(str(t, "destination")));
  CHECK(src == transit_account(Partition{0}, Partition{2}, 1, kParts));
  CHECK(dst == transit_account(Partition{2}, Partition{0}, 1, kParts));
  const json::object sa = s.get_json("/v1/accounts/" + src.str());
  CHECK(str(sa, "code") == "65535");
  CHECK(str(sa, "credits_posted") == "250");
  CHECK(str(s.get_json("/v1/accounts/" + dst.str()), "debits_posted") == "250");
  // One partition's transit accounts, and the flows that touch it.
  const json::object only2 = s.get_json("/v1/transit?partition=2");
  REQUIRE(only2.at("accounts").as_array().size() == 1);
  CHECK(str(only2.at("accounts").as_array()[0].as_object(), "id") == dst.str());
  CHECK(str(only2.at("accounts").as_array()[0].as_object(), "peer") == "0");
  CHECK(s.get_json("/v1/transit?partition=1").at("accounts").as_array().empty());
  CHECK(s.get("/v1/transit?partition=4").status == 400);
}

TEST_CASE("compensated sagas, transfers that never became sagas, and the same answers from the stores") {
  Stepped s;
  const AccountId a = account_in(1, 1), b = account_in(3, 1), a2 = account_in(1, 2);
  const AccountId missing = account_in(3, 9);
  REQUIRE(s.run({account(a), account(a2), account(b)}).size() == 3);
  const std::vector<Outcome> got = s.run({transfer(600, a, b, 40), transfer(601, a, missing, 7),
                                          transfer(602, a, b, 5, /*ledger=*/2), transfer(603, a, a2, 3)});
  CHECK(got == std::vector<Outcome>{Outcome::created, Outcome::created,
                                    Outcome::transfer_must_have_the_same_ledger_as_accounts, Outcome::created});
  s.relay(Partition{1});
  s.relay(Partition{3});

  const json::object ok = s.get_json("/v1/sagas/" + tid(a, 600));
  CHECK(str(ok, "state") == "completed");
  const json::object comp = s.get_json("/v1/sagas/" + tid(a, 601));
  CHECK(str(comp, "state") == "compensated");
  CHECK(str(comp, "result") == "credit_account_not_found");
  CHECK(steps(comp) == "reserved credit_leg_sent rejected voided");
  CHECK(str(comp.at("destination").as_object(), "decision") == "rejected");
  // The source is as before the compensated saga: only the completed one posted.
  auto acc = s.node->account(a);
  REQUIRE((acc.ok() && acc->has_value()));
  CHECK((*acc)->balances.debits_posted == 43);
  CHECK((*acc)->balances.debits_pending == 0);

  http::Response r = s.get("/v1/sagas/" + tid(a, 602));
  CHECK(r.status == 404);
  CHECK(r.body.find("rejected at its source (transfer_must_have_the_same_ledger_as_accounts)") != std::string::npos);
  CHECK(json::serialize(s.get_json("/v1/transfers/" + tid(a, 601)).at("saga")) ==
        R"({"state":"compensated","result":"credit_account_not_found"})");
  CHECK(json::serialize(s.get_json("/v1/transfers/" + tid(a, 600)).at("saga")) == R"({"state":"completed","result":"created"})");
  CHECK_FALSE(s.get_json("/v1/transfers/" + tid(a, 603)).contains("saga"));
  CHECK_FALSE(s.get_json("/v1/transfers/" + tid(a, 602)).contains("saga"));  // rejected before a saga started
  r = s.get("/v1/sagas/" + tid(a, 603));
  CHECK(r.status == 404);
  CHECK(r.body.find("applied within one partition, without a saga") != std::string::npos);
  r = s.get("/v1/sagas/" + tid(a, 604));
  CHECK(r.status == 404);
  CHECK(r.body == R"({"error":"saga )" + tid(a, 604) + R"( not found"})");
  CHECK(s.get("/v1/sagas/0").status == 400);
  CHECK(s.get("/v1/sagas/" + tid(a, 600) + "?x=1").status == 400);

  const json::object transit = s.get_json("/v1/transit");
  CHECK(flows(transit) == "1->3: reserved 0, completed 40, credited 40; settled true");
  const std::string saga_body = s.get("/v1/sagas/" + tid(a, 601)).body;
  const std::string transit_body = s.get("/v1/transit").body;
  s.node->stop();
  s.router.reset();
  s.backend.reset();
  s.node.reset();

  // Read-only stores answer the same.
  auto stores = http::StoreBackend::open(s.dir.path());
  REQUIRE(stores.ok());
  http::Router ro(**stores);
  CHECK(ro.handle({"GET", "/v1/sagas/" + tid(a, 601), ""}).body == saga_body);
  CHECK(ro.handle({"GET", "/v1/transit", ""}).body == transit_body);
}
