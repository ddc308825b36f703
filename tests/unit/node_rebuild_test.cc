// Node::rebuild and Node::checkpoint over a real Node on the embedded log
// (its relay and scheduler running), driven through the HTTP router as
// `tally serve` serves them: a rebuild switched in while a producer appends
// and a reader queries in a loop; a rebuild refused on a digest mismatch;
// a checkpoint taken under load that a new node starts from; and the admin
// routes' input checks.
#include <doctest/doctest.h>

#include <map>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "engine/core/digest.h"
#include "engine/http/node_backend.h"
#include "engine/http/router.h"
#include "engine/log/embedded_log.h"
#include "projections/records.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/node_fixture.h"
#include "tests/fixtures/store_edit.h"
#include "tests/fixtures/temp_dir.h"
#include "tools/reconcile/reconcile.h"
#include "tools/replay/replay.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<Node> open_node(const std::string& data) {
  fs::create_directories(data);
  auto log = open_embedded_log({.dir = data + "/log", .partitions = kScenarioPartitions});
  REQUIRE(log.ok());
  auto node = Node::open(std::move(log).value(), {.data_dir = data});
  REQUIRE(node.ok());
  REQUIRE((*node)->start().ok());
  return std::move(node).value();
}

// a and b in partition 0, c in partition 1: a → c runs as a saga, whose
// credit legs go out through partition 0's outbox and replies through 1's.
struct Accounts {
  AccountId a = account_in(0, 1), b = account_in(0, 2), c = account_in(1, 3);
};

void open_accounts(Node& node, const Accounts& x) {
  append_and_wait(node, {account(x.a), account(x.b), account(x.c)});
}

// Waits until every partition applied the log and no outbox entry waits.
void settle(Node& node) {
  for (int i = 0; i < 200; i++) {
    REQUIRE(node.wait_caught_up(10s).ok());
    if (node.relay().stats().pending == 0) {
      REQUIRE(node.wait_caught_up(10s).ok());
      if (node.relay().stats().pending == 0) return;
    }
    std::this_thread::sleep_for(20ms);
  }
  FAIL("the outboxes did not settle");
}

uint64_t outbox_entries_made(Node& node) {
  uint64_t n = 0;
  for (uint32_t p = 0; p < node.partition_count(); p++) n += node.store_ref(Partition{p})->meta()->next_outbox_seq;
  return n;
}

// Replays the node's log into a fresh directory, up to where each partition
// of the node had applied, and compares every partition's offset and digest
// with the node's. (Up to there, not to the log's end: the node's relay or
// scheduler may append a re-send after status() was read.)
void check_replay_matches(Node& node, const std::string& into) {
  const std::vector<PartitionStatus> live = node.status();
  std::map<uint32_t, Offset> upto;
  for (size_t p = 0; p < live.size(); p++) upto[static_cast<uint32_t>(p)] = live[p].applied;
  auto report = replay::replay(node.log(), {.into_dir = into, .to_offset = upto, .jobs = 2});
  REQUIRE(report.ok());
  for (size_t p = 0; p < live.size(); p++) {
    CHECK(report->partitions[p].applied == live[p].applied);
    CHECK(Digest::hex(report->partitions[p].digest) == Digest::hex(live[p].digest));
  }
}

std::string post(http::Router& router, const std::string& target, const std::string& body, unsigned& status) {
  const http::Response r = router.handle({"POST", target, body});
  status = r.status;
  return r.body;
}

}  // namespace

