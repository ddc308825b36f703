// `tally replay` as a process, over data a real node wrote: it reproduces
// the live digests (--verify), stops exactly at offsets and times, runs
// beside a node that holds the locks, finds a mismatch, and refuses bad
// input in one line.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "engine/core/digest.h"
#include "engine/core/partitioner.h"
#include "projections/list_index.h"
#include "tests/fixtures/file_damage.h"
#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/store_edit.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;

namespace {

// Runs the scenario into DATA; returns each partition's live status. The
// node is gone afterwards (locks released).
std::vector<PartitionStatus> build(const std::string& data, uint32_t bulk_records = 20) {
  auto node = start_scenario_node(data);
  run_scenario(*node, bulk_records);
  return node->status();
}

RunResult replay(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {tally_bin(), "replay"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The digest `tally replay` printed for partition p.
std::string printed_digest(const std::string& out, uint32_t p) {
  const std::string tag = "partition " + std::to_string(p) + ": offset ";
  const size_t at = out.find(tag);
  REQUIRE(at != std::string::npos);
  const size_t d = out.find("digest ", at);
  REQUIRE(d != std::string::npos);
  return out.substr(d + 7, 16);
}

PartitionMeta stored_meta(const std::string& data, Partition p) {
  auto store = PartitionStore::open({.dir = data + "/partitions/" + std::to_string(p.value),
                                     .partition = p,
                                     .partition_count = kScenarioPartitions,
                                     .create_if_missing = false,
                                     .read_only = true});
  REQUIRE(store.ok());
  auto meta = (*store)->meta();
  REQUIRE(meta.ok());
  return *meta;
}

// Changes the live store's digest of partition p, as a damaged store would.
void flip_digest(const std::string& data, Partition p) {
  edit_store(data, p, kScenarioPartitions, [](PartitionStore& s, StoreBatch& b) {
    auto meta = s.meta();
    REQUIRE(meta.ok());
    PartitionMeta changed = *meta;
    changed.digest ^= 1;
    b.stage_meta(changed);
  });
}

}  // namespace

TEST_CASE("tally replay --verify rebuilds every partition with the live offsets and digests") {
  TempDir dir;
  const auto live = build(dir.sub("data"));
  const RunResult r = replay({"--data", dir.sub("data"), "--into", dir.sub("new"), "--verify"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  for (const PartitionStatus& s : live) {
    const std::string p = std::to_string(s.partition.value);
    CHECK(contains(r.output, "partition " + p + ": offset " + std::to_string(s.applied.value) +
                                 " digest " + Digest::hex(s.digest)));
    CHECK(contains(r.output, "verify partition " + p + ": offset " + std::to_string(s.applied.value)));
    CHECK(stored_meta(dir.sub("new"), s.partition).digest == s.digest);
  }
  CHECK(contains(r.output, "verify: 4 of 4 partitions match"));
  CHECK(contains(r.output, "commands/s"));
  CHECK(contains(r.output, "replay: 100%"));  // not a terminal: plain progress lines
}

TEST_CASE("tally replay --to-offset applies exactly the records below the offset") {
  TempDir dir;
  const auto live = build(dir.sub("data"));
  const RunResult r = replay({"--data", dir.sub("data"), "--into", dir.sub("new"), "--to-offset", "0:3",
                              "--to-offset", "1:1"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.output, "partition 0: offset 3 digest"));
  CHECK(contains(r.output, "partition 1: offset 1 digest"));
  CHECK(contains(r.output, "partition 2: offset " + std::to_string(live[2].applied.value) + " digest " +
                               Digest::hex(live[2].digest)));
  CHECK(stored_meta(dir.sub("new"), Partition{0}).next_offset.value == 3);
  CHECK(stored_meta(dir.sub("new"), Partition{1}).next_offset.value == 1);
}

TEST_CASE("tally replay --to-time stops before the first record whose timestamps pass the time") {
  TempDir dir;
  build(dir.sub("data"));
  uint64_t last5 = 0;  // the last timestamp of partition 0's record 5
  {
    auto store = PartitionStore::open({.dir = dir.sub("data") + "/partitions/0",
                                       .partition = Partition{0},
                                       .partition_count = kScenarioPartitions,
                                       .create_if_missing = false,
                                       .read_only = true});
    REQUIRE(store.ok());
    auto o = (*store)->outcomes(Offset{5});
    REQUIRE(o.ok());
    REQUIRE(o->has_value());
    last5 = (*o)->first_timestamp.ns + (*o)->outcomes.size() - 1;
  }
  const RunResult at = replay({"--data", dir.sub("data"), "--into", dir.sub("at"), "--to-time",
                               std::to_string(last5)});
  INFO(at.output);
  REQUIRE(at.exit_code == 0);
  CHECK(contains(at.output, "partition 0: offset 6 digest"));
  CHECK(contains(at.output, "stopped by --to-time"));
  const RunResult before = replay({"--data", dir.sub("data"), "--into", dir.sub("before"),
                                   "--to-time", std::to_string(last5 - 1)});
  REQUIRE(before.exit_code == 0);
  CHECK(contains(before.output, "partition 0: offset 5 digest"));
  const RunResult by_offset = replay({"--data", dir.sub("data"), "--into", dir.sub("by_offset"),
                                      "--to-offset", "0:6"});
  REQUIRE(by_offset.exit_code == 0);
  CHECK(printed_digest(at.output, 0) == printed_digest(by_offset.output, 0));
}

TEST_CASE("tally replay --verify runs beside a node that holds the log's and stores' locks") {
  TempDir dir;
  auto node = start_scenario_node(dir.sub("data"));
  run_scenario(*node, 5);
  node->stop();  // flushes; the log and stores stay open and locked by this process
  const RunResult r = replay({"--data", dir.sub("data"), "--into", dir.sub("new"), "--verify"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "verify: 4 of 4 partitions match"));
  const auto live = node->status();
  CHECK(contains(r.output, "verify partition 0: offset " + std::to_string(live[0].applied.value) +
                               " live " + Digest::hex(live[0].digest)));
}

TEST_CASE("tally replay --verify --json: one object on stdout with every partition and its verify result") {
  TempDir dir;
  const auto live = build(dir.sub("data"));
  flip_digest(dir.sub("data"), Partition{1});
  const Captured r = run_captured(
      {tally_bin(), "replay", "--data", dir.sub("data"), "--into", dir.sub("new"), "--verify", "--json"}, "",
      std::chrono::seconds(120));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);  // partition 1 differs
  CHECK(contains(r.err, "replay: 100%"));  // progress stays on stderr
  const boost::json::object o = boost::json::parse(r.out).as_object();
  const boost::json::array& parts = o.at("partitions").as_array();
  REQUIRE(parts.size() == live.size());
  for (const PartitionStatus& s : live) {
    const boost::json::object& p = parts[s.partition.value].as_object();
    CHECK(p.at("offset").to_number<uint64_t>() == s.applied.value);
    CHECK(p.at("digest").as_string() == Digest::hex(s.digest));
  }
  CHECK(o.at("commands").to_number<uint64_t>() > 0);
  const boost::json::object& v = o.at("verify").as_object();
  CHECK(v.at("matched").to_number<uint64_t>() == live.size() - 1);
  const boost::json::array& verified = v.at("partitions").as_array();
  REQUIRE(verified.size() == live.size());
  CHECK(verified[1].at("result").as_string() == "mismatch");
  CHECK(verified[0].at("result").as_string() == "match");
  CHECK(verified[0].at("live_digest") == verified[0].at("replay_digest"));
}

TEST_CASE("tally replay --verify exits 1 and names the partition whose digest differs") {
  TempDir dir;
  build(dir.sub("data"));
  flip_digest(dir.sub("data"), Partition{0});
  const RunResult r = replay({"--data", dir.sub("data"), "--into", dir.sub("new"), "--verify"});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "MISMATCH"));
  CHECK(contains(r.output, "verify: 3 of 4 partitions match"));
  const size_t bad = r.output.find("MISMATCH");
  CHECK(r.output.rfind("verify partition 0:", bad) != std::string::npos);
}

// Issue 16 item 4: --verify used to compare only the digest in the meta
// record, so a flipped byte in a table file passed unless it hit the block
// that holds the meta. Now every block's checksum is read and every key
// compared; each flip must fail the verify and name the damaged file.
TEST_CASE("tally replay --verify fails on a bit flipped anywhere in a live store's table file") {
  TempDir dir;
  build(dir.sub("pristine"), 200);
  const std::string sst = largest_file(dir.sub("pristine") + "/partitions/0", ".sst");
  REQUIRE(!sst.empty());
  // Past the last 64 bytes: the footer's padding is under no checksum.
  REQUIRE(std::filesystem::file_size(sst) > 64 * 40);
  const std::string name = std::filesystem::path(sst).filename().string();
  const std::vector<double> places = {0.01, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 0.975};
  for (size_t i = 0; i < places.size(); i++) {
    const std::string data = dir.sub("data" + std::to_string(i));
    std::filesystem::copy(dir.sub("pristine"), data, std::filesystem::copy_options::recursive);
    flip_bit(data + "/partitions/0/" + name, places[i]);
    const RunResult r = replay({"--data", data, "--into", dir.sub("new" + std::to_string(i)), "--verify"});
    CAPTURE(places[i]);
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.output, "verify: 3 of 4 partitions match"));
    CHECK(contains(r.output, "verify partition 0: DAMAGED table file " + name));
  }
}

