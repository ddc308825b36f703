// Read-only queries over one partition's store (docs/design.md "Queries"). Safe
// from any thread while the pipeline writes: each call reads a consistent
// RocksDB view per key or scan.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/core/tally_limits.h"
#include "engine/core/status.h"
#include "projections/store.h"

namespace tally {

// Largest page a history or list query returns (engine/core/tally_limits.h).
inline constexpr size_t kMaxPageSize = limits::kMaxPageItems;

struct HistoryQuery {
  AccountId account;
  size_t limit = limits::kDefaultPageItems;  // 1..kMaxPageSize
  bool descending = false;       // newest first
  Timestamp from{0};             // inclusive
  Timestamp to{~uint64_t{0}};    // inclusive
  std::optional<Timestamp> after;  // the cursor: continue past this timestamp
};

struct HistoryItem {
  Timestamp timestamp;       // when the change applied
  Transfer transfer;         // the transfer that changed the account
  bool has_balances = false; // the account has the `history` flag
  Balances balances;         // the account's balances after the change
};

struct HistoryPage {
  std::vector<HistoryItem> items;
  std::optional<Timestamp> next;  // cursor for the next page; nullopt at the end
};

// The changes to an account, oldest or newest first, within [from, to].
// not_found if the account does not exist (or was rejected).
Result<HistoryPage> account_history(const PartitionStore& store, const HistoryQuery& query);

// Visits `account`'s history entries with timestamps in [lo, hi], in time
// order (or reversed), until `fn` returns false; reads only the blocks
// that overlap the range.
Status visit_history(const PartitionStore& store, AccountId account, Timestamp lo, Timestamp hi,
                     bool descending, const std::function<bool(const HistoryBlock::Entry&)>& fn);

// An account's balances as of log time `at` (after every change with
// timestamp <= at). failed_precondition if the account lacks the `history`
// flag; not_found if it does not exist or did not exist yet at `at`.
Result<Balances> balance_at(const PartitionStore& store, AccountId account, Timestamp at);

// Pending transfers that are still pending, in id order after `after`.
Result<std::vector<Transfer>> pending_transfers(const PartitionStore& store, size_t limit,
                                                std::optional<TransferId> after);

// The producer's transfer `id` across partitions: `stores[p]` is partition
// p's store, nullptr for one not served here (skipped). A transfer lives in
// its debit account's partition; the credit legs sagas apply elsewhere are
// not the producer's transfer and are passed over. find_transfer answers the
// first partition holding it; transfer_partitions names every one, in order
// (more than one only where ids were reused across partitions).
Result<std::optional<Transfer>> find_transfer(std::span<const PartitionStore* const> stores, TransferId id);
Result<std::vector<Partition>> transfer_partitions(std::span<const PartitionStore* const> stores,
                                                   TransferId id);

// The quarantine entry of the record at `o`, if there is one.
Result<std::optional<QuarantinedRecord>> quarantined_at(const PartitionStore& store, Offset o);

// Records that failed verification and were set aside, in offset order.
Result<std::vector<QuarantinedRecord>> quarantined(const PartitionStore& store, size_t limit);

}  // namespace tally
