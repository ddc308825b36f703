// The pipeline's apply limit (replays to an offset or a time): it applies
// exactly the records below the limit, stops there, and goes on when the
// limit moves.
#include <doctest/doctest.h>

#include "engine/core/codec.h"
#include "engine/core/partitioner.h"
#include "engine/log/embedded_log.h"
#include "engine/node/pipeline.h"
#include "projections/store.h"
#include "recovery/sagas.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr Partition kP{0};

// A log whose partition 0 holds `records` records; record r opens r + 1
// accounts (so records have different numbers of commands).
std::unique_ptr<Log> log_with_records(const std::string& dir, int records) {
  auto log = open_embedded_log({.dir = dir, .partitions = 1});
  REQUIRE(log.ok());
  uint64_t id = 1;
  for (int r = 0; r < records; r++) {
    std::vector<Command> cmds;
    for (int i = 0; i <= r; i++) cmds.push_back(account(id++));
    REQUIRE((*log)->append_one(kP, encode_batch(cmds)).ok());
  }
  return std::move(log).value();
}

struct Replica {
  std::unique_ptr<PartitionStore> store;
  std::unique_ptr<PartitionPipeline> pipeline;
  SagaCoordinator sagas;
  Replica(Log& log, const std::string& dir) {
    auto s = PartitionStore::open({.dir = dir, .partition = kP, .partition_count = 1});
    REQUIRE(s.ok());
    store = std::move(s).value();
    pipeline = std::make_unique<PartitionPipeline>(kP, log, *store, &sagas,
                                                   PipelineOptions{.max_records_per_step = 4});
    REQUIRE(pipeline->recover().ok());
  }
  // Steps until the limit stops the pipeline.
  void run_to(const ApplyLimit& limit) {
    pipeline->set_limit(limit);
    for (int i = 0; i < 1000 && !pipeline->at_limit(); i++) REQUIRE(pipeline->step(10ms).ok());
    REQUIRE(pipeline->at_limit());
  }
};

}  // namespace

TEST_CASE("an offset limit applies exactly the records below it, and a later limit goes on") {
  TempDir dir;
  auto log = log_with_records(dir.sub("log"), 10);
  Replica full(*log, dir.sub("full"));
  full.run_to({.end = Offset{10}});
  Replica r(*log, dir.sub("r"));
  r.run_to({.end = Offset{7}});
  CHECK(r.pipeline->applied().value == 7);
  auto step = r.pipeline->step(10ms);  // at the limit: nothing more
  REQUIRE(step.ok());
  CHECK(*step == 0);
  auto meta = r.store->meta();
  REQUIRE(meta.ok());
  CHECK(meta->next_offset.value == 7);
  auto beyond = r.store->outcomes(Offset{7});
  REQUIRE(beyond.ok());
  CHECK_FALSE(beyond->has_value());
  r.run_to({.end = Offset{10}});
  CHECK(r.pipeline->applied().value == 10);
  CHECK(r.pipeline->digest() == full.pipeline->digest());
}

TEST_CASE("a time limit stops before the first record whose commands' timestamps pass it") {
  TempDir dir;
  auto log = log_with_records(dir.sub("log"), 10);
  Replica full(*log, dir.sub("full"));
  full.run_to({.end = Offset{10}});
  // Record 5 has 6 commands: its last one got first_timestamp + 5.
  auto o5 = full.store->outcomes(Offset{5});
  REQUIRE(o5.ok());
  REQUIRE(o5->has_value());
  REQUIRE((*o5)->outcomes.size() == 6);
  const uint64_t last5 = (*o5)->first_timestamp.ns + 5;

  Replica exact(*log, dir.sub("exact"));
  exact.run_to({.until = Timestamp{last5}});
  CHECK(exact.pipeline->applied().value == 6);  // records 0..5
  Replica before(*log, dir.sub("before"));
  before.run_to({.until = Timestamp{last5 - 1}});
  CHECK(before.pipeline->applied().value == 5);  // record 5's last command would pass it
  Replica by_offset(*log, dir.sub("by_offset"));
  by_offset.run_to({.end = Offset{6}});
  CHECK(exact.pipeline->digest() == by_offset.pipeline->digest());

  // Lifting the time limit goes on from the record it stopped before.
  before.run_to({.end = Offset{10}});
  CHECK(before.pipeline->applied().value == 10);
  CHECK(before.pipeline->digest() == full.pipeline->digest());
}
