#include "engine/node/scrub.h"

#include <chrono>
#include <filesystem>

namespace tally {
namespace {

// `text` without `dir`'s path (and the separator after it).
std::string without_path(std::string text, const std::string& dir) {
  if (dir.empty()) return text;
  for (const std::string& p : {dir + "/", dir}) {
    for (size_t at = text.find(p); at != std::string::npos; at = text.find(p, at)) text.erase(at, p.size());
  }
  return text;
}

constexpr size_t kRecordsPerRead = 256;

// Reads partition p's records [0, end); false when the pace stopped it.
bool read_partition(Log& log, Partition p, Pacer& pacer, ScrubReport& out) {
  const std::string role = "the log's partition " + std::to_string(p.value);
  auto fail = [&](const Status& s) {
    out.damaged.push_back({role, "", s.to_string()});
    return true;
  };
  auto end = log.end_offset(p);
  if (!end.ok()) return fail(end.status());
  if (end->value == 0) return true;
  auto reader = log.read(p, Offset{0});
  if (!reader.ok()) return fail(reader.status());
  while ((*reader)->position() < *end) {
    auto records = (*reader)->next(kRecordsPerRead, std::chrono::seconds(5));
    if (!records.ok()) return fail(records.status());
    if (records->empty()) {
      return fail(Status::Unavailable("no record arrived at offset " +
                                      std::to_string((*reader)->position().value)));
    }
    uint64_t bytes = 0;
    for (const LogRecord& r : *records) bytes += r.key.size() + r.value.size();
    out.records += records->size();
    out.record_bytes += bytes;
    if (!pacer.charge(bytes)) return false;
  }
  return true;
}

}  // namespace

std::string ScrubFinding::where() const {
  return file.empty() ? role : role + " table " + file;
}

std::vector<ScrubTarget> scrub_targets(const std::string& data_dir, uint32_t partitions,
                                       bool embedded_log) {
  std::vector<ScrubTarget> out;
  if (embedded_log) out.push_back({"the embedded log", data_dir + "/log"});
  for (uint32_t p = 0; p < partitions; p++) {
    out.push_back({"partition " + std::to_string(p) + " store",
                   data_dir + "/partitions/" + std::to_string(p)});
  }
  return out;
}

ScrubReport scrub_pass(const std::vector<ScrubTarget>& targets, Log* log, const ScanPace& pace) {
  const auto started = std::chrono::steady_clock::now();
  ScrubReport out;
  for (const ScrubTarget& t : targets) {
    std::error_code ec;
    if (!std::filesystem::is_directory(t.dir, ec)) continue;
    auto scan = verify_table_files(t.dir, pace);
    if (!scan.ok()) {
      out.damaged.push_back({t.role, "", without_path(scan.status().to_string(), t.dir)});
      continue;
    }
    out.files += scan->files;
    out.bytes += scan->bytes;
    for (const DamagedFile& d : scan->damaged) {
      // The reason names the file by its path; the role and name say it.
      out.damaged.push_back({t.role, d.file, without_path(d.error, t.dir)});
    }
    if (scan->stopped) {
      out.stopped = true;
      break;
    }
  }
  if (log != nullptr && !out.stopped) {
    Pacer pacer(pace);
    for (uint32_t p = 0; p < log->partition_count() && !out.stopped; p++) {
      out.stopped = !read_partition(*log, Partition{p}, pacer, out);
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace tally
