// TableIngest: a commit written as one sorted table file and ingested into
// a RocksDB, instead of through the memtable (the bulk mode of a fresh
// store: projections/store.h StoreOptions::bulk; docs/operations.md
// "Replay").
//
// Each ingest is atomic, as a WriteBatch is: RocksDB adds the file to its
// manifest in one step, so after a crash the store holds exactly the files
// ingested before it, a prefix of the commits. A later file overlaps the
// earlier ones (accounts and the meta record are written by every commit)
// and gets a newer sequence number, so its entries win, as a later batch's
// would. The file is built beside the store (DIR/bulk-ingest.sst.tmp) and
// moved in (a hard link); a leftover from a crash is removed by the next
// ingest or by remove_leftover().
//
// Not thread-safe; one per store writer.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include <string>
#include <vector>

#include "engine/storage/sorted_batch.h"

namespace tally {

class TableIngest {
 public:
  // `options`: the store's; the files are written uncompressed, as flushes
  // write level 0.
  TableIngest(const rocksdb::Options& options, const std::string& dir);

  // Writes `entries` (ascending keys, each once: BatchSorter::last_writes)
  // into a table file and ingests it into `db`. Nothing when empty.
  rocksdb::Status ingest(rocksdb::DB& db, const std::vector<BatchSorter::Entry>& entries);

  // The staging file's path in `dir`.
  static std::string staging_path(const std::string& dir);
  // Removes a staging file a crash left in `dir`, if any.
  static void remove_leftover(const std::string& dir);

 private:
  rocksdb::Options options_;
  rocksdb::EnvOptions env_options_;
  std::string path_;
};

}  // namespace tally
