#include "projections/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "engine/core/bytes.h"
#include "engine/core/thread_annotations.h"
#include "engine/storage/rocks_support.h"
#include "engine/storage/sorted_batch.h"
#include "engine/storage/table_ingest.h"
#include "projections/list_index.h"
#include "projections/store_index.h"
#include "projections/transfer_bounds.h"

namespace tally {
namespace {

Status from_rocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNoSpace()) return Status::ResourceExhausted(what + ": disk full: " + s.ToString());
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return Status::FailedPrecondition(what + ": " + s.ToString() +
                                      " (is another tally process using this directory?)");
  }
  return Status::IoError(what + ": " + s.ToString());
}

// Insertion hints for the memtable: keys that arrive in order within a
// prefix (transfer ids, which producers usually make time-ordered; an
// index value's blocks) insert next to the previous one instead of
// searching the skiplist from the top. Prefix: tag + field + value for
// index keys, the tag byte for everything else. Not per account for
// history: a commit writes one history block per account it touched, so
// an account's hint was used about once per memtable, while RocksDB keeps
// one hint per prefix in a map beside the memtable: with 10,000,000
// accounts, a map entry made and looked up for nearly every history key
// (8% of a pipeline thread's samples in that apply; 0.2% without it,
// docs/benchmarks.md "Scaling").
class HintPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "tally.HintPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    size_t n = 1;
    if (is_index_key(std::string_view(key.data(), key.size()))) n = 18;  // tag + field + value
    return rocksdb::Slice(key.data(), std::min(n, key.size()));
  }
  bool InDomain(const rocksdb::Slice& key) const override { return !key.empty(); }
};

// Outbox entries the relay delivered (seq below its progress "R") are
// dropped when a flush or a compaction writes them out, instead of being
// deleted one by one: a delete is a key of its own, and two of them per saga
// were an eighth of a saga's writes. Reads never see the difference: the
// relay and every other reader start at "R". The floor only rises, and only
// after the log holds the entries (OutboxRelay), so nothing undelivered is
// dropped; after a crash the floor starts from the stored "R" again.
class DeliveredOutbox final : public rocksdb::CompactionFilter {
 public:
  explicit DeliveredOutbox(uint64_t below) : below_(below) {}
  const char* Name() const override { return "tally.DeliveredOutbox"; }
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*, bool*) const override {
    return key.size() == 9 && key[0] == 'Q' && get_be64(key.data() + 1) < below_;
  }

 private:
  const uint64_t below_;
};

class DeliveredOutboxFactory final : public rocksdb::CompactionFilterFactory {
 public:
  explicit DeliveredOutboxFactory(std::shared_ptr<std::atomic<uint64_t>> below) : below_(std::move(below)) {}
  const char* Name() const override { return "tally.DeliveredOutboxFactory"; }
  bool ShouldFilterTableFileCreation(rocksdb::TableFileCreationReason reason) const override {
    return reason == rocksdb::TableFileCreationReason::kFlush ||
           reason == rocksdb::TableFileCreationReason::kCompaction;
  }
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context&) override {
    return std::make_unique<DeliveredOutbox>(below_->load(std::memory_order_acquire));
  }

 private:
  std::shared_ptr<std::atomic<uint64_t>> below_;
};

std::shared_ptr<rocksdb::Cache> shared_cache() {
  static std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(256u << 20);
  return cache;
}

rocksdb::Options make_options(const StoreOptions& o, std::shared_ptr<std::atomic<uint64_t>> delivered) {
  rocksdb::Options ro;
  ro.compaction_filter_factory = std::make_shared<DeliveredOutboxFactory>(std::move(delivered));
  ro.create_if_missing = o.create_if_missing;
  // RocksDB's lines go to stderr, not to a LOG file on the disk that may
  // be full (engine/storage/rocks_support.h).
  ro.info_log = make_rocks_logger("partition store " + std::to_string(o.partition.value));
  ro.write_buffer_size = o.write_buffer_bytes;
  ro.max_write_buffer_number = 4;
  ro.max_background_jobs = 2;
  ro.memtable_prefix_bloom_size_ratio = 0.05;
  ro.memtable_whole_key_filtering = true;
  ro.memtable_insert_with_hint_prefix_extractor = std::make_shared<HintPrefix>();
  ro.allow_concurrent_memtable_write = false;  // one writer per partition; hints need it
  // Fresh data (L0, L1) is rewritten soon by compaction: don't spend CPU
  // compressing it; compress the levels where data settles.
  ro.compression_per_level = {rocksdb::kNoCompression, rocksdb::kNoCompression,
                              rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                              rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                              rocksdb::kLZ4Compression};
  ro.level0_slowdown_writes_trigger = 40;
  ro.level0_stop_writes_trigger = 64;
  // Every partition's store (and the embedded log) shares the process's
  // background threads, so the pools grow with the cores (2 each up to 8
  // cores, as before; 16 cores: 2 and 4). Fixed at 2 each, a 16-core node
  // ran every partition's flushes and compactions on 4 threads: measured
  // here, flushes take about a tenth and compactions a sixth of the CPU of
  // a busy partition, so 2 compaction threads serve about 10 of them, and
  // past that L0 can grow until it slows every store's writes
  // (docs/benchmarks.md "Scaling").
  static const bool pools = [] {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    rocksdb::Env::Default()->SetBackgroundThreads(std::max(2, cores / 8), rocksdb::Env::Priority::HIGH);
    rocksdb::Env::Default()->SetBackgroundThreads(std::max(2, cores / 4), rocksdb::Env::Priority::LOW);
    return true;
  }();
  (void)pools;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = shared_cache();
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = true;
  t.cache_index_and_filter_blocks = false;
  ro.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  // Bulk mode: the commits arrive as ingested files; they are compacted
  // once, by finish_bulk(), not again and again on the way.
  ro.disable_auto_compactions = o.bulk;
  return ro;
}

}  // namespace

