#include "tools/tally/replay_verify.h"

#include <cstdio>
#include <filesystem>

#include "engine/core/digest.h"
#include "tools/replay/compare.h"
#include "tools/tally/progress.h"

namespace tally::cli {

std::vector<LiveStore> read_live_stores(const std::string& data_dir, uint32_t partition_count) {
  std::vector<LiveStore> out(partition_count);
  for (uint32_t p = 0; p < partition_count; p++) {
    LiveStore& s = out[p];
    s.dir = data_dir + "/partitions/" + std::to_string(p);
    std::error_code ec;
    if (!std::filesystem::is_directory(s.dir, ec)) continue;
    auto scan = verify_table_files(s.dir);
    if (!scan.ok()) {
      s.unreadable = scan.status().to_string();
      continue;
    }
    s.tables = *scan;
    auto meta = replay::read_live_meta(data_dir, Partition{p}, partition_count);
    if (!meta.ok()) {
      s.unreadable = meta.status().to_string();
    } else {
      s.meta = *meta;
    }
  }
  return out;
}

namespace {

// Whether the live store could be compared at all; prints why not.
bool comparable(const replay::PartitionResult& r, const LiveStore& live) {
  if (live.tables && !live.tables->damaged.empty()) {
    for (const DamagedFile& d : live.tables->damaged) {
      std::printf("verify partition %u: DAMAGED table file %s: %s\n", r.partition.value, d.file.c_str(),
                  d.error.c_str());
    }
    return false;
  }
  if (!live.unreadable.empty()) {
    std::printf("verify partition %u: the live store cannot be read: %s\n", r.partition.value,
                live.unreadable.c_str());
    return false;
  }
  if (!live.meta) {
    std::printf("verify partition %u: no live store: not compared\n", r.partition.value);
    return false;
  }
  if (!r.checkpoint || !r.checkpoint->reached) {
    std::printf("verify partition %u: live store at offset %llu, which this replay did not reach: "
                "not compared\n",
                r.partition.value, static_cast<unsigned long long>(live.meta->next_offset.value));
    return false;
  }
  return true;
}

}  // namespace

size_t print_verify(const replay::Report& report, const std::vector<LiveStore>& live) {
  size_t matched = 0, behind = 0;
  for (const replay::PartitionResult& r : report.partitions) {
    const LiveStore& l = live[r.partition.value];
    if (!comparable(r, l)) continue;
    const unsigned long long at = l.meta->next_offset.value;
    const bool same_digest = r.checkpoint->digest == l.meta->digest;
    auto keys = replay::compare_stores(l.dir, r.checkpoint->store_dir);
    const bool same = same_digest && keys.ok() && keys->differences == 0;
    matched += same ? 1 : 0;
    std::printf("verify partition %u: offset %llu live %s replay %s %s", r.partition.value, at,
                Digest::hex(l.meta->digest).c_str(), Digest::hex(r.checkpoint->digest).c_str(),
                same ? "match" : "MISMATCH");
    if (!keys.ok()) {
      std::printf(": the stores could not be compared: %s", keys.status().to_string().c_str());
    } else if (keys->differences > 0) {
      std::printf(": %s; %s of %s keys differ", keys->first.c_str(), with_commas(keys->differences).c_str(),
                  with_commas(keys->keys).c_str());
    } else {
      std::printf(" (%s keys alike)", with_commas(keys->keys).c_str());
    }
    if (l.meta->next_offset < r.applied) {
      behind++;
      std::printf(" (the live store is at offset %llu of %llu)", at,
                  static_cast<unsigned long long>(r.applied.value));
    }
    std::printf("\n");
  }
  std::printf("verify: %zu of %zu partitions match\n", matched, report.partitions.size());
  if (behind > 0) {
    std::printf("note: %zu live stores were compared before the log's end: a live store shows what "
                "its writer (tally serve) has flushed; stop it, or run again later, to compare more\n",
                behind);
  }
  return matched;
}

}  // namespace tally::cli
