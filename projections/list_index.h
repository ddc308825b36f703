// The list indexes (docs/queries.md): which accounts and transfers have a
// given ledger, code or user_data value, in creation-time order, for the
// list queries of projections/list_queries.h.
//
// Keys (records.h):
//   'I' field(1) value(16) first timestamp(8)  IndexBlock of accounts
//   'X' field(1) value(16) first timestamp(8)  IndexBlock of transfers
//   "N"                                        (empty): the store holds the
//                                              list indexes (written at creation
//                                              or by the one-time backfill)
// A block holds up to kIndexBlockEntries (timestamp, id) pairs, ascending,
// of the records one commit created with that field value: one key per
// commit per indexed value, the way history blocks are cut ('H'), so a
// workload with one ledger and one code pays three keys per commit (all,
// ledger, code), not per transfer. Zero user_data values are "none" and are
// not indexed; ledger and code are never zero on created records. Only
// created records are indexed (not final rejections), and no system
// (reserved-range) account. Values are big-endian in the key, so a value's
// blocks sort by time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "projections/model.h"

namespace tally {

// Frozen values: they are in the keys.
enum class IndexField : uint8_t {
  all = 0,  // every created record (value 0): the creation-time index
  ledger = 1,
  code = 2,
  user_data_128 = 3,
  user_data_64 = 4,
  user_data_32 = 5,
};

inline constexpr char kAccountIndexTag = 'I';
inline constexpr char kTransferIndexTag = 'X';
inline constexpr char kIndexMarker[] = "N";
inline constexpr size_t kIndexBlockEntries = 1024;

struct IndexBlock {
  struct Entry {
    Timestamp timestamp;
    u128 id = 0;
    bool operator==(const Entry&) const = default;
  };
  std::vector<Entry> entries;  // ascending timestamps; never empty when stored
  bool operator==(const IndexBlock&) const = default;
};

// One (field, value) an account or transfer is listed under.
struct IndexTerm {
  IndexField field = IndexField::all;
  u128 value = 0;
  bool operator==(const IndexTerm&) const = default;
};

// The terms a created record is indexed under (all, ledger, code, and each
// non-zero user_data); none for rejections and system accounts. A fixed
// array: the write path calls this per transfer and allocates nothing.
struct IndexTerms {
  IndexTerm terms[6];
  size_t size = 0;
  const IndexTerm* begin() const { return terms; }
  const IndexTerm* end() const { return terms + size; }
  void push_back(IndexTerm t) { terms[size++] = t; }
};
IndexTerms index_terms(const Account& a);
IndexTerms index_terms(const Transfer& t);

namespace keys {
// 'I' or 'X' + field + value: the prefix of one term's blocks.
std::string index_prefix(char tag, IndexTerm term);
std::string index(char tag, IndexTerm term, Timestamp first);
}  // namespace keys

void encode_to(std::string& buffer, const IndexBlock& v);
std::string encode(const IndexBlock& v);
Result<IndexBlock> decode_index(std::string_view bytes);

// Whether `key` is an index block key ('I' or 'X', 26 bytes).
inline bool is_index_key(std::string_view key) {
  return key.size() == 26 && (key[0] == kAccountIndexTag || key[0] == kTransferIndexTag);
}

}  // namespace tally
