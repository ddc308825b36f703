// A pipeline notices a log that does not answer or does not deliver (a
// paused broker sends no error: its reader just sees nothing): it reports
// the error as transient ("retrying" in /health, lag unknown) and resumes by
// itself, applying each record once (issue 12 item 3). Real embedded log
// and RocksDB store, faults from tests/fixtures/faulty_log.h.
#include <doctest/doctest.h>

#include <thread>

#include "engine/core/codec.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/faulty_log.h"
#include "tests/fixtures/node_fixture.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr u128 kA = (u128{42} << 64) | 1;

struct Fixture {
  TempDir dir;
  std::shared_ptr<Faults> faults = std::make_shared<Faults>();
  std::unique_ptr<Node> node;

  Fixture() {
    auto inner = open_embedded_log({.dir = dir.sub("log"), .partitions = 2});
    REQUIRE(inner.ok());
    NodeOptions o{.data_dir = dir.sub("data")};
    o.pipeline.probe_interval = 50ms;
    o.pipeline.stall_timeout = 300ms;
    auto opened = Node::open(std::make_unique<FaultyLog>(std::move(inner).value(), faults), std::move(o));
    REQUIRE(opened.ok());
    node = std::move(opened).value();
    REQUIRE(node->start().ok());
  }
  PartitionPipeline& pipeline() { return node->pipeline(node->partition_of_account(AccountId(kA))); }
  const ComponentHealth* component(const std::string& name) {
    static thread_local HealthReport h;
    h = node->health();
    return test::component(h, name);
  }
};

}  // namespace

TEST_CASE("a log whose end offset cannot be read: the pipeline shows retrying, lag unknown; then recovers") {
  Fixture f;
  f.faults->fail_end_offsets(Status::Unavailable("reading the end offset: Local: Timed out"));
  REQUIRE(eventually([&] { return !f.pipeline().last_transient_error().ok(); }));
  CHECK(f.pipeline().last_transient_error().message().find("the log does not answer") != std::string::npos);
  const HealthReport h = f.node->health();
  CHECK(h.status == "degraded");
  const std::string metrics = f.node->metrics_text();
  const std::string p = std::to_string(f.pipeline().partition().value);
  CHECK(metrics.find("tally_lag_unknown{partition=\"" + p + "\"} 1") != std::string::npos);
  CHECK(metrics.find("tally_lag_records{partition=\"" + p + "\"}") == std::string::npos);

  f.faults->heal_end_offsets();
  REQUIRE(eventually([&] { return f.pipeline().last_transient_error().ok(); }));
  REQUIRE(eventually([&] { return f.node->health().status == "ok"; }));
  CHECK(f.node->metrics_text().find("tally_lag_records{partition=\"" + p + "\"} 0") != std::string::npos);
}

TEST_CASE("records in the log that the reader does not deliver: reported stalled, then applied once") {
  Fixture f;
  f.faults->hold_reads();
  const std::vector<Command> c = {account(kA)};
  auto placed = f.node->append(c);
  REQUIRE(placed.ok());
  REQUIRE(eventually([&] { return !f.pipeline().last_transient_error().ok(); }));
  CHECK_MESSAGE(f.pipeline().last_transient_error().message().find("arrived for") != std::string::npos,
                f.pipeline().last_transient_error().to_string());
  CHECK(f.node->health().status == "degraded");

  f.faults->release_reads();
  REQUIRE(f.node->outcome(placed->at(0), 10s).value() == Outcome::created);
  REQUIRE(eventually([&] { return f.pipeline().last_transient_error().ok(); }));
  CHECK(f.pipeline().metrics().commands_applied.load() == 1);
}
