#include "engine/core/partitioner.h"

#include <cassert>

namespace tally {

int32_t murmur2(std::span<const std::byte> data) {
  // Java's int arithmetic wraps; unsigned arithmetic gives the same bits.
  const uint32_t length = static_cast<uint32_t>(data.size());
  const uint32_t m = 0x5bd1e995u;
  const int r = 24;
  uint32_t h = 0x9747b28cu ^ length;
  auto byte = [&](size_t i) { return static_cast<uint32_t>(data[i]); };
  const uint32_t whole = length / 4;
  for (uint32_t i = 0; i < whole; i++) {
    const size_t i4 = size_t{i} * 4;
    uint32_t k = byte(i4) | (byte(i4 + 1) << 8) | (byte(i4 + 2) << 16) | (byte(i4 + 3) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = length & ~3u;
  switch (length % 4) {
    case 3: h ^= byte(tail + 2) << 16; [[fallthrough]];
    case 2: h ^= byte(tail + 1) << 8; [[fallthrough]];
    case 1: h ^= byte(tail); h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

RoutingKey routing_key(uint64_t upper64) {
  RoutingKey key;
  for (int i = 0; i < 8; i++) key.bytes[i] = static_cast<std::byte>(upper64 >> (56 - 8 * i));
  return key;
}

Partition partition_of_key(uint64_t upper64, uint32_t partition_count) {
  assert(partition_count > 0);
  const RoutingKey key = routing_key(upper64);
  const uint32_t positive = static_cast<uint32_t>(murmur2(key.bytes)) & 0x7fffffffu;
  return Partition{positive % partition_count};
}

}  // namespace tally
