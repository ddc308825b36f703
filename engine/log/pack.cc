#include "engine/log/pack.h"

#include <algorithm>
#include <cassert>
#include <numeric>

#include "engine/core/codec.h"

namespace tally {
namespace {

using Sink = std::function<void(PackedRecord&&)>;

// Packs commands[idx[0..]] (all bound for `partition`) into records for
// `out`, halving a record until it fits `max_bytes`.
void pack_range(Partition partition, std::span<const Command> all, std::span<const uint32_t> idx,
                size_t max_bytes, BatchBuilder& builder, const Sink& out) {
  assert(!idx.empty() && idx.size() <= kMaxBatchCommands);  // a record the codec accepts
  for (uint32_t i : idx) builder.add(all[i]);
  std::vector<uint8_t> value = builder.finish();
  if (value.size() > max_bytes && idx.size() > 1) {
    const size_t half = idx.size() / 2;
    pack_range(partition, all, idx.first(half), max_bytes, builder, out);
    pack_range(partition, all, idx.subspan(half), max_bytes, builder, out);
    return;
  }
  out(PackedRecord{partition, routing_key(routing_account(all[idx[0]])), std::move(value),
                   std::vector<uint32_t>(idx.begin(), idx.end())});
}

void pack_partition(Partition partition, std::span<const Command> all, std::span<const uint32_t> idx,
                    size_t max_bytes, BatchBuilder& builder, const Sink& out) {
  for (size_t first = 0; first < idx.size(); first += kMaxBatchCommands) {
    const size_t count = std::min(kMaxBatchCommands, idx.size() - first);
    pack_range(partition, all, idx.subspan(first, count), max_bytes, builder, out);
  }
}

}  // namespace

void pack_routed(std::span<const Command> commands, uint32_t partition_count, size_t max_bytes,
                 const Sink& sink) {
  std::vector<std::vector<uint32_t>> by_partition(partition_count);
  for (uint32_t i = 0; i < commands.size(); i++) {
    by_partition[partition_of(routing_account(commands[i]), partition_count).value].push_back(i);
  }
  BatchBuilder builder;
  for (uint32_t p = 0; p < partition_count; p++) {
    pack_partition(Partition{p}, commands, by_partition[p], max_bytes, builder, sink);
  }
}

std::vector<PackedRecord> pack_routed(std::span<const Command> commands, uint32_t partition_count,
                                      size_t max_bytes) {
  std::vector<PackedRecord> out;
  pack_routed(commands, partition_count, max_bytes, [&](PackedRecord&& r) { out.push_back(std::move(r)); });
  return out;
}

std::vector<PackedRecord> pack_records(Partition partition, std::span<const Command> commands,
                                       size_t max_bytes) {
  std::vector<uint32_t> idx(commands.size());
  std::iota(idx.begin(), idx.end(), 0u);
  std::vector<PackedRecord> out;
  BatchBuilder builder;
  pack_partition(partition, commands, idx, max_bytes, builder,
                 [&](PackedRecord&& r) { out.push_back(std::move(r)); });
  return out;
}

std::vector<AppendRequest> append_requests(const std::vector<PackedRecord>& records) {
  std::vector<AppendRequest> out;
  out.reserve(records.size());
  for (const PackedRecord& r : records) {
    out.push_back(AppendRequest{r.partition,
                                std::span(reinterpret_cast<const uint8_t*>(r.key.bytes), sizeof r.key.bytes),
                                r.value});
  }
  return out;
}

}  // namespace tally
