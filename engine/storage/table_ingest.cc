#include "engine/storage/table_ingest.h"

#include <rocksdb/sst_file_writer.h>

#include <cstdio>

namespace tally {

TableIngest::TableIngest(const rocksdb::Options& options, const std::string& dir)
    : options_(options), path_(staging_path(dir)) {
  options_.compression = rocksdb::kNoCompression;
  options_.bottommost_compression = rocksdb::kDisableCompressionOption;
  options_.compression_per_level.clear();
}

std::string TableIngest::staging_path(const std::string& dir) { return dir + "/bulk-ingest.sst.tmp"; }

void TableIngest::remove_leftover(const std::string& dir) { std::remove(staging_path(dir).c_str()); }

rocksdb::Status TableIngest::ingest(rocksdb::DB& db, const std::vector<BatchSorter::Entry>& entries) {
  if (entries.empty()) return rocksdb::Status::OK();
  std::remove(path_.c_str());  // a leftover of a crash, if any
  rocksdb::SstFileWriter writer(env_options_, options_);
  rocksdb::Status s = writer.Open(path_);
  for (size_t i = 0; s.ok() && i < entries.size(); i++) {
    const BatchSorter::Entry& e = entries[i];
    s = e.remove ? writer.Delete(e.key) : writer.Put(e.key, e.value);
  }
  if (s.ok()) s = writer.Finish();
  if (!s.ok()) {
    std::remove(path_.c_str());
    return s;
  }
  rocksdb::IngestExternalFileOptions io;
  io.move_files = true;              // a hard link, no copy
  io.snapshot_consistency = false;   // nobody holds snapshots of a store being built
  io.allow_blocking_flush = true;    // the memtable holds the open's writes once
  s = db.IngestExternalFile({path_}, io);
  std::remove(path_.c_str());  // moved: the store has its own link now
  return s;
}

}  // namespace tally