TEST_CASE("a rebuild is switched in under load: every query succeeds, digests match, no outbox entry is sent twice") {
  TempDir dir;
  const std::string data = dir.sub("data");
  auto node = open_node(data);
  const Accounts x;
  open_accounts(*node, x);
  append_and_wait(*node, {transfer(10'000, x.a, x.c, 1)});  // the reader asks for it
  http::NodeBackend backend(*node);
  http::Router router(backend);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> appended{0};
  std::jthread producer([&] {
    u128 id = 10'001;
    while (!stop) {
      std::vector<Command> batch;
      for (int i = 0; i < 8; i++, id++) {
        batch.push_back(i % 4 == 3 ? transfer(id, x.a, x.c, 1) : transfer(id, i % 2 ? x.a : x.b, i % 2 ? x.b : x.a, 2));
      }
      if (node->append(batch).ok()) appended += batch.size();
      std::this_thread::sleep_for(2ms);
    }
  });
  std::atomic<uint64_t> queries{0};
  std::vector<std::string> failures;
  std::jthread reader([&] {
    const std::vector<std::string> targets = {
        "/v1/accounts/" + x.a.str(), "/v1/accounts/" + x.c.str(), "/v1/transfers/" + transfer_id(x.a, 10'000).str(),
        "/v1/accounts/" + x.b.str() + "/history?limit=5&order=desc", "/v1/pending?limit=10",
        "/v1/offsets/0/1?wait_ms=1000"};
    while (!stop) {
      for (const std::string& t : targets) {
        const http::Response r = router.handle({"GET", t, ""});
        queries++;
        if (r.status != 200 && failures.size() < 10) failures.push_back(t + " -> " + std::to_string(r.status) + " " + r.body);
      }
    }
  });

  std::this_thread::sleep_for(300ms);
  unsigned status = 0;
  const std::string first = post(router, "/v1/admin/rebuild", R"({"partition": 0})", status);
  CHECK(status == 200);
  INFO(first);
  const boost::json::object r0 = boost::json::parse(first).at("partitions").at(0).as_object();
  CHECK(r0.at("switched").as_bool());
  CHECK(r0.at("live_digest") == r0.at("rebuilt_digest"));
  CHECK(r0.at("records").to_number<uint64_t>() > 0);
  std::this_thread::sleep_for(200ms);
  CHECK(post(router, "/v1/admin/rebuild", R"({"partition": "all"})", status).find(R"("switched":true)") == 1);
  CHECK(status == 200);
  std::this_thread::sleep_for(100ms);
  stop = true;
  producer.join();
  reader.join();
  INFO("queries: " << queries.load() << ", appended: " << appended.load());
  CHECK_MESSAGE(failures.empty(), (failures.empty() ? std::string() : failures.front()));
  CHECK(queries.load() > 100);
  CHECK(appended.load() > 100);

  settle(*node);
  // Every outbox entry ever staged went out once: the rebuilt stores held
  // those already relayed too, and the relay dropped them.
  CHECK(node->relay().stats().relayed == outbox_entries_made(*node));
  for (uint32_t p = 0; p < kScenarioPartitions; p++) {
    const fs::path link = fs::path(data) / "partitions" / std::to_string(p);
    CHECK(fs::is_symlink(link));
    CHECK(fs::read_symlink(link).string() == std::to_string(p) + (p == 0 ? ".g2" : ".g1"));
  }
  CHECK_FALSE(fs::exists(fs::path(data) / "partitions" / "0.g1"));
  check_replay_matches(*node, dir.sub("replay"));
  const auto balances = node->account(x.c);
  REQUIRE(balances.ok());
  const std::vector<PartitionStatus> before = node->status();
  node->stop();
  node.reset();

  // The tools and a restarted node find the switched-in stores through the links.
  auto rec = reconcile::reconcile({.data_dir = data, .partitions = kScenarioPartitions});
  REQUIRE(rec.ok());
  CHECK(reconcile::render_text(*rec).find("clean") != std::string::npos);
  CHECK(rec->clean());
  node = open_node(data);
  const std::vector<PartitionStatus> after = node->status();
  for (size_t p = 0; p < after.size(); p++) {
    CHECK(after[p].applied == before[p].applied);
    CHECK(after[p].digest == before[p].digest);
  }
  CHECK(*node->account(x.c) == *balances);
}

TEST_CASE("a rebuild whose digest differs from the live store's is refused and the live store stays") {
  TempDir dir;
  const std::string data = dir.sub("data");
  const Accounts x;
  {
    auto node = open_node(data);
    open_accounts(*node, x);
    append_and_wait(*node, {transfer(1, x.a, x.b, 100)});
  }
  // The live store diverges from its log: a's balance changed on disk.
  edit_store(data, Partition{0}, kScenarioPartitions, [&](PartitionStore& s, StoreBatch& b) {
    Account a = **s.account(x.a);
    a.balances.debits_posted += 1;
    b.put(keys::account(x.a), encode(a));
  });
  auto node = open_node(data);
  append_and_wait(*node, {transfer(2, x.a, x.b, 5)});  // touches a: the digest takes in the changed balance
  http::NodeBackend backend(*node);
  http::Router router(backend);
  unsigned status = 0;
  const std::string body = post(router, "/v1/admin/rebuild", R"({"partition": 0})", status);
  INFO(body);
  CHECK(status == 409);
  const boost::json::object o = boost::json::parse(body).as_object();
  CHECK_FALSE(o.at("switched").as_bool());
  const boost::json::object p0 = o.at("partitions").at(0).as_object();
  CHECK_FALSE(p0.at("switched").as_bool());
  CHECK(p0.at("live_digest") != p0.at("rebuilt_digest"));
  CHECK(p0.at("offset").to_number<uint64_t>() == node->pipeline(Partition{0}).applied().value);
  CHECK(std::string(o.at("error").as_string()).find("differs from the live store's") != std::string::npos);
  // Nothing changed: the plain directory, no rebuild left behind, the node applies on.
  CHECK_FALSE(fs::is_symlink(fs::path(data) / "partitions" / "0"));
  CHECK_FALSE(fs::exists(fs::path(data) / "partitions" / "0.g1"));
  CHECK((*node->account(x.a))->balances.debits_posted == 106);
  append_and_wait(*node, {transfer(3, x.a, x.b, 5)});
  CHECK((*node->account(x.a))->balances.debits_posted == 111);
}

TEST_CASE("a checkpoint taken while the node applies is a data directory a new node starts from") {
  TempDir dir;
  const std::string data = dir.sub("data");
  auto node = open_node(data);
  const Accounts x;
  open_accounts(*node, x);
  http::NodeBackend backend(*node, {}, dir.path());  // checkpoints go under --checkpoint-root
  http::Router router(backend);
  std::atomic<bool> stop{false};
  std::jthread producer([&] {
    for (u128 id = 100; !stop; id += 4) {
      (void)node->append(std::vector<Command>{transfer(id, x.a, x.b, 3), transfer(id + 1, x.b, x.a, 1),
                                              transfer(id + 2, x.a, x.c, 1), transfer(id + 3, x.c, x.a, 1)});
      std::this_thread::sleep_for(2ms);
    }
  });
  std::this_thread::sleep_for(200ms);
  unsigned status = 0;
  const std::string body = post(router, "/v1/admin/checkpoint", R"({"dir": ")" + dir.sub("backup") + R"("})", status);
  stop = true;
  producer.join();
  INFO(body);
  REQUIRE(status == 200);
  const boost::json::object o = boost::json::parse(body).as_object();
  CHECK(o.at("log_copied").as_bool());
  CHECK(o.at("partitions").as_array().size() == kScenarioPartitions);
  settle(*node);
  node->stop();
  node.reset();

  // The copy passes reconcile as it is, and a node started on it catches up
  // on its own log, with the digests a replay of that log gives.
  auto backup_log = open_embedded_log({.dir = dir.sub("backup") + "/log", .read_only = true});
  REQUIRE(backup_log.ok());
  auto rec = reconcile::reconcile({.data_dir = dir.sub("backup"), .log = backup_log->get()});
  REQUIRE(rec.ok());
  INFO(reconcile::render_text(*rec));
  CHECK(rec->total_discrepancies == 0);
  CHECK(rec->notes.empty());  // every check ran: the copy is one cut across partitions
  backup_log->reset();
  auto restored = open_node(dir.sub("backup"));
  for (const auto& p : o.at("partitions").as_array()) {
    const Partition part{static_cast<uint32_t>(p.at("partition").as_int64())};
    CHECK(restored->pipeline(part).applied().value >= p.at("offset").to_number<uint64_t>());
  }
  settle(*restored);
  check_replay_matches(*restored, dir.sub("replay"));
}

TEST_CASE("the admin routes check their input and answer 400 naming the problem") {
  TempDir dir;
  const std::string data = dir.sub("data");
  auto node = open_node(data);
  http::NodeBackend backend(*node, {}, dir.path());
  http::Router router(backend);
  auto error = [&](const std::string& target, const std::string& body) {
    const http::Response r = router.handle({"POST", target, body});
    return std::to_string(r.status) + " " + std::string(boost::json::parse(r.body).at("error").as_string());
  };
  CHECK(error("/v1/admin/rebuild", "") ==
        R"(400 the body must be a JSON object like {"partition": 3} or {"partition": "all"} (malformed JSON at byte 0: incomplete JSON))");
  CHECK(error("/v1/admin/rebuild", "{}") == R"(400 field "partition" is required: a partition number or "all")");
  CHECK(error("/v1/admin/rebuild", R"({"partition": 4})") ==
        R"(400 field "partition" must be "all" or an integer in 0..3, got 4)");
  CHECK(error("/v1/admin/rebuild", R"({"partition": "some"})") ==
        R"(400 field "partition" must be "all" or an integer in 0..3, got "some")");
  CHECK(error("/v1/admin/rebuild", R"({"partition": 1, "force": true})") ==
        R"(400 unknown field "force" (known: partition))");
  CHECK(error("/v1/admin/rebuild?x=1", R"({"partition": 1})") == R"(400 unknown query parameter "x" (known: none))");
  CHECK(error("/v1/admin/checkpoint", "{}") == R"(400 field "dir" is required: a new directory under the checkpoint root)");
  // The root itself is not a new directory under it; a missing parent is named without the path.
  CHECK(error("/v1/admin/checkpoint", R"({"dir": ")" + dir.path() + R"("})") ==
        R"(400 field "dir" must name a new directory under the checkpoint root (a relative name such as "2024-06-01", or an absolute path inside the root))");
  CHECK(error("/v1/admin/checkpoint", R"({"dir": ")" + dir.sub("no/backup") + R"("})") ==
        R"(400 field "dir" names a directory whose parent does not exist or is not a directory)");
  CHECK(error("/v1/admin/checkpoint", R"({"dir": ")" + data + R"(/backup"})") ==
        "400 " + data + "/backup is inside the data directory " + data + "; put the checkpoint outside it");
  CHECK(router.handle({"GET", "/v1/admin/rebuild", ""}).status == 405);
  CHECK_FALSE(fs::exists(data + "/backup"));
}

TEST_CASE("a node that owns some partitions (a consumer group member) rebuilds only those") {
  TempDir dir;
  const std::string data = dir.sub("data");
  fs::create_directories(data);
  auto log = open_embedded_log({.dir = data + "/log", .partitions = kScenarioPartitions});
  REQUIRE(log.ok());
  auto node = Node::open(std::move(log).value(), {.data_dir = data, .own_every_partition = false});
  REQUIRE(node.ok());
  REQUIRE((*node)->start().ok());
  const Partition mine[] = {Partition{0}, Partition{2}};
  REQUIRE((*node)->acquire(mine).ok());
  http::NodeBackend backend(**node);
  http::Router router(backend);
  unsigned status = 0;
  const std::string other = post(router, "/v1/admin/rebuild", R"({"partition": 1})", status);
  CHECK(status == 409);
  CHECK(other.find("partition 1 is not owned by this node") != std::string::npos);
  const std::string all = post(router, "/v1/admin/rebuild", R"({"partition": "all"})", status);
  INFO(all);
  CHECK(status == 200);
  const boost::json::value answer = boost::json::parse(all);
  const boost::json::array& done = answer.at("partitions").as_array();
  REQUIRE(done.size() == 2);
  CHECK(done[0].at("partition").to_number<uint32_t>() == 0);
  CHECK(done[1].at("partition").to_number<uint32_t>() == 2);
  CHECK(fs::is_symlink(fs::path(data) / "partitions" / "2"));
  CHECK_FALSE(fs::is_symlink(fs::path(data) / "partitions" / "1"));
}