struct StoreBatch::Impl {
  StagedWrites wb;  // sorted by the store's BatchSorter when written
  std::string value;  // reused encoding buffer
  // Gathered by stage_changes, written by finish_changes (see store.h).
  // The maps only find an id's slot; the vectors keep first-touch order,
  // and nothing iterates the maps.
  std::vector<AccountId> accounts;
  std::unordered_map<AccountId, uint32_t> account_seen;
  struct Bucket {
    AccountId account;
    HistoryBlock block;  // entries not yet written, ascending timestamps
  };
  std::vector<Bucket> history;  // first-touch order; capacity reused across commits
  size_t history_used = 0;
  std::unordered_map<AccountId, uint32_t> history_slot;
  void emit_history(Bucket& b);
  // The list indexes (projections/list_index.h), gathered the same way:
  // one bucket per (tag, term) per commit, first-touch order.
  struct IndexBucket {
    char tag = 0;
    IndexTerm term;
    IndexBlock block;
  };
  struct TermKey {
    char tag;
    IndexTerm term;
    bool operator==(const TermKey&) const = default;
  };
  struct TermHash {
    size_t operator()(const TermKey& k) const {
      return std::hash<uint64_t>()(u128_lo(k.term.value) ^ (u128_hi(k.term.value) * 31)) ^ (size_t{static_cast<uint8_t>(k.tag)} << 8) ^
             (size_t{static_cast<uint8_t>(k.term.field)} * 0x9E3779B97F4A7C15ull);
    }
  };
  std::vector<IndexBucket> index;
  size_t index_used = 0;
  std::unordered_map<TermKey, uint32_t, TermHash> index_slot;
  void add_index(char tag, const IndexTerms& terms, Timestamp ts, u128 id);
  void emit_index(IndexBucket& b);
  void finish_index();
  // The greatest transfer id this batch writes (0: none); see
  // PartitionStore::Impl::max_transfer.
  u128 max_transfer = 0;
  std::vector<TransferId> transfers;  // every 'T' key this batch writes, for TransferBounds
  void note_transfer(u128 id) {
    max_transfer = std::max(max_transfer, id);
    transfers.push_back(TransferId(id));
  }
  uint64_t outbox_floor = 0;  // see set_outbox_floor
  // The commit's outbox entries, written by finish_changes as one key per
  // kOutboxEntriesPerKey (a key per entry was two of a saga's nine keys).
  std::vector<OutboxEntry> outbox;
  void emit_outbox();
  // The earliest deadline of a timer this batch sets (UINT64_MAX: none);
  // see PartitionStore::take_earliest_timer_set.
  uint64_t earliest_timer = UINT64_MAX;
  void note_timer(uint64_t deadline_ns) { earliest_timer = std::min(earliest_timer, deadline_ns); }
};

StoreBatch::StoreBatch() : impl_(std::make_unique<Impl>()) {}
StoreBatch::~StoreBatch() = default;

void StoreBatch::put(const std::string& key, const std::string& value) {
  if (key.size() == 17 && key[0] == 'T') impl_->note_transfer(get_be128(key.data() + 1));
  if (key.size() == keys::kTimerKeySize && key[0] == 'W') impl_->note_timer(get_be64(key.data() + 1));
  impl_->wb.put(key, value);
}
void StoreBatch::remove(const std::string& key) { impl_->wb.remove(key); }
void StoreBatch::set_outbox_floor(uint64_t floor) { impl_->outbox_floor = floor; }
size_t StoreBatch::bytes() const { return impl_->wb.data_size(); }
size_t StoreBatch::count() const { return impl_->wb.count(); }
void StoreBatch::clear() {
  impl_->wb.clear();
  impl_->outbox.clear();
  impl_->max_transfer = 0;
  impl_->transfers.clear();
  impl_->earliest_timer = UINT64_MAX;
  impl_->accounts.clear();
  impl_->account_seen.clear();
  for (size_t i = 0; i < impl_->history_used; i++) impl_->history[i].block.entries.clear();
  impl_->history_used = 0;
  impl_->history_slot.clear();
  for (size_t i = 0; i < impl_->index_used; i++) impl_->index[i].block.entries.clear();
  impl_->index_used = 0;
  impl_->index_slot.clear();
}

