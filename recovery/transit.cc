#include "recovery/transit.h"

#include "engine/core/partitioner.h"
#include "projections/model.h"

namespace tally {

AccountId transit_account(Partition own, Partition peer, Ledger ledger, uint32_t partition_count) {
  uint64_t hi = kReservedAccountHi;
  // murmur2 spreads keys evenly: a match for every partition comes within a
  // few multiples of partition_count.
  while (partition_of_key(hi, partition_count) != own) hi++;
  return AccountId(make_u128(hi, (uint64_t{ledger} << 32) | peer.value));
}

bool is_transit_account(AccountId id) { return id.hi() >= kReservedAccountHi; }

TransitParts transit_parts(AccountId id, uint32_t partition_count) {
  const uint64_t lo = id.lo();
  return TransitParts{partition_of(id, partition_count), Partition{static_cast<uint32_t>(lo)},
                      static_cast<Ledger>(lo >> 32)};
}

}  // namespace tally
