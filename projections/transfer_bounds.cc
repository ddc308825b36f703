#include "projections/transfer_bounds.h"

namespace tally {

TransferBounds::TransferBounds() : slots_(kSlots) {}

size_t TransferBounds::index(uint64_t group) {
  // Groups are often consecutive: mix before taking the low bits.
  return static_cast<size_t>((group * 0x9E3779B97F4A7C15ull) >> 50) & (kSlots - 1);
}

std::optional<bool> TransferBounds::known_absent(TransferId id) const {
  const Slot& s = slot(id.hi());
  if (!s.known || s.group != id.hi()) return std::nullopt;
  return !s.any || id.lo() > s.max_n;
}

void TransferBounds::learn(uint64_t group, std::optional<uint64_t> max_n) {
  Slot& s = slot(group);
  s.group = group;
  s.known = true;
  s.any = max_n.has_value();
  s.max_n = max_n.value_or(0);
}

void TransferBounds::raise(TransferId id) {
  Slot& s = slot(id.hi());
  if (!s.known || s.group != id.hi()) return;  // unknown: learned from the store when asked
  if (!s.any || id.lo() > s.max_n) s.max_n = id.lo();
  s.any = true;
}

}  // namespace tally