void StoreBatch::Impl::add_index(char tag, const IndexTerms& terms, Timestamp ts, u128 id) {
  for (const IndexTerm& term : terms) {
    auto [it, fresh] = index_slot.try_emplace(TermKey{tag, term}, static_cast<uint32_t>(index_used));
    if (fresh) {
      if (index_used == index.size()) index.emplace_back();
      index[index_used].tag = tag;
      index[index_used++].term = term;
    }
    IndexBucket& b = index[it->second];
    // Records are created in time order, so a bucket's entries ascend.
    assert(b.block.entries.empty() || b.block.entries.back().timestamp < ts);
    b.block.entries.push_back({ts, id});
    if (b.block.entries.size() == kIndexBlockEntries) emit_index(b);
  }
}

void StoreBatch::Impl::emit_index(IndexBucket& b) {
  assert(!b.block.entries.empty());
  const std::string k = keys::index(b.tag, b.term, b.block.entries.front().timestamp);
  encode_to(value, b.block);
  wb.put(k, value);
  b.block.entries.clear();
}

void StoreBatch::Impl::finish_index() {
  for (size_t i = 0; i < index_used; i++) {
    if (!index[i].block.entries.empty()) emit_index(index[i]);
  }
  index_used = 0;
  index_slot.clear();
}

void StoreBatch::Impl::emit_history(Bucket& b) {
  assert(!b.block.entries.empty() && b.block.entries.size() <= kHistoryBlockEntries);
  const keys::KeyBuf k = keys::history_key(b.account, b.block.entries.front().timestamp);
  encode_to(value, b.block);
  wb.put(rocksdb::Slice(k.data, k.size), value);
  b.block.entries.clear();
}

void StoreBatch::stage_changes(const PartitionState& state) {
  const ChangeSet& c = state.changes();
  auto& wb = impl_->wb;
  std::string& value = impl_->value;
  for (AccountId id : c.accounts) {
    if (impl_->account_seen.try_emplace(id, 0).second) impl_->accounts.push_back(id);
  }
  for (const ChangedTransfer& changed : c.transfers) {
    const TransferId id = changed.id;
    const Transfer* t = state.find_transfer(changed);
    if (t == nullptr) continue;
    const keys::KeyBuf k = keys::tagged('T', id.value());
    encode_to(value, *t);
    wb.put(rocksdb::Slice(k.data, k.size), value);
    impl_->note_transfer(id.value());
    if (t->state == PendingState::pending) {
      wb.put(keys::pending(id), "");
    } else if (t->state != PendingState::none) {
      wb.remove(keys::pending(id));
    }
  }
  for (TransferId id : c.sagas) {
    const Saga* s = state.find_saga(id);
    if (s == nullptr) continue;
    // As it began, the saga is its reservation transfer, written by this
    // commit too (model.h started_saga): no 'S' key until it changes.
    if (const Transfer* t = state.find_transfer(id); t != nullptr && started_saga(*t, state.partition_count()) == *s) {
      continue;
    }
    // No in-flight index of its own: an in-flight saga is the one with a
    // saga_deadline timer (count_sagas, recovery/saga_status.h).
    wb.put(keys::saga(id), encode(*s));
  }
  for (const auto& [source, id] : c.legs) {
    const SagaLeg* l = state.find_leg(source, id);
    if (l == nullptr) continue;
    if (l->decision == LegDecision::credited) {
      // Its credit transfer, written by this commit too, stands for it (model.h credited_leg).
      assert(state.find_transfer(id) != nullptr &&
             credited_leg(*state.find_transfer(id), source, state.partition_count()) == *l);
      continue;
    }
    wb.put(keys::leg(source, id), encode(*l));
  }
  // History: each account's entries arrive in time order (records apply in
  // order, a record's entries in order), so they go to its bucket, and a
  // full bucket becomes a block at once.
  for (const HistoryEntry& h : c.history) {
    auto [it, fresh] = impl_->history_slot.try_emplace(h.account, impl_->history_used);
    if (fresh) {
      if (impl_->history_used == impl_->history.size()) impl_->history.emplace_back();
      impl_->history[impl_->history_used++].account = h.account;
    }
    Impl::Bucket& b = impl_->history[it->second];
    assert(b.account == h.account);
    // A block's entries ascend: its key is its first entry's timestamp.
    assert(b.block.entries.empty() || b.block.entries.back().timestamp <= h.timestamp);
    b.block.entries.push_back({h.timestamp, h.transfer, h.has_balances, h.balances});
    if (b.block.entries.size() == kHistoryBlockEntries) impl_->emit_history(b);
  }
  // The list indexes: what the record created, as it stands after the
  // record (a rejection or a rolled-back insert is not indexed).
  for (AccountId id : c.created_accounts) {
    if (const Account* a = state.find_account(id)) {
      impl_->add_index(kAccountIndexTag, index_terms(*a), a->timestamp, id.value());
    }
  }
  for (const ChangedTransfer& created : c.created_transfers) {
    if (const Transfer* t = state.find_transfer(created)) {
      impl_->add_index(kTransferIndexTag, index_terms(*t), t->timestamp, created.id.value());
    }
  }
  std::string routing(16, '\0');
  for (const ChangeSet::TimerOp& op : c.timers) {
    if (op.set) {
      impl_->note_timer(op.timer.deadline.ns);
      put_be128(routing.data(), op.timer.routing.value());
      wb.put(keys::timer(op.timer), routing);
    } else {
      wb.remove(keys::timer(op.timer));
    }
  }
  for (size_t i = 0; i < c.outbox.size(); i++) {
    const OutboxEntry& e = c.outbox[i];
    assert(i == 0 || c.outbox[i - 1].seq < e.seq);  // one sequence, ascending
    assert(impl_->outbox.empty() || impl_->outbox.back().seq < e.seq);
    if (e.seq >= impl_->outbox_floor) impl_->outbox.push_back(e);
  }
}

