// The embedded log opened read-only beside its writer (how `tally replay`
// and `tally reconcile` read the log of a running `tally serve`).
#include <doctest/doctest.h>

#include <filesystem>

#include "engine/log/embedded_log.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

void append(Log& log, int from, int to) {
  for (int i = from; i < to; i++) {
    REQUIRE(log.append_one(Partition{1}, bytes_of("r" + std::to_string(i))).ok());
  }
}

}  // namespace

TEST_CASE("a read-only embedded log sees what the writer appended before it opened, and no more") {
  TempDir dir;
  auto writer = open_embedded_log({.dir = dir.sub("log"), .partitions = 4});
  REQUIRE(writer.ok());
  append(**writer, 0, 5);

  auto reader_log = open_embedded_log({.dir = dir.sub("log"), .read_only = true});
  REQUIRE(reader_log.ok());
  Log& ro = **reader_log;
  CHECK(ro.partition_count() == 4);
  auto end = ro.end_offset(Partition{1});
  REQUIRE(end.ok());
  CHECK(end->value == 5);
  auto reader = ro.read(Partition{1}, Offset{0});
  REQUIRE(reader.ok());
  auto records = (*reader)->next(10, 100ms);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 5);
  CHECK((*records)[4].value == bytes_of("r4"));

  auto refused = ro.append_one(Partition{1}, bytes_of("x"));
  CHECK(refused.status().code() == StatusCode::failed_precondition);

  append(**writer, 5, 8);  // a snapshot: the open reader does not see these
  auto still = ro.end_offset(Partition{1});
  REQUIRE(still.ok());
  CHECK(still->value == 5);
  auto again = open_embedded_log({.dir = dir.sub("log"), .read_only = true});
  REQUIRE(again.ok());
  auto later = (*again)->end_offset(Partition{1});
  REQUIRE(later.ok());
  CHECK(later->value == 8);
}

TEST_CASE("opening a missing embedded log read-only fails and creates nothing") {
  TempDir dir;
  auto log = open_embedded_log({.dir = dir.sub("nothing"), .read_only = true});
  CHECK_FALSE(log.ok());
  CHECK_FALSE(std::filesystem::exists(dir.sub("nothing")));
}
