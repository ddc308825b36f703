// PartitionStore: one partition's projection in its own RocksDB
// (DATA/partitions/<P>), in the format of projections/records.h.
//
// Writes come from that partition's pipeline thread, as one atomic
// WriteBatch per commit holding state + outcomes + timers + saga state +
// outbox + the next offset + the digest. The WAL is off for them:
// durability comes from the log. RocksDB flushes whole memtables in order,
// so what survives a crash is always a consistent prefix (state and offset
// together), and the pipeline replays the log from the stored offset. The
// pipeline flushes periodically (PipelineOptions::flush_interval), which
// bounds that replay.
//
// The outbox relay writes too: it removes the entries it delivered and
// records its progress. One exception to the WAL rule: commit_logged() writes through the store's WAL (without
// fsync), so the write survives a kill -9 of the process even when the
// memtable holding the commits before it does not. The relay records its
// progress that way (recovery/relay.h): operational keys outside the
// digest, which the state machine never reads.
//
// Reads (queries, the scheduler, the relay) may come from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "projections/records.h"
#include "projections/state.h"

namespace rocksdb {
class Status;
struct WriteOptions;
}  // namespace rocksdb

namespace tally {

struct StoreOptions {
  std::string dir;
  Partition partition;
  uint32_t partition_count = 0;
  size_t write_buffer_bytes = 32u << 20;
  bool create_if_missing = true;
  // Open without the write lock (tools beside a running `tally serve`).
  // Sees only what the writer has flushed; commit() fails.
  bool read_only = false;
  // Bulk mode, for a new store that one writer fills from the log and
  // nobody else writes (tally replay; docs/operations.md "Replay"): each
  // commit() becomes one sorted table file ingested into the store
  // (engine/storage/table_ingest.h) instead of memtable inserts, flushes
  // and compactions, and automatic compactions wait for finish_bulk().
  // The same keys and values as the normal path, the same atomicity per
  // commit (a crash leaves a prefix of the commits, as before). open()
  // refuses it for a store that exists already.
  bool bulk = false;
};

// One commit's worth of writes. Not thread-safe.
class StoreBatch {
 public:
  StoreBatch();
  ~StoreBatch();
  StoreBatch(const StoreBatch&) = delete;
  StoreBatch& operator=(const StoreBatch&) = delete;

  // Everything `state.changes()` lists, with the values `state` holds now;
  // call after each record. Accounts and history are gathered over the
  // calls and written by finish_changes(), once before the commit: each
  // changed account once, with its value then (one write per account per
  // commit, not per record), and each account's history entries in blocks
  // of up to kHistoryBlockEntries that may span the commit's records.
  void stage_changes(const PartitionState& state);
  void finish_changes(const PartitionState& state);
  void stage_outcomes(Offset offset, const OffsetOutcomes& outcomes);
  void stage_quarantine(const QuarantinedRecord& record);
  void stage_meta(const PartitionMeta& meta);
  void put(const std::string& key, const std::string& value);
  void remove(const std::string& key);
  // Outbox entries with a seq below `floor` are not written by
  // stage_changes: the relay delivered them before a crash rolled the
  // store back (recovery/relay.h). Kept across clear().
  void set_outbox_floor(uint64_t floor);
  size_t bytes() const;
  size_t count() const;
  void clear();

 private:
  friend class PartitionStore;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class PartitionStore {
 public:
  // Opens (or creates) the store. A new store gets a meta record for
  // `partition` of `partition_count`; an existing one must match both.
  static Result<std::unique_ptr<PartitionStore>> open(const StoreOptions& options);
  ~PartitionStore();
  PartitionStore(const PartitionStore&) = delete;
  PartitionStore& operator=(const PartitionStore&) = delete;

  const StoreOptions& options() const { return options_; }
  Result<PartitionMeta> meta() const;

  // Loads every account (created or rejected) into `state`; restores its clock.
  Status load(PartitionState& state) const;
  // Loads into `state` those of `ids` that exist as transfers and are not
  // loaded yet; likewise sagas (source side) and legs (destination side).
  Status prefetch_transfers(const std::vector<TransferId>& ids, PartitionState& state) const;
  Status prefetch_sagas(const std::vector<TransferId>& ids, PartitionState& state) const;
  Status prefetch_legs(const std::vector<std::pair<Partition, TransferId>>& ids,
                       PartitionState& state) const;

  // Applies the batch atomically; an error here is sticky: later commits
  // fail too (a ledger never moves past an offset it could not commit).
  Status commit(StoreBatch& batch);
  // As commit(), through the WAL (not fsync'd): survives a kill -9 of this
  // process without a flush. For small operational writes (relay progress).
  Status commit_logged(StoreBatch& batch);
  // The relay delivered every outbox entry below `seq` (its progress "R"):
  // flushes and compactions drop them from then on, so the relay need not
  // delete them (recovery/relay.h). Only rises; any thread.
  void outbox_delivered_below(uint64_t seq);
  // RocksDB keys (puts and deletes) this store's commits wrote since it
  // opened: what a step costs is mostly its keys (docs/benchmarks.md).
  uint64_t keys_written() const;
  // The earliest deadline among the timers ('W' keys) the commits since the
  // last call set, if any, and resets it: how the timer scheduler learns,
  // without reading the index, whether a commit set a timer due before the
  // next one it knows of (recovery/timer_scan.h). Published after each
  // successful write; one taker (the scheduler); any thread.
  std::optional<Timestamp> take_earliest_timer_set() const;
  // Persists memtables (clean shutdown; makes restart replay short). With
  // wait false, schedules the flush and returns (the periodic flush).
  Status flush(bool wait = true);
  // Ends bulk mode (StoreOptions::bulk): compacts the ingested files into
  // one sorted run when there are more than a few, and turns automatic
  // compactions back on. Nothing without bulk mode.
  Status finish_bulk();
  // finish_bulk() merges the bulk files when level 0 holds more than this
  // (RocksDB's default level0_file_num_compaction_trigger: a live store
  // compacts there too).
  static constexpr uint64_t kBulkLevel0Files = 4;
  // A consistent copy of the store as of now (a RocksDB checkpoint: the
  // memtables are flushed, then the files hard-linked or copied) in `dir`,
  // while commits go on. REQUIRES: `dir` does not exist; its parent does.
  Status checkpoint(const std::string& dir) const;

  // Point reads. nullopt when absent.
  Result<std::optional<Account>> account(AccountId id) const;
  Result<std::optional<Transfer>> transfer(TransferId id) const;
  Result<std::optional<Saga>> saga(TransferId id) const;
  Result<std::optional<SagaLeg>> leg(Partition source, TransferId id) const;
  Result<std::optional<OffsetOutcomes>> outcomes(Offset offset) const;
  Result<std::optional<std::string>> get(const std::string& key) const;

  // Ordered scans: calls `fn(key, value)` for keys in [from, to) ascending
  // (or descending from just below `to`) until it returns false or `limit`
  // calls were made (0 = no limit). Returns how many calls were made.
  Result<size_t> scan(const std::string& from, const std::string& to, bool descending,
                      size_t limit,
                      const std::function<bool(std::string_view, std::string_view)>& fn) const;

  // Approximate bytes on disk, for /metrics.
  uint64_t disk_bytes() const;

 private:
  struct Impl;
  PartitionStore(StoreOptions options, std::unique_ptr<Impl> impl);
  Status write(StoreBatch& batch, bool logged);
  StoreOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally
