// The recovery parts inside a running Node, on the embedded log (behind a
// FaultyLog where a test needs faults): health, metrics, the relay feeding
// real pipelines, the breaker while the log fails, the scheduler re-driving
// a timer that never clears, and the startup and shutdown order.
//
// Outbox entries and timers are written into a partition's store while no
// node has it open, as a previous run (or a crash) would leave them.
#include <doctest/doctest.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "engine/core/bytes.h"
#include "engine/core/codec.h"
#include "engine/core/partitioner.h"
#include "engine/http/node_backend.h"
#include "engine/http/router.h"
#include "engine/http/store_backend.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/faulty_log.h"
#include "tests/fixtures/log_contents.h"
#include "tests/fixtures/node_fixture.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 4;

// Transfer n of `debit`'s id: in the debit account's group, so it routes
// with it (docs/design.md "One transfer id, one partition").
u128 tid(u128 debit, uint64_t n) { return make_u128(u128_hi(debit), n); }

// Two accounts that share a partition.
constexpr u128 kA = (u128{42} << 64) | 1;
constexpr u128 kB = (u128{42} << 64) | 2;
const Partition kP = partition_of(AccountId(kA), kPartitions);

// Writes into partition p's store of `data` (no node may have it open).
void write_store(const std::string& data, Partition p, const std::function<void(StoreBatch&)>& fill) {
  std::filesystem::create_directories(data + "/partitions");
  auto store = PartitionStore::open({.dir = data + "/partitions/" + std::to_string(p.value),
                                     .partition = p, .partition_count = kPartitions});
  REQUIRE(store.ok());
  StoreBatch b;
  fill(b);
  REQUIRE((*store)->commit(b).ok());
  REQUIRE((*store)->flush().ok());
}

// A node over DATA (DIR/data) with a pending-expiry timer for transfer `id`
// in `routing`'s partition, which never had the transfer: whatever the rules
// answer, the timer stays set. The scheduler retries quickly and gives up
// after `attempts` tries; returns once the timer is reported stuck.
std::unique_ptr<Node> node_with_stuck_timer(const TempDir& dir, u128 routing, Timestamp at, u128 id,
                                            uint32_t attempts) {
  write_store(dir.sub("data"), partition_of(AccountId(routing), kPartitions), [&](StoreBatch& b) {
    std::string value(16, '\0');
    put_be128(value.data(), routing);
    b.put(keys::timer(Timer{at, TimerKind::pending_expiry, id, AccountId(routing)}), value);
  });
  NodeOptions o{.data_dir = dir.sub("data")};
  o.scheduler.backoff = {.initial = 10ms, .max = 50ms, .multiplier = 2.0, .jitter = 0.5, .max_attempts = attempts};
  o.scheduler.apply_poll = 10ms;
  auto node = start_node(open_test_log(dir.sub("log"), kPartitions), o);
  REQUIRE(eventually([&] { return !node->stuck().empty(); }));
  return node;
}

// Outbox entries seq [0, n) in partition kP: transfer 1000 + i of i + 1 from A to B.
void write_outbox(const std::string& data, uint64_t n) {
  write_store(data, kP, [&](StoreBatch& b) {
    for (uint64_t i = 0; i < n; i++) {
      const Command c = transfer(1000 + i, kA, kB, i + 1);
      b.put(keys::outbox(i), encode(OutboxEntry{i, kP, c}));
    }
    b.remove(keys::kRelay);
  });
}

u128 balance_debits(Node& node, u128 id) {
  auto a = node.account(AccountId(id));
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  return (*a)->balances.debits_posted;
}

// How many times each command subject appears in partition p's log.
std::map<u128, int> log_counts(Node& node, Partition p) {
  std::map<u128, int> out;
  for (const Command& c : log_commands(node.log(), p)) out[command_subject(c)]++;
  return out;
}

// Creates accounts A and B in a first run of the node.
void create_accounts(const std::string& log_dir, const std::string& data) {
  auto node = start_node(open_test_log(log_dir, kPartitions), {.data_dir = data});
  const std::vector<Command> cmds = {account(kA), account(kB)};
  auto placed = node->append(cmds);
  REQUIRE(placed.ok());
  for (const Placement& p : *placed) CHECK(node->outcome(p, 10s).value() == Outcome::created);
}

}  // namespace

