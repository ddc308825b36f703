// The projection's on-disk format: RocksDB keys and record encodings, one
// RocksDB per partition (DATA/partitions/P). Frozen once written; a new
// field means a new version byte.
//
// Keys (ids big-endian so they sort numerically):
//   "M"                                 PartitionMeta
//   'A' id(16)                          Account
//   'T' id(16)                          Transfer (also final rejections)
//   'P' id(16)                          (empty): the pending transfers still pending
//   'H' account(16) first timestamp(8)  HistoryBlock: up to kHistoryBlockEntries of an
//                                       account's changes from one commit, in time order
//   'O' offset(8)                       OffsetOutcomes: every command's outcome
//   'S' id(16)                          Saga (source side), once it changed; a saga as
//                                       it began is its 'T' saga_source transfer
//                                       (model.h started_saga; 'S' until 2026-12-07)
//   'F' id(16)                          retired (an in-flight index, until 2026-12):
//                                       no longer written; removed when a store opens
//   'L' source(4) id(16)                SagaLeg (destination side), rejected or cancelled;
//                                       a credited leg is its 'T' credit transfer
//                                       (model.h credited_leg; 'L' until 2026-12-07)
//   'W' deadline(8) kind(1) id(16)      routing account(16): the timer index
//   'Q' seq(8)                          OutboxEntries awaiting the relay: those one commit
//                                       staged, up to kOutboxEntriesPerKey, under the seq
//                                       of the last (one entry per key until 2026-12-07)
//   'E' offset(8)                       QuarantinedRecord
//   "R"                                 relay progress (operational, not digested)
//   "V"                                 the event publisher's progress: the next
//                                       EventCursor to publish (operational)
//   'I' field(1) value(16) first ts(8)  IndexBlock of accounts  } the list indexes
//   'X' field(1) value(16) first ts(8)  IndexBlock of transfers } (projections/list_index.h,
//   "N"                                 (empty): the indexes are built } docs/queries.md)
// Values are little-endian fixed-width fields after a version byte (1).
// Transfers are written in version 2 (records.cc: the fields every
// transfer has, then a mask of the optional ones that are stored); version
// 1 transfers are still read.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "projections/model.h"

namespace tally {

// Per-partition progress, written with every commit.
struct PartitionMeta {
  Partition partition;
  uint32_t partition_count = 0;
  Offset next_offset;          // the first record not yet applied
  uint64_t digest = 0;         // running digest through next_offset - 1
  Timestamp last_timestamp;    // the ledger clock
  uint64_t next_outbox_seq = 0;
  uint64_t commands_applied = 0;
  uint64_t records_quarantined = 0;
  bool operator==(const PartitionMeta&) const = default;
};

// The outcomes of one record's commands; command i got timestamp first + i.
struct OffsetOutcomes {
  Timestamp first_timestamp;
  std::vector<Outcome> outcomes;
  bool operator==(const OffsetOutcomes&) const = default;
};

// An account's history is stored in blocks: the changes one commit (of one
// or more records) made to the account, at most kHistoryBlockEntries per
// block, keyed by the first one's timestamp. One key per account per commit
// instead of one per change keeps the write path cheap; queries seek to the
// block at or before a time. (Stores written before this held one block per
// record; both read the same.)
inline constexpr size_t kHistoryBlockEntries = 256;

struct HistoryBlock {
  struct Entry {
    Timestamp timestamp;
    TransferId transfer;
    bool has_balances = false;
    Balances balances;
    bool operator==(const Entry&) const = default;
  };
  std::vector<Entry> entries;  // ascending timestamps; never empty when stored
  bool operator==(const HistoryBlock&) const = default;
};

struct QuarantinedRecord {
  Offset offset;
  std::string reason;
  std::string bytes;  // the record as read, kept for inspection
};

namespace keys {
// A key in a fixed buffer, for the write path (no allocation).
struct KeyBuf {
  char data[32];
  size_t size = 0;
  std::string_view view() const { return {data, size}; }
};
KeyBuf tagged(char tag, u128 id);  // 'A', 'T', 'P', 'S' keys
KeyBuf history_key(AccountId account, Timestamp first);

inline constexpr char kMeta[] = "M";
inline constexpr char kRelay[] = "R";
inline constexpr char kEventsPublished[] = "V";
std::string account(AccountId id);
std::string transfer(TransferId id);
std::string pending(TransferId id);
std::string history(AccountId account, Timestamp ts);
std::string history_prefix(AccountId account);
std::string outcomes(Offset offset);
std::string saga(TransferId id);
std::string leg(Partition source, TransferId id);
std::string timer(const Timer& timer);
// 'W', the deadline (u64 big-endian), the kind (1 byte), the id (u128).
inline constexpr size_t kTimerKeySize = 1 + 8 + 1 + 16;
std::string outbox(uint64_t seq);
std::string quarantine(Offset offset);
}  // namespace keys

// Encoders into a caller's buffer (cleared first), for the write path.
void encode_to(std::string& buffer, const Account& v);
void encode_to(std::string& buffer, const Transfer& v);
void encode_to(std::string& buffer, const HistoryBlock& v);

std::string encode(const PartitionMeta& v);
std::string encode(const Account& v);
std::string encode(const Transfer& v);
std::string encode(const OffsetOutcomes& v);
std::string encode(const HistoryBlock& v);
std::string encode(const Saga& v);
std::string encode(const SagaLeg& v);
std::string encode(const OutboxEntry& v);
// Outbox entries of one commit in ascending seq order, as one value
// (version 2; stored under keys::outbox(last seq)). REQUIRES: 1 to
// kOutboxEntriesPerKey entries, ascending seqs.
inline constexpr size_t kOutboxEntriesPerKey = 1024;
void encode_outbox_entries_to(std::string& buffer, std::span<const OutboxEntry> entries);
std::string encode(const QuarantinedRecord& v);

Result<PartitionMeta> decode_meta(std::string_view bytes);
Result<Account> decode_account(std::string_view bytes);
Result<Transfer> decode_transfer(std::string_view bytes);
Result<OffsetOutcomes> decode_outcomes(std::string_view bytes);
Result<HistoryBlock> decode_history(std::string_view bytes);
Result<Saga> decode_saga(std::string_view bytes);
Result<SagaLeg> decode_leg(std::string_view bytes);
Result<OutboxEntry> decode_outbox(std::string_view bytes);
// The entries of one outbox key, in ascending seq order: a version 2 value
// (encode_outbox_entries_to) or a version 1 single entry (encode).
Result<std::vector<OutboxEntry>> decode_outbox_entries(std::string_view bytes);
Result<QuarantinedRecord> decode_quarantine(std::string_view bytes);
// A timer from its key and value.
Result<Timer> decode_timer(std::string_view key, std::string_view value);

}  // namespace tally