// A store whose files are intact but whose content differs from the log's
// replay (a value rewritten, the digest left alone): the key is named.
TEST_CASE("tally replay --verify names the first key whose value differs from the replay") {
  TempDir dir;
  const ScenarioIds ids = [&] {
    auto node = start_scenario_node(dir.sub("data"));
    return run_scenario(*node);
  }();
  edit_store(dir.sub("data"), partition_of(ids.a, kScenarioPartitions), kScenarioPartitions,
             [&](PartitionStore& s, StoreBatch& b) {
               auto a = s.account(ids.a);
               REQUIRE(a.ok());
               REQUIRE(a->has_value());
               Account changed = **a;
               changed.balances.credits_posted += 1;
               b.put(keys::account(ids.a), encode(changed));
             });
  const RunResult r = replay({"--data", dir.sub("data"), "--into", dir.sub("new"), "--verify"});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "MISMATCH: account " + ids.a.str() + " differs"));
  CHECK(contains(r.output, "verify: 3 of 4 partitions match"));
}

// The list indexes are rebuilt by a replay and compared entry by entry
// (their blocks are cut at commit boundaries): a lost entry is named.
TEST_CASE("tally replay --verify reproduces the list indexes and names an index entry the live store lost") {
  TempDir dir;
  const ScenarioIds ids = [&] {
    auto node = start_scenario_node(dir.sub("data"));
    return run_scenario(*node);
  }();
  RunResult r = replay({"--data", dir.sub("data"), "--into", dir.sub("same"), "--verify"});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  edit_store(dir.sub("data"), partition_of(ids.a, kScenarioPartitions), kScenarioPartitions,
             [&](PartitionStore& s, StoreBatch& b) {
               const std::string prefix = keys::index_prefix(kTransferIndexTag, {IndexField::ledger, 1});
               size_t blocks = 0;
               REQUIRE(s.scan(prefix, prefix + std::string(8, '\xff'), false, 1,
                              [&](std::string_view k, std::string_view) {
                                b.remove(std::string(k));
                                blocks++;
                                return false;
                              }).ok());
               REQUIRE(blocks == 1);
             });
  r = replay({"--data", dir.sub("data"), "--into", dir.sub("new"), "--verify"});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "MISMATCH: a transfer index entry (field 1, value 1) at timestamp "));
  CHECK(contains(r.output, "is missing from the live store"));
  CHECK(contains(r.output, "verify: 3 of 4 partitions match"));
}

