// Saga status queries (docs/design.md "Queries"): one saga with its steps as the
// source and destination partitions recorded them, the counts /health and
// /metrics show, and the transit accounts of a partition.
//
// Read-only over the projection stores; safe from any thread while the
// pipelines write (each call reads one consistent RocksDB view per key or
// scan, so a saga's source and destination may be read a step apart: a leg
// already `credited` while the source still says in_flight is a saga whose
// reply is on its way).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "projections/store.h"

namespace tally {

// A saga as both sides know it.
struct SagaStatus {
  Saga saga;                       // the source's record (state, times, sends)
  Transfer reservation;            // the producer's transfer in the source (kind saga_source)
  std::optional<SagaLeg> leg;      // the destination's decision, once it made one
  bool destination_read = true;    // false: its store was not given (leg unknown)
  std::optional<Transfer> credit;  // the credit leg it applied (only when credited)
  AccountId source_transit;        // transit(source, destination, ledger) in the source
  AccountId destination_transit;   // transit(destination, source, ledger) in the destination
  bool stuck = false;              // in flight after SagaSchedule::kStuckAttempts sends
};

// The saga `id`, looked up in every partition's store (index = partition;
// null for a partition that cannot be read here, e.g. owned by another
// process); nullopt when no readable partition holds a saga of that id.
// REQUIRES: stores.size() is the partition count.
Result<std::optional<SagaStatus>> find_saga(std::span<const PartitionStore* const> stores, TransferId id);

// Sagas of one partition as a source.
struct SagaCounts {
  uint64_t in_flight = 0;  // started, not yet completed or compensated
  uint64_t stuck = 0;      // of those, in flight after SagaSchedule::kStuckAttempts sends
  bool truncated = false;  // more than `max_scan` timers: counts stop there
};

// Counts the sagas in flight in `store` from its timer index (each has one
// saga_deadline timer), reading at most `max_scan` timers (pending expiries
// included) and the saga record of each (to tell stuck ones): O(timers).
// With `stuck`, also the stuck sagas themselves, at most `stuck_limit`.
Result<SagaCounts> count_sagas(const PartitionStore& store, size_t max_scan,
                               std::vector<Saga>* stuck = nullptr, size_t stuck_limit = 0);

// Whether `store` holds a saga in flight (a saga_deadline timer); stops at
// the first one.
Result<bool> any_saga_in_flight(const PartitionStore& store);

// The transit accounts stored in `store`, in id order (at most
// partition_count × ledgers in use of them, so no paging).
Result<std::vector<Account>> transit_accounts(const PartitionStore& store);

// Money sagas moved from one partition to another in one ledger, from the
// two transit accounts of the pair: transit(from, to) in `from` and
// transit(to, from) in `to` (either may not exist yet: zero).
struct TransitFlow {
  Partition from, to;
  Ledger ledger = 0;
  AccountId source_transit, destination_transit;
  u128 reserved = 0;   // source transit credits_pending: sagas in flight
  u128 completed = 0;  // source transit credits_posted: sagas completed
  u128 credited = 0;   // destination transit debits_posted: credit legs applied
  // Nothing in flight and what the source completed is what the destination
  // credited: the pair's transit accounts net to zero for this direction.
  bool settled() const { return reserved == 0 && completed == credited; }
};

// The flows that `accounts` (transit accounts of any partitions) describe,
// by (from, to, ledger); those where nothing ever moved are left out.
std::vector<TransitFlow> transit_flows(const std::vector<Account>& accounts, uint32_t partition_count);

}  // namespace tally
