#include "projections/transfer_table.h"

#include <cassert>

namespace tally {

TransferTable::Entry* TransferTable::entry(TransferId id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &at(it->second);
}

TransferTable::Entry& TransferTable::push_back(const Transfer& t, uint32_t mark_epoch) {
  if (size_ == blocks_.size() * kBlockEntries) blocks_.push_back(std::make_unique<Entry[]>(kBlockEntries));
  Entry& slot = at(static_cast<uint32_t>(size_));
  // Copied straight into the slot (a Transfer is 208 bytes; an Entry
  // built first and then moved in was a second copy).
  slot.value = t;
  slot.mark_epoch = mark_epoch;
  size_++;
  return slot;
}

Transfer* TransferTable::find(TransferId id) {
  Entry* e = entry(id);
  return e == nullptr ? nullptr : &e->value;
}

Transfer& TransferTable::insert(const Transfer& t, bool marked) {
  const bool fresh = index_.emplace(t.id, static_cast<uint32_t>(size_)).second;
  assert(fresh);  // REQUIRES: absent
  (void)fresh;
  return push_back(t, marked ? epoch_ : 0).value;
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
  const auto last = static_cast<uint32_t>(size_ - 1);
  if (gone != last) {
    at(gone) = std::move(at(last));
    index_[at(gone).value.id] = gone;
  }
  size_--;
  assert(index_.size() == size_);
}

void TransferTable::clear() {
  size_ = 0;  // the blocks stay, for the next entries
  index_.clear();
}

Transfer* TransferTable::find(TransferId id, uint32_t slot) {
  if (slot < size_ && at(slot).value.id == id) return &at(slot).value;
  return find(id);
}

bool TransferTable::mark(TransferId id, uint32_t* slot) {
  const auto it = index_.find(id);
  assert(it != index_.end());
  if (slot != nullptr) *slot = it->second;
  Entry* e = &at(it->second);
  const bool was = e->mark_epoch == epoch_;
  e->mark_epoch = epoch_;
  return !was;
}

void TransferTable::unmark_all() {
  if (++epoch_ != 0) return;
  // The counter wrapped (after 2^32 commits): no stored epoch may equal
  // the new one.
  for (size_t i = 0; i < size_; i++) at(static_cast<uint32_t>(i)).mark_epoch = 0;
  epoch_ = 1;
}

}  // namespace tally
