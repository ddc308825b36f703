#include "engine/storage/sorted_batch.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

namespace tally {
namespace {

// Bytes [from, from + n) of `key` as a big-endian number, zero-padded
// past its end.
uint64_t key_word(const rocksdb::Slice& key, size_t from, size_t n) {
  if (n == 8 && from + 8 <= key.size()) {
    uint64_t w;
    std::memcpy(&w, key.data() + from, 8);
    return __builtin_bswap64(w);
  }
  uint64_t w = 0;
  for (size_t i = 0; i < n; i++) {
    w <<= 8;
    if (from + i < key.size()) w |= static_cast<uint8_t>(key[from + i]);
  }
  return w;
}

template <class Entry>
Entry make_entry(const rocksdb::Slice& key, uint32_t index, bool remove, const rocksdb::Slice& value) {
  return Entry{key_word(key, 0, 8), key_word(key, 8, 8), static_cast<uint32_t>(key_word(key, 16, 4)),
               index, remove, key, value};
}

// Collects a batch's entries as slices into its own buffer.
template <class Entry>
class Collector final : public rocksdb::WriteBatch::Handler {
 public:
  explicit Collector(std::vector<Entry>& out) : out_(out) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    if (cf != 0) return rocksdb::Status::InvalidArgument("sorted batch: column family");
    out_.push_back(make_entry<Entry>(key, next(), false, value));
    return rocksdb::Status::OK();
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    if (cf != 0) return rocksdb::Status::InvalidArgument("sorted batch: column family");
    out_.push_back(make_entry<Entry>(key, next(), true, rocksdb::Slice()));
    return rocksdb::Status::OK();
  }
  // Everything else is refused (the Handler's defaults would skip a merge
  // or a single delete in the default column family, silently).
  rocksdb::Status MergeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return refuse("merge");
  }
  rocksdb::Status SingleDeleteCF(uint32_t, const rocksdb::Slice&) override { return refuse("single delete"); }
  rocksdb::Status DeleteRangeCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return refuse("delete range");
  }
  rocksdb::Status PutEntityCF(uint32_t, const rocksdb::Slice&, const rocksdb::Slice&) override {
    return refuse("entity");
  }
  void LogData(const rocksdb::Slice&) override { log_data_ = true; }
  bool saw_log_data() const { return log_data_; }

 private:
  uint32_t next() const { return static_cast<uint32_t>(out_.size()); }
  static rocksdb::Status refuse(const char* what) {
    return rocksdb::Status::InvalidArgument(std::string("sorted batch: cannot reorder a ") + what);
  }
  std::vector<Entry>& out_;
  bool log_data_ = false;
};

}  // namespace

bool BatchSorter::before(const Entry& a, const Entry& b) {
  if (a.word0 != b.word0) return a.word0 < b.word0;
  if (a.word1 != b.word1) return a.word1 < b.word1;
  if (a.word2 != b.word2) return a.word2 < b.word2;
  // The first 20 bytes are equal, zero padding included: a key shorter
  // than 20 bytes is then a prefix of the other (or the same key), and
  // otherwise the bytes from 20 on decide.
  constexpr size_t kInEntry = 20;
  if (a.key.size() <= kInEntry || b.key.size() <= kInEntry) {
    if (a.key.size() != b.key.size()) return a.key.size() < b.key.size();
  } else {
    const rocksdb::Slice ta(a.key.data() + kInEntry, a.key.size() - kInEntry);
    const rocksdb::Slice tb(b.key.data() + kInEntry, b.key.size() - kInEntry);
    if (const int c = ta.compare(tb); c != 0) return c < 0;
  }
  return a.index < b.index;
}

rocksdb::Status BatchSorter::collect_sorted(const rocksdb::WriteBatch& in) {
  entries_.clear();
  Collector<Entry> collect(entries_);
  const rocksdb::Status s = in.Iterate(&collect);
  if (!s.ok()) return s;
  if (collect.saw_log_data()) return rocksdb::Status::InvalidArgument("sorted batch: cannot reorder log data");
  // (key, index) is unique, so an unstable sort gives the one order that
  // keeps each key's writes in sequence. A lambda, not a function pointer:
  // the compare inlines into the sort.
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return before(a, b); });
  return rocksdb::Status::OK();
}

rocksdb::Status BatchSorter::sort(const rocksdb::WriteBatch& in, rocksdb::WriteBatch*& out) {
  const rocksdb::Status s = collect_sorted(in);
  if (!s.ok()) return s;
  sorted_.Clear();
  for (const Entry& e : entries_) {
    const rocksdb::Status w = e.remove ? sorted_.Delete(e.key) : sorted_.Put(e.key, e.value);
    if (!w.ok()) return w;
  }
  assert(sorted_.Count() == in.Count());
  assert(sorted_.GetDataSize() == in.GetDataSize());
  out = &sorted_;
  return rocksdb::Status::OK();
}

rocksdb::Status BatchSorter::last_writes(const rocksdb::WriteBatch& in, const std::vector<Entry>*& out) {
  const rocksdb::Status s = collect_sorted(in);
  if (!s.ok()) return s;
  // A key's writes are adjacent and in batch order: keep the last of each run.
  size_t kept = 0;
  for (size_t i = 0; i < entries_.size(); i++) {
    const bool last = i + 1 == entries_.size() || entries_[i + 1].key != entries_[i].key;
    if (last) entries_[kept++] = entries_[i];
  }
  entries_.resize(kept);
  out = &entries_;
  return rocksdb::Status::OK();
}

}  // namespace tally
