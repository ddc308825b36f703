// TransferTable: the partition state's cache of transfers: entries kept in
// a deque, found through boost::unordered_flat_map from id to entry index
// (docs/design.md "Libraries": it replaced a hand-written open-addressing
// table; bench/transfer_table_bench.cc measured boost's 4-15 ns against
// 67-93 ns for the lookup that misses, which every new transfer's exists
// check is, and inserts and hits alike). Inserting allocates nothing per
// transfer beyond the deque's blocks.
//
// References returned by find()/insert() stay valid until that entry is
// erased or the table is cleared (the deque never moves its elements on
// push_back; erase moves the last entry into the hole).
//
// Not thread-safe. Nothing iterates it in an order that could leak into
// results: there is no iteration at all.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <deque>
#include <functional>

#include "projections/model.h"

namespace tally {

class TransferTable {
 public:
  TransferTable() { index_.reserve(1024); }

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
  struct Entry {
    Transfer value;
    bool marked = false;
  };
  Entry* entry(TransferId id);

  boost::unordered_flat_map<TransferId, uint32_t, std::hash<TransferId>> index_;  // id -> entries_ index
  std::deque<Entry> entries_;
};

}  // namespace tally
