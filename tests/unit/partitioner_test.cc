#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "engine/core/partitioner.h"

using namespace tally;

namespace {
int32_t murmur2_of(const std::string& s) {
  return murmur2(std::span(reinterpret_cast<const std::byte*>(s.data()), s.size()));
}
}  // namespace

TEST_CASE("murmur2 matches the Java Kafka client's known vectors") {
  // Apache Kafka clients, UtilsTest.testMurmur2.
  CHECK(murmur2_of("21") == -973932308);
  CHECK(murmur2_of("foobar") == -790332482);
  CHECK(murmur2_of("a-little-bit-long-string") == -985981536);
  CHECK(murmur2_of("a-little-bit-longer-string") == -1486304829);
  CHECK(murmur2_of("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(murmur2_of("abc") == 479470107);
}

TEST_CASE("the routing key is the upper 64 bits, big-endian") {
  const RoutingKey key = routing_key(AccountId(make_u128(0x0102030405060708ull, 0xffff)));
  for (int i = 0; i < 8; i++) CHECK(static_cast<int>(key.bytes[i]) == i + 1);
}

TEST_CASE("accounts sharing their upper 64 bits share a partition") {
  for (uint64_t tenant = 1; tenant < 200; tenant++) {
    const Partition p = partition_of(AccountId(make_u128(tenant, 1)), 8);
    for (uint64_t low : {2ull, 77ull, ~0ull}) {
      CHECK(partition_of(AccountId(make_u128(tenant, low)), 8) == p);
    }
  }
}

TEST_CASE("partition = toPositive(murmur2(key)) mod N, spread over all partitions") {
  int seen[8] = {};
  for (uint64_t tenant = 0; tenant < 800; tenant++) {
    const RoutingKey key = routing_key(tenant);
    const uint32_t h = static_cast<uint32_t>(murmur2(key.bytes)) & 0x7fffffffu;
    const Partition p = partition_of_key(tenant, 8);
    CHECK(p.value == h % 8);
    seen[p.value]++;
  }
  for (int n : seen) CHECK(n > 50);  // 100 expected each
}
