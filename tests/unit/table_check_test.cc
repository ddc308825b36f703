// engine/storage/table_check.h on a real RocksDB: every table file read
// with its checksums verified, a flipped bit named by file, the pace kept,
// and a stop honoured (issue 16 item 6).
#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <chrono>
#include <filesystem>

#include "engine/storage/table_check.h"
#include "tests/fixtures/file_damage.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;

namespace {

// A database in `dir` with about 600 KiB in one table file.
void make_table(const std::string& dir) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.compression = rocksdb::kNoCompression;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(o, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value(300, 'v');
  for (int i = 0; i < 2000; i++) {
    value[i % 300] = static_cast<char>('a' + i % 26);
    REQUIRE(db->Put(rocksdb::WriteOptions(), "key" + std::to_string(100000 + i), value).ok());
  }
  REQUIRE(db->Flush(rocksdb::FlushOptions()).ok());
}

}  // namespace

TEST_CASE("verify_table_files reads every table file, names a damaged one, keeps its pace and stops") {
  TempDir dir;
  const std::string db = dir.sub("db");
  make_table(db);
  const auto intact = verify_table_files(db);
  REQUIRE(intact.ok());
  CHECK(intact->files == 1);
  CHECK(intact->bytes > 500'000);
  CHECK(intact->damaged.empty());

  // 2 MiB/s over ~600 KiB: at least a quarter of a second.
  const auto t0 = std::chrono::steady_clock::now();
  const auto paced = verify_table_files(db, {.bytes_per_second = 2u << 20});
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(paced.ok());
  CHECK(paced->damaged.empty());
  CHECK(secs >= 0.5 * static_cast<double>(paced->bytes) / (2u << 20));

  std::atomic<bool> stop{true};
  const auto stopped = verify_table_files(db, {.stop = &stop});
  REQUIRE(stopped.ok());
  CHECK(stopped->stopped);
  CHECK(stopped->files == 0);

  const std::string sst = largest_file(db, ".sst");
  flip_bit(sst, 0.975);
  const auto damaged = verify_table_files(db);
  REQUIRE(damaged.ok());
  REQUIRE(damaged->damaged.size() == 1);
  CHECK(damaged->damaged[0].file == std::filesystem::path(sst).filename().string());
  CHECK(damaged->damaged[0].error.find("Corruption") != std::string::npos);

  CHECK_FALSE(verify_table_files(dir.sub("missing")).ok());
}
