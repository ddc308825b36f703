#include "projections/store_index.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "engine/core/logging.h"
#include "projections/list_index.h"
#include "projections/records.h"

namespace tally {
namespace {

// Everything one tag's records are indexed under, gathered in memory:
// the backfill runs once, before the store serves anything.
using Gathered = std::map<std::pair<uint8_t, u128>, std::vector<IndexBlock::Entry>>;

template <class Record, class Decode>
Status gather(rocksdb::DB& db, char tag, Decode decode, Gathered& out, uint64_t& records) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  const std::string prefix(1, tag);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != 17) continue;
    Result<Record> r = decode(std::string_view(it->value().data(), it->value().size()));
    if (!r.ok()) return r.status();
    for (const IndexTerm& term : index_terms(*r)) {
      out[{static_cast<uint8_t>(term.field), term.value}].push_back({r->timestamp, r->id.value()});
    }
    records++;
  }
  if (!it->status().ok()) return Status::IoError(it->status().ToString());
  return Status::Ok();
}

Status write_blocks(rocksdb::DB& db, char tag, Gathered& gathered) {
  rocksdb::WriteBatch wb;
  std::string value;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  for (auto& [key, entries] : gathered) {
    std::sort(entries.begin(), entries.end(),
              [](const IndexBlock::Entry& a, const IndexBlock::Entry& b) { return a.timestamp < b.timestamp; });
    const IndexTerm term{static_cast<IndexField>(key.first), key.second};
    for (size_t at = 0; at < entries.size(); at += kIndexBlockEntries) {
      const size_t end = std::min(entries.size(), at + kIndexBlockEntries);
      IndexBlock block{std::vector<IndexBlock::Entry>(entries.begin() + static_cast<long>(at),
                                                      entries.begin() + static_cast<long>(end))};
      encode_to(value, block);
      wb.Put(keys::index(tag, term, block.entries.front().timestamp), value);
      if (wb.Count() >= 4096) {
        const rocksdb::Status s = db.Write(wo, &wb);
        if (!s.ok()) return Status::IoError(s.ToString());
        wb.Clear();
      }
    }
  }
  const rocksdb::Status s = db.Write(wo, &wb);
  return s.ok() ? Status::Ok() : Status::IoError(s.ToString());
}

}  // namespace

Status ensure_list_indexes(rocksdb::DB& db, const std::string& dir, bool created) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  if (!created) {
    std::string v;
    const rocksdb::Status g = db.Get(rocksdb::ReadOptions(), kIndexMarker, &v);
    if (g.ok()) return Status::Ok();
    if (!g.IsNotFound()) return Status::IoError("reading the index marker of " + dir + ": " + g.ToString());
    uint64_t accounts = 0, transfers = 0;
    Gathered a, t;
    TALLY_RETURN_IF_ERROR(gather<Account>(db, 'A', decode_account, a, accounts).with_context(dir));
    TALLY_RETURN_IF_ERROR(write_blocks(db, kAccountIndexTag, a).with_context(dir));
    a.clear();
    TALLY_RETURN_IF_ERROR(gather<Transfer>(db, 'T', decode_transfer, t, transfers).with_context(dir));
    TALLY_RETURN_IF_ERROR(write_blocks(db, kTransferIndexTag, t).with_context(dir));
    logging::info("store", "built the list indexes of {} once: {} accounts, {} transfers", dir, accounts, transfers);
  }
  const rocksdb::Status s = db.Put(wo, kIndexMarker, "");
  if (!s.ok()) return Status::IoError("writing the index marker of " + dir + ": " + s.ToString());
  return Status::Ok();
}

}  // namespace tally
