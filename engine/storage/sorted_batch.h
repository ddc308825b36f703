// Key-ordered WriteBatches: a commit's keys inserted into the memtable in
// ascending order.
//
// Why: RocksDB's memtable is a skip list that remembers where the previous
// insert landed (InlineSkipList's sequential splice). A key just above the
// previous one is found from there, in a few steps of the lowest levels;
// a key anywhere else is searched from the top, through cache misses at
// every level. A commit's keys (transfers with scattered ids, accounts,
// history, timers, outbox) arrive in apply order, which is random in key
// space: a profile of 200,000 sagas put a third of the CPU in those
// searches (docs/benchmarks.md "Sorted commits").
//
// Ordering changes nothing RocksDB stores: a batch is atomic, entries for
// different keys commute, and the writes of one key keep their order (a put
// then a delete of one key in one batch stays a put then a delete).
//
// Not thread-safe; one per writer (its buffers are reused across calls).
#pragma once

#include <rocksdb/slice.h>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tally {

// A commit's writes as they are staged: keys and values copied into one
// buffer, each write noted with where it lies. BatchSorter reads them from
// here; a WriteBatch built first had to be parsed back into its records,
// about 4% of a transfer's CPU (docs/benchmarks.md "Writes staged for the
// sort"). Only puts and deletes, in the default column family: writes that
// reorder freely (a merge, a range delete or log data would not).
class StagedWrites {
 public:
  void put(const rocksdb::Slice& key, const rocksdb::Slice& value);
  void remove(const rocksdb::Slice& key);
  size_t count() const { return writes_.size(); }
  // What a WriteBatch of the same writes would hold (its GetDataSize()).
  size_t data_size() const { return data_size_; }
  void clear();

 private:
  friend class BatchSorter;
  struct Write {
    uint32_t key_at, key_size, value_at, value_size;
    bool remove;
  };
  std::string buf_;
  std::vector<Write> writes_;
  size_t data_size_ = kBatchHeader;
  static constexpr size_t kBatchHeader = 12;  // a WriteBatch's sequence number and count
};

class BatchSorter {
 public:
  // The key's first 20 bytes ride in the entry, big-endian and
  // zero-padded, so most compares end without reading the key itself
  // (whose bytes lie scattered in the batch: a cache miss each). Twenty,
  // not eight: the stores' keys are a tag and a 16-byte id whose upper
  // half is a small group number, so with 8 bytes the transfers or
  // accounts of neighbouring groups all tied and each compare ran memcmp
  // (docs/benchmarks.md "A 20-byte sort key").
  struct Entry {
    uint64_t word0;  // key bytes 0..7
    uint64_t word1;  // key bytes 8..15
    uint32_t word2;  // key bytes 16..19
    uint32_t index;  // position in `in`: orders a key's writes (the sort need not be stable)
    bool remove;
    rocksdb::Slice key;
    rocksdb::Slice value;
  };
  // Bytewise key order (the stores' comparator), then batch order.
  static bool before(const Entry& a, const Entry& b);

  // The staged writes `in` as a WriteBatch in ascending key order
  // (bytewise, the stores' comparator), a key's writes in the order they
  // were staged. Valid until the next call.
  rocksdb::Status sort(const StagedWrites& in, rocksdb::WriteBatch*& out);
  // What `in` leaves in the store, in ascending key order: each key once,
  // with its last staged write (a put, or a delete). What a table file
  // holds (one entry per key); slices into `in`, valid while it is
  // unchanged and until the next call.
  void last_writes(const StagedWrites& in, const std::vector<Entry>*& out);

 private:
  void collect_sorted(const StagedWrites& in);
  std::vector<Entry> entries_;
  rocksdb::WriteBatch sorted_;
};

}  // namespace tally
