// engine/log/pack.h: the one routing and packing of commands into records.
#include <doctest/doctest.h>

#include <cstring>

#include "engine/core/codec.h"
#include "engine/core/tally_limits.h"
#include "engine/log/pack.h"
#include "tests/fixtures/commands.h"

using namespace tally;
using namespace tally::test;

namespace {

constexpr uint32_t kPartitions = 4;

// Accounts of groups 1..groups, `per` commands each, interleaved.
std::vector<Command> accounts(uint64_t groups, uint64_t per) {
  std::vector<Command> out;
  for (uint64_t i = 0; i < per; i++) {
    for (uint64_t g = 1; g <= groups; g++) out.push_back(account((u128{g} << 64) | (i + 1)));
  }
  return out;
}

}  // namespace

TEST_CASE("pack_routed: each command once, in its partition, in input order, keyed by its first command") {
  const std::vector<Command> in = accounts(9, 7);
  const std::vector<PackedRecord> records = pack_routed(in, kPartitions, kNoRecordByteLimit);
  std::vector<int> seen(in.size(), 0);
  uint32_t last_partition = 0;
  for (const PackedRecord& r : records) {
    CHECK(r.partition.value >= last_partition);  // partition by partition, ascending
    last_partition = r.partition.value;
    auto decoded = decode_batch(r.value);
    REQUIRE(decoded.ok());
    REQUIRE(decoded->size() == r.commands.size());
    const RoutingKey first = routing_key(routing_account(in[r.commands.front()]));
    CHECK(std::memcmp(r.key.bytes, first.bytes, sizeof first.bytes) == 0);
    for (size_t i = 0; i < r.commands.size(); i++) {
      const uint32_t at = r.commands[i];
      seen[at]++;
      CHECK(partition_of(routing_account(in[at]), kPartitions) == r.partition);
      CHECK(encode_batch(std::span(&in[at], 1)) == encode_batch(std::span(&(*decoded)[i], 1)));
      if (i > 0) CHECK(r.commands[i - 1] < at);  // input order within the record
    }
  }
  for (int n : seen) CHECK(n == 1);
}

TEST_CASE("pack_routed: records stop at the batch maximum; the streaming form hands on the same records") {
  const std::vector<Command> in = accounts(1, limits::kMaxBatchCommands + 5);  // one group: one partition
  const std::vector<PackedRecord> records = pack_routed(in, kPartitions, kNoRecordByteLimit);
  REQUIRE(records.size() == 2);
  CHECK(records[0].commands.size() == limits::kMaxBatchCommands);
  CHECK(records[1].commands.size() == 5);
  CHECK(records[1].commands.front() == limits::kMaxBatchCommands);
  std::vector<PackedRecord> streamed;
  pack_routed(in, kPartitions, kNoRecordByteLimit, [&](PackedRecord&& r) { streamed.push_back(std::move(r)); });
  REQUIRE(streamed.size() == records.size());
  for (size_t i = 0; i < records.size(); i++) {
    CHECK(streamed[i].value == records[i].value);
    CHECK(streamed[i].commands == records[i].commands);
  }
}

TEST_CASE("pack_records: a record over the byte limit is halved until it fits, order kept") {
  const std::vector<Command> in = accounts(1, 100);
  const size_t whole = encode_batch(in).size();
  const std::vector<PackedRecord> records = pack_records(Partition{2}, in, whole / 3);
  CHECK(records.size() >= 3);
  uint32_t next = 0;
  for (const PackedRecord& r : records) {
    CHECK(r.partition == Partition{2});
    CHECK(r.value.size() <= whole / 3);
    for (uint32_t at : r.commands) CHECK(at == next++);
  }
  CHECK(next == in.size());
}
