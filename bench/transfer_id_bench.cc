// The cost of PartitionState::owns_transfer_id (docs/design.md "One transfer
// id, one partition"): ns per check on the fast path (the id's upper 64 bits
// are the debit account's) and on the murmur path (they differ, two murmur2
// hashes). Run: build/bench/transfer_id_bench [rounds of 65,536 checks]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "projections/state.h"

using namespace tally;

namespace {

constexpr size_t kIds = 65'536;  // 3 MiB of ids: in cache, so the check is what is timed

double ns_per_check(const PartitionState& s, const std::vector<TransferId>& ids,
                    const std::vector<AccountId>& debits, size_t rounds, uint64_t& owned) {
  const auto start = std::chrono::steady_clock::now();
  for (size_t r = 0; r < rounds; r++) {
    for (size_t i = 0; i < ids.size(); i++) owned += s.owns_transfer_id(ids[i], debits[i]);
  }
  const auto took = std::chrono::steady_clock::now() - start;
  return std::chrono::duration<double, std::nano>(took).count() / static_cast<double>(rounds * ids.size());
}

}  // namespace

int main(int argc, char** argv) {
  const size_t rounds = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 300;
  const PartitionState s(Partition{0}, 8);
  std::vector<TransferId> same, other;
  std::vector<AccountId> debits;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < kIds; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;  // varied groups: no branch pattern
    const uint64_t group = x >> 8;
    debits.push_back(AccountId(make_u128(group, i)));
    same.push_back(TransferId(make_u128(group, i + 1)));
    other.push_back(TransferId(make_u128(group ^ 0x5555, i + 1)));
  }
  uint64_t owned = 0;
  for (int pass = 0; pass < 3; pass++) {  // the last pass counts; the first ones warm up
    const double fast = ns_per_check(s, same, debits, rounds, owned);
    const double murmur = ns_per_check(s, other, debits, rounds, owned);
    if (pass == 2) {
      std::printf("owns_transfer_id, %zu checks per path: fast path %.2f ns, murmur path %.2f ns "
                  "per check (owned %llu)\n",
                  rounds * kIds, fast, murmur, static_cast<unsigned long long>(owned));
    }
  }
  return 0;
}