TEST_CASE("tally replay refuses bad input with one line and a non-zero exit") {
  TempDir dir;
  build(dir.sub("data"));
  run({"mkdir", "-p", dir.sub("full/x")});
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--into", dir.sub("a")}, "give --data DIR"},
      {{"--data", dir.sub("data")}, "give --into DIR2"},
      {{"--data", dir.sub("missing"), "--into", dir.sub("a")}, "is not a directory"},
      {{"--data", dir.sub("full"), "--into", dir.sub("a")}, "no embedded log"},
      {{"--data", dir.sub("data"), "--into", dir.sub("full")}, "is not empty"},
      {{"--data", dir.sub("data"), "--into", dir.sub("a"), "--to-offset", "0-3"}, "expects P:O"},
      {{"--data", dir.sub("data"), "--into", dir.sub("a"), "--to-offset", "0:"}, "expects P:O"},
      {{"--data", dir.sub("data"), "--into", dir.sub("a"), "--to-offset", "9:1"}, "4 partitions"},
      {{"--data", dir.sub("data"), "--into", dir.sub("a"), "--to-time", "12abc"}, "nanoseconds"},
  };
  for (const auto& [args, message] : cases) {
    const RunResult r = replay(args);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, message));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
    CHECK(r.output.rfind("tally replay: ", 0) == 0);
  }
}