TEST_CASE("health lists the log, the scheduler and the relay; metrics carry their counters") {
  TempDir dir;
  auto node = start_node(open_test_log(dir.sub("log"), kPartitions), {.data_dir = dir.sub("data")});
  const HealthReport h = node->health();
  CHECK(h.status == "ok");
  for (const char* name : {"log", "scheduler", "relay"}) {
    const ComponentHealth* c = component(h, name);
    REQUIRE_MESSAGE(c != nullptr, name);
    CHECK(c->ok);
    CHECK_FALSE(c->critical);
  }
  CHECK(component(h, "log")->detail.find("circuit breaker closed") != std::string::npos);
  const std::string m = node->metrics_text();
  for (const char* name : {"tally_timers_due 0", "tally_expiries_appended_total 0", "tally_outbox_pending 0",
                           "tally_outbox_relayed_total 0", "tally_stuck_operations 0",
                           "tally_breaker_state 0", "tally_breaker_transitions_total 0"}) {
    CHECK_MESSAGE(m.find(std::string("\n") + name + "\n") != std::string::npos, name);
  }
  CHECK(node->stuck().empty());
}

TEST_CASE("outbox entries are relayed into the pipelines once; a re-send after a crash is answered exists") {
  TempDir dir;
  create_accounts(dir.sub("log"), dir.sub("data"));
  write_outbox(dir.sub("data"), 10);
  {
    auto node = start_node(open_test_log(dir.sub("log"), kPartitions), {.data_dir = dir.sub("data")});
    REQUIRE(eventually([&] { return node->relay().stats().relayed == 10; }));
    REQUIRE(node->wait_caught_up(10s).ok());
    CHECK(balance_debits(*node, kA) == 55);  // 1 + 2 + ... + 10
    for (u128 i = 0; i < 10; i++) CHECK(log_counts(*node, kP)[tid(kA, 1000 + u128_lo(i))] == 1);
    CHECK(node->metrics_text().find("\ntally_outbox_relayed_total 10\n") != std::string::npos);
  }
  // As if the relay's delete had been lost in a crash: the same entries again.
  write_outbox(dir.sub("data"), 10);
  auto node = start_node(open_test_log(dir.sub("log"), kPartitions), {.data_dir = dir.sub("data")});
  REQUIRE(eventually([&] { return node->relay().stats().relayed == 10; }));
  REQUIRE(node->wait_caught_up(10s).ok());
  CHECK(balance_debits(*node, kA) == 55);  // unchanged: each re-sent transfer is `exists`
  for (u128 i = 0; i < 10; i++) CHECK(log_counts(*node, kP)[tid(kA, 1000 + u128_lo(i))] == 2);
  auto t = node->transfer(TransferId(tid(kA, 1003)));
  REQUIRE(t.ok());
  REQUIRE(t->has_value());
  CHECK((*t)->amount.value() == 4);
}

