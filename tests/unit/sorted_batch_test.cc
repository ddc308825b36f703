// engine/storage/sorted_batch.h: a commit's entries reordered by key
// before the memtable sees them, with the same effect on a real RocksDB as
// the batch as it was built.
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/storage/sorted_batch.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;

namespace {

struct Seen {
  std::vector<std::string> keys;
  std::vector<std::optional<std::string>> values;  // nullopt: a delete
};

class Recorder final : public rocksdb::WriteBatch::Handler {
 public:
  Seen seen;
  rocksdb::Status PutCF(uint32_t, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    seen.keys.push_back(k.ToString());
    seen.values.emplace_back(v.ToString());
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t, const rocksdb::Slice& k) override {
    seen.keys.push_back(k.ToString());
    seen.values.emplace_back(std::nullopt);
    return rocksdb::Status::OK();
  }
};

Seen entries(const rocksdb::WriteBatch& wb) {
  Recorder r;
  REQUIRE(wb.Iterate(&r).ok());
  return r.seen;
}

std::unique_ptr<rocksdb::DB> open_db(const std::string& dir) {
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(o, dir, &raw).ok());
  return std::unique_ptr<rocksdb::DB>(raw);
}

std::map<std::string, std::string> contents(rocksdb::DB& db) {
  std::map<std::string, std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) out[it->key().ToString()] = it->value().ToString();
  REQUIRE(it->status().ok());
  return out;
}

// The same writes staged for the sorter and in a WriteBatch as built
// (the oracle: RocksDB applies it as it is).
struct Writes {
  StagedWrites staged;
  rocksdb::WriteBatch batch;
  void put(const std::string& k, const std::string& v) {
    staged.put(k, v);
    REQUIRE(batch.Put(k, v).ok());
  }
  void remove(const std::string& k) {
    staged.remove(k);
    REQUIRE(batch.Delete(k).ok());
  }
};

}  // namespace

TEST_CASE("a sorted batch holds the same entries in ascending key order") {
  Writes w;
  const std::vector<std::string> keys = {"T\x09", "A\x02", "W\x01", "A\x01", "T\x01", "Q", "A\xff", "H"};
  for (const auto& k : keys) w.put(k, "value of " + k);
  w.remove("B");

  BatchSorter sorter;
  rocksdb::WriteBatch* sorted = nullptr;
  REQUIRE(sorter.sort(w.staged, sorted).ok());
  REQUIRE(sorted != nullptr);
  const Seen s = entries(*sorted);
  CHECK(s.keys == std::vector<std::string>{"A\x01", "A\x02", "A\xff", "B", "H", "Q", "T\x01", "T\x09", "W\x01"});
  for (size_t i = 0; i < s.keys.size(); i++) {
    if (s.keys[i] == "B") {
      CHECK_FALSE(s.values[i].has_value());
    } else {
      CHECK(s.values[i] == "value of " + s.keys[i]);
    }
  }
  CHECK(sorted->Count() == w.batch.Count());
  CHECK(sorted->GetDataSize() == w.batch.GetDataSize());

  // The sorter's and the staging's buffers are reused: a second, smaller
  // batch leaves nothing of the first.
  w.staged.clear();
  w.staged.put("Z", "z");
  REQUIRE(sorter.sort(w.staged, sorted).ok());
  CHECK(entries(*sorted).keys == std::vector<std::string>{"Z"});
}

TEST_CASE("writes of one key keep their order, so RocksDB ends in the same state") {
  Writes w;
  w.put("k", "first");
  w.put("a", "1");
  w.remove("k");
  w.put("k", "last");
  w.put("gone", "x");
  w.put("b", "2");
  w.remove("gone");

  BatchSorter sorter;
  rocksdb::WriteBatch* sorted = nullptr;
  REQUIRE(sorter.sort(w.staged, sorted).ok());
  const Seen s = entries(*sorted);
  CHECK(s.keys == std::vector<std::string>{"a", "b", "gone", "gone", "k", "k", "k"});
  CHECK(s.values[4] == "first");
  CHECK_FALSE(s.values[5].has_value());
  CHECK(s.values[6] == "last");

  TempDir dir;
  auto as_built = open_db(dir.sub("as_built"));
  auto reordered = open_db(dir.sub("sorted"));
  REQUIRE(as_built->Write(rocksdb::WriteOptions(), &w.batch).ok());
  REQUIRE(reordered->Write(rocksdb::WriteOptions(), sorted).ok());
  const auto want = std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}, {"k", "last"}};
  CHECK(contents(*as_built) == want);
  CHECK(contents(*reordered) == want);
}

