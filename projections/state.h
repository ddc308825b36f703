// PartitionState: the in-memory state one partition's commands apply to.
//
// The state machine (projections/ledger.h, recovery/sagas.h) reads and
// changes it; it never does I/O. The pipeline (engine/node) owns one per
// partition: it loads every account at start, loads (prefetches) the
// transfers, sagas and legs a record refers to before applying the record,
// and after applying writes `changes()` to RocksDB in one batch and clears
// them. So lookups answer from memory: a transfer that is not here either
// does not exist or was not prefetched, which is the pipeline's bug.
//
// Linked chains: begin_scope() / commit_scope() / rollback_scope() undo every
// change made inside a scope, including history, timers and outbox entries.
//
// Determinism: lookups use hash maps, but nothing iterates them to decide
// anything; changes are kept in vectors in the order they happened.
//
// Not thread-safe: one pipeline thread applies; queries read RocksDB.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "projections/model.h"
#include "projections/transfer_table.h"

namespace tally {

// A transfer in a change list, with its TransferTable slot as a hint
// (PartitionState::find_transfer(const ChangedTransfer&)).
struct ChangedTransfer {
  TransferId id;
  uint32_t slot = 0;
};

// What applying changed since the last clear_changes(), in order.
struct ChangeSet {
  std::vector<AccountId> accounts;    // created or changed, first-touch order, unique
  std::vector<ChangedTransfer> transfers;  // created or changed
  std::vector<TransferId> sagas;      // created or changed, unique
  std::vector<std::pair<Partition, TransferId>> legs;  // created, unique
  std::vector<HistoryEntry> history;
  struct TimerOp {
    bool set;  // false: clear
    Timer timer;
  };
  std::vector<TimerOp> timers;
  std::vector<OutboxEntry> outbox;
  // Inserted (new) accounts and transfers, in order, for the list indexes
  // (projections/list_index.h); a rolled-back scope's are dropped.
  std::vector<AccountId> created_accounts;
  std::vector<ChangedTransfer> created_transfers;
  bool empty() const {
    return accounts.empty() && transfers.empty() && sagas.empty() && legs.empty() &&
           history.empty() && timers.empty() && outbox.empty() && created_accounts.empty() &&
           created_transfers.empty();
  }
};

class PartitionState {
 public:
  PartitionState(Partition self, uint32_t partition_count);
  PartitionState(const PartitionState&) = delete;
  PartitionState& operator=(const PartitionState&) = delete;
  PartitionState(PartitionState&&) = default;  // a pipeline adopting a rebuilt one moves it

  Partition partition() const { return self_; }
  uint32_t partition_count() const { return partition_count_; }
  // Whether `account` lives in this partition.
  bool owns(AccountId account) const;
  // Whether transfer id `id` may be created here with debit account `debit`
  // (docs/design.md "One transfer id, one partition"): the id routes like an
  // account id (partition_of its upper 64 bits) and must route to the debit
  // account's partition. Fast path: the same upper 64 bits, or one partition.
  bool owns_transfer_id(TransferId id, AccountId debit) const;

  // The ledger clock: the timestamp of the next command, max(last + 1,
  // append_time); advances last_timestamp().
  Timestamp next_timestamp(Timestamp append_time);
  Timestamp last_timestamp() const { return last_timestamp_; }

  // Accounts (all of the partition's accounts are in memory). A pointer or
  // reference to an account is valid until the next insert_account() or
  // load_account() (which may move every account).
  const Account* find_account(AccountId id) const;
  Account& mutable_account(AccountId id);  // REQUIRES: exists
  void insert_account(const Account& account);  // REQUIRES: absent

  // Transfers (those prefetched for the record, plus those created since).
  const Transfer* find_transfer(TransferId id) const;
  // The same for a transfer of the change list, without the hash probe
  // while its slot hint holds.
  const Transfer* find_transfer(const ChangedTransfer& c) const { return transfers_.find(c.id, c.slot); }
  Transfer& mutable_transfer(TransferId id);  // REQUIRES: present
  void insert_transfer(const Transfer& transfer);  // REQUIRES: absent

