#include "engine/storage/rocks_support.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <vector>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace tally {
namespace {

class StderrRocksLogger final : public rocksdb::Logger {
 public:
  explicit StderrRocksLogger(std::string component)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), component_(std::move(component)) {}

  using rocksdb::Logger::Logv;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    Logv(format, ap);
  }
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    vsnprintf(line, sizeof line, format, ap);
    // RocksDB reports a directory it is about to create as an error.
    if (std::strncmp(line, "Error when reading ", 19) == 0) return;
    static std::mutex mu;  // one line at a time across every logger
    std::lock_guard lock(mu);
    std::fprintf(stderr, "tally: rocksdb (%s): %s\n", component_.c_str(), line);
  }

 private:
  const std::string component_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_rocks_logger(std::string component) {
  return std::make_shared<StderrRocksLogger>(std::move(component));
}

Status check_current_file(const std::string& dir, const std::string& role,
                          const std::string& remedy) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || fs::exists(fs::path(dir) / "CURRENT", ec)) return Status::Ok();
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const std::string ext = e.path().extension().string();
    if (name.rfind("MANIFEST-", 0) == 0 || ext == ".sst" || ext == ".log" || ext == ".blob") {
      found.push_back(name);
    }
  }
  if (found.empty()) return Status::Ok();
  std::sort(found.begin(), found.end());
  std::string names;
  for (size_t i = 0; i < found.size() && i < 4; i++) names += (i ? ", " : "") + found[i];
  if (found.size() > 4) names += ", ...";
  return Status::Corruption(role + " at " + dir + " is damaged: its CURRENT file (which names " +
                            "the live MANIFEST) is missing, yet the directory holds " +
                            std::to_string(found.size()) + " of its files (" + names + "). " +
                            remedy);
}

Result<DiskSpace> disk_space(const std::string& path) {
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) {
    return Status::IoError("statvfs " + path + ": " + std::strerror(errno));
  }
  return DiskSpace{static_cast<uint64_t>(st.f_bavail) * st.f_frsize,
                   static_cast<uint64_t>(st.f_blocks) * st.f_frsize};
}

std::string format_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    u++;
  }
  char out[32];
  if (u == 0) {
    std::snprintf(out, sizeof out, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(out, sizeof out, "%.1f %s", v, kUnits[u]);
  }
  return out;
}

bool is_disk_write_failure(const rocksdb::Status& s) {
  if (s.IsNoSpace()) return true;
  if (!s.IsIOError()) return false;
  const std::string m = s.ToString();
  return m.find("No space left on device") != std::string::npos ||
         m.find("Read-only file system") != std::string::npos ||
         m.find("Permission denied") != std::string::npos;
}

Status disk_write_status(const std::string& role, const std::string& dir,
                         const rocksdb::Status& s, bool fatal) {
  std::string space = "free space unknown";
  if (auto d = disk_space(dir); d.ok()) {
    space = format_bytes(d->free_bytes) + " free of " + format_bytes(d->total_bytes);
  }
  const bool full = s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos;
  const std::string what = full ? "is full" : "refuses writes (read-only or not writable)";
  const std::string after = fatal ? "; writes are refused, and once it is fixed they need a "
                                    "restart of tally serve (RocksDB cannot resume from this "
                                    "failure); reads go on (details in the server's log)"
                                  : "; writes are refused until it is fixed and resume by "
                                    "themselves, reads go on (details in the server's log)";
  return Status::ResourceExhausted("the disk of " + role + " " + what + " (" + space + ")" + after);
}

void log_disk_failure(const std::string& role, const std::string& dir, const rocksdb::Status& s) {
  std::string space;
  if (auto d = disk_space(dir); d.ok()) {
    space = ", " + format_bytes(d->free_bytes) + " free of " + format_bytes(d->total_bytes);
  }
  std::fprintf(stderr, "tally: disk failure under %s at %s%s: %s\n", role.c_str(), dir.c_str(),
               space.c_str(), s.ToString().c_str());
}

}  // namespace tally
