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

}  // namespace

TEST_CASE("a sorted batch holds the same entries in ascending key order") {
  rocksdb::WriteBatch wb;
  const std::vector<std::string> keys = {"T\x09", "A\x02", "W\x01", "A\x01", "T\x01", "Q", "A\xff", "H"};
  for (const auto& k : keys) REQUIRE(wb.Put(k, "value of " + k).ok());
  REQUIRE(wb.Delete("B").ok());

  BatchSorter sorter;
  rocksdb::WriteBatch* sorted = nullptr;
  REQUIRE(sorter.sort(wb, sorted).ok());
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
  CHECK(sorted->Count() == wb.Count());

  // The sorter's buffers are reused: a second, smaller batch leaves nothing of the first.
  rocksdb::WriteBatch small;
  REQUIRE(small.Put("Z", "z").ok());
  REQUIRE(sorter.sort(small, sorted).ok());
  CHECK(entries(*sorted).keys == std::vector<std::string>{"Z"});
}

TEST_CASE("writes of one key keep their order, so RocksDB ends in the same state") {
  rocksdb::WriteBatch wb;
  REQUIRE(wb.Put("k", "first").ok());
  REQUIRE(wb.Put("a", "1").ok());
  REQUIRE(wb.Delete("k").ok());
  REQUIRE(wb.Put("k", "last").ok());
  REQUIRE(wb.Put("gone", "x").ok());
  REQUIRE(wb.Put("b", "2").ok());
  REQUIRE(wb.Delete("gone").ok());

  BatchSorter sorter;
  rocksdb::WriteBatch* sorted = nullptr;
  REQUIRE(sorter.sort(wb, sorted).ok());
  const Seen s = entries(*sorted);
  CHECK(s.keys == std::vector<std::string>{"a", "b", "gone", "gone", "k", "k", "k"});
  CHECK(s.values[4] == "first");
  CHECK_FALSE(s.values[5].has_value());
  CHECK(s.values[6] == "last");

  TempDir dir;
  auto as_built = open_db(dir.sub("as_built"));
  auto reordered = open_db(dir.sub("sorted"));
  REQUIRE(as_built->Write(rocksdb::WriteOptions(), &wb).ok());
  REQUIRE(reordered->Write(rocksdb::WriteOptions(), sorted).ok());
  const auto want = std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}, {"k", "last"}};
  CHECK(contents(*as_built) == want);
  CHECK(contents(*reordered) == want);
}

TEST_CASE("entries the sorter cannot reorder are refused, not dropped") {
  rocksdb::WriteBatch merge;
  REQUIRE(merge.Put("a", "1").ok());
  REQUIRE(merge.Merge("a", "2").ok());
  BatchSorter sorter;
  rocksdb::WriteBatch* sorted = nullptr;
  CHECK_FALSE(sorter.sort(merge, sorted).ok());

  rocksdb::WriteBatch range;
  REQUIRE(range.DeleteRange("a", "c").ok());
  CHECK_FALSE(sorter.sort(range, sorted).ok());
}

TEST_CASE("last_writes keeps each key once, with the batch's last write of it, in key order") {
  rocksdb::WriteBatch in;
  REQUIRE(in.Put("b", "1").ok());
  REQUIRE(in.Put("a", "1").ok());
  REQUIRE(in.Delete("b").ok());    // put, then delete: the delete stays (a tombstone for older files)
  REQUIRE(in.Put("c", "1").ok());
  REQUIRE(in.Put("a", "2").ok());  // put, then put: the second value
  REQUIRE(in.Delete("d").ok());
  REQUIRE(in.Put("d", "3").ok());  // delete, then put: the put
  BatchSorter sorter;
  const std::vector<BatchSorter::Entry>* out = nullptr;
  REQUIRE(sorter.last_writes(in, out).ok());
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
  rocksdb::WriteBatch merge;
  REQUIRE(merge.Merge("a", "x").ok());
  CHECK(sorter.last_writes(merge, out).IsInvalidArgument());
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
  rocksdb::WriteBatch wb;
  for (size_t i = 0; i < keys.size(); i++) REQUIRE(wb.Put(keys[i], std::to_string(i)).ok());
  BatchSorter sorter;
  rocksdb::WriteBatch* sorted = nullptr;
  REQUIRE(sorter.sort(wb, sorted).ok());
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

TEST_CASE("staged writes sort to the same batch as a WriteBatch of the same writes, byte for byte") {
  rocksdb::WriteBatch wb;
  StagedWrites staged;
  uint64_t x = 12345;
  for (int i = 0; i < 500; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    // Keys and values of 0 to 300 bytes (varint lengths of one and two bytes), some repeated.
    const std::string key(1 + (x >> 20) % 40, static_cast<char>('A' + (x >> 8) % 4));
    const std::string k = key + std::to_string((x >> 32) % 200);
    if ((x >> 40) % 5 == 0) {
      REQUIRE(wb.Delete(k).ok());
      staged.remove(k);
    } else {
      const std::string v((x >> 44) % 300, static_cast<char>(i));
      REQUIRE(wb.Put(k, v).ok());
      staged.put(k, v);
    }
    CHECK(staged.data_size() == wb.GetDataSize());
  }
  CHECK(staged.count() == wb.Count());

  BatchSorter from_batch, from_staged;
  rocksdb::WriteBatch* a = nullptr;
  rocksdb::WriteBatch* b = nullptr;
  REQUIRE(from_batch.sort(wb, a).ok());
  REQUIRE(from_staged.sort(staged, b).ok());
  CHECK(a->Data() == b->Data());

  const std::vector<BatchSorter::Entry>* la = nullptr;
  const std::vector<BatchSorter::Entry>* lb = nullptr;
  REQUIRE(from_batch.last_writes(wb, la).ok());
  from_staged.last_writes(staged, lb);
  REQUIRE(la->size() == lb->size());
  size_t differ = 0;
  for (size_t i = 0; i < la->size(); i++) {
    const auto& p = (*la)[i];
    const auto& q = (*lb)[i];
    if (p.key != q.key || p.remove != q.remove || (!p.remove && p.value != q.value)) differ++;
  }
  CHECK(differ == 0);

  // clear() leaves nothing of the earlier writes.
  staged.clear();
  staged.put("Z", "z");
  REQUIRE(from_staged.sort(staged, b).ok());
  CHECK(entries(*b).keys == std::vector<std::string>{"Z"});
  CHECK(staged.data_size() == b->GetDataSize());
}
