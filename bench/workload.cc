#include "bench/workload.h"

#include <algorithm>
#include <cmath>

#include "engine/core/partitioner.h"

namespace tally::bench {

Workload::Workload(WorkloadOptions options) : o_(options) {
  if (o_.wallets) o_.group_size = 1;
  if (!o_.wallets && o_.group_size < 2) o_.group_size = 2;
  if (o_.zipf > 0) {
    zipf_cdf_.resize(o_.accounts);
    double sum = 0;
    for (uint64_t k = 0; k < o_.accounts; k++) {
      sum += 1.0 / std::pow(static_cast<double>(k + 1), o_.zipf);
      zipf_cdf_[k] = sum;
    }
    for (double& c : zipf_cdf_) c /= sum;
  }
}

AccountId Workload::account_id(uint64_t index) const {
  const uint64_t group = index / o_.group_size;
  const uint64_t member = index % o_.group_size;
  // Upper 64 bits: the group (offset so ids are never 0); lower: the member.
  return AccountId(make_u128(group + 1, member + 1));
}

CreateAccount Workload::account(uint64_t index) const {
  return CreateAccount{account_id(index), 0, 0, 0, o_.ledger, 1, 0, 0};
}

uint64_t Workload::pick_account(uint64_t& rng) const {
  if (zipf_cdf_.empty()) return splitmix64(rng) % o_.accounts;
  const double u = static_cast<double>(splitmix64(rng) >> 11) * 0x1.0p-53;
  const auto it = std::lower_bound(zipf_cdf_.begin(), zipf_cdf_.end(), u);
  return std::min<uint64_t>(static_cast<uint64_t>(it - zipf_cdf_.begin()), o_.accounts - 1);
}

uint64_t Workload::pick_elsewhere(uint64_t debit, uint64_t& rng) const {
  const uint64_t groups = (o_.accounts + o_.group_size - 1) / o_.group_size;
  const Partition home = partition_of(account_id(debit), o_.partitions);
  for (;;) {
    const uint64_t g = splitmix64(rng) % groups;
    if (partition_of(account_id(g * o_.group_size), o_.partitions) == home) continue;
    const uint64_t len = std::min(o_.group_size, o_.accounts - g * o_.group_size);
    return g * o_.group_size + splitmix64(rng) % len;
  }
}

bool Workload::spans_partitions() const {
  const Partition first = partition_of(account_id(0), o_.partitions);
  for (uint64_t start = o_.group_size; start < o_.accounts; start += o_.group_size) {
    if (partition_of(account_id(start), o_.partitions) != first) return true;
  }
  return false;
}

bool Workload::is_cross(const CreateTransfer& t) const {
  return partition_of(t.debit_account_id, o_.partitions) != partition_of(t.credit_account_id, o_.partitions);
}

// The debit account's group × 2^64 + i: the id routes with its debit
// account (docs/design.md "One transfer id, one partition"); the low 64 bits
// say which transfer of the workload it is.
TransferId Workload::transfer_id(AccountId debit, uint64_t i) { return TransferId(make_u128(debit.hi(), i)); }

CreateTransfer Workload::make_transfer(uint64_t i, uint64_t debit, uint64_t credit, uint64_t& rng) const {
  CreateTransfer t;
  t.debit_account_id = account_id(debit);
  t.id = transfer_id(t.debit_account_id, i);
  t.credit_account_id = account_id(credit);
  t.amount = Amount(1 + splitmix64(rng) % 1000);
  t.ledger = o_.ledger;
  t.code = 1;
  return t;
}

CreateTransfer Workload::wallet_transfer(uint64_t i, uint64_t debit, uint64_t& rng) const {
  uint64_t credit = pick_account(rng);
  if (credit == debit) credit = (debit + 1) % o_.accounts;
  return make_transfer(i, debit, credit, rng);
}

CreateTransfer Workload::transfer(uint64_t i) const {
  uint64_t rng = o_.seed ^ (i * 0xD1B54A32D192ED03ull);
  const uint64_t debit = pick_account(rng);
  if (o_.wallets) return wallet_transfer(i, debit, rng);
  const uint64_t group_start = debit - debit % o_.group_size;
  const uint64_t group_len = std::min(o_.group_size, o_.accounts - group_start);
  uint64_t credit = group_start + splitmix64(rng) % group_len;
  if (credit == debit) credit = group_start + (debit - group_start + 1) % group_len;
  // A draw of its own, taken only with cross > 0: the same-partition
  // workload stays as it was.
  if (o_.cross > 0 && static_cast<double>(splitmix64(rng) >> 11) * 0x1.0p-53 < o_.cross) {
    credit = pick_elsewhere(debit, rng);
  }
  return make_transfer(i, debit, credit, rng);
}

}  // namespace tally::bench
