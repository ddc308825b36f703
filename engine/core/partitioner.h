// Which partition a command belongs to (docs/design.md "The log").
//
// partition = toPositive(murmur2(key)) mod N, where key is the upper 64 bits
// of the routing account's id as 8 bytes big-endian. This is the Java Kafka
// client's default partitioner and librdkafka's `murmur2_random` partitioner,
// so any client configured that way places a command where Tally expects it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/core/types.h"

namespace tally {

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed
// 32-bit value exactly like Java's.
int32_t murmur2(std::span<const std::byte> data);

// The 8-byte message key of a command routed by `account`.
struct RoutingKey {
  std::byte bytes[8];
};
RoutingKey routing_key(uint64_t upper64);
inline RoutingKey routing_key(AccountId account) { return routing_key(account.hi()); }

// REQUIRES: partition_count > 0.
Partition partition_of_key(uint64_t upper64, uint32_t partition_count);
inline Partition partition_of(AccountId account, uint32_t partition_count) {
  return partition_of_key(account.hi(), partition_count);
}

}  // namespace tally
