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

// The result of a partition that could not be compared, or "" if it can be.
std::string not_comparable(const replay::PartitionResult& r, const LiveStore& live, VerifyResult& v) {
  if (live.tables && !live.tables->damaged.empty()) {
    v.damaged = live.tables->damaged;
    return "damaged";
  }
  if (!live.unreadable.empty()) {
    v.error = live.unreadable;
    return "unreadable";
  }
  if (!live.meta) return "no_live_store";
  v.live_offset = live.meta->next_offset.value;
  if (!r.checkpoint || !r.checkpoint->reached) return "not_reached";
  return "";
}

VerifyResult verify_one(const replay::PartitionResult& r, const LiveStore& l) {
  VerifyResult v;
  v.partition = r.partition;
  v.replay_offset = r.applied.value;
  v.result = not_comparable(r, l, v);
  if (!v.result.empty()) return v;
  v.live_digest = Digest::hex(l.meta->digest);
  v.replay_digest = Digest::hex(r.checkpoint->digest);
  auto keys = replay::compare_stores(l.dir, r.checkpoint->store_dir);
  if (!keys.ok()) {
    v.error = keys.status().to_string();
  } else {
    v.keys = keys->keys;
    v.differences = keys->differences;
    if (keys->differences > 0) v.first_difference = keys->first;
  }
  const bool same = r.checkpoint->digest == l.meta->digest && keys.ok() && keys->differences == 0;
  v.result = same ? "match" : "mismatch";
  return v;
}

void print_one(const VerifyResult& v) {
  const unsigned p = v.partition.value;
  if (v.result == "damaged") {
    for (const DamagedFile& d : v.damaged) {
      std::printf("verify partition %u: DAMAGED table file %s: %s\n", p, d.file.c_str(), d.error.c_str());
    }
  } else if (v.result == "unreadable") {
    std::printf("verify partition %u: the live store cannot be read: %s\n", p, v.error.c_str());
  } else if (v.result == "no_live_store") {
    std::printf("verify partition %u: no live store: not compared\n", p);
  } else if (v.result == "not_reached") {
    std::printf("verify partition %u: live store at offset %llu, which this replay did not reach: not compared\n", p,
                static_cast<unsigned long long>(v.live_offset));
  } else {
    std::printf("verify partition %u: offset %llu live %s replay %s %s", p,
                static_cast<unsigned long long>(v.live_offset), v.live_digest.c_str(), v.replay_digest.c_str(),
                v.result == "match" ? "match" : "MISMATCH");
    if (!v.error.empty()) {
      std::printf(": the stores could not be compared: %s", v.error.c_str());
    } else if (v.differences > 0) {
      std::printf(": %s; %s of %s keys differ", v.first_difference.c_str(), with_commas(v.differences).c_str(),
                  with_commas(v.keys).c_str());
    } else {
      std::printf(" (%s keys alike)", with_commas(v.keys).c_str());
    }
    if (v.live_offset < v.replay_offset) {
      std::printf(" (the live store is at offset %llu of %llu)", static_cast<unsigned long long>(v.live_offset),
                  static_cast<unsigned long long>(v.replay_offset));
    }
    std::printf("\n");
  }
}

}  // namespace

std::vector<VerifyResult> verify(const replay::Report& report, const std::vector<LiveStore>& live) {
  std::vector<VerifyResult> out;
  for (const replay::PartitionResult& r : report.partitions) out.push_back(verify_one(r, live[r.partition.value]));
  return out;
}

void print_verify(const std::vector<VerifyResult>& results) {
  size_t matched = 0, behind = 0;
  for (const VerifyResult& v : results) {
    print_one(v);
    matched += v.result == "match" ? 1 : 0;
    const bool compared = v.result == "match" || v.result == "mismatch";
    behind += compared && v.live_offset < v.replay_offset ? 1 : 0;
  }
  std::printf("verify: %zu of %zu partitions match\n", matched, results.size());
  if (behind > 0) {
    std::printf("note: %zu live stores were compared before the log's end: a live store shows what "
                "its writer (tally serve) has flushed; stop it, or run again later, to compare more\n",
                behind);
  }
}

}  // namespace tally::cli
