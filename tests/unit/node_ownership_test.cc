// A Node that owns only some partitions, as a consumer group member does
// (engine/node/node_ownership.cc), on the embedded log in one process: the
// test calls acquire() and release() where the group's rebalances would.
// Partitions not owned apply nothing and answer no queries; one acquired
// again resumes from its store and reaches the state a node that owned it
// all along has; a saga waits for its destination's owner and completes
// once the destination is acquired. Then the API over such a node: 421
// with the owner, 503 while no owner is known, owners named in the answers
// that cover several partitions.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <thread>

#include "engine/core/partitioner.h"
#include "engine/http/node_backend.h"
#include "engine/http/router.h"
#include "engine/log/embedded_log.h"
#include "engine/log/kafka_group.h"
#include "engine/node/node.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/node_fixture.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 4;

std::unique_ptr<Node> start_node(const std::string& log_dir, const std::string& data, bool own_all) {
  return test::start_node(open_test_log(log_dir, kPartitions), {.data_dir = data, .own_every_partition = own_all});
}

// The n-th account id (n >= 1) whose partition is p.
u128 account_in(Partition p, uint64_t n) {
  for (uint64_t hi = 1;; hi++) {
    const u128 id = (u128{hi} << 64) | 1;
    if (partition_of(AccountId(id), kPartitions) == p && --n == 0) return id;
  }
}

const Partition kP{0}, kQ{1}, kR{2};
const u128 kA = account_in(kP, 1);
const u128 kB = account_in(kQ, 1);
const u128 kC = account_in(kR, 1);

void append(Node& node, const std::vector<Command>& commands) {
  auto placed = node.append(commands);
  REQUIRE_MESSAGE(placed.ok(), placed.status().to_string());
}

// "posted 10 credited 0": an account's posted balances, or what went wrong.
std::string balances(Node& node, u128 id) {
  auto a = node.account(AccountId(id));
  if (!a.ok()) return status_code_name(a.status().code());
  if (!a->has_value()) return "absent";
  return "debited " + u128_to_string((*a)->balances.debits_posted) + " credited " +
         u128_to_string((*a)->balances.credits_posted);
}

std::string owned(const Node& node) {
  std::string out;
  for (Partition p : node.owned()) out += std::to_string(p.value);
  return out;
}

}  // namespace

TEST_CASE("a partition is applied only while owned; acquired again it resumes from its store") {
  TempDir dir;
  uint64_t digest_p = 0;
  {
    auto node = start_node(dir.sub("log"), dir.sub("member"), false);
    CHECK(owned(*node) == "");
    CHECK(node->status().empty());
    const HealthReport waiting = node->health();
    REQUIRE(component(waiting, "ownership") != nullptr);
    CHECK_FALSE(component(waiting, "ownership")->ok);
    CHECK(component(waiting, "ownership")->detail == "waiting for the consumer group's first assignment");
    CHECK(waiting.status == "degraded");

    // Appends go to the shared log whoever owns the partitions.
    append(*node, {account(kA), account(kB), transfer(1, kA, account_in(kP, 2), 5)});
    REQUIRE(node->acquire(std::vector<Partition>{kP}).ok());
    CHECK(owned(*node) == "0");
    REQUIRE(node->wait_applied(kP, Offset{0}, 5s));
    CHECK(balances(*node, kA) == "debited 0 credited 0");  // transfer 1: credit account absent
    CHECK(balances(*node, kB) == "failed precondition");   // Q is not owned: no stale answers
    CHECK(node->pipeline(kQ).applied() == Offset{0});
    CHECK(node->metrics_text().find("tally_partition_owned{partition=\"0\"} 1\n"
                                    "tally_partition_owned{partition=\"1\"} 0\n") != std::string::npos);
    CHECK(component(node->health(), "ownership")->detail == "owns partitions 0 (1 of 4)");
    CHECK(node->health().status == "ok");

    // Released: the pipeline stops where it was, and answers no more.
    node->release(std::vector<Partition>{kP});
    CHECK(owned(*node) == "");
    CHECK(component(node->health(), "ownership")->detail == "owns no partition of 4");
    append(*node, {account(account_in(kP, 2)), transfer(2, kA, account_in(kP, 2), 7)});
    std::this_thread::sleep_for(200ms);
    CHECK(node->pipeline(kP).applied() == Offset{1});
    CHECK(balances(*node, kA) == "failed precondition");

    // Acquired again: it resumes at offset 1 and applies what it missed, once.
    REQUIRE(node->acquire(std::vector<Partition>{kP, kQ}).ok());
    REQUIRE(node->wait_caught_up(5s).ok());
    CHECK(node->pipeline(kP).applied() == Offset{2});
    CHECK(balances(*node, kA) == "debited 7 credited 0");
    CHECK(balances(*node, account_in(kP, 2)) == "debited 0 credited 7");
    CHECK(balances(*node, kB) == "debited 0 credited 0");
    digest_p = node->pipeline(kP).digest();
  }
  // A node that owned partition 0 all along reaches the same state.
  auto whole = start_node(dir.sub("log"), dir.sub("whole"), true);
  REQUIRE(whole->wait_caught_up(5s).ok());
  CHECK(owned(*whole) == "0123");
  CHECK(component(whole->health(), "ownership")->detail == "owns every partition (4 of 4; no consumer group)");
  CHECK(whole->pipeline(kP).digest() == digest_p);
}

