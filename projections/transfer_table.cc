#include "projections/transfer_table.h"

#include <cassert>

namespace tally {

TransferTable::Entry* TransferTable::entry(TransferId id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

Transfer* TransferTable::find(TransferId id) {
  Entry* e = entry(id);
  return e == nullptr ? nullptr : &e->value;
}

Transfer& TransferTable::insert(const Transfer& t, bool marked) {
  const bool fresh = index_.emplace(t.id, static_cast<uint32_t>(entries_.size())).second;
  assert(fresh);  // REQUIRES: absent
  (void)fresh;
  entries_.push_back(Entry{t, marked});
  return entries_.back().value;
}

void TransferTable::insert_or_assign(const Transfer& t) {
  if (Transfer* existing = find(t.id)) {
    *existing = t;
  } else {
    insert(t);
  }
}

void TransferTable::erase(TransferId id) {
  auto it = index_.find(id);
  if (it == index_.end()) return;
  const uint32_t gone = it->second;
  index_.erase(it);
  // Move the last entry into the hole and repoint its index.
  const auto last = static_cast<uint32_t>(entries_.size() - 1);
  if (gone != last) {
    entries_[gone] = std::move(entries_[last]);
    index_[entries_[gone].value.id] = gone;
  }
  entries_.pop_back();
  assert(index_.size() == entries_.size());
}

void TransferTable::clear() {
  entries_.clear();
  index_.clear();
}

bool TransferTable::mark(TransferId id) {
  Entry* e = entry(id);
  assert(e != nullptr);
  const bool was = e->marked;
  e->marked = true;
  return !was;
}

void TransferTable::unmark(TransferId id) {
  if (Entry* e = entry(id)) e->marked = false;
}

}  // namespace tally
