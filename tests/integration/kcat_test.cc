// Interoperability with a Kafka client we did not write: kcat (librdkafka's
// command-line client) against `tally broker`.
//   - kcat reads back what KafkaLog appended: the same records, partitions,
//     offsets, keys and bytes.
//   - kcat producing with `-X partitioner=murmur2_random` and an 8-byte key
//     puts each record where Tally's partition_of says (docs/design.md "The log");
//     with kcat's default partitioner some land elsewhere, which is why the
//     setting is required.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <tuple>

#include "engine/core/bytes.h"
#include "engine/core/partitioner.h"
#include "engine/log/kafka_log.h"
#include "tests/fixtures/broker.h"
#include "tests/fixtures/numbered_records.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 4;

std::string kcat_bin() {
  const char* bin = std::getenv("KCAT");
  REQUIRE_MESSAGE((bin != nullptr && *bin != '\0'),
                  "kcat was not found when the build was configured; tools/dev setup installs it");
  return bin;
}

std::unique_ptr<Log> open_log(const Broker& broker) {
  auto log = open_kafka_log({.bootstrap = broker.bootstrap()});
  REQUIRE_MESSAGE(log.ok(), log.status().to_string());
  return std::move(log).value();
}

Partition partition_of_key_bytes(const std::vector<uint8_t>& key) {
  REQUIRE(key.size() == 8);
  return partition_of_key(get_be64(reinterpret_cast<const char*>(key.data())), kPartitions);
}

using Seen = std::tuple<uint32_t, uint64_t, std::vector<uint8_t>, std::vector<uint8_t>>;

// Parses kcat output in the format "%p %o %K %S %k%s\n": the lengths come
// first, so binary keys and values (newlines, zero bytes) parse exactly.
std::vector<Seen> parse_kcat(const std::string& out) {
  std::vector<Seen> seen;
  size_t at = 0;
  auto number = [&]() -> uint64_t {
    const size_t space = out.find(' ', at);
    REQUIRE(space != std::string::npos);
    const uint64_t n = std::stoull(out.substr(at, space - at));
    at = space + 1;
    return n;
  };
  while (at < out.size()) {
    const auto p = static_cast<uint32_t>(number());
    const uint64_t o = number();
    const size_t key_len = number();
    const size_t value_len = number();
    REQUIRE(at + key_len + value_len + 1 <= out.size());
    std::vector<uint8_t> key(out.begin() + static_cast<long>(at),
                             out.begin() + static_cast<long>(at + key_len));
    at += key_len;
    std::vector<uint8_t> value(out.begin() + static_cast<long>(at),
                               out.begin() + static_cast<long>(at + value_len));
    at += value_len;
    REQUIRE(out[at] == '\n');
    at++;
    seen.emplace_back(p, o, std::move(key), std::move(value));
  }
  return seen;
}

// key -> the partitions its records are in, read through KafkaLog.
std::map<std::string, std::set<uint32_t>> partitions_by_key(Log& log) {
  std::map<std::string, std::set<uint32_t>> out;
  for (uint32_t p = 0; p < kPartitions; p++) {
    auto end = log.end_offset(Partition{p});
    REQUIRE(end.ok());
    auto reader = log.read(Partition{p}, Offset{0});
    REQUIRE(reader.ok());
    for (int tries = 0; (*reader)->position() < *end && tries < 100; tries++) {
      auto records = (*reader)->next(100, 100ms);
      REQUIRE(records.ok());
      for (const LogRecord& r : *records) out[std::string(r.key.begin(), r.key.end())].insert(p);
    }
    REQUIRE((*reader)->position() == *end);
  }
  return out;
}

// Produces "KEY:value" lines with kcat; `extra` adds kcat arguments.
void kcat_produce(const Broker& broker, const std::vector<std::string>& keys,
                  const std::vector<std::string>& extra) {
  std::string input;
  for (const std::string& k : keys) input += k + ":value of " + k + "\n";
  std::vector<std::string> argv = {kcat_bin(), "-P", "-b", broker.bootstrap(), "-t",
                                   "tally.commands", "-K:"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const Captured c = run_captured(argv, input, 30s);
  REQUIRE_MESSAGE(c.exit_code == 0, "kcat -P failed: " << c.err);
}

// Eight printable 8-byte keys: the upper 64 bits of eight tenants' ids.
const std::vector<std::string> kKeys = {"TENANT01", "TENANT02", "acme-eu1", "acme-us1",
                                        "WALLET-9", "ledger#7", "fee-acct", "zzzzzzzz"};

}  // namespace

TEST_CASE("kcat reads what KafkaLog appended: same records, partitions, offsets, keys, bytes") {
  Broker broker(kPartitions);
  auto log = open_log(broker);
  std::set<Seen> appended;
  for (uint64_t seq = 0; seq < 24; seq++) {
    const RecordNumber n{7, seq};
    const std::vector<uint8_t> key = numbered_key(n);
    const std::vector<uint8_t> value = numbered_record(n);
    const Partition p = partition_of_key_bytes(key);
    auto o = log->append_one(p, value, key);
    REQUIRE(o.ok());
    appended.emplace(p.value, o->value, key, value);
  }
  std::set<uint32_t> used;
  for (const Seen& s : appended) used.insert(std::get<0>(s));
  REQUIRE(used.size() >= 2);  // the keys spread, so partitions are really compared

  const Captured c = run_captured({kcat_bin(), "-C", "-b", broker.bootstrap(), "-t",
                                   "tally.commands", "-e", "-q", "-f", "%p %o %K %S %k%s\n"},
                                  "", 30s);
  REQUIRE_MESSAGE(c.exit_code == 0, "kcat -C failed: " << c.err);
  const std::vector<Seen> seen = parse_kcat(c.out);
  CHECK(seen.size() == appended.size());
  CHECK(std::set<Seen>(seen.begin(), seen.end()) == appended);
}

TEST_CASE("kcat with partitioner=murmur2_random places keyed records where partition_of says") {
  Broker broker(kPartitions);
  kcat_produce(broker, kKeys, {"-X", "partitioner=murmur2_random"});
  auto log = open_log(broker);
  const auto placed = partitions_by_key(*log);
  std::set<uint32_t> used;
  for (const std::string& k : kKeys) {
    CAPTURE(k);
    const std::vector<uint8_t> key(k.begin(), k.end());
    const uint32_t expected = partition_of_key_bytes(key).value;
    REQUIRE(placed.count(k) == 1);
    CHECK(placed.at(k) == std::set<uint32_t>{expected});
    used.insert(expected);
  }
  CHECK(used.size() >= 3);
}

TEST_CASE("kcat's default partitioner is not murmur2: some keys land elsewhere") {
  Broker broker(kPartitions);
  kcat_produce(broker, kKeys, {});
  auto log = open_log(broker);
  const auto placed = partitions_by_key(*log);
  int elsewhere = 0;
  for (const std::string& k : kKeys) {
    REQUIRE(placed.count(k) == 1);
    const std::vector<uint8_t> key(k.begin(), k.end());
    if (placed.at(k) != std::set<uint32_t>{partition_of_key_bytes(key).value}) elsewhere++;
  }
  CHECK(elsewhere > 0);
}