TEST_CASE("a saga to a partition owned elsewhere waits there; the destination's new owner completes it") {
  TempDir dir;
  auto node = start_node(dir.sub("log"), dir.sub("member"), false);
  REQUIRE(node->acquire(std::vector<Partition>{kP}).ok());
  append(*node, {account(kA), account(kC)});
  append(*node, {transfer(42, kA, kC, 30)});
  // The source reserves and the relay sends the credit leg to R's log, but
  // nobody applies R here.
  REQUIRE(eventually([&] { return node->relay().stats().relayed == 1; }));
  REQUIRE(node->wait_caught_up(5s).ok());
  auto in_flight = node->store(kP).saga(TransferId(make_u128(u128_hi(kA), 42)));
  REQUIRE((in_flight.ok() && in_flight->has_value()));
  CHECK((*in_flight)->state == SagaState::in_flight);
  CHECK(node->pipeline(kR).applied() == Offset{0});

  // R's new owner applies the account, the credit leg, and replies.
  REQUIRE(node->acquire(std::vector<Partition>{kR}).ok());
  REQUIRE(eventually([&] {
    auto s = node->store(kP).saga(TransferId(make_u128(u128_hi(kA), 42)));
    return s.ok() && s->has_value() && (*s)->state == SagaState::completed;
  }));
  REQUIRE(node->wait_caught_up(5s).ok());
  CHECK(balances(*node, kA) == "debited 30 credited 0");
  CHECK(balances(*node, kC) == "debited 0 credited 30");
  CHECK(node->stuck().empty());

  node->release(std::vector<Partition>{kP, kR});
  CHECK(node->status().empty());
}

namespace {

http::Response get(http::Router& router, const std::string& target) {
  return router.handle(http::Request{"GET", target, ""});
}

boost::json::value body(const http::Response& r) { return boost::json::parse(r.body); }

}  // namespace

TEST_CASE("the API of a member answers for its partitions and names the owners of the others") {
  TempDir dir;
  auto node = start_node(dir.sub("log"), dir.sub("member"), false);
  REQUIRE(node->acquire(std::vector<Partition>{kP}).ok());
  // What the consumer group would say: Q and its neighbour 3 are owned at
  // 10.0.0.2:8080, R's owner is not known.
  http::Membership membership;
  membership.owner = [](Partition p) -> std::optional<std::string> {
    if (p == kR) return std::nullopt;
    return "10.0.0.2:8080";
  };
  membership.health = [] { return ComponentHealth{"group", false, true, "member of group g"}; };
  http::NodeBackend backend(*node, membership);
  http::Router router(backend);
  append(*node, {account(kA)});
  REQUIRE(node->wait_caught_up(5s).ok());

  CHECK(get(router, "/v1/accounts/" + u128_to_string(kA)).status == 200);
  const http::Response there = get(router, "/v1/accounts/" + u128_to_string(kB) + "/history");
  CHECK(there.status == 421);
  CHECK(there.body == R"({"error":"partition 1 is owned by 10.0.0.2:8080","owner":"10.0.0.2:8080","partition":1})");
  const http::Response unknown = get(router, "/v1/accounts/" + u128_to_string(kC) + "/balance?at=1");
  CHECK(unknown.status == 503);
  CHECK(body(unknown).at("partition").as_int64() == 2);
  CHECK(get(router, "/v1/offsets/1/0").status == 421);
  CHECK(get(router, "/v1/offsets/0/0").status == 200);
  CHECK(get(router, "/v1/accounts/not-a-number").status == 400);  // the handler's own answer

  // A transfer not found here may be in a partition owned elsewhere.
  const http::Response transfer = get(router, "/v1/transfers/99");
  CHECK(transfer.status == 421);
  CHECK(boost::json::serialize(body(transfer).at("owners")) ==
        R"([{"partition":1,"owner":"10.0.0.2:8080"},{"partition":2,"owner":null},)"
        R"({"partition":3,"owner":"10.0.0.2:8080"}])");
  const http::Response pending = get(router, "/v1/pending");
  CHECK(pending.status == 200);
  CHECK(body(pending).at("elsewhere").as_array().size() == 3);

  // Commands append from any member; results name the owner instead of an outcome.
  const std::string cmds = R"({"commands":[{"type":"create_account","id":")" + u128_to_string(account_in(kP, 2)) +
                           R"(","ledger":1,"code":1},{"type":"create_account","id":")" + u128_to_string(kB) +
                           R"(","ledger":1,"code":1}],"wait":true})";
  const http::Response posted = router.handle(http::Request{"POST", "/v1/commands", cmds});
  CHECK(posted.status == 200);
  const boost::json::value answer = body(posted);
  const auto& results = answer.at("results").as_array();
  CHECK(results[0].at("outcome").as_string() == "created");
  CHECK(results[1].at("owner").as_string() == "10.0.0.2:8080");
  CHECK_FALSE(results[1].as_object().contains("outcome"));

  const http::Response health = get(router, "/health");
  CHECK(health.body.find(R"("name":"group","critical":false,"ok":true,"detail":"member of group g")") !=
        std::string::npos);
}

TEST_CASE("the commit metadata that names a partition's owner is versioned; anything else names no one") {
  CHECK(owner_metadata("10.0.0.2:8080") == "tally/1 owner=10.0.0.2:8080");
  CHECK(owner_from_metadata("tally/1 owner=10.0.0.2:8080") == "10.0.0.2:8080");
  CHECK(owner_from_metadata("") == std::nullopt);
  CHECK(owner_from_metadata("tally/1 owner=") == std::nullopt);
  CHECK(owner_from_metadata("tally/2 owner=10.0.0.2:8080") == std::nullopt);
  CHECK(owner_from_metadata("some other consumer's note") == std::nullopt);
}
