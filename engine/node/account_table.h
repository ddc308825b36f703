// A fixed-capacity table of the latest committed accounts of one partition,
// for balance lookups that do not touch RocksDB.
//
// One writer (the partition's pipeline thread) publishes an account after
// the store commit that holds it, so a reader never sees uncommitted state;
// any number of readers read without locks. Each slot is a seqlock: the
// writer makes its sequence odd, writes the account's words, makes it even;
// a reader copies the words between two equal even readings, else retries.
// The words are std::atomic<uint64_t> (relaxed), so a torn copy is a retry,
// never a data race.
//
// Memory is bounded: `slots` slots of 168 bytes each (bytes()),
// fixed at construction. An id goes to one of kProbe slots from its hash;
// when all are taken by other ids it is not published, and lookups of it
// miss (the caller reads the store). Slots are never freed one by one:
// clear() empties them all (recover, rebuild).
//
// Read side only: nothing in the apply path reads this table.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "projections/model.h"

namespace tally {

class AccountTable {
 public:
  static constexpr size_t kProbe = 8;  // slots tried per id
  // `slots` is rounded up to a power of two (at least kProbe).
  explicit AccountTable(size_t slots);

  // Writer only. Publishes `a` (its latest committed form). Returns false
  // when its slots are all held by other ids (it stays a miss).
  bool publish(const Account& a);
  // Writer only (or while no publish runs): empties every slot.
  void clear();

  // Any thread. The account as last published, or nullopt (never
  // published, or its slots were full).
  std::optional<Account> find(AccountId id) const;

  size_t slots() const { return mask_ + 1; }
  size_t bytes() const;
  size_t published() const { return used_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kWords = (sizeof(Account) + 7) / 8;
  struct Slot {
    std::atomic<uint64_t> seq{0};  // odd while written; 0: never used (a zero id: cleared)
    std::atomic<uint64_t> words[kWords];
  };
  size_t home(AccountId id) const;
  void write(Slot& s, const Account& a);
  // Copies `s` into `out`; false if it is empty. Retries torn reads.
  static bool read(const Slot& s, Account& out);

  size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<AccountId[]> owner_;  // the writer's own view of who holds each slot (zero: free)
  std::atomic<size_t> used_{0};
};

}  // namespace tally
