// Small pieces the checks share: exact sums, the offset index, the sink.
#include <algorithm>

#include "recovery/transit.h"
#include "tools/reconcile/checker.h"

namespace tally::reconcile::detail {

void WideSum::add(u128 v) {
  lo += v;
  if (lo < v) hi++;
}

void WideSum::add(const WideSum& o) {
  add(o.lo);
  hi += o.hi;
}

std::string WideSum::str() const {
  if (hi == 0) return u128_to_string(lo);
  return std::to_string(hi) + "*2^128+" + u128_to_string(lo);
}

void LedgerSums::add(const Balances& b) {
  debits_pending.add(b.debits_pending);
  debits_posted.add(b.debits_posted);
  credits_pending.add(b.credits_pending);
  credits_posted.add(b.credits_posted);
}

void LedgerSums::add(const LedgerSums& o) {
  debits_pending.add(o.debits_pending);
  debits_posted.add(o.debits_posted);
  credits_pending.add(o.credits_pending);
  credits_posted.add(o.credits_posted);
}

void OffsetIndex::add(Offset offset, Timestamp first) { firsts_.emplace_back(first.ns, offset.value); }

std::optional<uint64_t> OffsetIndex::offset_of(Timestamp ts) const {
  // The last record whose first timestamp is at or before ts.
  auto it = std::upper_bound(firsts_.begin(), firsts_.end(), std::make_pair(ts.ns, ~uint64_t{0}));
  if (it == firsts_.begin()) return std::nullopt;
  return std::prev(it)->second;
}

void Sink::add(Discrepancy d) {
  total_++;
  if (kept_.size() < max_) kept_.push_back(std::move(d));
}

std::optional<Partition> transit_peer(AccountId id, Partition own, Ledger ledger,
                                      uint32_t partition_count) {
  if (!is_transit_account(id)) return std::nullopt;
  // transit.h: id.lo = ledger << 32 | peer. Check the whole id against the
  // function that makes them rather than trust the layout alone.
  const uint64_t peer = id.lo() & 0xFFFF'FFFFull;
  if (peer >= partition_count) return std::nullopt;
  if (transit_account(own, Partition{static_cast<uint32_t>(peer)}, ledger, partition_count) != id) {
    return std::nullopt;
  }
  return Partition{static_cast<uint32_t>(peer)};
}

std::string four(const Balances& b) {
  return "debits " + u128_to_string(b.debits_pending) + " pending/" +
         u128_to_string(b.debits_posted) + " posted, credits " +
         u128_to_string(b.credits_pending) + " pending/" + u128_to_string(b.credits_posted) +
         " posted";
}

}  // namespace tally::reconcile::detail
