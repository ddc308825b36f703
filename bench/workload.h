// The benchmark's workload, in the manner of TigerBeetle's benchmark:
// N accounts in groups that share their upper 64 bits (so a group lives in
// one partition and transfers inside it apply atomically) and M transfers,
// each between two members of one group, the debit account chosen
// uniformly or by a Zipfian law. With `cross` > 0, that fraction of the
// transfers instead credits a member of a group in another partition, so
// it runs as a saga (docs/design.md "Transfers across partitions"). With `wallets`, any
// account pays any other (a wallet ledger's everyday payments). Every transfer is a
// pure function of (seed, id), so a validator can recompute what each one
// should be; with cross = 0 the transfers are the same as before it existed.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/command.h"

namespace tally::bench {

struct WorkloadOptions {
  uint64_t accounts = 10'000;
  uint64_t group_size = 10;   // accounts sharing one partition key
  uint64_t transfers = 10'000'000;
  double zipf = 0;            // 0: uniform; s > 0: Zipf exponent over accounts
  uint64_t seed = 42;
  uint32_t ledger = 1;
  double cross = 0;           // fraction of transfers whose credit account is in another partition
  uint32_t partitions = 8;    // the log's partitions (only `cross` needs them)
  // The wallet workload: every account its own group (group_size 1), each
  // transfer between two accounts drawn alike (uniformly or by the Zipfian
  // law), wherever they live: with P partitions about (P-1)/P of the
  // transfers are sagas. `cross` is then unused.
  bool wallets = false;
};

class Workload {
 public:
  explicit Workload(WorkloadOptions options);
  const WorkloadOptions& options() const { return o_; }

  uint64_t account_count() const { return o_.accounts; }
  AccountId account_id(uint64_t index) const;  // index < accounts
  CreateAccount account(uint64_t index) const;
  // Transfer number i (1-based; id transfer_id(debit, i)).
  CreateTransfer transfer(uint64_t i) const;
  static TransferId transfer_id(AccountId debit, uint64_t i);
  // Whether transfer i's accounts live in different partitions.
  bool is_cross(const CreateTransfer& t) const;
  // Whether the groups live in more than one partition (`cross` needs it).
  bool spans_partitions() const;
  // An account index drawn as a transfer's debit account is: uniformly, or
  // by the Zipfian law when zipf > 0. Advances `rng`.
  uint64_t pick_account(uint64_t& rng) const;

 private:
  // A member of a group whose partition differs from `debit`'s.
  // REQUIRES: such a group exists.
  uint64_t pick_elsewhere(uint64_t debit, uint64_t& rng) const;
  CreateTransfer wallet_transfer(uint64_t i, uint64_t debit, uint64_t& rng) const;
  // Transfer i from `debit` to `credit`; its amount is the next draw of `rng`.
  CreateTransfer make_transfer(uint64_t i, uint64_t debit, uint64_t credit, uint64_t& rng) const;
  WorkloadOptions o_;
  std::vector<double> zipf_cdf_;
};

// splitmix64: the workload's deterministic random source.
inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace tally::bench