TEST_CASE("last_writes keeps each key once, with the batch's last write of it, in key order") {
  StagedWrites in;
  in.put("b", "1");
  in.put("a", "1");
  in.remove("b");    // put, then delete: the delete stays (a tombstone for older files)
  in.put("c", "1");
  in.put("a", "2");  // put, then put: the second value
  in.remove("d");
  in.put("d", "3");  // delete, then put: the put
  BatchSorter sorter;
  const std::vector<BatchSorter::Entry>* out = nullptr;
  sorter.last_writes(in, out);
  REQUIRE(out != nullptr);
  REQUIRE(out->size() == 4);
  const std::vector<std::pair<std::string, std::optional<std::string>>> want = {
      {"a", "2"}, {"b", std::nullopt}, {"c", "1"}, {"d", "3"}};
  for (size_t i = 0; i < want.size(); i++) {
    CAPTURE(i);
    CHECK((*out)[i].key.ToString() == want[i].first);
    CHECK((*out)[i].remove == !want[i].second.has_value());
    if (want[i].second) CHECK((*out)[i].value.ToString() == *want[i].second);
  }
}

TEST_CASE("the sort is bytewise order for keys that share their first 8, 16 or 20 bytes, of any length") {
  // Keys built to tie where the entry's words end: a tag, then zero bytes
  // (a small group number), then varied tails, lengths 1 to 30, trailing
  // zero bytes included ("A" < "A\0" < "A\0\0").
  std::vector<std::string> keys;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 4000; i++) {
    const size_t len = 1 + next() % 30;
    const size_t varied_from = std::min<size_t>(len - 1, next() % 24);  // bytes before are fixed
    std::string k(len, '\0');
    k[0] = "AHTW"[next() % 4];
    for (size_t j = varied_from; j < len; j++) k[j] = static_cast<char>(next() % 3 == 0 ? 0 : next() % 256);
    keys.push_back(k);
  }
  StagedWrites staged;
  for (size_t i = 0; i < keys.size(); i++) staged.put(keys[i], std::to_string(i));
  BatchSorter sorter;
  rocksdb::WriteBatch* sorted = nullptr;
  REQUIRE(sorter.sort(staged, sorted).ok());
  const Seen s = entries(*sorted);

  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rocksdb::Slice(keys[a]).compare(rocksdb::Slice(keys[b])) < 0; });
  REQUIRE(s.keys.size() == keys.size());
  size_t wrong = 0;
  for (size_t i = 0; i < order.size(); i++) {
    if (s.keys[i] != keys[order[i]] || s.values[i] != std::to_string(order[i])) wrong++;
  }
  CHECK(wrong == 0);
}

TEST_CASE("staged writes sort to the batch their writes make in key order, byte for byte") {
  // The oracle: the same writes put into a WriteBatch by RocksDB itself, in
  // insertion order (its size) and in stable key order (its bytes).
  struct Op {
    std::string key;
    std::optional<std::string> value;  // nullopt: a delete
  };
  std::vector<Op> ops;
  rocksdb::WriteBatch as_built;
  StagedWrites staged;
  uint64_t x = 12345;
  for (int i = 0; i < 500; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    // Keys and values of 0 to 300 bytes (varint lengths of one and two bytes), some repeated.
    const std::string key(1 + (x >> 20) % 40, static_cast<char>('A' + (x >> 8) % 4));
    const std::string k = key + std::to_string((x >> 32) % 200);
    if ((x >> 40) % 5 == 0) {
      REQUIRE(as_built.Delete(k).ok());
      staged.remove(k);
      ops.push_back({k, std::nullopt});
    } else {
      const std::string v((x >> 44) % 300, static_cast<char>(i));
      REQUIRE(as_built.Put(k, v).ok());
      staged.put(k, v);
      ops.push_back({k, v});
    }
    CHECK(staged.data_size() == as_built.GetDataSize());
  }
  CHECK(staged.count() == as_built.Count());

  std::vector<size_t> order(ops.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return rocksdb::Slice(ops[a].key).compare(rocksdb::Slice(ops[b].key)) < 0;
  });
  rocksdb::WriteBatch want;
  for (size_t i : order) REQUIRE((ops[i].value ? want.Put(ops[i].key, *ops[i].value) : want.Delete(ops[i].key)).ok());

  BatchSorter sorter;
  rocksdb::WriteBatch* got = nullptr;
  REQUIRE(sorter.sort(staged, got).ok());
  CHECK(got->Data() == want.Data());

  // last_writes: the last of each key's run in that order.
  const std::vector<BatchSorter::Entry>* last = nullptr;
  sorter.last_writes(staged, last);
  size_t expected = 0, differ = 0;
  for (size_t j = 0; j < order.size(); j++) {
    if (j + 1 < order.size() && ops[order[j + 1]].key == ops[order[j]].key) continue;
    const Op& op = ops[order[j]];
    if (expected < last->size()) {
      const BatchSorter::Entry& e = (*last)[expected];
      if (e.key.ToString() != op.key || e.remove != !op.value || (op.value && e.value.ToString() != *op.value)) differ++;
    }
    expected++;
  }
  CHECK(last->size() == expected);
  CHECK(differ == 0);

  // clear() leaves nothing of the earlier writes.
  staged.clear();
  staged.put("Z", "z");
  REQUIRE(sorter.sort(staged, got).ok());
  CHECK(entries(*got).keys == std::vector<std::string>{"Z"});
  CHECK(staged.data_size() == got->GetDataSize());
}
