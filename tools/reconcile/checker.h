// Internals of reconcile: one PartitionChecker per partition store gathers
// what the store records and checks what one partition can prove alone;
// cross_check() then checks what spans partitions. Nothing here calls the
// engine's apply code (projections/ledger*.cc, recovery/sagas.cc): only the
// on-disk format (projections/records.h), the store's reads, the transit
// account ids (recovery/transit.h) and the log.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/log/log.h"
#include "projections/list_index.h"
#include "projections/records.h"
#include "projections/store.h"
#include "tools/reconcile/reconcile.h"

namespace tally::reconcile::detail {

// An exact sum of up to 2^64 u128 values.
struct WideSum {
  u128 lo = 0;
  uint64_t hi = 0;
  void add(u128 v);
  void add(const WideSum& o);
  bool operator==(const WideSum&) const = default;
  std::string str() const;
};

struct LedgerSums {
  WideSum debits_pending, debits_posted, credits_pending, credits_posted;
  void add(const Balances& b);
  void add(const LedgerSums& o);
};

// Maps a ledger timestamp to the offset of the record whose commands got
// it: command i of a record got first_timestamp + i, and first timestamps
// increase with the offset.
class OffsetIndex {
 public:
  // REQUIRES: offsets added in increasing order.
  void add(Offset offset, Timestamp first);
  std::optional<uint64_t> offset_of(Timestamp ts) const;

 private:
  std::vector<std::pair<uint64_t, uint64_t>> firsts_;  // (first timestamp, offset)
};

// Collects discrepancies: counts all, keeps the first `max` of them.
class Sink {
 public:
  explicit Sink(size_t max) : max_(max) {}
  void add(Discrepancy d);
  size_t total() const { return total_; }
  std::vector<Discrepancy>& kept() { return kept_; }

 private:
  size_t max_;
  size_t total_ = 0;
  std::vector<Discrepancy> kept_;
};

// What the cross-partition checks need of a partition.
struct SagaFacts {  // source side: the Saga record and its reservation
  TransferId id;
  Partition destination;
  SagaState state = SagaState::in_flight;
  Timestamp started;
  bool has_reservation = false;  // a saga_source transfer was found
  Amount amount;
  Ledger ledger = 0;
};
struct LegFacts {  // destination side
  Partition source;
  TransferId id;
  LegDecision decision = LegDecision::credited;
  Timestamp timestamp;
};
struct CreditFacts {  // destination side: a saga_credit transfer
  TransferId id;
  std::optional<Partition> source;  // from its transit account
  Amount amount;
  Timestamp timestamp;
  Ledger ledger = 0;
};
struct TransitFacts {
  Partition peer;
  Ledger ledger = 0;
  Balances balances;  // stored
};

// The log past a store's applied offset: the records the store has not
// applied, as far as the consistent cut needs them (cross_check.cc).
struct LogTail {
  bool read = false;                  // false: no log was given
  Offset log_end;
  std::set<TransferId> transfers;     // ids of create_transfer commands (sagas started there)
  std::set<std::pair<uint32_t, TransferId>> legs;  // (source, saga id) of saga_credit and saga_cancel
};

struct PartitionFacts {
  Partition partition;
  PartitionMeta meta;
  LogTail tail;
  std::map<Ledger, LedgerSums> sums;  // over stored balances of created accounts
  std::vector<SagaFacts> sagas;
  std::vector<LegFacts> legs;
  std::vector<CreditFacts> credits;
  std::vector<TransitFacts> transits;
  // Ids of the stored transfers other than saga credit legs, any outcome,
  // in increasing order (transfer_ids_across_partitions).
  std::vector<TransferId> producer_ids;
  OffsetIndex offsets;
  Stats stats;
};

// Checks one partition's store. `log` may be null.
class PartitionChecker {
 public:
  PartitionChecker(Partition partition, uint32_t partition_count, Log* log, Sink& sink);
  Status run(const std::string& store_dir, PartitionFacts& facts);

