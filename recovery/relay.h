// OutboxRelay: appends the commands that applying produced for the log
// (saga steps and replies; docs/design.md "Exactly once") and retires them from
// the outbox once the log has them.
//
// The outbox of partition P is the keys 'Q' seq(8) in P's store, each
// holding the entries of one commit (up to kOutboxEntriesPerKey) under the
// seq of its last, written by the pipeline in the same RocksDB write as the
// state that produced them, so an entry exists exactly when its cause is
// committed.
// A round of the relay's thread visits every partition, which
//   1. reads entries in seq order from the relay's progress, at most
//      max_entries_per_tick;
// then the round
//   2. groups the entries of all partitions by target partition into
//      records (at most kMaxBatchCommands commands and the log's record
//      size; a record may hold entries of several sources, each source's in
//      seq order), and appends them all in one call through the node's
//      circuit-broken log: one group commit per round, whatever the number
//      of partitions (tick(p) does the same for one partition);
//   3. on success stores each partition's progress "R" in one small write of its own,
//      through the store's WAL (PartitionStore::commit_logged): it survives
//      a kill -9 that rolls the rest of the store back to its last flush.
//      The relayed entries are not deleted key by key: everything reads the
//      outbox from "R" on, and the store's flushes and compactions drop the
//      entries below it (PartitionStore::outbox_delivered_below). The pipeline, replaying
//      the records that staged entries below "R", does not stage them again
//      (StoreBatch::set_outbox_floor), so an entry the log already holds is
//      not appended again: what a crash re-sends is bounded by what was in
//      flight (appended, "R" not yet written), not by history.
// A failed append keeps the entries and retries with exponential backoff and
// jitter; after backoff.max_attempts failures they are reported stuck
// (listed, counted) and retried every backoff.max until they go through.
//
// Delivery is at least once. A crash between the append and the write of
// "R" sends the same entries again, and so does a power loss that takes
// the unsynced WAL (back to the last flush). Receivers are idempotent by contract: every outbox
// command carries an id derived from what caused it (a saga's id, the
// pending transfer's id), and applying it a second time is answered
// `exists` or as already settled, changing nothing (docs/recovery.md).
//
// Relay progress and the outbox are operational state, outside the
// partition's digest: the digest covers what was applied, not what was
// delivered. The progress key "R" is version 1: byte 1, then the next seq
// to relay as u64 little-endian. Because RocksDB keeps a prefix of writes
// across a crash, a surviving "R" implies every entry below it was
// delivered; scans start there instead of walking deleted keys.
//
// Thread safety: as TimerScheduler: start()/stop() by the owner, wake(),
// stuck() and stats() from any thread, tick() only while not running.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/log/log.h"
#include "projections/store.h"
#include "recovery/backoff.h"
#include "recovery/in_flight.h"
#include "recovery/partition_loop.h"
#include "recovery/stuck.h"
#include "recovery/waker.h"