TEST_CASE("a failing log: the breaker opens, health says degraded, appends fail fast, queries work; after healing nothing is lost or doubled") {
  TempDir dir;
  create_accounts(dir.sub("log"), dir.sub("data"));
  write_outbox(dir.sub("data"), 5);
  auto faults = std::make_shared<Faults>();
  faults->fail_appends(Status::Unavailable("broker down (injected)"));
  // The breaker's clock is the test's: it stays open until the test moves it.
  std::atomic<int64_t> breaker_ms{0};
  NodeOptions o{.data_dir = dir.sub("data")};
  o.breaker = {.failure_threshold = 5, .open_duration = 30s, .success_threshold = 3};
  o.breaker_clock = [&] { return std::chrono::steady_clock::time_point(std::chrono::milliseconds(breaker_ms.load())); };
  o.relay.backoff = {.initial = 10ms, .max = 100ms, .multiplier = 2.0, .jitter = 0.5, .max_attempts = 3};
  auto node = start_node(std::make_unique<FaultyLog>(open_test_log(dir.sub("log"), kPartitions), faults), o);

  // The relay's retries open the breaker after 5 failures, then fail fast.
  REQUIRE(eventually([&] { return node->breaker_log().snapshot().state == BreakerState::open; }));
  CHECK(faults->appends_tried == 5);
  REQUIRE(eventually([&] { return node->stuck().size() == 5; }));
  CHECK(faults->appends_tried == 5);

  // Producers' appends fail fast, naming the breaker; the log sees none of them.
  const std::vector<Command> more = {transfer(2000, kA, kB, 100)};
  auto refused = node->append(more);
  CHECK(refused.status().code() == StatusCode::unavailable);
  CHECK(refused.status().message().find("circuit breaker open") != std::string::npos);
  CHECK(refused.status().message().find("5 consecutive append failures") != std::string::npos);
  CHECK(faults->appends_tried == 5);

  const HealthReport h = node->health();
  const std::string detail = check_breaker_open(h);
  CHECK(detail.find("broker down (injected)") != std::string::npos);
  CHECK(detail.find("queries keep working") != std::string::npos);
  const ComponentHealth* relay = component(h, "relay");
  REQUIRE(relay != nullptr);
  CHECK_FALSE(relay->ok);
  CHECK_MESSAGE(relay->detail.find("5 outbox entries are stuck") != std::string::npos, relay->detail);
  for (const ComponentHealth& c : h.components) {
    if (c.name.starts_with("pipeline/")) CHECK(c.ok);
  }
  const auto stuck = node->stuck();
  CHECK(stuck[0].kind == "outbox");
  CHECK(stuck[0].seq == 0u);
  CHECK(stuck[4].seq == 4u);
  CHECK(stuck[0].attempts >= 3);
  const std::string m = node->metrics_text();
  CHECK(m.find("\ntally_stuck_operations 5\n") != std::string::npos);
  CHECK(m.find("\ntally_breaker_state 1\n") != std::string::npos);
  CHECK(m.find("\ntally_breaker_transitions_total 1\n") != std::string::npos);
  // Queries keep working.
  CHECK(balance_debits(*node, kA) == 0);

  // The log comes back; 30 s later (by the breaker's clock) it half-opens,
  // the relay's next retry goes through, and producers' appends close it.
  faults->heal();
  breaker_ms += 30'000;
  REQUIRE(eventually([&] { return node->relay().stats().relayed == 5; }));
  CHECK(node->stuck().empty());
  for (u128 i = 0; i < 3; i++) {
    const std::vector<Command> c = {transfer(3000 + i, kA, kB, 1000)};
    REQUIRE(node->append(c).ok());
  }
  CHECK(node->breaker_log().snapshot().state == BreakerState::closed);
  REQUIRE(node->wait_caught_up(10s).ok());
  CHECK(node->health().status == "ok");
  // Each outbox transfer once, each producer transfer once, the refused one never.
  CHECK(balance_debits(*node, kA) == 1 + 2 + 3 + 4 + 5 + 3 * 1000);
  const auto counts = log_counts(*node, kP);
  for (u128 i = 0; i < 5; i++) CHECK(counts.at(tid(kA, 1000 + u128_lo(i))) == 1);
  CHECK(counts.count(tid(kA, 2000)) == 0);
  CHECK(node->metrics_text().find("\ntally_breaker_state 0\n") != std::string::npos);
  CHECK(node->breaker_log().snapshot().transitions == 3);
}

