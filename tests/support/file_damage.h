// Test support: damaging a stopped RocksDB's files on purpose, as a disk
// would (storage-fault tests). The database must not be open.
#pragma once

#include <string>

namespace tally::test {

// The largest file in `dir` whose name ends in `suffix` (".log" for a WAL,
// ".sst" for a table file); "" when there is none.
std::string largest_file(const std::string& dir, const std::string& suffix);
// Flips bit `bit` (0..7) of the byte at `fraction` (0..1) of the file's size.
void flip_bit(const std::string& path, double fraction, int bit = 3);
// Cuts the last `bytes` bytes off the file.
void cut_tail(const std::string& path, size_t bytes);
// Opens the RocksDB at `dir` directly and flushes its memtables into table
// files, so that they can be damaged.
void flush_rocksdb(const std::string& dir);

}  // namespace tally::test
