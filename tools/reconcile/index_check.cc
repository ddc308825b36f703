// The list indexes ('I', 'X'; projections/list_index.h): every created
// account and transfer is listed under each of its terms exactly once, and
// nothing else is. Per term, the entries the records imply (counted as the
// records are read) and those the blocks hold are compared by count and by
// an order-free sum of a hash of each (timestamp, id), so a missing, extra
// or wrong entry shows without keeping every entry in memory. A store
// without the marker "N" (written before the indexes, not yet opened by a
// newer writer) has none to check.
#include "engine/core/bytes.h"
#include "engine/core/digest.h"
#include "tools/reconcile/checker.h"

namespace tally::reconcile::detail {
namespace {

uint64_t entry_hash(Timestamp ts, u128 id) {
  Digest d;
  d.add(ts.ns);
  d.add(id);
  return Digest::finish(d.state());
}

std::string term_name(char tag, uint8_t field, u128 value) {
  static const char* names[] = {"all", "ledger", "code", "user_data_128", "user_data_64", "user_data_32"};
  const std::string f = field < 6 ? names[field] : std::to_string(field);
  return std::string(tag == kAccountIndexTag ? "accounts" : "transfers") + " by " + f + " " + u128_to_string(value);
}

}  // namespace

template <class Record>
void PartitionChecker::expect_index(char tag, const Record& r) {
  for (const IndexTerm& t : index_terms(r)) {
    IndexTally& x = index_expected_[{tag, static_cast<uint8_t>(t.field), t.value}];
    x.count++;
    x.hash += entry_hash(r.timestamp, r.id.value());
  }
}
template void PartitionChecker::expect_index(char, const Account&);
template void PartitionChecker::expect_index(char, const Transfer&);

Status PartitionChecker::check_indexes() {
  TALLY_ASSIGN_OR_RETURN(std::optional<std::string> marker, store_->get(kIndexMarker));
  if (!marker) return Status::Ok();
  std::map<IndexTermKey, IndexTally> found;
  for (char tag : {kAccountIndexTag, kTransferIndexTag}) {
    const std::string from(1, tag), to(1, static_cast<char>(tag + 1));
    TALLY_RETURN_IF_ERROR(store_->scan(from, to, false, 0, [&](std::string_view k, std::string_view v) {
      if (!is_index_key(k)) return true;
      auto block = decode_index(v);
      if (!block.ok()) {
        unreadable(k, block.status());
        return true;
      }
      IndexTally& x = found[{tag, static_cast<uint8_t>(k[1]), get_be128(k.data() + 2)}];
      for (const IndexBlock::Entry& e : block->entries) {
        x.count++;
        x.hash += entry_hash(e.timestamp, e.id);
      }
      return true;
    }).status());
  }
  auto differ = [&](const IndexTermKey& key, const IndexTally& want, const IndexTally& got) {
    report({.kind = "index_mismatch",
            .subject = "index",
            .id = term_name(std::get<0>(key), std::get<1>(key), std::get<2>(key)),
            .expected = std::to_string(want.count) + " entries",
            .found = std::to_string(got.count) + " entries" + (want.count == got.count ? ", not the same ones" : ""),
            .detail = "the list index differs from the records it lists (docs/queries.md)"});
  };
  for (const auto& [key, want] : index_expected_) {
    auto it = found.find(key);
    const IndexTally got = it == found.end() ? IndexTally{} : it->second;
    if (got.count != want.count || got.hash != want.hash) differ(key, want, got);
  }
  for (const auto& [key, got] : found) {
    if (!index_expected_.contains(key)) differ(key, IndexTally{}, got);
  }
  return Status::Ok();
}

}  // namespace tally::reconcile::detail
