// The embedded log's segment files (issue 14 item 1): one frame per record,
// written and fsync'd once. Each case pins a guarantee of embedded_log.h on
// the real files: a torn tail dropped, damage refused by name, segments
// rolled and read across, offsets kept over a reopen, a full disk refused
// and resumed, checkpoints, the format a directory holds.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "engine/log/embedded_log.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/file_damage.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/tmpfs.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr uint32_t kPartitions = 3;

EmbeddedLogOptions segments(const std::string& dir, uint64_t segment_bytes = 256u << 20) {
  return {.dir = dir, .partitions = kPartitions, .create_format = EmbeddedFormat::segments,
          .segment_bytes = segment_bytes};
}

std::vector<uint8_t> value_of(int i, size_t size = 100) {
  std::string s = "record " + std::to_string(i) + " ";
  s.resize(size, 'a' + static_cast<char>(i % 26));
  return {s.begin(), s.end()};
}

std::vector<uint8_t> key_of(int i) {
  const std::string s = "k" + std::to_string(i);
  return {s.begin(), s.end()};
}

// Record i goes to partition i % kPartitions, offset i / kPartitions.
void append_records(Log& log, int from, int to, size_t size = 100) {
  for (int i = from; i < to; i++) {
    auto o = log.append_one(Partition{static_cast<uint32_t>(i % kPartitions)}, value_of(i, size), key_of(i));
    REQUIRE(o.ok());
    REQUIRE(o->value == static_cast<uint64_t>(i / kPartitions));
  }
}

// Reads partition p from `from` to its end; checks every record against
// append_records' pattern; returns how many came back, or the error.
Result<int> read_back(Log& log, uint32_t p, uint64_t from, size_t size = 100) {
  auto end = log.end_offset(Partition{p});
  if (!end.ok()) return end.status();
  auto reader = log.read(Partition{p}, Offset{from});
  if (!reader.ok()) return reader.status();
  int n = 0;
  for (uint64_t next = from; next < end->value;) {
    auto got = (*reader)->next(7, 100ms);
    if (!got.ok()) return got.status();
    if (got->empty()) return Status::Internal("no record at offset " + std::to_string(next));
    for (const LogRecord& r : *got) {
      const int i = static_cast<int>(r.offset.value * kPartitions + p);
      CHECK(r.offset.value == next);
      CHECK(r.partition.value == p);
      CHECK(r.value == value_of(i, size));
      CHECK(r.key == key_of(i));
      CHECK(r.append_time.ns > 0);
      next++;
      n++;
    }
  }
  return n;
}

// A log in `dir` with records [from, to) of append_records' pattern, closed again.
void write_closed_log(const std::string& dir, int from, int to, uint64_t segment_bytes = 256u << 20) {
  auto log = open_embedded_log(segments(dir, segment_bytes));
  REQUIRE(log.ok());
  append_records(**log, from, to);
}

// Every partition of `log` reads back `want` records from offset 0, each checked.
void check_every_partition(Log& log, int want) {
  for (uint32_t p = 0; p < kPartitions; p++) {
    CAPTURE(p);
    auto n = read_back(log, p, 0);
    REQUIRE(n.ok());
    CHECK(*n == want);
  }
}

std::vector<std::string> segment_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 24 && name.ends_with(".log")) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("segment log: a new directory gets the meta file and segment 0; reopening keeps every offset") {
  TempDir dir;
  const std::string d = dir.sub("log");
  write_closed_log(d, 0, 30);
  CHECK(fs::exists(d + "/tally-log.meta"));
  CHECK_FALSE(fs::exists(d + "/CURRENT"));  // no RocksDB
  CHECK(embedded_format_of(d) == EmbeddedFormat::segments);
  auto other = open_embedded_log({.dir = d, .partitions = 5});
  CHECK(other.status().code() == StatusCode::invalid_argument);
  auto log = open_embedded_log({.dir = d});  // the stored partition count
  REQUIRE(log.ok());
  CHECK((*log)->partition_count() == kPartitions);
  for (uint32_t p = 0; p < kPartitions; p++) CHECK((*log)->end_offset(Partition{p})->value == 10);
  append_records(**log, 30, 36);
  check_every_partition(**log, 12);
}

