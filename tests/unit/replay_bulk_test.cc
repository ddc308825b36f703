// tools/replay's bulk mode (projections/store.h StoreOptions::bulk): the
// stores it builds from ingested table files hold byte for byte the keys
// and values of a replay through the memtables, with the same digests,
// whether a partition is one commit or one commit per record (then level 0
// outgrows its limit and finish_bulk compacts); a store that exists refuses
// bulk mode; a bulk store is an ordinary store for the next writer.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "engine/core/digest.h"
#include "engine/log/embedded_log.h"
#include "projections/store.h"
#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/temp_dir.h"
#include "tools/replay/replay.h"

using namespace tally;
using namespace tally::test;

namespace {

replay::Report replay_into(Log& log, const std::string& into, bool bulk, size_t records_per_step) {
  replay::ReplayOptions o;
  o.into_dir = into;
  o.jobs = 2;
  o.bulk = bulk;
  o.pipeline.max_records_per_step = records_per_step;
  auto r = replay::replay(log, o);
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string store_dir(const std::string& into, uint32_t p) { return into + "/partitions/" + std::to_string(p); }

std::unique_ptr<PartitionStore> open_store(const std::string& dir, uint32_t p, bool read_only, bool bulk = false) {
  auto s = PartitionStore::open({.dir = dir,
                                 .partition = Partition{p},
                                 .partition_count = kScenarioPartitions,
                                 .create_if_missing = false,
                                 .read_only = read_only,
                                 .bulk = bulk});
  REQUIRE(s.ok());
  return std::move(s).value();
}

// Every key and value of the store, raw.
std::map<std::string, std::string> contents(const std::string& dir, uint32_t p) {
  auto store = open_store(dir, p, /*read_only=*/true);
  std::map<std::string, std::string> out;
  auto n = store->scan(std::string(), std::string(32, '\xff'), false, 0, [&](std::string_view k, std::string_view v) {
    out.emplace(std::string(k), std::string(v));
    return true;
  });
  REQUIRE(n.ok());
  return out;
}

// How many table files the store's directory holds.
size_t table_files(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().extension() == ".sst" ? 1 : 0;
  return n;
}

void check_same_stores(Log& log, const std::string& root, size_t records_per_step) {
  const auto bulk = replay_into(log, root + "/bulk", true, records_per_step);
  const auto plain = replay_into(log, root + "/plain", false, records_per_step);
  REQUIRE(bulk.partitions.size() == kScenarioPartitions);
  size_t keys = 0;
  for (uint32_t p = 0; p < kScenarioPartitions; p++) {
    CAPTURE(p);
    CHECK(bulk.partitions[p].applied == plain.partitions[p].applied);
    CHECK(Digest::hex(bulk.partitions[p].digest) == Digest::hex(plain.partitions[p].digest));
    const auto b = contents(store_dir(root + "/bulk", p), p);
    const auto m = contents(store_dir(root + "/plain", p), p);
    CHECK(b.size() == m.size());
    CHECK(b == m);  // byte for byte, history blocks and list indexes included
    keys += b.size();
    // The files are the store's own; nothing is left staged beside them.
    CHECK_FALSE(std::filesystem::exists(store_dir(root + "/bulk", p) + "/bulk-ingest.sst.tmp"));
    CHECK(table_files(store_dir(root + "/bulk", p)) <= PartitionStore::kBulkLevel0Files);
  }
  CHECK(keys > 100);
}

}  // namespace

TEST_CASE("a bulk replay holds the keys, values and digests of a replay through the memtables") {
  TempDir dir;
  build_scenario(dir.sub("data"));
  auto log = open_scenario_log_read_only(dir.sub("data"));
  SUBCASE("each partition in as few commits as the pipeline makes") { check_same_stores(*log, dir.sub("a"), 64); }
  SUBCASE("one commit per record: many files, compacted at the end") { check_same_stores(*log, dir.sub("b"), 1); }
}

TEST_CASE("bulk mode refuses a store that exists; a bulk store takes ordinary commits afterwards") {
  TempDir dir;
  build_scenario(dir.sub("data"));
  auto log = open_scenario_log_read_only(dir.sub("data"));
  const auto r = replay_into(*log, dir.sub("new"), true, 1);
  const std::string p0 = store_dir(dir.sub("new"), 0);
  auto refused = PartitionStore::open({.dir = p0,
                                       .partition = Partition{0},
                                       .partition_count = kScenarioPartitions,
                                       .bulk = true});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::failed_precondition);
  CHECK(refused.status().message().find("bulk mode is for a new store") != std::string::npos);
  // As `tally serve` opens it: through the memtable, the meta as the replay left it.
  auto store = open_store(p0, 0, /*read_only=*/false);
  auto meta = store->meta();
  REQUIRE(meta.ok());
  CHECK(meta->next_offset == r.partitions[0].applied);
  CHECK(meta->digest == r.partitions[0].digest);
  StoreBatch b;
  b.put("Zbulk-test", "after");
  REQUIRE(store->commit(b).ok());
  auto got = store->get("Zbulk-test");
  REQUIRE(got.ok());
  CHECK(got->value_or("") == "after");
}
