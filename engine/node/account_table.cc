#include "engine/node/account_table.h"

#include <bit>
#include <cstring>
#include <type_traits>

namespace tally {

static_assert(std::is_trivially_copyable_v<Account>, "accounts are copied word by word");

AccountTable::AccountTable(size_t slots)
    : mask_(std::bit_ceil(std::max(slots, kProbe)) - 1),
      slots_(std::make_unique<Slot[]>(mask_ + 1)),
      owner_(std::make_unique<AccountId[]>(mask_ + 1)) {}

size_t AccountTable::bytes() const { return slots() * (sizeof(Slot) + sizeof(AccountId)); }

size_t AccountTable::home(AccountId id) const {
  uint64_t h = id.lo() ^ (id.hi() * 0x9E3779B97F4A7C15ull);
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return static_cast<size_t>(h) & mask_;
}

void AccountTable::write(Slot& s, const Account& a) {
  uint64_t w[kWords] = {};
  std::memcpy(w, &a, sizeof(Account));
  const uint64_t seq = s.seq.load(std::memory_order_relaxed);
  s.seq.store(seq + 1, std::memory_order_relaxed);
  // The odd sequence is visible before any word changes.
  std::atomic_thread_fence(std::memory_order_release);
  for (size_t i = 0; i < kWords; i++) s.words[i].store(w[i], std::memory_order_relaxed);
  s.seq.store(seq + 2, std::memory_order_release);
}

bool AccountTable::read(const Slot& s, Account& out) {
  uint64_t w[kWords];
  for (;;) {
    const uint64_t before = s.seq.load(std::memory_order_acquire);
    if (before == 0) return false;
    if (before & 1) continue;  // being written
    for (size_t i = 0; i < kWords; i++) w[i] = s.words[i].load(std::memory_order_relaxed);
    // The words are read before the second sequence reading.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (s.seq.load(std::memory_order_relaxed) == before) break;
  }
  std::memcpy(&out, w, sizeof(Account));
  return !out.id.is_zero();  // zero: emptied by clear()
}

bool AccountTable::publish(const Account& a) {
  const size_t h = home(a.id);
  for (size_t k = 0; k < kProbe; k++) {
    const size_t i = (h + k) & mask_;
    if (owner_[i].is_zero()) {
      owner_[i] = a.id;
      used_.fetch_add(1, std::memory_order_relaxed);
    } else if (owner_[i] != a.id) {
      continue;
    }
    write(slots_[i], a);
    return true;
  }
  return false;
}

void AccountTable::clear() {
  for (size_t i = 0; i <= mask_; i++) {
    if (owner_[i].is_zero()) continue;
    owner_[i] = AccountId{};
    // A zero id marks it empty; the sequence keeps counting up, so a reader
    // that began before the clear cannot mistake a later write for its own.
    write(slots_[i], Account{});
  }
  used_.store(0, std::memory_order_relaxed);
}

std::optional<Account> AccountTable::find(AccountId id) const {
  const size_t h = home(id);
  Account a;
  for (size_t k = 0; k < kProbe; k++) {
    if (!read(slots_[(h + k) & mask_], a)) return std::nullopt;  // an empty slot ends the probe
    if (a.id == id) return a;
  }
  return std::nullopt;
}

}  // namespace tally