void StoreBatch::Impl::emit_outbox() {
  const std::span<const OutboxEntry> all(outbox);
  for (size_t i = 0; i < all.size(); i += kOutboxEntriesPerKey) {
    const auto chunk = all.subspan(i, std::min(kOutboxEntriesPerKey, all.size() - i));
    encode_outbox_entries_to(value, chunk);
    wb.put(keys::outbox(chunk.back().seq), value);
  }
  outbox.clear();
}

void StoreBatch::finish_changes(const PartitionState& state) {
  auto& wb = impl_->wb;
  std::string& value = impl_->value;
  for (AccountId id : impl_->accounts) {
    const Account* a = state.find_account(id);
    if (a == nullptr) continue;
    const keys::KeyBuf k = keys::tagged('A', id.value());
    encode_to(value, *a);
    wb.put(rocksdb::Slice(k.data, k.size), value);
  }
  impl_->accounts.clear();
  impl_->account_seen.clear();
  for (size_t i = 0; i < impl_->history_used; i++) {
    Impl::Bucket& b = impl_->history[i];
    if (!b.block.entries.empty()) impl_->emit_history(b);
  }
  impl_->history_used = 0;
  impl_->history_slot.clear();
  impl_->finish_index();
  impl_->emit_outbox();
}

void StoreBatch::stage_outcomes(Offset offset, const OffsetOutcomes& outcomes) {
  impl_->wb.put(keys::outcomes(offset), encode(outcomes));
}

void StoreBatch::stage_quarantine(const QuarantinedRecord& record) {
  impl_->wb.put(keys::quarantine(record.offset), encode(record));
}

void StoreBatch::stage_meta(const PartitionMeta& meta) { impl_->wb.put(keys::kMeta, encode(meta)); }

struct PartitionStore::Impl {
  std::unique_ptr<rocksdb::DB> db;
  tally::Mutex mu;
  Status sticky GUARDED_BY(mu);
  std::atomic<uint64_t> keys_written{0};
  // The earliest deadline of the timers committed since the scheduler last
  // took it (UINT64_MAX: none); see take_earliest_timer_set.
  std::atomic<uint64_t> earliest_timer{UINT64_MAX};
  // Outbox entries below this seq were delivered (DeliveredOutbox).
  std::shared_ptr<std::atomic<uint64_t>> outbox_delivered = std::make_shared<std::atomic<uint64_t>>(0);
  // The last write the disk refused (full, read-only), until a commit
  // succeeds again; not sticky: RocksDB keeps the refused batch out of the
  // store.
  rocksdb::Status disk_error GUARDED_BY(mu);
  std::chrono::steady_clock::time_point last_resume GUARDED_BY(mu) = {};
  std::shared_ptr<DiskErrorListener> errors;  // commit() resumes; RocksDB's own recovery is off
  // No stored transfer has an id above this (an upper bound: the greatest
  // 'T' key at open, raised by every commit that writes one). Every 'T' key
  // is written through commit(), and this process holds the store's write
  // lock, so a transfer id above it is known absent without a read: the
  // prefetch of new transfers (usually all of a record's, since producers
  // make ids grow) skips the MultiGet.
  u128 max_transfer GUARDED_BY(mu) = 0;
  // Puts each commit's keys in order before the memtable sees them.
  BatchSorter sorter GUARDED_BY(mu);
  // Per id group, the greatest stored transfer (projections/transfer_bounds.h).
  TransferBounds bounds GUARDED_BY(mu);
  // Teaches `bounds` the groups of `ids` it does not know, one seek each,
  // at most TransferBounds::kLearnsPerPrefetch of them.
  Status learn_groups(const std::vector<TransferId>& ids, const std::string& dir) REQUIRES(mu);
  // Bulk mode (StoreOptions::bulk) while it lasts: each commit is ingested.
  std::unique_ptr<TableIngest> ingest GUARDED_BY(mu);
  // write()'s two ways into RocksDB for a commit's batch `wb`: a sorted
  // WriteBatch, or (bulk mode) an ingested table file.
  rocksdb::Status write_sorted(const StagedWrites& wb, const rocksdb::WriteOptions& wo) REQUIRES(mu);
  rocksdb::Status ingest_sorted(const StagedWrites& wb) REQUIRES(mu);
};

