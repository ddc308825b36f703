// TransferTable: the partition state's cache of transfers, a flat
// open-addressing hash table (linear probing, backward-shift deletion) over
// entries kept in a deque. Lookups touch one contiguous probe run instead of
// chasing list nodes, and inserting allocates nothing per transfer.
//
// References returned by find()/insert() stay valid until that entry is
// erased or the table is cleared (the deque never moves its elements on
// push_back; erase moves the last entry into the hole).
//
// Not thread-safe. Nothing iterates it in an order that could leak into
// results: there is no iteration at all.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "projections/model.h"

namespace tally {

class TransferTable {
 public:
  TransferTable() { rehash(1024); }

  Transfer* find(TransferId id);
  const Transfer* find(TransferId id) const { return const_cast<TransferTable*>(this)->find(id); }
  // REQUIRES: absent. `marked`: the entry starts marked (see mark()).
  Transfer& insert(const Transfer& t, bool marked = false);
  void insert_or_assign(const Transfer& t);
  // No-op when absent.
  void erase(TransferId id);
  void clear();
  size_t size() const { return entries_.size(); }

  // A per-entry mark the state uses to list changed transfers once.
  // REQUIRES: present. mark() returns whether it was unmarked before.
  bool mark(TransferId id);
  void unmark(TransferId id);

 private:
  struct Slot {
    uint64_t lo = 0, hi = 0;
    uint32_t index = 0;  // entry index + 1; 0 = empty
  };
  struct Entry {
    Transfer value;
    bool marked = false;
  };

  size_t home(TransferId id) const;
  // The slot holding `id`, or the empty slot where it would go.
  size_t probe(TransferId id) const;
  void rehash(size_t capacity);

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::deque<Entry> entries_;
};

}  // namespace tally
