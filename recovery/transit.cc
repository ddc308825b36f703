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

}  // namespace tally