namespace {

// Stores written before 2026-12 kept an in-flight saga index ('F' keys,
// records.h); the saga_deadline timers say the same, so it is no longer
// written. Its leftovers are removed once, in one synced write, so that a
// store and its rebuild from the log hold the same keys.
Status drop_retired_index(rocksdb::DB& db, const std::string& dir) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  it->Seek("F");
  if (!it->status().ok()) return from_rocks(it->status(), "opening the projection store at " + dir);
  if (!it->Valid() || !it->key().starts_with("F")) return Status::Ok();
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return from_rocks(db.DeleteRange(wo, db.DefaultColumnFamily(), "F", "G"),
                    "removing the retired in-flight index of " + dir);
}

}  // namespace

PartitionStore::PartitionStore(StoreOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}

PartitionStore::~PartitionStore() = default;

Result<std::unique_ptr<PartitionStore>> PartitionStore::open(const StoreOptions& options) {
  TALLY_RETURN_IF_ERROR(check_current_file(
      options.dir, "the projection store of partition " + std::to_string(options.partition.value),
      "Rebuild it from the log with tally replay, or restore it from a checkpoint "
      "(docs/operations.md, \"When the disk fails\")"));
  rocksdb::DB* raw = nullptr;
  auto delivered = std::make_shared<std::atomic<uint64_t>>(0);
  rocksdb::Options ro = make_options(options, delivered);
  auto errors = std::make_shared<DiskErrorListener>();
  ro.listeners.push_back(errors);
  const rocksdb::Status s = options.read_only ? rocksdb::DB::OpenForReadOnly(ro, options.dir, &raw)
                                              : rocksdb::DB::Open(ro, options.dir, &raw);
  if (!s.ok()) return from_rocks(s, "opening the projection store at " + options.dir);
  auto impl = std::make_unique<Impl>();
  impl->db.reset(raw);
  impl->errors = std::move(errors);
  impl->outbox_delivered = std::move(delivered);
  {
    // The last 'T' key, if any: the greatest stored transfer id.
    std::unique_ptr<rocksdb::Iterator> it(raw->NewIterator(rocksdb::ReadOptions()));
    it->SeekForPrev(rocksdb::Slice("T\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 17));
    if (it->Valid() && it->key().size() == 17 && it->key()[0] == 'T') {
      tally::MutexLock lock(impl->mu);  // not shared yet; the lock is for the analysis
      impl->max_transfer = get_be128(it->key().data() + 1);
    } else if (!it->status().ok()) {
      return from_rocks(it->status(), "opening the projection store at " + options.dir);
    }
  }
  std::unique_ptr<PartitionStore> store(new PartitionStore(options, std::move(impl)));

  std::string meta;
  const rocksdb::Status g = raw->Get(rocksdb::ReadOptions(), keys::kMeta, &meta);
  if (g.IsNotFound()) {
    if (options.read_only) {
      return Status::NotFound("no projection at " + options.dir);
    }
    PartitionMeta m;
    m.partition = options.partition;
    m.partition_count = options.partition_count;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    TALLY_RETURN_IF_ERROR(from_rocks(raw->Put(wo, keys::kMeta, encode(m)), "creating " + options.dir));
    TALLY_RETURN_IF_ERROR(ensure_list_indexes(*raw, options.dir, /*created=*/true));
    if (options.bulk) {
      tally::MutexLock lock(store->impl_->mu);
      store->impl_->ingest = std::make_unique<TableIngest>(ro, options.dir);
    }
    return store;
  }
  if (options.bulk) {
    return Status::FailedPrecondition("bulk mode is for a new store; the projection at " + options.dir +
                                      " exists already");
  }
  TALLY_RETURN_IF_ERROR(from_rocks(g, "reading " + options.dir));
  TALLY_ASSIGN_OR_RETURN(PartitionMeta m, decode_meta(meta));
  if (m.partition != options.partition || m.partition_count != options.partition_count) {
    return Status::InvalidArgument(
        "the projection at " + options.dir + " is partition " + std::to_string(m.partition.value) +
        " of " + std::to_string(m.partition_count) + ", not " +
        std::to_string(options.partition.value) + " of " + std::to_string(options.partition_count));
  }
  if (!options.read_only) {
    TableIngest::remove_leftover(options.dir);  // a bulk replay killed while it built a file
    TALLY_RETURN_IF_ERROR(drop_retired_index(*raw, options.dir));
    TALLY_RETURN_IF_ERROR(ensure_list_indexes(*raw, options.dir, /*created=*/false));
  }
  return store;
}

Result<PartitionMeta> PartitionStore::meta() const {
  std::string v;
  TALLY_RETURN_IF_ERROR(from_rocks(impl_->db->Get(rocksdb::ReadOptions(), keys::kMeta, &v),
                                   "reading meta of " + options_.dir));
  return decode_meta(v);
}

Status PartitionStore::load(PartitionState& state) const {
  TALLY_ASSIGN_OR_RETURN(PartitionMeta m, meta());
  state.restore_clock(m.last_timestamp, m.next_outbox_seq);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("A"); it->Valid() && it->key().starts_with("A"); it->Next()) {
    auto a = decode_account(std::string_view(it->value().data(), it->value().size()));
    if (!a.ok()) return a.status().with_context(options_.dir);
    state.load_account(*a);
  }
  return from_rocks(it->status(), "loading accounts from " + options_.dir);
}

namespace {

// MultiGet of `keys`; calls fn(index, value) for each one found.
template <class Fn>
Status multi_get(rocksdb::DB& db, const std::vector<std::string>& keys, const std::string& dir,
                 Fn&& fn) {
  if (keys.empty()) return Status::Ok();
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db.MultiGet(rocksdb::ReadOptions(), db.DefaultColumnFamily(), keys.size(), slices.data(),
              values.data(), statuses.data(), /*sorted_input=*/true);
  for (size_t i = 0; i < keys.size(); i++) {
    if (statuses[i].IsNotFound()) continue;
    TALLY_RETURN_IF_ERROR(from_rocks(statuses[i], "prefetching from " + dir));
    TALLY_RETURN_IF_ERROR(fn(i, std::string_view(values[i].data(), values[i].size())));
  }
  return Status::Ok();
}

}  // namespace

Status PartitionStore::prefetch_transfers(const std::vector<TransferId>& ids,
                                          PartitionState& state) const {
  std::vector<std::string> wanted;
  {
    tally::MutexLock lock(impl_->mu);
    std::vector<TransferId> unknown;  // in a group the bounds do not know yet
    for (TransferId id : ids) {
      if (id.is_zero() || id.value() > impl_->max_transfer || state.find_transfer(id) != nullptr) continue;
      const std::optional<bool> absent = impl_->bounds.known_absent(id);
      if (!absent) {
        unknown.push_back(id);
      } else if (!*absent) {
        wanted.push_back(keys::transfer(id));
      }
    }
    if (!unknown.empty()) {
      TALLY_RETURN_IF_ERROR(impl_->learn_groups(unknown, options_.dir));
      for (TransferId id : unknown) {
        const std::optional<bool> absent = impl_->bounds.known_absent(id);
        if (!absent || !*absent) wanted.push_back(keys::transfer(id));
      }
    }
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  return multi_get(*impl_->db, wanted, options_.dir, [&](size_t, std::string_view v) -> Status {
    TALLY_ASSIGN_OR_RETURN(Transfer t, decode_transfer(v));
    state.load_transfer(t);
    return Status::Ok();
  });
}

Status PartitionStore::Impl::learn_groups(const std::vector<TransferId>& ids, const std::string& dir) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  std::optional<uint64_t> last;
  size_t learned = 0;
  for (TransferId id : ids) {
    const uint64_t group = id.hi();
    if (last == group || bounds.known_absent(id)) continue;
    if (learned++ == TransferBounds::kLearnsPerPrefetch) break;  // the rest: read by id
    last = group;
    // The group's last 'T' key: 'T', group (8, BE), n (8, BE).
    keys::KeyBuf k = keys::tagged('T', make_u128(group, ~uint64_t{0}));
    it->SeekForPrev(rocksdb::Slice(k.data, k.size));
    TALLY_RETURN_IF_ERROR(from_rocks(it->status(), "reading " + dir));
    std::optional<uint64_t> max_n;
    if (it->Valid() && it->key().size() == 17 && it->key()[0] == 'T') {
      const u128 found = get_be128(it->key().data() + 1);
      if (u128_hi(found) == group) max_n = u128_lo(found);
    }
    bounds.learn(group, max_n);
  }
  return Status::Ok();
}

Status PartitionStore::prefetch_sagas(const std::vector<TransferId>& ids,
                                      PartitionState& state) const {
  std::vector<std::string> wanted;
  for (TransferId id : ids) {
    if (state.find_saga(id) == nullptr) wanted.push_back(keys::saga(id));
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  TALLY_RETURN_IF_ERROR(multi_get(*impl_->db, wanted, options_.dir, [&](size_t, std::string_view v) -> Status {
    TALLY_ASSIGN_OR_RETURN(Saga s, decode_saga(v));
    state.load_saga(s);
    return Status::Ok();
  }));
  // A saga with no 'S' key is as it began: its reservation stands for it.
  std::vector<TransferId> started;
  for (TransferId id : ids) {
    if (state.find_saga(id) == nullptr) started.push_back(id);
  }
  if (started.empty()) return Status::Ok();
  TALLY_RETURN_IF_ERROR(prefetch_transfers(started, state));
  for (TransferId id : started) {
    if (state.find_saga(id) != nullptr) continue;  // listed twice
    const Transfer* t = state.find_transfer(id);
    if (t == nullptr) continue;
    if (auto saga = started_saga(*t, options_.partition_count)) state.load_saga(*saga);
  }
  return Status::Ok();
}

Status PartitionStore::prefetch_legs(const std::vector<std::pair<Partition, TransferId>>& ids,
                                     PartitionState& state) const {
  std::vector<std::string> wanted;
  for (const auto& [source, id] : ids) {
    if (state.find_leg(source, id) == nullptr) wanted.push_back(keys::leg(source, id));
  }
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  TALLY_RETURN_IF_ERROR(multi_get(*impl_->db, wanted, options_.dir, [&](size_t, std::string_view v) -> Status {
    TALLY_ASSIGN_OR_RETURN(SagaLeg l, decode_leg(v));
    state.load_leg(l);
    return Status::Ok();
  }));
  // A credited leg has no 'L' key: its credit transfer stands for it.
  std::vector<TransferId> credits;
  for (const auto& [source, id] : ids) {
    if (state.find_leg(source, id) == nullptr) credits.push_back(id);
  }
  if (credits.empty()) return Status::Ok();
  TALLY_RETURN_IF_ERROR(prefetch_transfers(credits, state));
  for (const auto& [source, id] : ids) {
    if (state.find_leg(source, id) != nullptr) continue;
    const Transfer* t = state.find_transfer(id);
    if (t == nullptr) continue;
    if (auto leg = credited_leg(*t, source, options_.partition_count)) state.load_leg(*leg);
  }
  return Status::Ok();
}

void PartitionStore::outbox_delivered_below(uint64_t seq) {
  std::atomic<uint64_t>& below = *impl_->outbox_delivered;
  uint64_t now = below.load(std::memory_order_relaxed);
  while (now < seq && !below.compare_exchange_weak(now, seq, std::memory_order_release)) {
  }
}

std::optional<Timestamp> PartitionStore::take_earliest_timer_set() const {
  const uint64_t e = impl_->earliest_timer.exchange(UINT64_MAX, std::memory_order_acquire);
  if (e == UINT64_MAX) return std::nullopt;
  return Timestamp{e};
}

uint64_t PartitionStore::keys_written() const { return impl_->keys_written.load(std::memory_order_relaxed); }

Status PartitionStore::commit(StoreBatch& batch) { return write(batch, false); }
Status PartitionStore::commit_logged(StoreBatch& batch) { return write(batch, true); }

Status PartitionStore::write(StoreBatch& batch, bool logged) {
  tally::MutexLock lock(impl_->mu);
  if (!impl_->sticky.ok()) return impl_->sticky;
  const std::string role = "partition " + std::to_string(options_.partition.value) + "'s store";
  if (!impl_->disk_error.ok()) {
    // Ask RocksDB to resume at most once a second (its own recovery is
    // off: DiskErrorListener).
    const auto now = std::chrono::steady_clock::now();
    if (now - impl_->last_resume < std::chrono::seconds(1)) {
      return disk_write_status(role, options_.dir, impl_->disk_error, impl_->errors->fatal());
    }
    impl_->last_resume = now;
    (void)impl_->db->Resume();
  }
  rocksdb::WriteOptions wo;
  wo.disableWAL = !logged;
  // Raised before the write: an upper bound may be too high, never too low.
  impl_->max_transfer = std::max(impl_->max_transfer, batch.impl_->max_transfer);
  for (TransferId id : batch.impl_->transfers) impl_->bounds.raise(id);
  const rocksdb::Status w = impl_->ingest && !logged ? impl_->ingest_sorted(batch.impl_->wb)
                                                      : impl_->write_sorted(batch.impl_->wb, wo);
  if (is_disk_write_failure(w)) {
    if (impl_->disk_error.ok()) log_disk_failure(role, options_.dir, w);
    impl_->disk_error = w;
    return disk_write_status(role, options_.dir, w, impl_->errors->fatal());
  }
  if (w.ok() && !impl_->disk_error.ok()) {
    std::fprintf(stderr, "tally: %s at %s takes writes again\n", role.c_str(), options_.dir.c_str());
    impl_->disk_error = rocksdb::Status::OK();
  }
  const Status s = from_rocks(w, "committing to " + options_.dir);
  if (!s.ok()) impl_->sticky = s;
  if (s.ok()) {
    impl_->keys_written.fetch_add(batch.count(), std::memory_order_relaxed);
    // Published after the write, so a reader that takes it sees the keys.
    const uint64_t set = batch.impl_->earliest_timer;
    uint64_t seen = impl_->earliest_timer.load(std::memory_order_relaxed);
    while (set < seen && !impl_->earliest_timer.compare_exchange_weak(seen, set, std::memory_order_release)) {
    }
  }
  return s;
}

rocksdb::Status PartitionStore::Impl::write_sorted(const StagedWrites& wb, const rocksdb::WriteOptions& wo) {
  rocksdb::WriteBatch* ordered = nullptr;
  const rocksdb::Status sorted = sorter.sort(wb, ordered);
  if (!sorted.ok()) return sorted;
  return db->Write(wo, ordered);
}

rocksdb::Status PartitionStore::Impl::ingest_sorted(const StagedWrites& wb) {
  const std::vector<BatchSorter::Entry>* entries = nullptr;
  sorter.last_writes(wb, entries);
  return ingest->ingest(*db, *entries);
}

Status PartitionStore::finish_bulk() {
  tally::MutexLock lock(impl_->mu);
  if (!impl_->ingest) return Status::Ok();
  impl_->ingest.reset();
  rocksdb::DB& db = *impl_->db;
  // One file per commit lands in level 0 (they overlap: every commit
  // writes the meta record and its accounts). A handful is what a normal
  // store keeps there; more would slow every read until a compaction, so
  // they are merged now, once, into the first level below 0 (kSkip: that
  // output is not compacted a second time).
  rocksdb::ColumnFamilyMetaData cf;
  db.GetColumnFamilyMetaData(&cf);
  const size_t files = cf.levels.empty() ? 0 : cf.levels[0].files.size();
  if (files > kBulkLevel0Files) {
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kSkip;
    TALLY_RETURN_IF_ERROR(from_rocks(db.CompactRange(co, nullptr, nullptr), "compacting " + options_.dir));
  }
  return from_rocks(db.SetOptions({{"disable_auto_compactions", "false"}}),
                    "turning compactions on in " + options_.dir);
}

Status PartitionStore::flush(bool wait) {
  if (options_.read_only) return Status::Ok();
  rocksdb::FlushOptions fo;
  fo.wait = wait;
  return from_rocks(impl_->db->Flush(fo), "flushing " + options_.dir);
}

Status PartitionStore::checkpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  TALLY_RETURN_IF_ERROR(from_rocks(rocksdb::Checkpoint::Create(impl_->db.get(), &raw),
                                   "checkpointing " + options_.dir));
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // log_size_for_flush 0: flush the memtables first (the WAL is off, so
  // they hold the newest commits).
  return from_rocks(cp->CreateCheckpoint(dir, 0), "checkpointing " + options_.dir + " into " + dir);
}

Result<std::optional<std::string>> PartitionStore::get(const std::string& key) const {
  std::string v;
  const rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), key, &v);
  if (s.IsNotFound()) return std::optional<std::string>();
  TALLY_RETURN_IF_ERROR(from_rocks(s, "reading " + options_.dir));
  return std::optional<std::string>(std::move(v));
}