 private:
  struct AccountFacts {
    Account stored;
    Balances recomputed;
    bool overflow = false;          // a recomputed balance passed 2^128 - 1
    uint64_t expected_history = 0;  // entries the postings explain
    uint64_t history = 0;           // entries found
    std::optional<HistoryBlock::Entry> last_entry;
  };
  enum class Effect { none, pending, posted };
  using SagaIndex = std::unordered_map<TransferId, size_t>;  // into facts_->sagas

  // partition_check.cc
  Status load_offsets();
  Status load_accounts();
  Status load_sagas();
  // Lists a saga (from its 'S' key, or its reservation when it has none).
  SagaIndex::iterator add_saga(const Saga& s);
  Status load_legs();
  // Adds `d` as found in this partition.
  void report(Discrepancy d);
  // The offset of the record that gave timestamp `ts`.
  std::optional<uint64_t> offset_at(Timestamp ts) const;
  // A record under `key` that does not decode.
  void unreadable(std::string_view key, const Status& why);
  // postings.cc
  Status scan_transfers();
  void posting(const Transfer& t);
  void saga_reservation(const Transfer& t);
  void touch(const Transfer& t, AccountId account, bool debit, Effect effect, uint64_t entries);
  // history_check.cc
  Status scan_history();
  Status examine_history(AccountFacts& a);
  Result<uint64_t> allowed_entries(const Transfer& t) const;
  // index_check.cc
  struct IndexTally {
    uint64_t count = 0;
    uint64_t hash = 0;  // sum of the entries' hashes
  };
  using IndexTermKey = std::tuple<char, uint8_t, u128>;  // tag, field, value
  template <class Record>
  void expect_index(char tag, const Record& r);
  Status check_indexes();
  // account_check.cc
  void check_accounts();
  void check_balances(const AccountFacts& a);
  void check_limits(const Account& a);
  void check_sums();
  // log_check.cc
  Status check_log();
  // One applied record against its outcomes; `o` and `e` walk
  // outcome_counts_ and quarantined_ in offset order.
  void check_outcomes(const LogRecord& r, size_t& o, size_t& e);

  const Partition partition_;
  const uint32_t partition_count_;
  Log* log_;
  Sink& sink_;
  std::unique_ptr<PartitionStore> store_;
  PartitionFacts* facts_ = nullptr;
  std::unordered_map<AccountId, AccountFacts> accounts_;
  SagaIndex saga_index_;  // into facts_->sagas
  std::vector<std::pair<uint64_t, uint32_t>> outcome_counts_;  // (offset, outcomes)
  std::vector<uint64_t> quarantined_;                           // offsets
  std::unordered_set<TransferId> missing_reported_;             // missing_transfer, once each
  std::map<IndexTermKey, IndexTally> index_expected_;           // what the records imply
};

// Transit account `id` of partition `own`: its peer partition, or nullopt
// when `id` is not one of `own`'s transit accounts.
std::optional<Partition> transit_peer(AccountId id, Partition own, Ledger ledger,
                                      uint32_t partition_count);

// The checks across partitions (totals, transit accounts, sagas), up to
// the consistent cut the stores' applied offsets and the log tails give
// (cross_check.cc). Returns how many sagas were in flight at the cut: a
// step applied in one store whose other step lies in the other store's log
// tail (not counted as mismatches).
uint64_t cross_check(const std::vector<PartitionFacts>& partitions, Sink& sink);

// transfer_id_in_two_partitions: a transfer id (not a saga's credit leg)
// stored in more than one partition, as stores written before the rule
// "a transfer id routes like an account id" may hold (docs/design.md "One
// transfer id, one partition"). A merge of the partitions' sorted
// producer_ids: O(N log P) for N ids in P partitions, no map of all ids.
// Valid beside a running node too: an id in two prefixes is in two stores.
void transfer_ids_across_partitions(const std::vector<PartitionFacts>& partitions,
                                    uint32_t partition_count, Sink& sink);

std::string four(const Balances& b);

}  // namespace tally::reconcile::detail
