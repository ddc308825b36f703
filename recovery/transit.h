// Transit accounts: the system accounts through which a saga moves money
// between partitions (docs/design.md "Transfers across partitions"). One per (own
// partition, peer partition, ledger), living in its own partition:
//   id.hi = the smallest kReservedAccountHi + j whose partition is `own`
//   id.lo = ledger << 32 | peer
// A saga from P1 to P2 credits transit(P1, P2) in P1 (pending, then posted)
// and debits transit(P2, P1) in P2, so each partition's books balance on
// their own and the pair nets to zero once every saga has settled.
#pragma once

#include "engine/core/types.h"

namespace tally {

// The transit account of `own` towards `peer` for `ledger`.
// REQUIRES: own, peer < partition_count.
AccountId transit_account(Partition own, Partition peer, Ledger ledger, uint32_t partition_count);

// Whether `id` is a transit account (of any partition, peer or ledger).
bool is_transit_account(AccountId id);

// What a transit account's id says: the partition it lives in, the peer
// partition and the ledger. REQUIRES: is_transit_account(id).
struct TransitParts {
  Partition own;
  Partition peer;
  Ledger ledger = 0;
};
TransitParts transit_parts(AccountId id, uint32_t partition_count);
// The code transit accounts are created with.
inline constexpr Code kTransitCode = 0xFFFF;

}  // namespace tally