TEST_CASE("segment log: segment files without the meta file refuse to open; no new log is made over them") {
  TempDir dir;
  const std::string d = dir.sub("log");
  write_closed_log(d, 0, 3);
  fs::remove(d + "/tally-log.meta");
  auto log = open_embedded_log(segments(d));
  REQUIRE_FALSE(log.ok());
  CHECK(log.status().code() == StatusCode::corruption);
  CHECK(has(log.status().message(), "not its meta file"));
  CHECK_FALSE(fs::exists(d + "/tally-log.meta"));
}

TEST_CASE("segment log: a second writer is refused while the first holds the directory") {
  TempDir dir;
  auto first = open_embedded_log(segments(dir.sub("log")));
  REQUIRE(first.ok());
  auto second = open_embedded_log(segments(dir.sub("log")));
  REQUIRE_FALSE(second.ok());
  CHECK(has(second.status().message(), "in use by another process"));
}

TEST_CASE("segment log: segments roll at the size limit; reads cross them, from any offset, before and after a reopen") {
  TempDir dir;
  const std::string d = dir.sub("log");
  {
    auto log = open_embedded_log(segments(d, 4096));
    REQUIRE(log.ok());
    append_records(**log, 0, 300);  // ~43 KiB of frames
    CHECK(segment_files(d).size() >= 10);
    for (uint64_t from : {0, 1, 37, 99}) {
      auto n = read_back(**log, 1, from);
      REQUIRE(n.ok());
      CHECK(*n == static_cast<int>(100 - from));
    }
  }
  for (const std::string& f : segment_files(d)) CHECK(fs::file_size(f) <= 4096);
  auto log = open_embedded_log(segments(d, 4096));
  REQUIRE(log.ok());
  append_records(**log, 300, 330);
  check_every_partition(**log, 110);
}

TEST_CASE("segment log: a record larger than a segment gets a segment of its own") {
  TempDir dir;
  auto log = open_embedded_log(segments(dir.sub("log"), 1024));
  REQUIRE(log.ok());
  append_records(**log, 0, 6, 5000);
  CHECK(segment_files(dir.sub("log")).size() == 6);
  auto n = read_back(**log, 2, 0, 5000);
  REQUIRE(n.ok());
  CHECK(*n == 2);
}

TEST_CASE("segment log: a torn last write (cut short, or zeros after it) is dropped at open; its offset is reused") {
  TempDir dir;
  const std::string d = dir.sub("log");
  write_closed_log(d, 0, 30);
  const std::string seg = segment_files(d).back();
  const auto whole = fs::file_size(seg);
  SUBCASE("cut short") { cut_tail(seg, 20); }
  SUBCASE("cut inside the header") { cut_tail(seg, 140 - 10); }
  SUBCASE("zeros after the last good frame") {
    std::ofstream(seg, std::ios::app | std::ios::binary) << std::string(4096, '\0');
  }
  auto log = open_embedded_log(segments(d));
  REQUIRE(log.ok());
  const bool cut = fs::file_size(seg) < whole;
  const uint32_t last = 29 % kPartitions;
  CHECK((*log)->end_offset(Partition{last})->value == (cut ? 9u : 10u));
  CHECK(fs::file_size(seg) == (cut ? whole - (100 + 40 + 3) : whole));  // the torn bytes are gone
  if (cut) append_records(**log, 29, 30);
  check_every_partition(**log, 10);
}

TEST_CASE("segment log: a bit flipped before the end refuses the open, naming the segment file, the byte and the offsets at stake") {
  TempDir dir;
  const std::string d = dir.sub("log");
  write_closed_log(d, 0, 300, 8192);
  const std::vector<std::string> files = segment_files(d);
  REQUIRE(files.size() > 3);
  const std::string victim = files[1];  // a sealed segment
  int bit = 0;
  double at = 0.5;
  SUBCASE("in a record's value") { at = 0.5; }
  SUBCASE("in a frame header") { at = 0.0; bit = 1; }  // the first frame's magic
  SUBCASE("in the last segment, before its last frame") {
    at = 0.0;
    bit = 5;
  }
  const std::string target = at == 0.0 && bit == 5 ? files.back() : victim;
  flip_bit(target, at, bit);
  auto reopened = open_embedded_log(segments(d, 8192));
  REQUIRE_FALSE(reopened.ok());
  const Status& s = reopened.status();
  INFO(s.to_string());
  CHECK(s.code() == StatusCode::corruption);
  CHECK(has(s.message(), "damaged before its end"));
  CHECK(has(s.message(), "segment file " + fs::path(target).filename().string() + ", byte "));
  CHECK(has(s.message(), "partition 0 from offset "));
  CHECK(has(s.message(), "past the damage, by skipping it: partition 0 offsets "));
  CHECK(has(s.message(), "When the disk fails"));
  auto ro = open_embedded_log({.dir = d, .read_only = true});
  REQUIRE_FALSE(ro.ok());
  CHECK(ro.status().code() == StatusCode::corruption);
}

