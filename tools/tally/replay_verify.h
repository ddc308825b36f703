// tally replay --verify (cmd_replay.cc): what it knows of each live store
// in DATA/partitions, and how it compares them with the replay.
//
// Per partition, in this order: every table file of the live store is read
// with its checksums verified (engine/storage/table_check.h); its meta
// record gives the offset to compare at; then the replay's digest at that
// offset is compared with the meta's, and the replayed store with the live
// one key by key (tools/replay/compare.h), which names the first key that
// differs. A damaged, unreadable or missing store is "not compared" and
// fails the verify, like a mismatch.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/storage/table_check.h"
#include "projections/records.h"
#include "tools/replay/replay.h"

namespace tally::cli {

struct LiveStore {
  std::string dir;
  std::optional<TableScan> tables;   // nullopt: no store directory
  std::string unreadable;            // why the meta could not be read; "" when it could
  std::optional<PartitionMeta> meta; // nullopt: no store (or unreadable)
};

// Reads what --verify needs of DATA/partitions/<P>, P < partition_count.
std::vector<LiveStore> read_live_stores(const std::string& data_dir, uint32_t partition_count);

// How one partition's live store compared with the replay.
struct VerifyResult {
  Partition partition;
  // "match", "mismatch", or why it was not compared: "damaged",
  // "unreadable", "no_live_store", "not_reached" (the replay stopped before
  // the live store's offset). Anything but "match" fails the verify.
  std::string result;
  uint64_t live_offset = 0;     // the live store's next offset (when read)
  uint64_t replay_offset = 0;   // what the replay applied up to
  std::string live_digest, replay_digest;  // hex; "" when not compared
  uint64_t keys = 0, differences = 0;      // the key-by-key comparison
  std::string first_difference;            // the first key that differs
  std::string error;                       // why it could not be compared or read
  std::vector<DamagedFile> damaged;
};

// Compares each partition of `report` with its live store.
// `report`'s checkpoints must carry store_dir (ReplayOptions::checkpoint_copies).
std::vector<VerifyResult> verify(const replay::Report& report, const std::vector<LiveStore>& live);

// One line per partition and the summary, as tally replay --verify prints them.
void print_verify(const std::vector<VerifyResult>& results);

}  // namespace tally::cli
