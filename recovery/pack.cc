#include "recovery/pack.h"

#include <algorithm>

#include "engine/core/codec.h"

namespace tally {
namespace {

void pack_range(Partition partition, std::span<const Command> all, size_t first, size_t count,
                size_t max_bytes, std::vector<PackedRecord>& out) {
  std::vector<uint8_t> value = encode_batch(all.subspan(first, count));
  if (value.size() > max_bytes && count > 1) {
    const size_t half = count / 2;
    pack_range(partition, all, first, half, max_bytes, out);
    pack_range(partition, all, first + half, count - half, max_bytes, out);
    return;
  }
  out.push_back(PackedRecord{partition, first, count, routing_key(routing_account(all[first])),
                             std::move(value)});
}

}  // namespace

std::vector<PackedRecord> pack_records(Partition partition, std::span<const Command> commands,
                                       size_t max_bytes) {
  std::vector<PackedRecord> out;
  for (size_t first = 0; first < commands.size(); first += kMaxBatchCommands) {
    const size_t count = std::min(kMaxBatchCommands, commands.size() - first);
    pack_range(partition, commands, first, count, max_bytes, out);
  }
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