namespace {
template <class T, class Decode>
Result<std::optional<T>> get_decoded(const PartitionStore& store, const std::string& key,
                                     Decode decode) {
  TALLY_ASSIGN_OR_RETURN(std::optional<std::string> v, store.get(key));
  if (!v) return std::optional<T>();
  TALLY_ASSIGN_OR_RETURN(T value, decode(*v));
  return std::optional<T>(std::move(value));
}
}  // namespace

Result<std::optional<Account>> PartitionStore::account(AccountId id) const {
  return get_decoded<Account>(*this, keys::account(id), decode_account);
}
Result<std::optional<Transfer>> PartitionStore::transfer(TransferId id) const {
  return get_decoded<Transfer>(*this, keys::transfer(id), decode_transfer);
}
Result<std::optional<Saga>> PartitionStore::saga(TransferId id) const {
  TALLY_ASSIGN_OR_RETURN(std::optional<Saga> saga, get_decoded<Saga>(*this, keys::saga(id), decode_saga));
  if (saga) return saga;
  // No 'S' key: a saga as it began is its reservation transfer.
  TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, transfer(id));
  if (!t) return std::optional<Saga>();
  return started_saga(*t, options_.partition_count);
}
Result<std::optional<SagaLeg>> PartitionStore::leg(Partition source, TransferId id) const {
  TALLY_ASSIGN_OR_RETURN(std::optional<SagaLeg> leg, get_decoded<SagaLeg>(*this, keys::leg(source, id), decode_leg));
  if (leg) return leg;
  // A credited leg has no 'L' key: its credit transfer stands for it.
  TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, transfer(id));
  if (!t) return std::optional<SagaLeg>();
  return credited_leg(*t, source, options_.partition_count);
}
Result<std::optional<OffsetOutcomes>> PartitionStore::outcomes(Offset offset) const {
  return get_decoded<OffsetOutcomes>(*this, keys::outcomes(offset), decode_outcomes);
}

Result<size_t> PartitionStore::scan(
    const std::string& from, const std::string& to, bool descending, size_t limit,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  size_t calls = 0;
  auto visit = [&]() {
    calls++;
    return fn(std::string_view(it->key().data(), it->key().size()),
              std::string_view(it->value().data(), it->value().size()));
  };
  if (!descending) {
    for (it->Seek(from); it->Valid() && it->key().compare(to) < 0; it->Next()) {
      if (!visit() || (limit != 0 && calls >= limit)) break;
    }
  } else {
    for (it->SeekForPrev(to); it->Valid() && it->key().compare(from) >= 0; it->Prev()) {
      if (it->key().compare(to) >= 0) continue;  // SeekForPrev lands on `to` itself if present
      if (!visit() || (limit != 0 && calls >= limit)) break;
    }
  }
  TALLY_RETURN_IF_ERROR(from_rocks(it->status(), "scanning " + options_.dir));
  return calls;
}

uint64_t PartitionStore::disk_bytes() const {
  uint64_t v = 0;
  impl_->db->GetIntProperty("rocksdb.total-sst-files-size", &v);
  return v;
}

}  // namespace tally
