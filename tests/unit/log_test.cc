// The log contract, run against every Log implementation: each case below
// runs once on the embedded log and once on Kafka (`tally broker`).
#include <doctest/doctest.h>

#include <random>
#include <thread>

#include "engine/core/codec.h"
#include "engine/log/record_check.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/log_fixture.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }
std::string text_of(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

// Reads exactly n records from `from`, waiting up to 10 s in all.
std::vector<LogRecord> read_n(Log& log, Partition p, Offset from, size_t n) {
  auto reader = log.read(p, from);
  REQUIRE(reader.ok());
  std::vector<LogRecord> out;
  for (int tries = 0; out.size() < n && tries < 100; tries++) {
    auto got = (*reader)->next(n - out.size(), 100ms);
    REQUIRE(got.ok());
    for (auto& r : *got) out.push_back(std::move(r));
  }
  return out;
}

void round_trip(LogFixture&, std::unique_ptr<Log>& log) {
  for (int i = 0; i < 10; i++) {
    auto o = log->append_one(Partition{1}, bytes_of("r" + std::to_string(i)), bytes_of("key"));
    REQUIRE(o.ok());
    CHECK(o->value == static_cast<uint64_t>(i));
  }
  auto records = read_n(*log, Partition{1}, Offset{0}, 10);
  REQUIRE(records.size() == 10);
  for (int i = 0; i < 10; i++) {
    CHECK(records[i].offset.value == static_cast<uint64_t>(i));
    CHECK(records[i].partition.value == 1);
    CHECK(text_of(records[i].value) == "r" + std::to_string(i));
    CHECK(text_of(records[i].key) == "key");
    CHECK(records[i].append_time.ns > 1'600'000'000'000'000'000ull);
  }
  auto end = log->end_offset(Partition{1});
  REQUIRE(end.ok());
  CHECK(end->value == 10);
  auto other = log->end_offset(Partition{2});
  REQUIRE(other.ok());
  CHECK(other->value == 0);
}

void multi_append(LogFixture&, std::unique_ptr<Log>& log) {
  std::vector<std::vector<uint8_t>> values;
  std::vector<AppendRequest> reqs;
  for (int i = 0; i < 12; i++) values.push_back(bytes_of("v" + std::to_string(i)));
  for (int i = 0; i < 12; i++) {
    reqs.push_back({Partition{static_cast<uint32_t>(i % 3)}, {}, values[i]});
  }
  auto offsets = log->append(reqs);
  REQUIRE(offsets.ok());
  REQUIRE(offsets->size() == 12);
  for (int i = 0; i < 12; i++) CHECK((*offsets)[i].value == static_cast<uint64_t>(i / 3));
  auto p2 = read_n(*log, Partition{2}, Offset{0}, 4);
  REQUIRE(p2.size() == 4);
  CHECK(text_of(p2[0].value) == "v2");
  CHECK(text_of(p2[3].value) == "v11");
}

void read_middle_and_wait(LogFixture&, std::unique_ptr<Log>& log) {
  for (int i = 0; i < 6; i++) {
    REQUIRE(log->append_one(Partition{0}, bytes_of(std::to_string(i))).ok());
  }
  auto mid = read_n(*log, Partition{0}, Offset{4}, 2);
  REQUIRE(mid.size() == 2);
  CHECK(text_of(mid[0].value) == "4");
  CHECK(mid[1].offset.value == 5);

  auto reader = log->read(Partition{0}, Offset{6});
  REQUIRE(reader.ok());
  auto none = (*reader)->next(10, 50ms);
  REQUIRE(none.ok());
  CHECK(none->empty());
  std::thread later([&] {
    std::this_thread::sleep_for(100ms);
    CHECK(log->append_one(Partition{0}, bytes_of("late")).ok());
  });
  std::vector<LogRecord> got;
  for (int tries = 0; got.empty() && tries < 100; tries++) {
    auto r = (*reader)->next(10, 100ms);
    REQUIRE(r.ok());
    got = std::move(*r);
  }
  later.join();
  REQUIRE(got.size() == 1);
  CHECK(text_of(got[0].value) == "late");
  CHECK((*reader)->position().value == 7);
}

void concurrent_appenders(LogFixture&, std::unique_ptr<Log>& log) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; i++) {
        if (!log->append_one(Partition{3}, bytes_of(std::to_string(t * 100 + i))).ok()) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
  auto all = read_n(*log, Partition{3}, Offset{0}, 100);
  REQUIRE(all.size() == 100);
  std::vector<int> last(4, -1);
  for (auto& r : all) {
    const int v = std::stoi(text_of(r.value));
    CHECK(v % 100 > last[v / 100]);  // each appender's records in its own order
    last[v / 100] = v % 100;
  }
}

