#include "projections/transfer_table.h"

#include <cassert>
#include <functional>

namespace tally {

size_t TransferTable::home(TransferId id) const { return std::hash<TransferId>()(id) & mask_; }

size_t TransferTable::probe(TransferId id) const {
  const uint64_t lo = id.lo(), hi = id.hi();
  for (size_t i = home(id);; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.index == 0 || (s.lo == lo && s.hi == hi)) return i;
  }
}

Transfer* TransferTable::find(TransferId id) {
  const Slot& s = slots_[probe(id)];
  return s.index == 0 ? nullptr : &entries_[s.index - 1].value;
}

Transfer& TransferTable::insert(const Transfer& t, bool marked) {
  if ((entries_.size() + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
  const size_t i = probe(t.id);
  assert(slots_[i].index == 0);
  entries_.push_back(Entry{t, marked});
  slots_[i] = Slot{t.id.lo(), t.id.hi(), static_cast<uint32_t>(entries_.size())};
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
  size_t i = probe(id);
  if (slots_[i].index == 0) return;
  const uint32_t gone = slots_[i].index - 1;
  // Move the last entry into the hole and repoint its slot.
  const uint32_t last = static_cast<uint32_t>(entries_.size() - 1);
  if (gone != last) {
    entries_[gone] = std::move(entries_[last]);
    slots_[probe(entries_[gone].value.id)].index = gone + 1;
  }
  entries_.pop_back();
  // Backward-shift deletion keeps every probe run unbroken.
  for (size_t j = (i + 1) & mask_; slots_[j].index != 0; j = (j + 1) & mask_) {
    const size_t want = home(TransferId(make_u128(slots_[j].hi, slots_[j].lo)));
    // Move slot j into the hole at i if its home is not in (i, j].
    const bool between = i <= j ? (want > i && want <= j) : (want > i || want <= j);
    if (!between) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
}

void TransferTable::clear() {
  entries_.clear();
  std::fill(slots_.begin(), slots_.end(), Slot{});
}

bool TransferTable::mark(TransferId id) {
  const Slot& s = slots_[probe(id)];
  assert(s.index != 0);
  Entry& e = entries_[s.index - 1];
  const bool was = e.marked;
  e.marked = true;
  return !was;
}

void TransferTable::unmark(TransferId id) {
  const Slot& s = slots_[probe(id)];
  if (s.index != 0) entries_[s.index - 1].marked = false;
}

void TransferTable::rehash(size_t capacity) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  for (const Slot& s : old) {
    if (s.index == 0) continue;
    slots_[probe(TransferId(make_u128(s.hi, s.lo)))] = s;
  }
}

}  // namespace tally
