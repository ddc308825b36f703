#include "tools/replay/compare.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <deque>
#include <memory>

#include "engine/core/bytes.h"
#include "engine/core/u128.h"
#include "engine/storage/rocks_support.h"
#include "projections/list_index.h"
#include "projections/records.h"
#include "recovery/relay.h"

namespace tally::replay {
namespace {

struct Item {
  std::string key;
  std::string value;
};

Result<std::unique_ptr<rocksdb::DB>> open_read_only(const std::string& dir, const std::string& role) {
  rocksdb::Options o;
  o.create_if_missing = false;
  o.info_log = make_rocks_logger(role);
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::OpenForReadOnly(o, dir, &raw);
  if (!s.ok()) return Status::Corruption("opening the " + role + ": " + s.ToString());
  return std::unique_ptr<rocksdb::DB>(raw);
}

// The store's keys in order, in the canonical form compare_stores
// compares (see compare.h).
class Cursor {
 public:
  Cursor(rocksdb::DB& db, uint64_t outbox_floor) : floor_(outbox_floor) {
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;
    it_.reset(db.NewIterator(ro));
    it_->SeekToFirst();
  }
  // The next item; false at the end or on an error (status()).
  bool next(Item& out) {
    while (queue_.empty() && error_.ok()) {
      if (!it_->Valid()) {
        if (!it_->status().ok()) error_ = Status::Corruption(it_->status().ToString());
        return false;
      }
      expand(std::string_view(it_->key().data(), it_->key().size()),
             std::string_view(it_->value().data(), it_->value().size()));
      it_->Next();
    }
    if (queue_.empty()) return false;
    out = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }
  const Status& status() const { return error_; }

 private:
  void expand(std::string_view key, std::string_view value) {
    if (key == keys::kRelay) return;
    if (key.size() == 9 && key[0] == 'Q') {
      if (get_be64(key.data() + 1) < floor_) return;
      auto entries = decode_outbox_entries(value);
      if (!entries.ok()) {
        error_ = entries.status().with_context(describe_key(key));
        return;
      }
      for (const OutboxEntry& e : *entries) {
        if (e.seq >= floor_) queue_.push_back({keys::outbox(e.seq), encode(e)});
      }
      return;
    }
    if (key.size() == 25 && key[0] == 'H') {
      auto block = decode_history(value);
      if (!block.ok()) {
        error_ = block.status().with_context(describe_key(key));
        return;
      }
      for (const HistoryBlock::Entry& e : block->entries) {
        std::string k(key.substr(0, 17));
        append_be64(k, e.timestamp.ns);
        queue_.push_back({std::move(k), encode(HistoryBlock{std::vector<HistoryBlock::Entry>{e}})});
      }
      return;
    }
    if (is_index_key(key)) {
      auto block = decode_index(value);
      if (!block.ok()) {
        error_ = block.status().with_context(describe_key(key));
        return;
      }
      for (const IndexBlock::Entry& e : block->entries) {
        std::string k(key.substr(0, 18));
        append_be64(k, e.timestamp.ns);
        queue_.push_back({std::move(k), encode(IndexBlock{std::vector<IndexBlock::Entry>{e}})});
      }
      return;
    }
    queue_.push_back({std::string(key), std::string(value)});
  }

  std::unique_ptr<rocksdb::Iterator> it_;
  uint64_t floor_;
  std::deque<Item> queue_;
  Status error_;
};

Result<uint64_t> outbox_floor(rocksdb::DB& db) {
  std::string v;
  const rocksdb::Status s = db.Get(rocksdb::ReadOptions(), keys::kRelay, &v);
  if (s.IsNotFound()) return uint64_t{0};
  if (!s.ok()) return Status::Corruption(s.ToString());
  return decode_relay_progress(v);
}

std::string id_at(std::string_view key, size_t at) {
  return key.size() >= at + 16 ? u128_to_string(get_be128(key.data() + at)) : "?";
}
std::string u64_at(std::string_view key, size_t at) {
  return key.size() >= at + 8 ? std::to_string(get_be64(key.data() + at)) : "?";
}

}  // namespace

std::string describe_key(std::string_view key) {
  if (key.empty()) return "the empty key";
  switch (key[0]) {
    case 'M': return "the meta record";
    case 'A': return "account " + id_at(key, 1);
    case 'T': return "transfer " + id_at(key, 1);
    case 'P': return "the pending index entry of transfer " + id_at(key, 1);
    case 'I':
    case 'X':
      return std::string(key[0] == 'I' ? "an account" : "a transfer") + " index entry (field " +
             (key.size() >= 2 ? std::to_string(static_cast<uint8_t>(key[1])) : std::string("?")) + ", value " +
             id_at(key, 2) + ") at timestamp " + u64_at(key, 18);
    case 'N': return "the list index marker";
    case 'H': return "a history entry of account " + id_at(key, 1) + " at timestamp " + u64_at(key, 17);
    case 'O': return "the outcomes of offset " + u64_at(key, 1);
    case 'S': return "saga " + id_at(key, 1);
    case 'F': return "the in-flight index entry of saga " + id_at(key, 1);
    case 'L':
      return "the leg of saga " + id_at(key, 5) + " from partition " +
             (key.size() >= 5 ? std::to_string(get_be32(key.data() + 1)) : std::string("?"));
    case 'W': return "a timer due at " + u64_at(key, 1) + " for " + id_at(key, 10);
    case 'Q': return "outbox entry " + u64_at(key, 1);
    case 'E': return "the quarantine record of offset " + u64_at(key, 1);
    default: return "an unknown key (tag 0x" + std::to_string(static_cast<uint8_t>(key[0])) + ")";
  }
}

Result<StoreComparison> compare_stores(const std::string& live_dir, const std::string& replay_dir) {
  TALLY_ASSIGN_OR_RETURN(auto live, open_read_only(live_dir, "live store"));
  TALLY_ASSIGN_OR_RETURN(auto rebuilt, open_read_only(replay_dir, "replayed store"));
  TALLY_ASSIGN_OR_RETURN(const uint64_t floor, outbox_floor(*live));
  Cursor a(*live, floor), b(*rebuilt, floor);
  StoreComparison out;
  Item x, y;
  bool has_x = a.next(x), has_y = b.next(y);
  while (has_x || has_y) {
    out.keys++;
    std::string what;
    if (has_x && has_y && x.key == y.key) {
      if (x.value != y.value) {
        what = describe_key(x.key) + " differs (live " + std::to_string(x.value.size()) +
               " bytes, replay " + std::to_string(y.value.size()) + " bytes)";
      }
      has_x = a.next(x);
      has_y = b.next(y);
    } else if (!has_y || (has_x && x.key < y.key)) {
      what = describe_key(x.key) + " is in the live store but not in the replay";
      has_x = a.next(x);
    } else {
      what = describe_key(y.key) + " is missing from the live store";
      has_y = b.next(y);
    }
    if (what.empty()) continue;
    out.differences++;
    if (out.first.empty()) out.first = what;
  }
  TALLY_RETURN_IF_ERROR(a.status().with_context("reading the live store"));
  TALLY_RETURN_IF_ERROR(b.status().with_context("reading the replayed store"));
  return out;
}

}  // namespace tally::replay
