#include "engine/storage/table_check.h"

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

namespace tally {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A file whose reads are charged to a Pacer first.
class PacedFile final : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  PacedFile(std::unique_ptr<rocksdb::FSRandomAccessFile> file, Pacer& pacer)
      : FSRandomAccessFileOwnerWrapper(std::move(file)), pacer_(pacer) {}
  rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                         rocksdb::Slice* result, char* scratch,
                         rocksdb::IODebugContext* dbg) const override {
    if (!pacer_.charge(n)) return rocksdb::IOStatus::IOError("the scan was stopped");
    return target()->Read(offset, n, options, result, scratch, dbg);
  }
  rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                              const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    uint64_t n = 0;
    for (size_t i = 0; i < num_reqs; i++) n += reqs[i].len;
    if (!pacer_.charge(n)) return rocksdb::IOStatus::IOError("the scan was stopped");
    return target()->MultiRead(reqs, num_reqs, options, dbg);
  }

 private:
  Pacer& pacer_;
};

class PacedFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  explicit PacedFileSystem(Pacer& pacer)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), pacer_(pacer) {}
  const char* Name() const override { return "tally.PacedFileSystem"; }
  rocksdb::IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& o,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                        rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSRandomAccessFile> file;
    rocksdb::IOStatus s = target()->NewRandomAccessFile(f, o, &file, dbg);
    if (s.ok()) *r = std::make_unique<PacedFile>(std::move(file), pacer_);
    return s;
  }

 private:
  Pacer& pacer_;
};

bool is_table_file(const std::filesystem::path& p) { return p.extension() == ".sst"; }

}  // namespace

Pacer::Pacer(ScanPace pace) : pace_(pace), started_ns_(now_ns()) {}

bool Pacer::charge(uint64_t bytes) {
  if (stopped()) return false;
  total_ += bytes;
  if (pace_.bytes_per_second == 0) return true;
  const int64_t due = started_ns_ + static_cast<int64_t>(static_cast<double>(total_) * 1e9 /
                                                         static_cast<double>(pace_.bytes_per_second));
  for (int64_t now = now_ns(); now < due; now = now_ns()) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<int64_t>(due - now, 100'000'000)));
    if (stopped()) return false;
  }
  return true;
}

Result<TableScan> verify_table_files(const std::string& dir, const ScanPace& pace) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_table_file(it->path())) files.push_back(it->path());
  }
  if (ec) return Status::IoError("listing " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  Pacer pacer(pace);
  auto fs = std::make_shared<PacedFileSystem>(pacer);
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  rocksdb::Options options;
  options.env = env.get();
  TableScan scan;
  for (const std::filesystem::path& path : files) {
    if (pacer.stopped()) {
      scan.stopped = true;
      break;
    }
    const uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) continue;  // removed by a compaction since the listing
    rocksdb::SstFileReader reader(options);
    rocksdb::Status s = reader.Open(path.string());
    if (s.ok()) {
      rocksdb::ReadOptions ro;
      ro.verify_checksums = true;
      ro.fill_cache = false;
      s = reader.VerifyChecksum(ro);
    }
    if (pacer.stopped()) {
      scan.stopped = true;
      break;
    }
    if (!s.ok() && !std::filesystem::exists(path, ec)) continue;  // removed meanwhile
    scan.files++;
    scan.bytes += size;
    if (!s.ok()) scan.damaged.push_back({path.filename().string(), s.ToString()});
  }
  return scan;
}

}  // namespace tally
