// The embedded log after kill -9: a child process appends numbered records
// from several threads and prints each acknowledged append; the test kills
// it with SIGKILL at a seeded random moment, three rounds on the same log,
// and after each checks that
//   - every acknowledged record is there, at its offset, byte for byte;
//   - offsets are dense from 0 to the end of every partition;
//   - every record, acknowledged or not, is complete: it decodes and equals
//     the record its numbers say it is (nothing half-written is returned);
//   - no record appears twice, and offsets keep growing across restarts.
#include <doctest/doctest.h>
#include <signal.h>

#include <map>
#include <random>
#include <set>
#include <sstream>

#include "engine/log/embedded_log.h"
#include "tests/fixtures/numbered_records.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 3;
constexpr uint32_t kWriters = 3;

std::string append_loop_bin() { return built_program("TALLY_APPEND_LOOP"); }

struct Ack {
  uint32_t partition;
  uint64_t offset;
  RecordNumber number;
};

// Parses "ack P O W S" lines; anything else fails the test.
void parse_acks(const std::string& line, std::vector<Ack>& out) {
  std::istringstream in(line);
  std::string word;
  Ack a{};
  in >> word >> a.partition >> a.offset >> a.number.writer >> a.number.seq;
  REQUIRE_MESSAGE((word == "ack" && !in.fail()), "unexpected line from the appender: " << line);
  out.push_back(a);
}

// Runs the appender for `run_for`, kills it, returns what it acknowledged.
std::vector<Ack> run_and_kill(const std::string& dir, uint32_t first_writer,
                              std::chrono::milliseconds run_for) {
  Process child({append_loop_bin(), dir, std::to_string(kPartitions), std::to_string(first_writer),
                 std::to_string(kWriters)});
  auto ready = child.read_line(20s);
  REQUIRE_MESSAGE(ready.has_value(), "the appender did not open the log");
  REQUIRE(*ready == "ready");
  std::vector<Ack> acks;
  const auto deadline = std::chrono::steady_clock::now() + run_for;
  while (std::chrono::steady_clock::now() < deadline) {
    auto line = child.read_line(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (line) parse_acks(*line, acks);
  }
  child.signal(SIGKILL);
  REQUIRE(child.wait() == 128 + SIGKILL);
  // Lines written before the kill; a torn last line (no newline) says nothing.
  std::string rest = child.read_all();
  for (size_t nl; (nl = rest.find('\n')) != std::string::npos; rest.erase(0, nl + 1)) {
    parse_acks(rest.substr(0, nl), acks);
  }
  return acks;
}

struct Found {
  RecordNumber number;
  std::vector<uint8_t> key;
  std::vector<uint8_t> value;
};

// Every record of every partition, checking density and completeness.
std::map<std::pair<uint32_t, uint64_t>, Found> read_everything(Log& log) {
  std::map<std::pair<uint32_t, uint64_t>, Found> out;
  for (uint32_t p = 0; p < kPartitions; p++) {
    auto end = log.end_offset(Partition{p});
    REQUIRE(end.ok());
    auto reader = log.read(Partition{p}, Offset{0});
    REQUIRE(reader.ok());
    uint64_t expect = 0;
    while (expect < end->value) {
      auto records = (*reader)->next(64, 1s);
      REQUIRE_MESSAGE(records.ok(), records.status().to_string());
      REQUIRE_FALSE(records->empty());
      for (LogRecord& r : *records) {
        REQUIRE(r.offset.value == expect);  // dense
        auto number = record_number(r.value);
        REQUIRE_MESSAGE(number.has_value(),
                        "partition " << p << " offset " << expect << " is not a whole record");
        CHECK(r.value == numbered_record(*number));
        CHECK(r.key == numbered_key(*number));
        out[{p, expect}] = Found{*number, std::move(r.key), std::move(r.value)};
        expect++;
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("embedded log: every acknowledged append survives kill -9, nothing half-written") {
  TempDir dir("tally-crash");
  const std::string log_dir = dir.sub("log");
  std::mt19937 rng(20240607);
  std::map<std::pair<uint32_t, uint64_t>, RecordNumber> acked;
  size_t previous_total = 0;
  for (uint32_t round = 0; round < 3; round++) {
    CAPTURE(round);
    const auto run_for = std::chrono::milliseconds(150 + rng() % 450);
    const std::vector<Ack> acks = run_and_kill(log_dir, round * kWriters, run_for);
    // A round that acknowledged nothing would prove nothing.
    REQUIRE(acks.size() >= 5);
    for (const Ack& a : acks) {
      const bool fresh = acked.emplace(std::pair{a.partition, a.offset}, a.number).second;
      CHECK_MESSAGE(fresh, "offset " << a.offset << " of partition " << a.partition
                                     << " was acknowledged twice");
    }

    auto log = open_embedded_log({.dir = log_dir});
    REQUIRE_MESSAGE(log.ok(), log.status().to_string());
    REQUIRE((*log)->partition_count() == kPartitions);
    const auto found = read_everything(**log);
    // (No structured bindings here: clang 14 cannot capture one in the
    // assertion macros' lambdas.)
    for (const auto& entry : acked) {
      const auto& place = entry.first;
      const auto number = entry.second;
      auto it = found.find(place);
      REQUIRE_MESSAGE(it != found.end(), "acknowledged partition " << place.first << " offset "
                                                                    << place.second << " is lost");
      CHECK(it->second.number == number);
    }
    std::set<std::pair<uint32_t, uint64_t>> numbers;
    for (const auto& entry : found) {
      const auto& f = entry.second;
      CHECK_MESSAGE(numbers.insert({f.number.writer, f.number.seq}).second,
                    "record " << f.number.writer << "/" << f.number.seq << " is in the log twice");
    }
    // The new round's records came after the old ones; nothing was rewritten.
    CHECK(found.size() > previous_total);
    CHECK(found.size() >= acked.size());
    previous_total = found.size();
    MESSAGE("round " << round << ": killed after " << run_for.count() << " ms, " << acks.size()
                     << " acknowledged, " << found.size() << " records in the log");
  }
}