void survives_reopen(LogFixture& fixture, std::unique_ptr<Log>& log) {
  BatchBuilder b;
  b.add(account(9));
  const std::vector<uint8_t> record = b.finish();
  REQUIRE(log->append_one(Partition{2}, record).ok());
  log.reset();
  log = fixture.open();
  auto back = read_n(*log, Partition{2}, Offset{0}, 1);
  REQUIRE(back.size() == 1);
  CHECK(back[0].value == record);
  CHECK(decode_batch(back[0].value).ok());
  auto end = log->end_offset(Partition{2});
  REQUIRE(end.ok());
  CHECK(end->value == 1);
}

void bad_appends(LogFixture&, std::unique_ptr<Log>& log) {
  std::vector<uint8_t> v = bytes_of("x");
  auto bad = log->append_one(Partition{4}, v);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("partition 4 does not exist") != std::string::npos);
  std::vector<uint8_t> big(log->max_record_bytes() + 1, 1);
  auto huge = log->append_one(Partition{0}, big);
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.status().message().find("over the limit") != std::string::npos);
  auto reader = log->read(Partition{9}, Offset{0});
  CHECK_FALSE(reader.ok());
}

// Garbage written on purpose between good records: each bad record is read
// back byte for byte and reported with its partition, offset and reason; the
// good ones around it still decode.
void garbage_records(LogFixture&, std::unique_ptr<Log>& log) {
  BatchBuilder b;
  b.add(account(5));
  b.add(CreateTransfer{TransferId(6), AccountId(5), AccountId(7), Amount(10)});
  const std::vector<uint8_t> good = b.finish();
  std::mt19937 rng(20240607);
  std::vector<uint8_t> noise(300);
  for (auto& x : noise) x = static_cast<uint8_t>(rng());
  std::vector<uint8_t> truncated(good.begin(), good.begin() + static_cast<long>(good.size() / 2));
  std::vector<uint8_t> bad_root = good;
  bad_root[0] = bad_root[1] = bad_root[2] = 0x7f;  // root table offset far out of the buffer

  struct Case {
    std::vector<uint8_t> value;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {noise, "file identifier"},
      {{}, "too short"},
      {truncated, "FlatBuffers verifier"},
      {bad_root, "FlatBuffers verifier"},
  };
  const Partition p{2};
  REQUIRE(log->append_one(p, good).ok());
  for (const Case& c : cases) REQUIRE(log->append_one(p, c.value).ok());
  REQUIRE(log->append_one(p, good).ok());

  auto records = read_n(*log, p, Offset{0}, cases.size() + 2);
  REQUIRE(records.size() == cases.size() + 2);
  CHECK(decode_record(records.front()).ok());
  CHECK(decode_record(records.back()).ok());
  for (size_t i = 0; i < cases.size(); i++) {
    const LogRecord& r = records[i + 1];
    CAPTURE(i);
    CHECK(r.value == cases[i].value);
    auto decoded = decode_record(r);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == StatusCode::corruption);
    const std::string m = decoded.status().message();
    CHECK(m.rfind("partition 2 offset " + std::to_string(i + 1) + ": ", 0) == 0);
    CHECK(m.find(cases[i].reason) != std::string::npos);
  }
}

}  // namespace

#define LOG_CONTRACT(title, fn)                   \
  TEST_CASE("embedded log: " title) {             \
    auto fixture = make_embedded_fixture(4);      \
    auto log = fixture->open();                   \
    REQUIRE(log->partition_count() == 4);         \
    fn(*fixture, log);                            \
  }                                               \
  TEST_CASE("embedded log kept in RocksDB (directories from before the segment files): " title) { \
    auto fixture = make_embedded_fixture(4, EmbeddedFormat::rocksdb); \
    auto log = fixture->open();                   \
    REQUIRE(log->partition_count() == 4);         \
    fn(*fixture, log);                            \
  }                                               \
  TEST_CASE("kafka log (tally broker): " title) { \
    auto fixture = make_kafka_fixture(4);         \
    auto log = fixture->open();                   \
    REQUIRE(log->partition_count() == 4);         \
    fn(*fixture, log);                            \
  }

LOG_CONTRACT("round trip with keys, offsets from zero, order within a partition", round_trip)
LOG_CONTRACT("a multi-record append keeps per-partition order and returns every offset",
             multi_append)
LOG_CONTRACT("reading from the middle, and waiting for what comes next", read_middle_and_wait)
LOG_CONTRACT("concurrent appenders get distinct offsets and keep their order", concurrent_appenders)
LOG_CONTRACT("a batch record survives a reopen byte for byte", survives_reopen)
LOG_CONTRACT("bad appends and reads are refused with the limit named", bad_appends)
LOG_CONTRACT("garbage records read back as written and are reported with partition, offset, reason",
             garbage_records)
