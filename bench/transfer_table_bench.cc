// TransferTable (projections/transfer_table.h: a deque of entries found
// through boost::unordered_flat_map) against std::unordered_map, for what
// the apply path does with it (docs/design.md "Libraries"; at 6bed48d
// TransferTable was a hand-written open-addressing table, and this bench
// compared it with the boost-based one before it was replaced): per batch of 8,189 new transfers, one
// lookup that misses (the exists check), one insert, and one lookup that
// hits (the post or void of a pending one, the changed-set mark); the cache
// is cleared past 65,536 entries as PartitionState::forget_cached does.
// Prints ns per operation, best of three rounds, for each.
// Run: build/bench/transfer_table_bench [batches]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <unordered_map>
#include <vector>

#include "projections/transfer_table.h"

using namespace tally;

namespace {

constexpr size_t kBatch = 8'189;
constexpr size_t kCacheLimit = size_t{1} << 16;

class NodeTable {
 public:
  Transfer* find(TransferId id) {
    auto it = map_.find(id);
    return it == map_.end() ? nullptr : &it->second;
  }
  Transfer& insert(const Transfer& t) { return map_.emplace(t.id, t).first->second; }
  void clear() { map_.clear(); }
  size_t size() const { return map_.size(); }

 private:
  std::unordered_map<TransferId, Transfer> map_;
};

struct Result {
  double miss_ns = 1e30, insert_ns = 1e30, hit_ns = 1e30;
};

template <typename Table>
Result run(const std::vector<TransferId>& ids, size_t batches) {
  Result best;
  for (int round = 0; round < 3; round++) {
    Table table;
    double miss = 0, insert = 0, hit = 0;
    uint64_t found = 0;
    Transfer t;
    for (size_t b = 0; b < batches; b++) {
      if (table.size() > kCacheLimit) table.clear();
      const TransferId* batch = &ids[(b * kBatch) % (ids.size() - kBatch)];
      auto t0 = std::chrono::steady_clock::now();
      for (size_t i = 0; i < kBatch; i++) found += table.find(batch[i]) != nullptr;
      auto t1 = std::chrono::steady_clock::now();
      for (size_t i = 0; i < kBatch; i++) {
        t.id = batch[i];
        if (table.find(t.id) == nullptr) table.insert(t);
      }
      auto t2 = std::chrono::steady_clock::now();
      for (size_t i = 0; i < kBatch; i++) found += table.find(batch[kBatch - 1 - i]) != nullptr;
      auto t3 = std::chrono::steady_clock::now();
      miss += std::chrono::duration<double, std::nano>(t1 - t0).count();
      insert += std::chrono::duration<double, std::nano>(t2 - t1).count();
      hit += std::chrono::duration<double, std::nano>(t3 - t2).count();
    }
    if (found == 0) std::printf("(no hits?)\n");
    const double n = static_cast<double>(batches * kBatch);
    best.miss_ns = std::min(best.miss_ns, miss / n);
    best.insert_ns = std::min(best.insert_ns, insert / n);
    best.hit_ns = std::min(best.hit_ns, hit / n);
  }
  return best;
}

// TransferTable has no size-free clear-past-limit adapter: wrap it.
class OurTable {
 public:
  Transfer* find(TransferId id) { return table_.find(id); }
  Transfer& insert(const Transfer& t) { return table_.insert(t); }
  void clear() { table_.clear(); }
  size_t size() const { return table_.size(); }

 private:
  TransferTable table_;
};

void print(const char* name, const Result& r) {
  std::printf("%-44s miss %6.1f ns  insert %6.1f ns  hit %6.1f ns\n", name, r.miss_ns, r.insert_ns, r.hit_ns);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t batches = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200;
  // Ids as producers make them: a group's upper 64 bits, a counter below.
  std::vector<TransferId> ids;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < 64 * kBatch; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    ids.push_back(TransferId(make_u128(x >> 54, i + 1)));
  }
  std::printf("transfer cache, %zu batches of %zu new ids, cleared past %zu entries (best of 3)\n", batches, kBatch,
              kCacheLimit);
  print("TransferTable (unordered_flat_map + deque)", run<OurTable>(ids, batches));
  print("std::unordered_map (reference)", run<NodeTable>(ids, batches));
  return 0;
}
