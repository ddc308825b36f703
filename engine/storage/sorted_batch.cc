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

BatchSorter::Entry make_entry(const rocksdb::Slice& key, uint32_t index, bool remove, const rocksdb::Slice& value) {
  return BatchSorter::Entry{key_word(key, 0, 8), key_word(key, 8, 8), static_cast<uint32_t>(key_word(key, 16, 4)),
               index, remove, key, value};
}

// The length of `n` as a varint32 in a WriteBatch record.
size_t varint_size(size_t n) {
  size_t bytes = 1;
  while (n >= 128) {
    n >>= 7;
    bytes++;
  }
  return bytes;
}

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

void StagedWrites::put(const rocksdb::Slice& key, const rocksdb::Slice& value) {
  assert(buf_.size() + key.size() + value.size() < (uint64_t{1} << 32));  // offsets are 32-bit
  const auto key_at = static_cast<uint32_t>(buf_.size());
  buf_.append(key.data(), key.size());
  const auto value_at = static_cast<uint32_t>(buf_.size());
  buf_.append(value.data(), value.size());
  writes_.push_back(Write{key_at, static_cast<uint32_t>(key.size()), value_at,
                          static_cast<uint32_t>(value.size()), false});
  // A put record: its tag, the key and the value, each with its length.
  data_size_ += 1 + varint_size(key.size()) + key.size() + varint_size(value.size()) + value.size();
}

void StagedWrites::remove(const rocksdb::Slice& key) {
  assert(buf_.size() + key.size() < (uint64_t{1} << 32));
  const auto key_at = static_cast<uint32_t>(buf_.size());
  buf_.append(key.data(), key.size());
  writes_.push_back(Write{key_at, static_cast<uint32_t>(key.size()), 0, 0, true});
  data_size_ += 1 + varint_size(key.size()) + key.size();
}

void StagedWrites::clear() {
  buf_.clear();  // the capacity stays, for the next commit
  writes_.clear();
  data_size_ = kBatchHeader;
}

void BatchSorter::collect_sorted(const StagedWrites& in) {
  entries_.clear();
  entries_.reserve(in.writes_.size());
  const char* base = in.buf_.data();
  for (size_t i = 0; i < in.writes_.size(); i++) {
    const StagedWrites::Write& w = in.writes_[i];
    const rocksdb::Slice key(base + w.key_at, w.key_size);
    const rocksdb::Slice value(base + w.value_at, w.value_size);
    entries_.push_back(make_entry(key, static_cast<uint32_t>(i), w.remove, value));
  }
  // (key, index) is unique, so an unstable sort gives the one order that
  // keeps each key's writes in sequence. A lambda, not a function pointer:
  // the compare inlines into the sort.
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return before(a, b); });
}

rocksdb::Status BatchSorter::sort(const StagedWrites& in, rocksdb::WriteBatch*& out) {
  collect_sorted(in);
  sorted_.Clear();
  for (const Entry& e : entries_) {
    const rocksdb::Status w = e.remove ? sorted_.Delete(e.key) : sorted_.Put(e.key, e.value);
    if (!w.ok()) return w;
  }
  assert(sorted_.Count() == in.count());
  assert(sorted_.GetDataSize() == in.data_size());
  out = &sorted_;
  return rocksdb::Status::OK();
}

void BatchSorter::last_writes(const StagedWrites& in, const std::vector<Entry>*& out) {
  collect_sorted(in);
  // A key's writes are adjacent and in batch order: keep the last of each run.
  size_t kept = 0;
  for (size_t i = 0; i < entries_.size(); i++) {
    const bool last = i + 1 == entries_.size() || entries_[i + 1].key != entries_[i].key;
    if (last) entries_[kept++] = entries_[i];
  }
  entries_.resize(kept);
  out = &entries_;
}

}  // namespace tally