TEST_CASE("segment log: a bit flipped in the last frame (complete, acknowledged) refuses the open; it is not taken for a torn write") {
  TempDir dir;
  const std::string d = dir.sub("log");
  write_closed_log(d, 0, 30);
  flip_bit(segment_files(d).back(), 0.999);
  auto reopened = open_embedded_log(segments(d));
  REQUIRE_FALSE(reopened.ok());
  CHECK(reopened.status().code() == StatusCode::corruption);
  CHECK(has(reopened.status().message(), "record checksum mismatch (partition 2 offset 9)"));
}

TEST_CASE("segment log: damage that appears under an open log fails the read that reaches it, naming file and offset") {
  TempDir dir;
  const std::string d = dir.sub("log");
  auto log = open_embedded_log(segments(d));
  REQUIRE(log.ok());
  append_records(**log, 0, 30);
  const std::string seg = segment_files(d).back();
  flip_bit(seg, 0.5);
  Status first = Status::Ok();
  for (uint32_t p = 0; p < kPartitions && first.ok(); p++) first = read_back(**log, p, 0).status();
  INFO(first.to_string());
  CHECK(first.code() == StatusCode::corruption);
  CHECK(has(first.message(), "segment file " + fs::path(seg).filename().string()));
  CHECK(has(first.message(), " at offset "));
}

