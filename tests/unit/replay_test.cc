// tools/replay: rebuilding projections from the log with the engine's own
// pipeline reproduces the live stores' digests, stops exactly at offsets,
// records checkpoints, and reads a log and stores a running node holds.
#include <doctest/doctest.h>

#include "engine/core/digest.h"
#include "engine/log/embedded_log.h"
#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/temp_dir.h"
#include "tools/replay/replay.h"

using namespace tally;
using namespace tally::test;

namespace {

replay::Report replay_into(Log& log, const std::string& into, replay::ReplayOptions o = {}) {
  o.into_dir = into;
  o.jobs = 2;
  auto r = replay::replay(log, o);
  REQUIRE(r.ok());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("a replay beside the running node reproduces every partition's offset and digest") {
  TempDir dir;
  auto node = start_scenario_node(dir.sub("data"));
  run_scenario(*node);
  const std::vector<PartitionStatus> live = node->status();
  auto log = open_scenario_log_read_only(dir.sub("data"));  // the node holds the log's lock
  std::vector<uint64_t> progress_done;
  replay::ReplayOptions o;
  o.into_dir = dir.sub("replay");
  o.progress_interval = std::chrono::milliseconds(1);
  auto report = replay::replay(*log, o, [&](const replay::Progress& p) {
    progress_done.push_back(p.records_done);
  });
  REQUIRE(report.ok());
  REQUIRE(report->partitions.size() == live.size());
  uint64_t commands = 0;
  for (size_t p = 0; p < live.size(); p++) {
    CHECK(report->partitions[p].applied == live[p].applied);
    CHECK(Digest::hex(report->partitions[p].digest) == Digest::hex(live[p].digest));
    CHECK_FALSE(report->partitions[p].stopped_by_time);
    commands += report->partitions[p].commands;
  }
  CHECK(report->commands == commands);
  CHECK(commands > 200);
  REQUIRE_FALSE(progress_done.empty());
  CHECK(progress_done.back() == report->partitions[0].applied.value +
                                    report->partitions[1].applied.value +
                                    report->partitions[2].applied.value +
                                    report->partitions[3].applied.value);
}

TEST_CASE("to_offset stops a partition exactly there; a checkpoint records the digest on the way") {
  TempDir dir;
  auto node = start_scenario_node(dir.sub("data"));
  run_scenario(*node);
  auto log = open_scenario_log_read_only(dir.sub("data"));
  const auto full = replay_into(*log, dir.sub("full"));
  replay::ReplayOptions o;
  o.to_offset[0] = Offset{3};
  o.checkpoints[0] = Offset{2};
  o.checkpoints[1] = Offset{full.partitions[1].applied.value + 5};  // past the end: not reached
  const auto part = replay_into(*log, dir.sub("part"), o);
  CHECK(part.partitions[0].applied.value == 3);
  CHECK(part.partitions[0].target.value == 3);
  CHECK(part.partitions[1].applied == full.partitions[1].applied);
  CHECK(part.partitions[1].digest == full.partitions[1].digest);
  REQUIRE(part.partitions[0].checkpoint.has_value());
  CHECK(part.partitions[0].checkpoint->reached);
  REQUIRE(part.partitions[1].checkpoint.has_value());
  CHECK_FALSE(part.partitions[1].checkpoint->reached);

  replay::ReplayOptions two;
  two.to_offset[0] = Offset{2};
  const auto at_two = replay_into(*log, dir.sub("two"), two);
  CHECK(part.partitions[0].checkpoint->digest == at_two.partitions[0].digest);
  CHECK(at_two.partitions[0].digest != part.partitions[0].digest);
}

TEST_CASE("replay refuses a directory that is not empty, and a partition the log lacks") {
  TempDir dir;
  auto node = start_scenario_node(dir.sub("data"));
  auto log = open_scenario_log_read_only(dir.sub("data"));
  auto into_data = replay::replay(*log, {.into_dir = dir.sub("data")});
  CHECK(into_data.status().code() == StatusCode::failed_precondition);
  CHECK(into_data.status().message().find("not empty") != std::string::npos);
  replay::ReplayOptions o;
  o.into_dir = dir.sub("fresh");
  o.to_offset[9] = Offset{1};
  CHECK(replay::replay(*log, o).status().code() == StatusCode::invalid_argument);
}

TEST_CASE("the live metas, read-only beside the node, are what it has flushed") {
  TempDir dir;
  auto node = start_scenario_node(dir.sub("data"));
  run_scenario(*node, 2);
  node->stop();  // flushes; the stores stay open and locked
  const std::vector<PartitionStatus> live = node->status();
  auto metas = replay::read_live_metas(dir.sub("data"), kScenarioPartitions);
  REQUIRE(metas.ok());
  REQUIRE(metas->size() == kScenarioPartitions);
  for (uint32_t p = 0; p < kScenarioPartitions; p++) {
    REQUIRE((*metas)[p].has_value());
    CHECK((*metas)[p]->next_offset == live[p].applied);
    CHECK((*metas)[p]->digest == live[p].digest);
  }
  auto none = replay::read_live_metas(dir.sub("nowhere"), kScenarioPartitions);
  REQUIRE(none.ok());
  CHECK_FALSE((*none)[0].has_value());
}
