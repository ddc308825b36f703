// Comparing a live partition store with a replayed copy, key by key
// (`tally replay --verify`; issue 16 item 4). The digest in a store's meta
// record says what the writer computed, not what the store's files hold
// now; this reads every key of both stores, with RocksDB's block checksums
// verified, and names the first key that differs.
//
// What is compared: every key of the projection's format
// (projections/records.h), with two exceptions that are not the state
// machine's:
//   - the relay's progress "R", and the outbox entries below it ('Q'): the
//     live relay delivered and removed them; a replay never relays;
//   - account history ('H'): blocks are cut at commit boundaries, which
//     depend on timing, so the entries are compared one by one, not the
//     blocks; likewise the list indexes ('I', 'X'; projections/list_index.h)
//     and the outbox ('Q', one key per commit's entries).
// REQUIRES: both stores at the same offset, neither written meanwhile (the
// live store may belong to a running serve: a read-only open sees what it
// flushed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/core/status.h"

namespace tally::replay {

struct StoreComparison {
  uint64_t keys = 0;          // items compared (history entries counted one by one)
  uint64_t differences = 0;   // items that differ, are missing or are extra
  std::string first;          // the first difference, as a sentence; "" when none
};

// An error when either store cannot be opened or read (a damaged block:
// RocksDB's words, which name the table file).
Result<StoreComparison> compare_stores(const std::string& live_dir, const std::string& replay_dir);

// A store key for people: "account 123", "transfer 9 (outcomes of offset 12)".
std::string describe_key(std::string_view key);

}  // namespace tally::replay
