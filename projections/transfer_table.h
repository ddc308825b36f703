// TransferTable: the partition state's cache of transfers: entries kept in
// fixed blocks, found through boost::unordered_flat_map from id to entry
// index (docs/design.md "Libraries": it replaced a hand-written
// open-addressing table; bench/transfer_table_bench.cc measured boost's 4-15
// ns against 67-93 ns for the lookup that misses, which every new
// transfer's exists check is, and inserts and hits alike). Inserting
// allocates nothing per transfer: blocks of kBlockEntries are allocated once
// and clear() keeps them for reuse (the pipeline clears the cache every
// 65,536 transfers; a deque freed and allocated its blocks again each time,
// 4% of a transfer's CPU in allocation and page faults).
//
// References returned by find()/insert() stay valid until that entry is
// erased or the table is cleared (blocks never move; erase moves the last
// entry into the hole).
//
// Not thread-safe. Nothing iterates it in an order that could leak into
// results: there is no iteration at all.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "projections/model.h"

namespace tally {

class TransferTable {
 public:
  TransferTable() { index_.reserve(1024); }

  Transfer* find(TransferId id);
  const Transfer* find(TransferId id) const { return const_cast<TransferTable*>(this)->find(id); }
  // find(id) with a hint: `slot`, where the entry was when the hint was
  // taken (mark's `slot`, or size() - 1 after its insert). A hint gone stale
  // (the entry erased, or moved by an erase, or the table cleared) is
  // detected, since ids are unique among the entries in use, and the index
  // answers instead. Saves the hash probe, a cache miss in a table of tens
  // of thousands of entries, for each transfer a commit writes
  // (docs/benchmarks.md "Slot hints for changed transfers").
  Transfer* find(TransferId id, uint32_t slot);
  const Transfer* find(TransferId id, uint32_t slot) const {
    return const_cast<TransferTable*>(this)->find(id, slot);
  }
  // REQUIRES: absent. `marked`: the entry starts marked (see mark()).
  // Appends: the new entry's slot is size() - 1.
  Transfer& insert(const Transfer& t, bool marked = false);
  void insert_or_assign(const Transfer& t);
  // No-op when absent.
  void erase(TransferId id);
  void clear();
  size_t size() const { return size_; }

  // A per-entry mark the state uses to list changed transfers once.
  // REQUIRES: present. mark() returns whether it was unmarked before;
  // `slot` (when not null) gets the entry's slot.
  bool mark(TransferId id, uint32_t* slot = nullptr);
  // Unmarks every entry at once, without a lookup per entry: a mark is the
  // epoch it was set in, and this starts a new epoch (a lookup per changed
  // transfer at every commit was part of TransferTable::entry's share of
  // the apply; docs/benchmarks.md "Marks by epoch").
  void unmark_all();

 private:
  struct Entry {
    Transfer value;
    uint32_t mark_epoch = 0;  // marked when equal to epoch_; 0 is never a current epoch
  };
  static constexpr size_t kBlockEntries = 1024;
  Entry* entry(TransferId id);
  Entry& at(uint32_t i) { return blocks_[i / kBlockEntries][i % kBlockEntries]; }
  const Entry& at(uint32_t i) const { return blocks_[i / kBlockEntries][i % kBlockEntries]; }
  Entry& push_back(const Transfer& t, uint32_t mark_epoch);

  boost::unordered_flat_map<TransferId, uint32_t, std::hash<TransferId>> index_;  // id -> entry index
  std::vector<std::unique_ptr<Entry[]>> blocks_;  // kept by clear()
  size_t size_ = 0;
  uint32_t epoch_ = 1;
};

}  // namespace tally