TEST_CASE("tally bench replay and tally bench reconcile run on a small generated log") {
  TempDir dir;
  const RunResult r = run({tally_bin(), "bench", "replay", "--transfers", "20000", "--data", dir.sub("b")});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "replay: 30,000 commands"));
  CHECK(contains(r.output, "s CPU"));
  const RunResult c = run({tally_bin(), "bench", "reconcile", "--transfers", "20000", "--data", dir.sub("b")});
  INFO(c.output);
  CHECK(c.exit_code == 0);
  CHECK(contains(c.output, "using the log at"));  // prepared by the replay run, reused
  CHECK(contains(c.output, "reconcile: clean; 20,000 transfers"));
  const RunResult bad = run({tally_bin(), "bench", "replay", "--batch", "0"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("a bulk replay killed after a commit leaves each store at a prefix with its own offset and digest") {
  TempDir dir;
  const auto live = build(dir.sub("data"));
  ::setenv("TALLY_CRASH_AT", "pipeline.after_commit:1", 1);
  const RunResult killed = replay({"--data", dir.sub("data"), "--into", dir.sub("new"), "--jobs", "1"});
  ::unsetenv("TALLY_CRASH_AT");
  INFO(killed.output);
  REQUIRE(killed.exit_code != 0);
  std::vector<std::string> to = {"--data", dir.sub("data"), "--into", dir.sub("ref"), "--no-bulk"};
  std::vector<uint64_t> offsets;
  for (const PartitionStatus& s : live) {
    const PartitionMeta m = stored_meta(dir.sub("new"), s.partition);
    CHECK(m.next_offset <= s.applied);
    offsets.push_back(m.next_offset.value);
    to.push_back("--to-offset");
    to.push_back(std::to_string(s.partition.value) + ":" + std::to_string(m.next_offset.value));
  }
  // The commit before the kill is in its store (an ingest is durable), and
  // the partitions after it are not: the directory does not look complete.
  CHECK(*std::max_element(offsets.begin(), offsets.end()) > 0);
  bool short_of_end = false;
  for (size_t p = 0; p < live.size(); p++) short_of_end = short_of_end || offsets[p] < live[p].applied.value;
  CHECK(short_of_end);
  // Each store is exactly the prefix it says: the memtable path's digest there.
  const RunResult ref = replay(to);
  INFO(ref.output);
  REQUIRE(ref.exit_code == 0);
  for (const PartitionStatus& s : live) {
    CHECK(printed_digest(ref.output, s.partition.value) ==
          Digest::hex(stored_meta(dir.sub("new"), s.partition).digest));
  }
  // Replaying again wants a new directory, as before.
  const RunResult again = replay({"--data", dir.sub("data"), "--into", dir.sub("new")});
  CHECK(again.exit_code != 0);
  CHECK(contains(again.output, "is not empty"));
}