  // Sagas of this partition as a source, and credit legs as a destination.
  // As for accounts: a pointer or reference to a saga (a leg) is valid until
  // the next insert or load of a saga (a leg).
  const Saga* find_saga(TransferId id) const;
  Saga& mutable_saga(TransferId id);  // REQUIRES: present
  void insert_saga(const Saga& saga);  // REQUIRES: absent
  const SagaLeg* find_leg(Partition source, TransferId saga_id) const;
  void insert_leg(const SagaLeg& leg);  // REQUIRES: absent

  void add_history(const HistoryEntry& entry);
  void set_timer(const Timer& timer);
  void clear_timer(const Timer& timer);
  // Queues a command for `target`'s log; the sequence number is assigned here.
  void add_outbox(Partition target, const Command& command);
  uint64_t next_outbox_seq() const { return next_outbox_seq_; }

  // Linked chains. Scopes do not nest.
  void begin_scope();
  void commit_scope();
  void rollback_scope();
  bool in_scope() const { return scope_.has_value(); }

  const ChangeSet& changes() const { return changes_; }
  void clear_changes();

  // --- For the pipeline: loading state without recording changes. ---
  void load_account(const Account& account);
  void load_transfer(const Transfer& transfer);
  void load_saga(const Saga& saga);
  void load_leg(const SagaLeg& leg);
  void restore_clock(Timestamp last, uint64_t next_outbox_seq);
  // Drops cached transfers, sagas and legs (not accounts) to bound memory.
  // REQUIRES: no changes pending, not in a scope.
  void forget_cached();
  // Drops everything, accounts and clock included: the state as constructed
  // (a pipeline that hands its partition over frees it; recovering loads it
  // again from the store).
  void reset();
  size_t cached_transfers() const { return transfers_.size(); }
  size_t account_count() const { return accounts_.size(); }

 private:
  struct LegKey {
    uint32_t source;
    TransferId id;
    bool operator==(const LegKey&) const = default;
  };
  struct LegKeyHash {
    size_t operator()(const LegKey& k) const {
      return std::hash<TransferId>()(k.id) ^ (size_t{k.source} * 0x9E3779B97F4A7C15ull);
    }
  };
  // Undo records: the value before the scope first changed it (nullopt: absent).
  using Undo = std::variant<std::pair<AccountId, std::optional<Account>>,
                            std::pair<TransferId, std::optional<Transfer>>,
                            std::pair<TransferId, std::optional<Saga>>,
                            std::pair<LegKey, std::optional<SagaLeg>>>;
  struct Scope {
    std::vector<Undo> undo;
    size_t history, timers, outbox;
    uint64_t outbox_seq;
    size_t created_accounts = 0, created_transfers = 0;
  };

  template <class Id, class Set>
  static void mark(std::vector<Id>& list, Set& seen, Id id) {
    if (seen.insert(id).second) list.push_back(id);
  }

  const Partition self_;
  const uint32_t partition_count_;
  Timestamp last_timestamp_;
  uint64_t next_outbox_seq_ = 0;

  // Open addressing (boost's flat map): one cache miss per lookup where a
  // node-based map took two or three, which dominated with millions of
  // accounts (docs/benchmarks.md "Scaling"). Inserts may move every
  // account: no pointer or reference into it is held across an insert
  // (create_account and the sagas' ensure_transit insert, and hold none).
  boost::unordered_flat_map<AccountId, Account, std::hash<AccountId>> accounts_;
  TransferTable transfers_;
  // Open addressing too (docs/benchmarks.md "Timer scans only when
  // due", its last part); the same rule: no pointer into them is held across an insert
  // (insert_saga, insert_leg, the loads and a rollback insert).
  boost::unordered_flat_map<TransferId, Saga, std::hash<TransferId>> sagas_;
  boost::unordered_flat_map<LegKey, SagaLeg, LegKeyHash> legs_;

  ChangeSet changes_;
  boost::unordered_flat_set<AccountId, std::hash<AccountId>> dirty_accounts_;
  boost::unordered_flat_set<TransferId, std::hash<TransferId>> dirty_sagas_;
  std::optional<Scope> scope_;
};

}  // namespace tally