namespace tally {

struct RelayOptions {
  BackoffPolicy backoff;                  // retries of a failed append; stuck after max_attempts
  size_t max_entries_per_tick = 65'536;   // entries read per partition per tick
  size_t max_stuck_listed = 100;          // stuck entries listed per partition (all are counted)
  std::chrono::milliseconds max_sleep{5'000};  // longest sleep: a safety net
  uint64_t jitter_seed = 0;               // 0: a random seed
};

struct RelayDeps {
  std::vector<PartitionStore*> stores;  // one per partition, in order
  Log* log = nullptr;
  std::function<Timestamp()> clock;     // wall clock; default: the system clock
  // Whether this process serves the partition now: a member of a consumer
  // group serves only the partitions assigned to it (engine/node/node.h,
  // acquire/release). Default: every partition.
  std::function<bool(Partition)> serves;
  // Commands appended, reported per record (recovery/in_flight.h); may be null.
  InFlight* in_flight = nullptr;
};

struct RelayStats {
  uint64_t relayed = 0;         // entries appended (the progress R passed them)
  uint64_t appends = 0;         // successful appends
  uint64_t append_failures = 0;
  uint64_t append_micros = 0;   // time spent in the log's append calls, successful or not
  uint64_t stuck = 0;           // entries stuck now
  uint64_t pending = 0;         // entries waiting now (from each store's outbox seq)
  Status error;                 // the last error of any partition that is failing now, or ok
};

struct RelayTickReport {
  size_t read = 0;      // entries read
  size_t relayed = 0;   // entries appended (the progress R passed them)
  size_t records = 0;   // records appended
  bool failed = false;
};

// The relay progress value ("R"): the next seq to relay.
std::string encode_relay_progress(uint64_t next_seq);
Result<uint64_t> decode_relay_progress(std::string_view value);

// Removes the outbox entries with seq in [from, to) from `store` (the keys
// holding only entries below `to`) and records `to` as the relay progress
// there; returns how many entries at or above `from` it removed.
// For a rebuilt copy of a partition whose relay has delivered up to `to`.
Result<uint64_t> drop_delivered(PartitionStore& store, uint64_t from, uint64_t to);

class OutboxRelay {
 public:
  // REQUIRES: deps.stores.size() == deps.log->partition_count(); stores and
  // log outlive the relay.
  OutboxRelay(RelayDeps deps, RelayOptions options);
  ~OutboxRelay();
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  void start();
  // Returns once the thread has finished its tick: nothing is appended after.
  void stop();
  bool running() const { return loop_.running(); }
  // The partition's outbox grew: relay it on the next tick.
  void wake(Partition partition);
  // Returns once no tick of `partition` runs. Once deps.serves(partition)
  // is false, no new tick starts, and stuck() and stats() leave it out.
  // Its outbox stays in its store: the process that serves the partition
  // now relays its own copy (docs/operations.md "Several serve processes").
  void wait_idle(Partition partition);

  // One tick of `partition`. REQUIRES: !running().
  Result<RelayTickReport> tick(Partition partition);

  std::vector<StuckOperation> stuck(size_t limit) const;
  RelayStats stats() const;
  // The next seq the relay will send from `partition`.
  uint64_t next_seq(Partition partition) const;
  // The same without waiting for a tick in progress (2^64 - 1 until the
  // progress was first read): entries below it are delivered. Any thread.
  uint64_t relayed_below(Partition partition) const;

  // The relay's progress in `partition` (entries below it were delivered),
  // read from the store the first time. Any thread.
  Result<uint64_t> progress(Partition partition);
  // Moves `partition` to `store`, a copy of its projection rebuilt from the
  // log (Node::rebuild), which holds every outbox entry ever staged. The
  // entries below the relay's progress were delivered from the old store:
  // they are removed from `store` (those below `removed_below` are gone
  // already, see drop_delivered) and the progress is recorded there, so
  // nothing is sent twice; later ticks read and remove from `store`. Runs
  // between two ticks, from any thread. Returns how many entries it removed.
  // REQUIRES: `store` outlives the relay.
  Result<uint64_t> switch_store(Partition partition, PartitionStore& store, uint64_t removed_below);

 private:
  struct Work;
  typename PartitionLoop<Work>::Hooks hooks();
  static std::vector<std::unique_ptr<Work>> make_work(size_t partitions, const RelayOptions& options);
  bool stage_locked(uint32_t p, Work& w, Timestamp now);
  Timestamp send_round(Timestamp now);
  void send_staged(const std::vector<uint32_t>& sources, Timestamp now);
  void delivered_locked(uint32_t p, Work& w);
  Status load_progress(PartitionStore& store, Work& w);
  Status read_entries(uint32_t p, const Work& w, std::vector<OutboxEntry>& entries, Status& bad) const;
  Result<size_t> append_entries(const std::vector<uint32_t>& sources);
  void failed(uint32_t p, Work& w, const Status& error, const std::vector<OutboxEntry>& entries,
              Timestamp now);
  Timestamp next_wake_locked(const Work& w, Timestamp now) const;
  bool serves(uint32_t p) const;

  RelayDeps deps_;  // stores[p] is GUARDED_BY(loop_.at(p).mu) (switch_store)
  const RelayOptions options_;
  PartitionLoop<Work> loop_;  // the thread and one Work per partition, each with its own mutex
  std::atomic<uint64_t> relayed_{0}, appends_{0}, append_failures_{0}, append_micros_{0};
};

}  // namespace tally