TEST_CASE("a timer whose expiry never clears it is re-driven with backoff and reported stuck") {
  TempDir dir;
  const u128 routing = (u128{7} << 64) | 1;
  const Partition p = partition_of(AccountId(routing), kPartitions);
  auto node = node_with_stuck_timer(dir, routing, Timestamp{1'000'000'000}, 99, 3);
  const StuckOperation op = node->stuck().at(0);
  CHECK(op.kind == "pending_expiry");
  CHECK(op.partition == p);
  CHECK(op.id == 99);
  CHECK(op.deadline == Timestamp{1'000'000'000});
  CHECK(op.attempts == 3);
  CHECK(op.last_error.find("applied as") != std::string::npos);
  CHECK(op.last_error.find("the timer is still set") != std::string::npos);
  const HealthReport h = node->health();
  const ComponentHealth* s = component(h, "scheduler");
  REQUIRE(s != nullptr);
  CHECK_FALSE(s->ok);
  CHECK_MESSAGE(s->detail.find("1 timer is stuck") != std::string::npos, s->detail);
  CHECK(h.status == "degraded");
  const std::string m = node->metrics_text();
  CHECK(m.find("\ntally_stuck_operations 1\n") != std::string::npos);
  CHECK(m.find("\ntally_timers_due 1\n") != std::string::npos);
  CHECK(node->scheduler().stats().expiries_appended >= 3);
}

TEST_CASE("startup refuses a data directory that has applied more than its log holds") {
  TempDir dir;
  create_accounts(dir.sub("log"), dir.sub("data"));
  auto node = Node::open(open_test_log(dir.sub("other-log"), kPartitions), {.data_dir = dir.sub("data")});
  REQUIRE(node.ok());
  const Status s = (*node)->start();
  CHECK(s.code() == StatusCode::failed_precondition);
  CHECK(s.message().find("startup: partition " + std::to_string(kP.value)) != std::string::npos);
  CHECK(s.message().find("belongs to another log or topic") != std::string::npos);
  // Issue 16 item 7: a log that lost records gives the same picture; the
  // message names both causes.
  CHECK(s.message().find("the log lost records") != std::string::npos);
}

TEST_CASE("stop: appends are refused, the scheduler and relay stop, the pipelines flush what they applied") {
  TempDir dir;
  auto node = start_node(open_test_log(dir.sub("log"), kPartitions), {.data_dir = dir.sub("data")});
  const std::vector<Command> cmds = {account(kA)};
  auto placed = node->append(cmds);
  REQUIRE(placed.ok());
  REQUIRE(node->outcome(placed->at(0), 10s).ok());
  node->stop();
  CHECK_FALSE(node->scheduler().running());
  CHECK_FALSE(node->relay().running());
  CHECK(node->append(cmds).status().code() == StatusCode::aborted);
  node->stop();  // idempotent
  node.reset();
  // What was applied is in the store: a restart has nothing to replay.
  auto again = Node::open(open_test_log(dir.sub("log"), kPartitions), {.data_dir = dir.sub("data")});
  REQUIRE(again.ok());
  auto meta = (*again)->store(kP).meta();
  REQUIRE(meta.ok());
  CHECK(meta->next_offset.value == placed->at(0).offset.value + 1);
}

TEST_CASE("a saga still in flight after the coordinator's bounded sends is listed as stuck") {
  TempDir dir;
  const TransferId id(77);
  Saga saga;
  saga.id = id;
  saga.source = Partition{1};
  saga.destination = Partition{2};
  saga.state = SagaState::in_flight;
  saga.started = Timestamp{5};
  saga.attempts = SagaSchedule::kStuckAttempts;
  saga.cancel_sent = true;
  saga.deadline = Timestamp{4'000'000'000'000'000'000};  // far off: the scheduler leaves it
  Saga settled = saga;
  settled.id = TransferId(78);
  settled.attempts = SagaSchedule::kStuckAttempts - 1;  // not yet
  write_store(dir.sub("data"), Partition{1}, [&](StoreBatch& b) {
    // In flight: a saga with its deadline timer (the timer index is the
    // in-flight index).
    std::string routing(16, '\0');
    put_be128(routing.data(), 1);
    b.put(keys::saga(id), encode(saga));
    b.put(keys::timer(Timer{saga.deadline, TimerKind::saga_deadline, id.value(), AccountId(1)}), routing);
    b.put(keys::saga(settled.id), encode(settled));
    b.put(keys::timer(Timer{settled.deadline, TimerKind::saga_deadline, settled.id.value(), AccountId(1)}),
          routing);
  });
  auto node = start_node(open_test_log(dir.sub("log"), kPartitions), {.data_dir = dir.sub("data")});
  const auto stuck = node->stuck();
  REQUIRE(stuck.size() == 1);
  CHECK(stuck[0].kind == "saga");
  CHECK(stuck[0].id == 77);
  CHECK(stuck[0].partition == Partition{1});
  CHECK(stuck[0].target == Partition{2});
  CHECK(stuck[0].attempts == SagaSchedule::kStuckAttempts);
  CHECK(stuck[0].last_error == "in flight after 10 sends; the cancel to partition 2 is unanswered");
  CHECK(node->metrics_text().find("\ntally_stuck_operations 1\n") != std::string::npos);
  const HealthReport h = node->health();
  CHECK(h.status == "degraded");
  CHECK(component(h, "sagas")->detail == "1 saga is stuck in flight (see GET /v1/stuck); 2 in flight, 1 stuck");
  CHECK(component(h, "scheduler")->ok);
  CHECK(node->metrics_text().find("\ntally_sagas_stuck 1\n") != std::string::npos);
}

TEST_CASE("GET /v1/stuck lists what Node::stuck() lists; read-only stores cannot answer it") {
  TempDir dir;
  const u128 routing = (u128{9} << 64) | 1;
  const Partition p = partition_of(AccountId(routing), kPartitions);
  auto node = node_with_stuck_timer(dir, routing, Timestamp{2'000'000'000}, 5, 2);
  http::NodeBackend backend(*node);
  http::Router router(backend);
  const http::Response r = router.handle(http::Request{"GET", "/v1/stuck", ""});
  CHECK(r.status == 200);
  const boost::json::object body = boost::json::parse(r.body).as_object();
  const boost::json::array& ops = body.at("operations").as_array();
  REQUIRE(ops.size() == 1);
  const boost::json::object& op = ops[0].as_object();
  CHECK(op.at("kind").as_string() == "pending_expiry");
  CHECK(op.at("id").as_string() == "5");
  CHECK(op.at("partition").as_int64() == p.value);
  CHECK(op.at("deadline").as_string() == "2000000000");
  CHECK(op.at("attempts").as_int64() >= 2);
  CHECK(std::string(op.at("last_error").as_string()).find("the timer is still set") != std::string::npos);
  CHECK(op.contains("first_attempt"));
  CHECK(op.contains("stuck_since"));
  CHECK(router.handle(http::Request{"GET", "/v1/stuck?limit=0", ""}).status == 400);
  CHECK(router.handle(http::Request{"GET", "/v1/stuck?color=red", ""}).status == 400);
  node->stop();
  node.reset();

  auto stores = http::StoreBackend::open(dir.sub("data"));
  REQUIRE(stores.ok());
  http::Router read_only(**stores);
  const http::Response refused = read_only.handle(http::Request{"GET", "/v1/stuck", ""});
  CHECK(refused.status == 409);
  CHECK(refused.body.find("tracked by a running node") != std::string::npos);
}

TEST_CASE("a cross-partition transfer completes through the relay: credit leg there, reply back, once each") {
  TempDir dir;
  auto node = start_node(open_test_log(dir.sub("log"), kPartitions), {.data_dir = dir.sub("data")});
  // A debit account and a credit account in different partitions.
  const u128 debit = (u128{1} << 64) | 1;
  u128 credit = 0;
  for (uint64_t hi = 2; credit == 0; hi++) {
    if (partition_of(AccountId(u128{hi} << 64 | 1), kPartitions) != partition_of(AccountId(debit), kPartitions)) {
      credit = (u128{hi} << 64) | 1;
    }
  }
  const Partition src = partition_of(AccountId(debit), kPartitions);
  const Partition dst = partition_of(AccountId(credit), kPartitions);
  const std::vector<Command> accounts = {account(debit), account(credit)};
  auto placed = node->append(accounts);
  REQUIRE(placed.ok());
  for (const Placement& p : *placed) REQUIRE(node->outcome(p, 10s).value() == Outcome::created);
  const std::vector<Command> t = {transfer(4242, debit, credit, 70)};
  placed = node->append(t);
  REQUIRE(placed.ok());
  CHECK(node->outcome(placed->at(0), 10s).value() == Outcome::created);

  REQUIRE(eventually([&] {
    auto s = node->store(src).saga(TransferId(tid(debit, 4242)));
    return s.ok() && s->has_value() && (*s)->state == SagaState::completed;
  }));
  REQUIRE(node->wait_caught_up(10s).ok());
  auto d = node->account(AccountId(debit));
  auto c = node->account(AccountId(credit));
  REQUIRE((d.ok() && d->has_value() && c.ok() && c->has_value()));
  CHECK((*d)->balances.debits_posted == 70);
  CHECK((*d)->balances.debits_pending == 0);
  CHECK((*c)->balances.credits_posted == 70);
  // The credit leg went to the destination once, the reply to the source once.
  const auto in_dst = log_counts(*node, dst);
  const auto in_src = log_counts(*node, src);
  CHECK(in_dst.at(tid(debit, 4242)) == 1);  // SagaCredit
  CHECK(in_src.at(tid(debit, 4242)) == 2);  // the transfer, then SagaReply
  CHECK(node->relay().stats().relayed == 2);
  CHECK(node->relay().stats().pending == 0);
  CHECK(node->stuck().empty());
  // The saga's deadline timer went with the reply: nothing due, nothing appended.
  REQUIRE(eventually([&] { return node->scheduler().stats().timers_due == 0; }));
  CHECK(node->scheduler().stats().saga_timeouts_appended == 0);
}

TEST_CASE("a store written before the in-flight index was retired loses its 'F' keys when it opens") {
  TempDir dir;
  const std::string data = dir.sub("data");
  write_store(data, kP, [&](StoreBatch& b) {
    std::string key(17, '\0');
    key[0] = 'F';
    put_be128(key.data() + 1, 77);
    b.put(key, "");
    key[16] = 1;
    b.put(key, "");
  });
  const auto count_f = [&] {
    auto store = PartitionStore::open({.dir = data + "/partitions/" + std::to_string(kP.value),
                                       .partition = kP, .partition_count = kPartitions, .read_only = true});
    REQUIRE(store.ok());
    auto n = (*store)->scan("F", "G", false, 0, [](auto, auto) { return true; });
    REQUIRE(n.ok());
    return *n;
  };
  CHECK(count_f() == 2);  // read-only opens change nothing
  {
    auto store = PartitionStore::open({.dir = data + "/partitions/" + std::to_string(kP.value),
                                       .partition = kP, .partition_count = kPartitions});
    REQUIRE(store.ok());
  }
  CHECK(count_f() == 0);
}
