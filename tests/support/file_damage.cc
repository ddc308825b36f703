#include "tests/support/file_damage.h"

#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace tally::test {

std::string largest_file(const std::string& dir, const std::string& suffix) {
  std::string best;
  uintmax_t best_size = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    if (e.file_size() >= best_size) {
      best = e.path().string();
      best_size = e.file_size();
    }
  }
  return best;
}

void flip_bit(const std::string& path, double fraction, int bit) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  const auto size = std::filesystem::file_size(path);
  const auto at = static_cast<std::streamoff>(static_cast<double>(size) * fraction);
  char c = 0;
  f.seekg(at);
  f.read(&c, 1);
  c = static_cast<char>(c ^ (1 << bit));
  f.seekp(at);
  f.write(&c, 1);
  if (!f) throw std::runtime_error("cannot flip a bit in " + path);
}

void cut_tail(const std::string& path, size_t bytes) {
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - std::min<uintmax_t>(size, bytes));
}

void flush_rocksdb(const std::string& dir) {
  rocksdb::Options o;
  o.enable_blob_files = true;  // as the embedded log: its larger records live in blob files
  o.min_blob_size = 1024;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(o, dir, &raw);
  if (!s.ok()) throw std::runtime_error("opening " + dir + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  const rocksdb::Status f = db->Flush(rocksdb::FlushOptions());
  if (!f.ok()) throw std::runtime_error("flushing " + dir + ": " + f.ToString());
}

}  // namespace tally::test