TEST_CASE("segment log: a checkpoint taken while appends go on opens as a log holding everything acknowledged before it") {
  TempDir dir;
  const std::string d = dir.sub("log");
  auto log = open_embedded_log(segments(d, 4096));
  REQUIRE(log.ok());
  append_records(**log, 0, 150);
  std::atomic<bool> stop{false};
  std::thread more([&] {
    for (int i = 0; !stop; i++) (void)(*log)->append_one(Partition{0}, value_of(1000 + i), key_of(1));
  });
  REQUIRE((*log)->checkpoint(dir.sub("backup")).ok());
  stop = true;
  more.join();
  const std::vector<std::string> files = segment_files(dir.sub("backup"));
  REQUIRE(files.size() > 2);
  struct stat a {}, b {};
  REQUIRE(::stat(files[0].c_str(), &a) == 0);
  REQUIRE(::stat((d + "/" + fs::path(files[0]).filename().string()).c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);  // sealed segments are hard links
  auto copy = open_embedded_log({.dir = dir.sub("backup"), .read_only = true});
  REQUIRE(copy.ok());
  for (uint32_t p = 1; p < kPartitions; p++) {
    auto n = read_back(**copy, p, 0);
    REQUIRE(n.ok());
    CHECK(*n == 50);
  }
  CHECK((*copy)->end_offset(Partition{0})->value >= 50);
  CHECK((*log)->checkpoint(dir.sub("backup")).code() != StatusCode::ok);  // exists already
}

TEST_CASE("an embedded log in RocksDB keeps opening in RocksDB whatever format new logs get") {
  TempDir dir;
  const std::string d = dir.sub("log");
  {
    auto log = open_embedded_log({.dir = d, .partitions = kPartitions, .create_format = EmbeddedFormat::rocksdb});
    REQUIRE(log.ok());
    append_records(**log, 0, 30);
  }
  CHECK(embedded_format_of(d) == EmbeddedFormat::rocksdb);
  auto log = open_embedded_log(segments(d));
  REQUIRE(log.ok());
  CHECK_FALSE(fs::exists(d + "/tally-log.meta"));
  append_records(**log, 30, 33);
  auto n = read_back(**log, 0, 0);
  REQUIRE(n.ok());
  CHECK(*n == 11);
  CHECK(embedded_format_of(dir.sub("nothing")) == std::nullopt);
}

TEST_CASE("segment log: a full disk refuses appends with resource_exhausted, keeps nothing of them, and appends resume once there is room") {
  TempDir dir;
  Tmpfs disk(dir.sub("disk"), 4u << 20);
  if (!disk.mounted()) {
    MESSAGE("skipped: cannot mount a tmpfs here: " << disk.why_not());
    return;
  }
  const std::string d = dir.sub("disk") + "/log";
  auto log = open_embedded_log(segments(d));
  REQUIRE(log.ok());
  append_records(**log, 0, 9);
  const auto before = fs::file_size(segment_files(d).back());
  REQUIRE(disk.fill() > 0);
  // A record larger than any room left in the last page.
  auto refused = (*log)->append_one(Partition{0}, value_of(9, 64 << 10));
  REQUIRE_FALSE(refused.ok());
  INFO(refused.status().to_string());
  CHECK(refused.status().code() == StatusCode::resource_exhausted);
  CHECK(has(refused.status().message(), "the disk of the embedded log is full"));
  CHECK_FALSE(has(refused.status().message(), d));  // no host paths
  CHECK(fs::file_size(segment_files(d).back()) == before);  // cut back
  CHECK((*log)->end_offset(Partition{0})->value == 3);
  CHECK((*log)->append_condition().code() == StatusCode::resource_exhausted);
  auto n = read_back(**log, 1, 0);  // reads go on
  REQUIRE(n.ok());
  CHECK(*n == 3);

  disk.unfill();
  CHECK(eventually([&] { return (*log)->append_condition().ok(); }, {10s, 100ms}));
  append_records(**log, 9, 12);
  log->reset();
  auto reopened = open_embedded_log(segments(d));
  REQUIRE(reopened.ok());
  for (uint32_t p = 0; p < kPartitions; p++) {
    auto m = read_back(**reopened, p, 0);
    REQUIRE(m.ok());
    CHECK(*m == 4);
  }
}

TEST_CASE("segment log: many appenders over rolling segments (groups written while earlier ones sync) get every acknowledged record back, in order, after a reopen") {
  TempDir dir;
  const std::string d = dir.sub("log");
  constexpr int kThreads = 8, kEach = 150;
  std::map<std::pair<uint32_t, uint64_t>, std::vector<uint8_t>> acked;
  {
    auto log = open_embedded_log(segments(d, 16384));
    REQUIRE(log.ok());
    std::mutex mu;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; i++) {
          const uint32_t p = static_cast<uint32_t>((t * 7 + i) % kPartitions);
          const std::vector<uint8_t> v = value_of(t * 1000 + i, 50 + (i * 37) % 900);
          auto o = (*log)->append_one(Partition{p}, v);
          std::lock_guard lock(mu);
          REQUIRE(o.ok());
          CHECK(acked.emplace(std::pair{p, o->value}, v).second);
        }
      });
    }
    for (auto& th : threads) th.join();
    CHECK((*log)->group_commits() <= static_cast<uint64_t>(kThreads * kEach));
  }
  REQUIRE(acked.size() == kThreads * kEach);
  CHECK(segment_files(d).size() > 5);
  auto log = open_embedded_log(segments(d, 16384));
  REQUIRE(log.ok());
  size_t seen = 0;
  for (uint32_t p = 0; p < kPartitions; p++) {
    auto reader = (*log)->read(Partition{p}, Offset{0});
    REQUIRE(reader.ok());
    const uint64_t end = (*log)->end_offset(Partition{p})->value;
    for (uint64_t next = 0; next < end;) {
      auto got = (*reader)->next(100, 100ms);
      REQUIRE(got.ok());
      REQUIRE_FALSE(got->empty());
      for (const LogRecord& r : *got) {
        CHECK(r.offset.value == next++);
        auto it = acked.find({p, r.offset.value});
        REQUIRE(it != acked.end());
        CHECK(r.value == it->second);
        seen++;
      }
    }
  }
  CHECK(seen == acked.size());
}
