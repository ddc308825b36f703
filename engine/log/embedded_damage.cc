// What a damaged embedded log lost, for the error that refuses to open it
// (docs/operations.md "When the disk fails").
#include <rocksdb/db.h>
#include <rocksdb/env.h>

#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "engine/core/thread_annotations.h"
#include "engine/log/embedded_format.h"

namespace tally::embedded {
namespace {

// Keeps RocksDB's "FILE: dropping N bytes; REASON" lines: the only place
// its WAL recovery names the damaged file.
class DropLines final : public rocksdb::Logger {
 public:
  DropLines() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    vsnprintf(line, sizeof line, format, ap);
    if (std::strstr(line, ": dropping ") == nullptr) return;
    tally::MutexLock lock(mu_);
    if (lines_.size() < 8) lines_.emplace_back(line);
  }
  std::vector<std::string> lines() {
    tally::MutexLock lock(mu_);
    return lines_;
  }

 private:
  tally::Mutex mu_;
  std::vector<std::string> lines_;
};

struct View {
  bool opened = false;
  std::vector<uint64_t> ends;
  std::vector<std::string> drops;
};

// The log as RocksDB recovers it read-only in `mode`.
View view(const std::string& dir, rocksdb::Options options, rocksdb::WALRecoveryMode mode) {
  auto drops = std::make_shared<DropLines>();
  options.info_log = drops;
  options.wal_recovery_mode = mode;
  options.create_if_missing = false;
  View v;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(options, dir, &raw).ok()) return v;
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string stored;
  uint32_t n = 0;
  if (db->Get(rocksdb::ReadOptions(), kPartitionsKey, &stored).ok()) {
    n = static_cast<uint32_t>(std::strtoul(stored.c_str(), nullptr, 10));
  }
  if (n == 0 || n > 4096) return v;
  auto ends = load_ends(*db, n);
  if (!ends.ok()) return v;
  v.opened = true;
  v.ends = std::move(*ends);
  v.drops = drops->lines();
  return v;
}

constexpr size_t kListed = 16;  // partitions named in a message, at most

// "partition 3 offsets 106 to 855, partition 5 offsets 90 to 811": what the
// damaged part of the log held, as far as skipping past the damage shows.
std::string at_stake(const View& before, const View& past) {
  std::string out;
  size_t listed = 0;
  for (size_t p = 0; p < before.ends.size() && listed < kListed; p++) {
    const uint64_t from = before.ends[p];
    const uint64_t to = past.opened && p < past.ends.size() ? past.ends[p] : 0;
    if (to <= from) continue;
    out += std::string(listed++ ? ", " : "") + "partition " + std::to_string(p) + " offsets " +
           std::to_string(from) + " to " + std::to_string(to - 1);
  }
  return out;
}

// "partition 0 from offset 151, ...": where each partition's readable
// records end, when nothing past the damage can be read.
std::string readable_ends(const View& before) {
  std::string out;
  for (size_t p = 0; p < before.ends.size() && p < kListed; p++) {
    out += std::string(p ? ", " : "") + "partition " + std::to_string(p) + " from offset " +
           std::to_string(before.ends[p]);
  }
  if (before.ends.size() > kListed) out += ", ...";
  return out;
}

// RocksDB's line without its level and source prefix.
std::string drop_line(const std::string& line) {
  const size_t at = line.rfind("] ");
  return at == std::string::npos ? line : line.substr(at + 2);
}

}  // namespace

Status describe_damage(const std::string& dir, const rocksdb::Options& options,
                       const rocksdb::Status& failure) {
  std::string msg = "the embedded log at " + dir + " is damaged before its end (" +
                    failure.ToString() + ")";
  const View before = view(dir, options, rocksdb::WALRecoveryMode::kPointInTimeRecovery);
  const View past = view(dir, options, rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords);
  for (const std::string& d : before.drops) msg += "; " + drop_line(d);
  msg += ". Records written after the damage were acknowledged: opening would drop them and "
         "give their offsets to other records, so the log refuses to open. ";
  const std::string stake = before.opened ? at_stake(before, past) : "";
  if (!stake.empty()) {
    msg += "At stake (past the damage, by skipping it): " + stake + ". ";
  } else if (before.opened) {
    msg += "Nothing past the damage can be read, so what it held is unknown: at stake are the "
           "records at and after " + readable_ends(before) + ". ";
  } else {
    msg += "Which offsets are at stake cannot be told from the damaged files. ";
  }
  msg += "Restore the data directory from a checkpoint and re-send what was acknowledged since "
         "(docs/operations.md, \"When the disk fails\")";
  return Status::Corruption(msg);
}

}  // namespace tally::embedded
