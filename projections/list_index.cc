#include "projections/list_index.h"

#include <cstring>

#include "engine/core/bytes.h"

namespace tally {
namespace {

constexpr uint8_t kIndexVersion = 1;
constexpr size_t kEntryBytes = 24;

void add_user_data(IndexTerms& out, u128 u128v, uint64_t u64v, uint32_t u32v) {
  if (u128v != 0) out.push_back({IndexField::user_data_128, u128v});
  if (u64v != 0) out.push_back({IndexField::user_data_64, u64v});
  if (u32v != 0) out.push_back({IndexField::user_data_32, u32v});
}

void append_le64(std::string& s, uint64_t v) {
  char b[8];
  put_le64(b, v);
  s.append(b, 8);
}

}  // namespace

IndexTerms index_terms(const Account& a) {
  IndexTerms out;
  if (a.outcome != Outcome::created || in_reserved_range(a.id)) return out;
  out.push_back({IndexField::all, 0});
  out.push_back({IndexField::ledger, a.ledger});
  out.push_back({IndexField::code, a.code});
  add_user_data(out, a.user_data_128, a.user_data_64, a.user_data_32);
  return out;
}

IndexTerms index_terms(const Transfer& t) {
  IndexTerms out;
  if (t.outcome != Outcome::created) return out;
  out.push_back({IndexField::all, 0});
  out.push_back({IndexField::ledger, t.ledger});
  out.push_back({IndexField::code, t.code});
  add_user_data(out, t.user_data_128, t.user_data_64, t.user_data_32);
  return out;
}

namespace keys {
std::string index_prefix(char tag, IndexTerm term) {
  std::string k(1, tag);
  k.push_back(static_cast<char>(term.field));
  append_be128(k, term.value);
  return k;
}
std::string index(char tag, IndexTerm term, Timestamp first) {
  std::string k = index_prefix(tag, term);
  append_be64(k, first.ns);
  return k;
}
}  // namespace keys

void encode_to(std::string& buffer, const IndexBlock& v) {
  buffer.clear();
  buffer.push_back(static_cast<char>(kIndexVersion));
  for (const IndexBlock::Entry& e : v.entries) {
    append_le64(buffer, e.timestamp.ns);
    append_le64(buffer, u128_lo(e.id));
    append_le64(buffer, u128_hi(e.id));
  }
}

std::string encode(const IndexBlock& v) {
  std::string out;
  encode_to(out, v);
  return out;
}

Result<IndexBlock> decode_index(std::string_view b) {
  const size_t n = b.empty() ? 0 : (b.size() - 1) / kEntryBytes;
  if (b.empty() || static_cast<uint8_t>(b[0]) != kIndexVersion || (b.size() - 1) % kEntryBytes != 0 ||
      n == 0 || n > kIndexBlockEntries) {
    return Status::Corruption("stored index record of " + std::to_string(b.size()) +
                              " bytes does not decode");
  }
  IndexBlock v;
  v.entries.reserve(n);
  for (size_t i = 0; i < n; i++) {
    const char* p = b.data() + 1 + i * kEntryBytes;
    IndexBlock::Entry e{Timestamp{get_le64(p)}, make_u128(get_le64(p + 16), get_le64(p + 8))};
    if (!v.entries.empty() && e.timestamp <= v.entries.back().timestamp) {
      return Status::Corruption("stored index record has timestamps out of order");
    }
    v.entries.push_back(e);
  }
  return v;
}

}  // namespace tally
