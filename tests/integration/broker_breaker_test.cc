// The circuit breaker against the mock Kafka cluster (`tally broker`) and
// its fault injection: with the broker down, appends (the relay's and
// producers') fail, the breaker opens, /health says degraded with the
// reason, appends fail fast and queries keep working; with the broker back,
// everything recovers and the books hold each transfer exactly once.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "engine/core/partitioner.h"
#include "engine/log/kafka_log.h"
#include "engine/node/node.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/node_fixture.h"
#include "tests/fixtures/recovery_node.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 4;
constexpr u128 kA = (u128{42} << 64) | 1;
constexpr u128 kB = (u128{42} << 64) | 2;
const Partition kP = partition_of(AccountId(kA), kPartitions);

// The broker is down or back: librdkafka notices within seconds.
constexpr Poll kBroker{30s, 20ms};

// Transfer `id` of kA (in kA's group: routes with it), A to B.
CreateTransfer transfer(uint64_t id, u128 amount) { return test::transfer(id, kA, kB, amount); }

std::unique_ptr<Log> open_log(const std::string& bootstrap) {
  KafkaLogOptions o;
  o.bootstrap = bootstrap;
  o.metadata_timeout = 2000ms;
  // Fail an undeliverable append after 1.5 s instead of librdkafka's 5 min.
  o.properties = {{"message.timeout.ms", "1500"}, {"socket.timeout.ms", "1500"}, {"reconnect.backoff.max.ms", "200"}};
  auto log = open_kafka_log(o);
  REQUIRE_MESSAGE(log.ok(), log.status().to_string());
  return std::move(log).value();
}

}  // namespace

TEST_CASE("broker down: the breaker opens and the node degrades; broker up: nothing lost or applied twice") {
  TempDir dir;
  Process broker({tally_bin(), "broker", "--partitions", std::to_string(kPartitions)});
  const auto bootstrap = broker.read_line(20s);
  REQUIRE(bootstrap.has_value());
  auto control = [&](const std::string& line) {
    broker.write_stdin(line + "\n");
    CHECK(broker.read_line(10s) == "ok " + line);
  };

  // Run 1: the accounts.
  {
    auto node = Node::open(open_log(*bootstrap), {.data_dir = dir.sub("data")});
    REQUIRE(node.ok());
    REQUIRE((*node)->start().ok());
    const std::vector<Command> accounts = {account(kA), account(kB)};
    auto placed = (*node)->append(accounts);
    REQUIRE(placed.ok());
    for (const Placement& p : *placed) CHECK((*node)->outcome(p, 20s).value() == Outcome::created);
  }
  // Outbox entries left for the relay: transfers 1000..1004.
  {
    auto store = PartitionStore::open({.dir = dir.sub("data") + "/partitions/" + std::to_string(kP.value),
                                       .partition = kP, .partition_count = kPartitions});
    REQUIRE(store.ok());
    StoreBatch b;
    for (uint64_t i = 0; i < 5; i++) {
      const Command c = transfer(1000 + i, i + 1);
      b.put(keys::outbox(i), encode(OutboxEntry{i, kP, c}));
    }
    REQUIRE((*store)->commit(b).ok());
    REQUIRE((*store)->flush().ok());
  }

  // Run 2 starts with the broker down.
  NodeOptions o{.data_dir = dir.sub("data")};
  // The breaker's clock is the test's: it stays open until the test moves it.
  std::atomic<int64_t> breaker_ms{0};
  o.breaker_clock = [&] { return std::chrono::steady_clock::time_point(std::chrono::milliseconds(breaker_ms.load())); };
  o.relay.backoff = {.initial = 50ms, .max = 500ms, .multiplier = 2.0, .jitter = 0.5, .max_attempts = 4};
  auto opened = Node::open(open_log(*bootstrap), o);
  REQUIRE(opened.ok());
  auto& node = *opened;
  control("down 1");
  REQUIRE(node->start().ok());  // an unreachable log is not fatal at startup

  // Producers' appends fail alongside the relay's; five in a row open it.
  std::atomic<int> failed{0};
  {
    std::vector<std::jthread> producers;
    for (int t = 0; t < 3; t++) {
      producers.emplace_back([&, t] {
        const std::vector<Command> c = {transfer(2000 + t, 100)};
        if (!node->append(c).ok()) failed++;
      });
    }
  }
  CHECK(failed == 3);
  REQUIRE(eventually([&] { return node->breaker_log().snapshot().state == BreakerState::open; }, kBroker));

  // While open: appends fail fast with the reason; health is degraded; queries answer.
  const std::vector<Command> one = {transfer(2100, 100)};
  const auto t0 = std::chrono::steady_clock::now();
  auto refused = node->append(one);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(refused.status().code() == StatusCode::unavailable);
  CHECK(refused.status().message().find("circuit breaker open") != std::string::npos);
  CHECK(took < 500ms);
  const HealthReport h = node->health();
  const std::string detail = check_breaker_open(h);
  // The last append error names the broker's state (issue 12).
  CHECK_MESSAGE(detail.find("no broker reachable at " + *bootstrap) != std::string::npos, detail);
  auto a = node->account(AccountId(kA));
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  CHECK((*a)->balances.debits_posted == 0);

  // The broker comes back and 30 s pass (by the breaker's clock): it
  // half-opens, the relay and the producers' retries (same ids) get
  // through, and it closes.
  control("up 1");
  breaker_ms += 30'000;
  for (u128 id : {u128{2000}, u128{2001}, u128{2002}, u128{2100}}) {
    const std::vector<Command> c = {transfer(id, 100)};
    REQUIRE(eventually([&] { return node->append(c).ok(); }, kBroker));
  }
  REQUIRE(eventually([&] { return node->relay().stats().relayed == 5; }, kBroker));
  REQUIRE(eventually([&] { return node->breaker_log().snapshot().state == BreakerState::closed; }, kBroker));
  REQUIRE(node->wait_caught_up(30s).ok());
  REQUIRE(eventually([&] { return node->health().status == "ok"; }, kBroker));
  CHECK(node->stuck().empty());

  // Each transfer in the books once.
  a = node->account(AccountId(kA));
  REQUIRE(a.ok());
  CHECK((*a)->balances.debits_posted == 1 + 2 + 3 + 4 + 5 + 4 * 100);
  const auto applied = applied_commands(*node);
  for (u128 id : {u128{1000}, u128{1001}, u128{1002}, u128{1003}, u128{1004}, u128{2000}, u128{2001},
                  u128{2002}, u128{2100}}) {
    int created = 0;
    for (const Applied& x : applied.at((kA >> 64 << 64) | id)) created += x.outcome == Outcome::created;
    CHECK_MESSAGE(created == 1, u128_to_string(id));
  }
  CHECK(node->breaker_log().snapshot().transitions >= 3);
}
