// TransferBounds: which transfer ids a partition store is known not to
// hold, per id group, so that the duplicate check of a new transfer needs
// no RocksDB read.
//
// A transfer id is `group × 2^64 + n` (it routes by its upper 64 bits, like
// its debit account: docs/design.md "One transfer id, one partition"), and
// producers number a group's transfers upwards. So for each group the store
// holds ids up to some n, and an id above that is new. The table keeps,
// per group it has seen, the greatest n stored, learned once with one
// backwards seek over the group's 'T' keys and raised by every commit that
// writes one. It is a fixed-size direct-mapped cache (kSlots groups; a
// group whose slot another group took is learned again when asked): memory
// is bounded whatever the number of groups, and a miss costs one seek, as
// the check cost before.
//
// A seek costs far more than a point read of an id that is not there (the
// memtable's and every table file's bloom filter answer that): with more
// active groups than slots (10,000,000 accounts in groups of 10), nearly
// every new transfer's group was unknown, and the seeks were a third of the
// apply's CPU. So a prefetch learns at most kLearnsPerPrefetch groups; the
// ids of the other unknown groups are read by id, as before the table.
//
// Correctness: a bound may be too high (raised before a commit that then
// failed), never too low: every 'T' key is written through StoreBatch, which
// reports it. Not thread-safe: the store calls it under its mutex.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/core/types.h"

namespace tally {

class TransferBounds {
 public:
  static constexpr size_t kSlots = 1u << 14;
  static constexpr size_t kLearnsPerPrefetch = 256;

  TransferBounds();

  // Whether `id` is known absent: true or false when the table knows `id`'s
  // group, nullopt when it does not (learn() it first).
  std::optional<bool> known_absent(TransferId id) const;
  // What a seek found: the greatest n stored in `group`, or nullopt when
  // the group has no transfer.
  void learn(uint64_t group, std::optional<uint64_t> max_n);
  // A commit writes transfer `id`.
  void raise(TransferId id);

 private:
  struct Slot {
    uint64_t group = 0;
    uint64_t max_n = 0;  // meaningful when any
    bool known = false;
    bool any = false;    // the group holds a transfer
  };
  Slot& slot(uint64_t group) { return slots_[index(group)]; }
  const Slot& slot(uint64_t group) const { return slots_[index(group)]; }
  static size_t index(uint64_t group);
  std::vector<Slot> slots_;
};

}  // namespace tally
