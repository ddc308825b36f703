// Storage faults under the embedded log (issue 16, items 1 and 7): a bit
// flipped in its WAL or segment file or in a table file, a torn last
// record, a missing CURRENT file. The WAL cases run against both formats
// (segment files are named *.log too); RocksDB's own files only against
// a log kept in RocksDB (directories created before the segment log). Each case states what must happen: refuse with a named
// error, or drop only what was never acknowledged. Never a silent loss.
#include <doctest/doctest.h>

#include <filesystem>

#include "engine/log/embedded_log.h"
#include "projections/store.h"
#include "tests/fixtures/file_damage.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 4;
constexpr int kRecords = 2000;  // 500 per partition, about 200 KiB of WAL

std::vector<uint8_t> value_of(int i) {
  std::string s = "record " + std::to_string(i) + " ";
  s.resize(100, 'x');
  return {s.begin(), s.end()};
}

// Appends kRecords records round-robin over the partitions, one append
// each (so one WAL entry or frame each), and closes the log.
void write_log(const std::string& dir, EmbeddedFormat format = EmbeddedFormat::segments) {
  auto log = open_embedded_log({.dir = dir, .partitions = kPartitions, .create_format = format});
  REQUIRE(log.ok());
  for (int i = 0; i < kRecords; i++) {
    REQUIRE((*log)->append_one(Partition{static_cast<uint32_t>(i % kPartitions)}, value_of(i)).ok());
  }
}

// Reads every partition from offset 0; returns the first error, or ok when
// every record came back as written.
Status read_everything(Log& log) {
  for (uint32_t p = 0; p < kPartitions; p++) {
    auto reader = log.read(Partition{p}, Offset{0});
    if (!reader.ok()) return reader.status();
    uint64_t next = 0;
    while (next < kRecords / kPartitions) {
      auto got = (*reader)->next(64, 10ms);
      if (!got.ok()) return got.status();
      for (const LogRecord& r : *got) {
        CHECK(r.value == value_of(static_cast<int>(r.offset.value * kPartitions + p)));
        next++;
      }
    }
  }
  return Status::Ok();
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Both formats, one SUBCASE each.
#define FOR_EACH_FORMAT(format)                                        \
  EmbeddedFormat format = EmbeddedFormat::segments;                    \
  SUBCASE("segment files") { format = EmbeddedFormat::segments; }      \
  SUBCASE("rocksdb") { format = EmbeddedFormat::rocksdb; }

}  // namespace

TEST_CASE("a bit flipped at 75% of the embedded log's WAL refuses the open, naming the file and the offsets at stake") {
  FOR_EACH_FORMAT(format);
  TempDir dir;
  const std::string log_dir = dir.sub("log");
  write_log(log_dir, format);
  const std::string wal = largest_file(log_dir, ".log");
  REQUIRE(!wal.empty());
  flip_bit(wal, 0.75);

  // Before the fix: opened, ~500 acknowledged records gone, their offsets
  // handed out again.
  auto reopened = open_embedded_log({.dir = log_dir});
  REQUIRE_FALSE(reopened.ok());
  const Status& s = reopened.status();
  INFO(s.to_string());
  CHECK(s.code() == StatusCode::corruption);
  CHECK(has(s.message(), "damaged before its end"));
  CHECK(has(s.message(), std::filesystem::path(wal).filename().string()));
  CHECK(has(s.message(), "partition 0 offsets "));
  CHECK(has(s.message(), "When the disk fails"));
  // Readers (tally replay, tally reconcile) refuse it too.
  auto ro = open_embedded_log({.dir = log_dir, .read_only = true});
  REQUIRE_FALSE(ro.ok());
  CHECK(ro.status().code() == StatusCode::corruption);
}

TEST_CASE("a torn last record of the embedded log's WAL (never acknowledged) is dropped; the rest opens") {
  FOR_EACH_FORMAT(format);
  TempDir dir;
  const std::string log_dir = dir.sub("log");
  write_log(log_dir, format);
  cut_tail(largest_file(log_dir, ".log"), 20);  // the last append, half written

  auto log = open_embedded_log({.dir = log_dir});
  REQUIRE(log.ok());
  const uint32_t last = (kRecords - 1) % kPartitions;
  for (uint32_t p = 0; p < kPartitions; p++) {
    auto end = (*log)->end_offset(Partition{p});
    REQUIRE(end.ok());
    CHECK(end->value == kRecords / kPartitions - (p == last ? 1 : 0));
  }
  // The torn record's offset goes to the next append, which was never
  // acknowledged for anything else.
  auto again = (*log)->append_one(Partition{last}, value_of(kRecords - 1));
  REQUIRE(again.ok());
  CHECK(again->value == kRecords / kPartitions - 1);
  CHECK(read_everything(**log).ok());
}

TEST_CASE("a bit flipped at 75% of the embedded log's table file is a named error where it is read, never a skip") {
  TempDir dir;
  const std::string log_dir = dir.sub("log");
  write_log(log_dir, EmbeddedFormat::rocksdb);
  flush_rocksdb(log_dir);
  const std::string table = largest_file(log_dir, ".sst");
  REQUIRE(!table.empty());
  flip_bit(table, 0.75);
  const std::string file = std::filesystem::path(table).filename().string();

  auto log = open_embedded_log({.dir = log_dir});
  const Status s = log.ok() ? read_everything(**log) : log.status();
  INFO(s.to_string());
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == StatusCode::corruption);
  CHECK(has(s.message(), file));
  if (log.ok()) CHECK(has(s.message(), " at offset "));
}

TEST_CASE("an embedded log whose CURRENT file is missing refuses to open and says so; nothing is created") {
  TempDir dir;
  const std::string log_dir = dir.sub("log");
  write_log(log_dir, EmbeddedFormat::rocksdb);
  flush_rocksdb(log_dir);  // the records now live in table files; a new empty log would hide them
  std::filesystem::remove(log_dir + "/CURRENT");

  auto log = open_embedded_log({.dir = log_dir});
  REQUIRE_FALSE(log.ok());
  INFO(log.status().to_string());
  CHECK(log.status().code() == StatusCode::corruption);
  CHECK(has(log.status().message(), "CURRENT file"));
  CHECK_FALSE(has(log.status().message(), "wal_dir"));
  CHECK_FALSE(std::filesystem::exists(log_dir + "/CURRENT"));
}

TEST_CASE("a projection store whose CURRENT file is missing names it, not \"wal_dir contains existing log file\"") {
  TempDir dir;
  const StoreOptions options{.dir = dir.sub("p0"), .partition = Partition{0}, .partition_count = 1};
  {
    auto store = PartitionStore::open(options);
    REQUIRE(store.ok());
    REQUIRE((*store)->flush().ok());
  }
  std::filesystem::remove(options.dir + "/CURRENT");
  auto store = PartitionStore::open(options);
  REQUIRE_FALSE(store.ok());
  INFO(store.status().to_string());
  CHECK(has(store.status().message(), "CURRENT file"));
  CHECK(has(store.status().message(), "tally replay"));
  CHECK_FALSE(has(store.status().message(), "wal_dir"));
}
